"""C8 lifecycle: incidents only move forward and each move is a posted update; resolving stamps
resolved_at; a refused move names the field and changes nothing. Provider-wide maintenance (E4) as
the status page reads it from the schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.schedule.services import window_put
from opsdesk.statuspage import selectors, services
from opsdesk.statuspage.models import StatusIncident, StatusUpdate

pytestmark = pytest.mark.django_db


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e["field"] for e in exc.errors}


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- incidents ---------------------------------------------------------------------------------


def test_create_posts_the_first_update_and_audits_both(make_incident, manager):
    incident = make_incident()
    assert incident.state == "investigating" and incident.resolved_at is None and incident.published
    [update] = incident.updates.all()
    assert (update.state, update.author, update.body) == (
        "investigating",
        manager,
        "We are **investigating** elevated error rates.",
    )
    assert AuditEvent.objects.filter(object_type="statuspage.statusincident", action="create").count() == 1
    assert AuditEvent.objects.filter(object_type="statuspage.statusupdate", action="create").count() == 1
    assert AuditEvent.objects.get(object_type="statuspage.statusincident").organisation_id is None


def test_forward_steps_each_post_an_update_and_resolving_sets_resolved_at(make_incident, manager):
    incident = make_incident()
    for state in ("identified", "identified", "monitoring"):
        services.status_incident_post_update(
            actor=manager, incident=incident, state=state, body=f"Now {state}."
        )
        assert fresh(incident).state == state and fresh(incident).resolved_at is None
    before = timezone.now()
    update = services.status_incident_post_update(
        actor=manager, incident=incident, state="resolved", body="Fixed."
    )
    incident = fresh(incident)
    assert incident.state == "resolved" and before <= incident.resolved_at <= timezone.now()
    assert update.incident_id == incident.pk and update.posted_at == incident.resolved_at
    assert [u.state for u in incident.updates.order_by("posted_at", "pk")] == [
        "investigating",
        "identified",
        "identified",
        "monitoring",
        "resolved",
    ]
    assert incident.version == 4  # created at 1, then three state changes (the repeat changes nothing)


def test_any_forward_step_may_skip_states(make_incident, manager):
    incident = make_incident()
    services.status_incident_post_update(actor=manager, incident=incident, state="resolved", body="Gone.")
    assert fresh(incident).state == "resolved"


@pytest.mark.parametrize(
    "path, back",
    [
        (["identified"], "investigating"),
        (["monitoring"], "identified"),
        (["monitoring"], "investigating"),
        (["resolved"], "monitoring"),
        (["resolved"], "resolved"),
    ],
)
def test_a_backward_step_is_refused_naming_state_and_changes_nothing(make_incident, manager, path, back):
    incident = make_incident()
    for state in path:
        services.status_incident_post_update(actor=manager, incident=incident, state=state, body="step")
    before = fresh(incident)
    updates = StatusUpdate.objects.count()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_post_update(actor=manager, incident=incident, state=back, body="back")
    assert fields_of(caught.value) == {"state"}
    assert "state" in caught.value.detail
    after = fresh(incident)
    assert (after.state, after.resolved_at, after.version) == (
        before.state,
        before.resolved_at,
        before.version,
    )
    assert StatusUpdate.objects.count() == updates and AuditEvent.objects.count() == events


def test_resolved_is_final_with_a_clear_message(make_incident, manager):
    incident = make_incident(state="resolved")
    assert incident.resolved_at is not None
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_post_update(actor=manager, incident=incident, state="resolved", body="again")
    assert caught.value.errors == [
        {"field": "state", "message": "The incident is resolved; a resolved incident is final."}
    ]


def test_unknown_state_and_an_empty_body_are_refused_without_a_state_change(make_incident, manager):
    incident = make_incident()
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_post_update(actor=manager, incident=incident, state="fixed", body="x")
    assert fields_of(caught.value) == {"state"}
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_post_update(actor=manager, incident=incident, state="monitoring", body="")
    assert fields_of(caught.value) == {"body"}
    assert fresh(incident).state == "investigating" and incident.updates.count() == 1


def test_create_validates_title_text_and_components(manager):
    cases = [
        ({"title": ""}, "title"),
        ({"title": "bad\x00title"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "y" * 20_001}, "body"),
        ({"body": "nul\x00"}, "body"),
        ({"impact": "apocalyptic"}, "impact"),
        ({"components": ["EC2", "ec2 "]}, "components"),
        ({"components": ["bad\x00"]}, "components"),
        ({"components": ["z" * 101]}, "components"),
        ({"state": "fixed"}, "state"),
    ]
    for change, field in cases:
        data = {"actor": manager, "title": "T", "impact": "minor", "body": "B", **change}
        with pytest.raises(ValidationFailed) as caught:
            services.status_incident_create(**data)
        assert field in fields_of(caught.value), (change, caught.value.errors)
    assert not StatusIncident.objects.exists() and not StatusUpdate.objects.exists()


def test_blank_component_lines_are_dropped(make_incident):
    assert make_incident(components=["  EC2 eu-west-1 ", "", "   "]).components == ["EC2 eu-west-1"]


def test_incident_edit_cannot_move_the_state_and_checks_the_version(make_incident, manager):
    incident = make_incident()
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_update(actor=manager, incident=incident, state="resolved")
    assert fields_of(caught.value) == {"state"}
    edited = services.status_incident_update(
        actor=manager, incident=incident, expected_version=1, impact="critical", published=False
    )
    assert (edited.impact, edited.published, edited.version) == ("critical", False, 2)
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_update(
            actor=manager, incident=incident, started_at=timezone.now() + dt.timedelta(days=1)
        )
    assert fields_of(caught.value) == {"started_at"}
    services.status_incident_post_update(actor=manager, incident=incident, state="resolved", body="Fixed.")
    with pytest.raises(ValidationFailed) as caught:
        services.status_incident_update(
            actor=manager, incident=incident, started_at=fresh(incident).resolved_at + dt.timedelta(minutes=1)
        )
    assert caught.value.errors == [
        {"field": "started_at", "message": "The incident cannot start after it was resolved."}
    ]


def test_only_status_managers_write(make_incident, engineer, customer):
    incident = make_incident()
    for user in (engineer, customer):
        with pytest.raises(PermissionDenied):
            services.status_incident_create(actor=user, title="T", impact="minor", body="B")
        with pytest.raises(PermissionDenied):
            services.status_incident_post_update(actor=user, incident=incident, state="resolved", body="B")
    assert fresh(incident).state == "investigating"


# --- maintenance (E4): read from the schedule -----------------------------------------------------


def test_the_summary_shows_public_provider_wide_windows_only_and_marks_those_under_way(
    make_maintenance, customer_org
):
    now = timezone.now()
    planned = make_maintenance(title="Planned")
    started = make_maintenance(in_days=0.5, title="Started early", state="in_progress")
    verifying = make_maintenance(in_days=-0.2, hours=1, title="Overran, verifying", state="verifying")
    make_maintenance(in_days=-1, title="Completed yesterday", state="completed")
    make_maintenance(title="Cancelled", state="cancelled")
    make_maintenance(title="Draft", published=False)
    window_put(  # an organisation's own maintenance is never public
        source="maintenance.provider",
        source_id=999,
        kind="provider_maintenance",
        organisation_id=customer_org.pk,
        title="One customer's patching",
        starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
        public=True,
    )
    summary = selectors.public_status_summary(now=now)
    assert [(m.title, m.under_way) for m in summary.maintenance] == [
        ("Overran, verifying", True),
        ("Started early", True),
        ("Planned", False),
    ]
    assert summary.overall == selectors.UNDER_MAINTENANCE
    assert {m.pk for m in summary.maintenance} == {planned.pk, started.pk, verifying.pk}
