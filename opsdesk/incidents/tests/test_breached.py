"""Issue 8 (rules out of views): "breached" is defined once (selectors.is_breached, and breached_q
for queries). The incident page's target status, the B6 sweep and the desk's breached counts agree
on it: an unmet target of an open incident whose clock runs, at or past its due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.incidents import selectors, services
from opsdesk.incidents.models import Incident, SlaEvent
from opsdesk.incidents.tests.conftest import client_for, log, london

pytestmark = pytest.mark.django_db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _agree(incident: Incident, now: datetime) -> bool:
    """Whether the scalar rule, the query rule (next and initial target) and the page's status agree,
    and what they say."""
    incident.refresh_from_db()
    scalar = selectors.is_breached(
        incident, due=incident.initial_response_due, met_at=incident.initial_response_at, now=now
    )
    by_next = Incident.objects.filter(selectors.breached_q(now=now), pk=incident.pk).exists()
    by_target = Incident.objects.filter(
        selectors.breached_q(now=now, target="initial"), pk=incident.pk
    ).exists()
    status = selectors.target_status(
        incident,
        due=incident.initial_response_due,
        warning_at=incident.initial_warning_at,
        met_at=incident.initial_response_at,
        now=now,
    )
    assert scalar == by_next == by_target == (status == "breached"), (scalar, by_next, by_target, status)
    return scalar


def test_breached_from_the_due_time_and_the_sweep_records_it_then(world):
    # P3 logged Tue 10:00 London: initial response due 11:00 (sla-examples).
    incident = log(world, at=london(2026, 12, 1, 10, 0))
    assert not _agree(incident, utc(2026, 12, 1, 10, 59))
    services.sla_sweep(now=utc(2026, 12, 1, 10, 59))
    assert not SlaEvent.objects.filter(incident=incident, kind="breach").exists()
    assert _agree(incident, utc(2026, 12, 1, 11, 0))
    services.sla_sweep(now=utc(2026, 12, 1, 11, 0))
    assert SlaEvent.objects.filter(incident=incident, kind="breach", target="initial").exists()


def test_a_paused_or_met_target_is_not_breached(world):
    desk = world["service_desk"]
    paused = log(world, at=london(2026, 12, 1, 10, 0))
    services.incident_acknowledge(actor=desk, incident=paused, at=london(2026, 12, 1, 10, 5))
    paused.refresh_from_db()
    services.incident_await_customer(
        actor=desk, incident=paused, note="Which region?", at=london(2026, 12, 1, 10, 10)
    )
    met = log(world, at=london(2026, 12, 1, 10, 0))
    services.incident_acknowledge(actor=desk, incident=met, at=london(2026, 12, 1, 10, 30))
    # 11:30: past the initial target (11:00), which `met` met and `paused` waits on; before the
    # considered one (14:00). At 16:00 the paused one is still not breached.
    for now in (utc(2026, 12, 1, 11, 30), utc(2026, 12, 1, 16, 0)):
        assert not _agree(paused, now)
        services.sla_sweep(now=now)
    assert not _agree(met, utc(2026, 12, 1, 11, 30))
    assert not SlaEvent.objects.filter(incident__in=[paused, met], kind="breach", target="initial").exists()
    assert not SlaEvent.objects.filter(incident=paused, kind="breach").exists()


def test_the_desk_counts_what_breached_q_counts(world):
    now = timezone.now()
    log(world, priority="P1", at=now - timedelta(hours=2), title="Breached P1")
    running = log(world, priority="P1", at=now - timedelta(hours=2), title="Paused P1")
    desk = world["service_desk"]
    services.incident_acknowledge(actor=desk, incident=running)
    running.refresh_from_db()
    services.incident_await_customer(actor=desk, incident=running, note="Which region?")
    response = client_for(desk).get(reverse("web:home"))
    expected = Incident.objects.filter(selectors.breached_q(now=timezone.now())).count()
    assert response.context["breached_incident_total"] == expected >= 1
