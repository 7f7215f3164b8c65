"""Pages (issue 9 item 1): raised for each cause once, worked by the default policy's steps with
the real Huey tasks (immediate mode), delivered through the outbox, acknowledged by a recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.incidents.tests.conftest import log
from opsdesk.notifications.models import Channel, Notification
from opsdesk.oncall import services, tasks
from opsdesk.oncall.choices import PageCause, PageState
from opsdesk.oncall.models import EscalationPolicy, Page
from opsdesk.oncall.tests.conftest import london

pytestmark = pytest.mark.django_db

#: Thursday 3 December 2026, 03:00 London: the first engineer's week (Mon 30 Nov 09:00 to Mon 7 Dec).
NIGHT = london(2026, 12, 3, 3, 0)


def paged(page: Page) -> list[str]:
    """Who the outbox emailed for this page, in order."""
    rows = Notification.objects.filter(event="oncall.page", channel=Channel.EMAIL, payload__page=page.pk)
    return [n.recipient for n in rows.order_by("pk")]


def raise_p1(world, django_capture_on_commit_callbacks, *, at=NIGHT):
    with django_capture_on_commit_callbacks(execute=True):
        incident = log(world, priority="P1", at=at)
    return incident, Page.objects.get(incident_id=incident.pk, cause=PageCause.NEW_INCIDENT)


def test_a_customer_p1_pages_the_engineer_on_call_at_once(oncall, django_capture_on_commit_callbacks):
    incident, page = raise_p1(oncall, django_capture_on_commit_callbacks)
    # The first step ran on commit through the Huey task (immediate mode), at the wall clock's
    # "now"; the incident was logged "at" 03:00, so who is on call is read at the real time: the
    # rota covers any time from 30 Nov 2026, and the first step pages whoever it names.
    assert len(paged(page)) == 1
    assert page.title.startswith(incident.reference)
    message = [m for m in mail.outbox if m.to == [paged(page)[0]] and "[PAGE P1]" in m.subject]
    assert message and "/oncall/ack/" in message[0].body


def test_a_p3_pages_nobody_and_a_p1_is_paged_once_per_cause(oncall, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        log(oncall, priority="P3", at=NIGHT)
    assert not Page.objects.exists()
    incident, page = raise_p1(oncall, django_capture_on_commit_callbacks)
    again = services.page_raise(
        source_type="incident", source_id=incident.pk, cause=PageCause.NEW_INCIDENT, title="again"
    )
    assert again.pk == page.pk and Page.objects.count() == 1


def _page(oncall, at=NIGHT) -> Page:
    """A page raised at `at` whose steps the test drives with explicit instants (no on-commit run)."""
    return services.page_raise(
        source_type="incident", source_id=4242, cause=PageCause.NEW_INCIDENT, title="INC-4242 P1 down", at=at
    )


def test_the_policy_escalates_every_ten_minutes_until_acknowledged(oncall):
    page = _page(oncall)
    first, manager, second = oncall["first"].email, oncall["manager"].email, oncall["second"].email
    assert services.pages_sweep(now=NIGHT) == 1
    assert paged(page) == [first]
    # Nine minutes on: still waiting.
    assert services.pages_sweep(now=NIGHT + dt.timedelta(minutes=9)) == 0
    # Ten minutes: the cloud support manager.
    assert services.pages_sweep(now=NIGHT + dt.timedelta(minutes=10)) == 1
    assert paged(page) == [first, manager]
    # Twenty: the whole team; then the repeat starts from the rota again at once.
    services.pages_sweep(now=NIGHT + dt.timedelta(minutes=20))
    sent = paged(page)
    assert sent[:2] == [first, manager] and sorted(sent[2:5]) == sorted([first, second, manager])
    assert sent[5:] == [first]
    page.refresh_from_db()
    assert page.cycle == 1 and page.next_step_at == NIGHT + dt.timedelta(minutes=30)
    # Acknowledged by the first engineer: the policy stops.
    services.page_acknowledge(actor=oncall["first"], page=page)
    assert services.pages_sweep(now=NIGHT + dt.timedelta(minutes=40)) == 0
    assert len(paged(page)) == 6
    page.refresh_from_db()
    assert page.state == PageState.ACKNOWLEDGED and page.next_step_at is None


def test_the_repeat_ends_and_the_page_stays_open(oncall):
    page = _page(oncall)
    for minutes in (0, 10, 20, 30, 40, 50, 60):
        services.pages_sweep(now=NIGHT + dt.timedelta(minutes=minutes))
    page.refresh_from_db()
    assert page.state == PageState.OPEN and page.next_step_at is None and page.cycle == 1
    assert len(paged(page)) == 2 * 5  # rota, manager, team of three; twice


def test_the_periodic_task_runs_due_steps(oncall):
    """The real Huey periodic task (immediate mode) claims and runs a page raised earlier."""
    page = _page(oncall, at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    assert tasks.pages_sweep_task.call_local() == 1
    assert len(paged(page)) == 1


def test_crash_after_claim_loses_nothing_and_pages_once(oncall):
    """Claim, die (the worker never runs the step), sweep after the lease: paged exactly once."""
    page = _page(oncall)
    [(pk, token)] = services.pages_claim(now=NIGHT)
    # The worker is killed here. Until the lease runs out nobody else takes the page.
    assert services.pages_sweep(now=NIGHT + dt.timedelta(seconds=30)) == 0
    assert paged(page) == []
    # After the lease: the sweep claims it again and pages.
    assert services.pages_sweep(now=NIGHT + services.LEASE + dt.timedelta(seconds=1)) == 1
    assert paged(page) == [oncall["first"].email]
    # The dead worker wakes up with its stale token: nothing happens.
    assert services.page_run(page_id=pk, token=token, now=NIGHT + dt.timedelta(minutes=3)) == 0
    assert paged(page) == [oncall["first"].email]
    page.refresh_from_db()
    assert page.attempts == 2


def test_crash_inside_the_step_rolls_back_and_the_sweep_pages_once(oncall, monkeypatch):
    """An exception after the emails were put in the outbox (a worker dying mid-step) rolls the
    whole step back; the sweep after the lease pages once."""
    page = _page(oncall)
    real = services._deliver

    def deliver_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_deliver", deliver_then_die)
    [(pk, token)] = services.pages_claim(now=NIGHT)
    with pytest.raises(RuntimeError):
        services.page_run(page_id=pk, token=token, now=NIGHT)
    assert paged(page) == []
    monkeypatch.setattr(services, "_deliver", real)
    later = NIGHT + services.LEASE + dt.timedelta(seconds=1)
    assert services.pages_sweep(now=later) == 1
    assert services.pages_sweep(now=later) == 0
    assert paged(page) == [oncall["first"].email]


def test_nobody_on_call_goes_to_the_fallback_team_and_is_flagged(oncall):
    before_rota = london(2026, 11, 29, 12, 0)  # the rota starts on Monday 30 Nov
    page = _page(oncall, at=before_rota)
    services.pages_sweep(now=before_rota)
    page.refresh_from_db()
    assert page.flagged and "Nobody on call on rota Platform primary" in page.flag_reason
    assert "sent to team Platform" in page.flag_reason
    assert sorted(paged(page)) == sorted(
        u.email for u in (oncall["first"], oncall["second"], oncall["manager"])
    )


def test_without_a_policy_the_managers_are_paged_and_the_page_is_flagged(oncall):
    EscalationPolicy.objects.all().delete()
    page = _page(oncall)
    services.pages_sweep(now=NIGHT)
    page.refresh_from_db()
    assert page.flagged and "No default escalation policy" in page.flag_reason
    assert oncall["administrator"].email in paged(page)


def test_only_a_recipient_may_acknowledge(oncall):
    page = _page(oncall)
    services.pages_sweep(now=NIGHT)
    with pytest.raises(PermissionDenied) as refused:
        services.page_acknowledge(actor=oncall["second"], page=page)
    assert "sent to Staff engineer" in refused.value.detail
    page.refresh_from_db()
    assert page.state == PageState.OPEN
    services.page_acknowledge(actor=oncall["first"], page=page)
    with pytest.raises(ValidationFailed) as twice:
        services.page_acknowledge(actor=oncall["first"], page=page)
    assert "Already acknowledged by Staff engineer" in twice.value.errors[0]["message"]


def test_the_email_link_acknowledges_as_its_person_and_a_forged_one_is_refused(oncall):
    page = _page(oncall)
    services.pages_sweep(now=NIGHT)
    token = services.ack_token(page, oncall["first"])
    with pytest.raises(ValidationFailed) as forged:
        services.page_acknowledge_by_link(token=token[:-2] + "xx")
    assert forged.value.errors[0]["field"] == "token"
    # A link made for someone the page was not sent to is refused like any other outsider.
    with pytest.raises(PermissionDenied):
        services.page_acknowledge_by_link(token=services.ack_token(page, oncall["second"]))
    acknowledged = services.page_acknowledge_by_link(token=token)
    assert acknowledged.acknowledged_by == oncall["first"] and acknowledged.acknowledged_via == "email"
