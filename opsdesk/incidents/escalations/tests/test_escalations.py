"""C7: the escalation matrix as data, raising an escalation, working-hour targets (best endeavours
outside Mon–Fri 09:00–17:00), moving up only when the criteria are met, notifications to the
level and its copies, and tenancy (A4)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core import mail

from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.directory import services as directory
from opsdesk.incidents import services
from opsdesk.incidents.escalations import selectors as escalation_selectors
from opsdesk.incidents.escalations import services as escalation_services
from opsdesk.incidents.escalations.models import Escalation, EscalationLevel, EscalationState
from opsdesk.incidents.models import Incident
from opsdesk.incidents.tests.conftest import client_for, logged_by_desk, london, post
from opsdesk.notifications.models import Notification

API = "/api/v1"


def incident(world, *, priority: str = "P2", at: datetime | None = None) -> Incident:
    title, description = "Checkout degraded", "Latency above 5 s since 09:00."
    return logged_by_desk(world, title=title, description=description, priority=priority, at=at)


def raise_(world, inc, *, at, who="customer_a", criterion="poor_updates", **extra) -> Escalation:
    return escalation_services.escalation_raise(
        actor=world[who], incident=inc, criterion=criterion, details="Updates are vague.", at=at, **extra
    )


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e["field"] for e in exc.errors}


# --- the matrix as data ------------------------------------------------------------------------


def test_the_matrix_and_criteria_are_seeded(db):
    levels = {row.level: row for row in EscalationLevel.objects.prefetch_related("copied")}
    assert sorted(levels) == [1, 2, 3, 4]
    assert [levels[n].role for n in (1, 2, 3, 4)] == [
        "service_desk",
        "cloud_support_manager",
        "head_of_customer_engineering",
        "customer_experience_director",
    ]
    assert "telephone" in levels[1].description
    assert (levels[2].acknowledgement_hours, levels[2].considered_response_hours) == (1, 2)
    assert (levels[3].acknowledgement_hours, levels[3].considered_response_hours) == (None, 3)
    assert (levels[4].acknowledgement_hours, levels[4].considered_response_hours) == (None, 4)
    copies = {n: sorted(c.level for c in levels[n].copied.all()) for n in levels}
    assert copies == {1: [], 2: [1], 3: [1, 2], 4: [1, 3]}
    assert [levels[n].copy_service_manager for n in (1, 2, 3, 4)] == [False, False, True, True]
    assert len(escalation_selectors.escalation_criterion_list()) == 5


def test_matrix_and_criteria_over_the_api(world):
    client = client_for(world["customer_a"])
    matrix = client.get(f"{API}/escalation-matrix").json()
    assert [row["copied_levels"] for row in matrix] == [[], [1], [2, 1], [3, 1]]
    assert matrix[1]["acknowledgement_hours"] == 1 and matrix[1]["considered_response_hours"] == 2
    criteria = client.get(f"{API}/escalation-criteria").json()
    assert {c["code"] for c in criteria} == {
        "poor_updates",
        "not_satisfied",
        "plan_not_met",
        "email_unanswered",
        "update_frequency",
    }


# --- raising -----------------------------------------------------------------------------------


@pytest.mark.parametrize("criterion", [None, "", "bored"])
def test_raising_needs_one_of_the_criteria(world, criterion):
    inc = incident(world)
    before = (Escalation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as info:
        raise_(world, inc, at=london(2026, 3, 10, 10), criterion=criterion)
    assert fields_of(info.value) == {"criterion"}
    assert "poor_updates" in info.value.errors[0]["message"]
    assert (Escalation.objects.count(), AuditEvent.objects.count()) == before


def test_only_a_named_contact_registered_on_the_service_may_escalate(world):
    admin = world["admin"]
    inc = incident(world)
    outsider = directory.contact_create(
        actor=admin,
        organisation=world["org_a"],
        name="Not on the service",
        email="outsider@a.test",
        gdpr_consent=True,
        is_escalation_contact=True,
    )
    outsider_user = directory.user_create(
        actor=admin, email="outsider@a.test", full_name="Outsider", role="customer", contact=outsider.pk
    )
    at = london(2026, 3, 10, 10)
    with pytest.raises(ValidationFailed) as info:
        escalation_services.escalation_raise(
            actor=outsider_user, incident=inc, criterion="poor_updates", at=at
        )
    assert fields_of(info.value) == {"contact"}
    assert "not registered" in info.value.errors[0]["message"]

    # Staff escalate on a contact's behalf: they must name one, registered on the service.
    for contact in (None, outsider, world["contact_b"]):
        with pytest.raises(ValidationFailed) as info:
            raise_(world, inc, at=at, who="service_desk", contact=contact)
        assert fields_of(info.value) == {"contact"}

    # Registered on the service, but not an escalation contact (A3 flags).
    directory.contact_update(actor=admin, contact=world["contact_a"], is_escalation_contact=False)
    with pytest.raises(ValidationFailed) as info:
        raise_(world, inc, at=at)
    assert fields_of(info.value) == {"contact"}

    # Both wrong at once: both named.
    with pytest.raises(ValidationFailed) as info:
        raise_(world, inc, at=at, criterion=None)
    assert fields_of(info.value) == {"criterion", "contact"}
    assert not Escalation.objects.exists()


def test_staff_raise_for_the_named_contact(world):
    esc = raise_(
        world, incident(world), at=london(2026, 3, 10, 10), who="service_desk", contact=world["contact_a"]
    )
    assert esc.raised_by_contact == world["contact_a"]
    assert esc.raised_by == world["service_desk"]
    assert esc.level.level == 2 and esc.state == EscalationState.OPEN


def test_raised_outside_hours_is_best_endeavours_with_targets_from_monday_0900(world):
    esc = raise_(world, incident(world), at=london(2026, 3, 7, 10))  # Saturday
    assert esc.best_endeavours is True
    assert esc.acknowledgement_due == london(2026, 3, 9, 10)
    assert esc.considered_response_due == london(2026, 3, 9, 11)


def test_raised_in_hours_counts_working_hours_overnight(world):
    esc = raise_(world, incident(world), at=london(2026, 3, 10, 16, 30))  # Tuesday
    assert esc.best_endeavours is False
    assert esc.acknowledgement_due == london(2026, 3, 11, 9, 30)
    assert esc.considered_response_due == london(2026, 3, 11, 10, 30)


def test_escalations_are_audited(world):
    esc = raise_(world, incident(world), at=london(2026, 3, 10, 10))
    event = AuditEvent.objects.get(object_type="incidents.escalation", object_id=str(esc.pk))
    assert event.action == "create" and event.actor == world["customer_a"]
    assert event.organisation_id == world["org_a"].pk


def test_a_closed_incident_cannot_be_escalated(world):
    desk = world["service_desk"]
    inc = services.incident_acknowledge(actor=desk, incident=incident(world))
    inc = services.incident_resolve(actor=desk, incident=inc, summary="Fixed.")
    inc = services.incident_close(actor=desk, incident=inc, customer_confirmed=True, reason="Phoned.")
    with pytest.raises(ValidationFailed) as info:
        raise_(world, inc, at=None)
    assert "incident" in fields_of(info.value)


# --- moving up ---------------------------------------------------------------------------------


def test_a_level_moves_up_only_when_the_criteria_are_met_at_the_current_level(world):
    inc = incident(world)
    level2 = raise_(world, inc, at=london(2026, 3, 10, 10))  # considered response due 12:00
    assert level2.considered_response_due == london(2026, 3, 10, 12)

    # Within level 2's targets and not answered yet: the criteria are not met at level 2.
    with pytest.raises(ValidationFailed) as info:
        escalation_services.escalation_raise_level(
            actor=world["customer_a"],
            escalation=level2,
            criterion="not_satisfied",
            at=london(2026, 3, 10, 11),
        )
    assert fields_of(info.value) == {"criterion"}
    assert Escalation.objects.get(pk=level2.pk).state == EscalationState.OPEN

    # The considered-response target passed without one: up ONE level, to 3.
    level3 = escalation_services.escalation_raise_level(
        actor=world["customer_a"], escalation=level2, criterion="plan_not_met", at=london(2026, 3, 10, 12, 5)
    )
    assert level3.level.level == 3 and level3.previous_id == level2.pk
    assert "considered response" in level3.grounds
    assert level3.acknowledgement_due is None
    assert level3.considered_response_due == london(2026, 3, 10, 15, 5)
    assert Escalation.objects.get(pk=level2.pk).state == EscalationState.ESCALATED

    # Level 3 answered in time, and the customer is not satisfied with that handling: up to 4.
    escalation_services.escalation_respond(
        actor=world["head_of_customer_engineering"],
        escalation=level3,
        response="We are adding capacity.",
        at=london(2026, 3, 10, 13),
    )
    level4 = escalation_services.escalation_raise_level(
        actor=world["customer_a"],
        escalation=level3,
        criterion="not_satisfied",
        at=london(2026, 3, 10, 13, 30),
    )
    assert level4.level.level == 4
    # 13:30 + 4 working hours: 3.5 on Tuesday, 0.5 on Wednesday.
    assert level4.considered_response_due == london(2026, 3, 11, 9, 30)

    # Level 4 is the top, even with its target long gone.
    with pytest.raises(ValidationFailed) as info:
        escalation_services.escalation_raise_level(
            actor=world["customer_a"],
            escalation=level4,
            criterion="not_satisfied",
            at=london(2026, 3, 20, 12),
        )
    assert fields_of(info.value) == {"level"}
    assert list(
        Escalation.objects.filter(incident=inc).order_by("level__level").values_list("state", flat=True)
    ) == [
        "escalated",
        "escalated",
        "open",
    ]


def test_an_overdue_acknowledgement_also_meets_the_criteria(world):
    level2 = raise_(world, incident(world), at=london(2026, 3, 10, 10))
    level3 = escalation_services.escalation_raise_level(
        actor=world["service_desk"],
        escalation=level2,
        criterion="email_unanswered",
        at=london(2026, 3, 10, 11, 5),
    )
    assert level3.level.level == 3 and "acknowledgement" in level3.grounds
    assert level3.raised_by_contact == world["contact_a"]  # staff act for the original contact


def test_raising_again_moves_the_escalation_in_force_up(world):
    inc = incident(world)
    level2 = raise_(world, inc, at=london(2026, 3, 10, 10))
    with pytest.raises(ValidationFailed):
        raise_(world, inc, at=london(2026, 3, 10, 10, 30), criterion="not_satisfied")
    level3 = raise_(world, inc, at=london(2026, 3, 10, 12, 30), criterion="not_satisfied")
    assert level3.level.level == 3 and level3.previous_id == level2.pk
    assert Escalation.objects.filter(incident=inc).count() == 2


# --- acknowledgement and response --------------------------------------------------------------


def test_the_levels_role_acknowledges_and_responds(world):
    esc = raise_(world, incident(world), at=london(2026, 3, 10, 10))
    for who in ("customer_a", "service_desk", "engineer"):
        with pytest.raises(PermissionDenied):
            escalation_services.escalation_acknowledge(actor=world[who], escalation=esc)
    esc = escalation_services.escalation_acknowledge(
        actor=world["cloud_support_manager"], escalation=esc, at=london(2026, 3, 10, 10, 20)
    )
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.acknowledged_by == world["cloud_support_manager"]
    with pytest.raises(ValidationFailed) as info:
        escalation_services.escalation_acknowledge(actor=world["cloud_support_manager"], escalation=esc)
    assert fields_of(info.value) == {"state"}
    with pytest.raises(ValidationFailed) as info:
        escalation_services.escalation_respond(
            actor=world["cloud_support_manager"], escalation=esc, response=" "
        )
    assert fields_of(info.value) == {"response"}
    esc = escalation_services.escalation_respond(
        actor=world["cloud_support_manager"],
        escalation=esc,
        response="Root cause found.",
        at=london(2026, 3, 10, 11),
    )
    assert esc.state == EscalationState.RESPONDED
    assert esc.considered_response_at == london(2026, 3, 10, 11)


def test_a_lower_level_cannot_handle_a_higher_level_but_a_more_senior_one_can(world):
    level2 = raise_(world, incident(world), at=london(2026, 3, 10, 10))
    level3 = escalation_services.escalation_raise_level(
        actor=world["customer_a"], escalation=level2, criterion="plan_not_met", at=london(2026, 3, 10, 12, 5)
    )
    with pytest.raises(PermissionDenied):
        escalation_services.escalation_respond(
            actor=world["cloud_support_manager"], escalation=level3, response="x"
        )
    answered = escalation_services.escalation_respond(
        actor=world["customer_experience_director"], escalation=level3, response="I am on it."
    )
    assert answered.acknowledged_by == world["customer_experience_director"]


# --- notifications -----------------------------------------------------------------------------


def _recipients(escalation: Escalation) -> set[str]:
    rows = Notification.objects.filter(payload__escalation=escalation.pk, channel="email")
    return set(rows.values_list("recipient", flat=True))


def test_every_step_notifies_the_level_and_its_copies(world, django_capture_on_commit_callbacks):
    staff = {
        role: world[role].email
        for role in (
            "service_desk",
            "cloud_support_manager",
            "head_of_customer_engineering",
            "customer_experience_director",
            "csdm",
        )
    }
    contact = world["contact_a"].email
    inc = incident(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        level2 = raise_(world, inc, at=london(2026, 3, 10, 10))
    assert _recipients(level2) == {staff["cloud_support_manager"], staff["service_desk"], contact}
    # The escalation's own emails; the on-call page it also raises is oncall's (oncall/tests).
    notices = [m for m in mail.outbox if not m.subject.startswith("[PAGE")]
    sent = {address for message in notices for address in message.to}
    assert sent == {staff["cloud_support_manager"], staff["service_desk"], contact}
    assert all("level 2" in m.subject.lower() for m in notices)
    assert "Acknowledgement due: Tue 10 Mar 2026 11:00" in notices[0].body

    with django_capture_on_commit_callbacks(execute=True):
        level3 = escalation_services.escalation_raise_level(
            actor=world["customer_a"],
            escalation=level2,
            criterion="plan_not_met",
            at=london(2026, 3, 10, 12, 5),
        )
    assert _recipients(level3) == {
        staff["head_of_customer_engineering"],
        staff["cloud_support_manager"],
        staff["service_desk"],
        staff["csdm"],
        contact,
    }
    level4 = escalation_services.escalation_raise_level(
        actor=world["customer_a"], escalation=level3, criterion="plan_not_met", at=london(2026, 3, 11, 12)
    )
    assert _recipients(level4) == {
        staff["customer_experience_director"],
        staff["head_of_customer_engineering"],
        staff["service_desk"],
        staff["csdm"],
        contact,
    }
    events = set(Notification.objects.filter(payload__incident=inc.pk).values_list("event", flat=True))
    assert {"escalation.raised", "escalation.level_raised"} <= events

    escalation_services.escalation_acknowledge(actor=world["customer_experience_director"], escalation=level4)
    assert Notification.objects.filter(event="escalation.acknowledged", recipient=contact).exists()


def test_best_endeavours_is_said_in_the_notification(world):
    esc = raise_(world, incident(world), at=london(2026, 3, 7, 10))
    body = Notification.objects.filter(payload__escalation=esc.pk).first().body
    assert "best-endeavours" in body


# --- API and tenancy ---------------------------------------------------------------------------


def test_raise_over_the_api(world):
    inc = incident(world)
    client = client_for(world["customer_a"])
    response = post(client, f"{API}/incidents/{inc.pk}/escalations", {"details": "Nobody calls back."})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["criterion"]

    response = post(
        client,
        f"{API}/incidents/{inc.pk}/escalations",
        {"criterion": "not_satisfied", "details": "Nobody calls."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level"] == 2 and body["state"] == "open" and body["criterion"] == "not_satisfied"
    assert response["ETag"] == f'"{body["id"]}-1"'
    assert body["raised_by_contact"]["id"] == world["contact_a"].pk

    listed = client.get(f"{API}/incidents/{inc.pk}/escalations").json()
    assert listed["active_escalation_id"] == body["id"] and listed["escalation_offered"] is False
    assert [e["id"] for e in listed["results"]] == [body["id"]]

    response = post(client, f"{API}/escalations/{body['id']}/raise-level", {"criterion": "not_satisfied"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "criterion"

    csm = client_for(world["cloud_support_manager"])
    response = post(csm, f"{API}/escalations/{body['id']}/acknowledge")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    response = post(csm, f"{API}/escalations/{body['id']}/respond", {"response": "Calling you now."})
    assert response.status_code == 200 and response.json()["state"] == "responded"
    response = post(client, f"{API}/escalations/{body['id']}/raise-level", {"criterion": "not_satisfied"})
    assert response.status_code == 201 and response.json()["level"] == 3


def test_an_offered_escalation_is_shown(world):
    inc = incident(world)
    Incident.objects.filter(pk=inc.pk).update(escalation_offered=True)
    listed = client_for(world["customer_a"]).get(f"{API}/incidents/{inc.pk}/escalations").json()
    assert listed["escalation_offered"] is True and listed["active_escalation_id"] is None


def test_another_tenant_sees_nothing(world):
    inc = incident(world)
    esc = raise_(world, inc, at=london(2026, 3, 10, 10))
    client = client_for(world["customer_b"])
    assert client.get(f"{API}/escalations/{esc.pk}").status_code == 404
    assert client.get(f"{API}/incidents/{inc.pk}/escalations").status_code == 404
    assert (
        post(client, f"{API}/incidents/{inc.pk}/escalations", {"criterion": "poor_updates"}).status_code
        == 404
    )
    assert (
        post(client, f"{API}/escalations/{esc.pk}/raise-level", {"criterion": "poor_updates"}).status_code
        == 404
    )
    with pytest.raises(NotFound):
        escalation_services.escalation_raise(
            actor=world["customer_b"], incident=inc, criterion="poor_updates"
        )
    assert not escalation_selectors.escalation_list(user=world["customer_b"]).exists()
    assert escalation_selectors.escalation_list(user=world["customer_a"]).get() == esc


def test_escalation_steps_reach_the_incident_timeline(world):
    from opsdesk.incidents.models import IncidentEvent

    inc = incident(world)
    raise_(world, inc, at=london(2026, 3, 7, 10))
    assert IncidentEvent.objects.filter(incident=inc, kind="escalation").count() == 1
    esc = Escalation.objects.get(incident=inc)
    escalation_services.escalation_acknowledge(actor=world["cloud_support_manager"], escalation=esc)
    event = IncidentEvent.objects.filter(incident=inc, kind="escalation").latest("id")
    assert event.actor == world["cloud_support_manager"] and "acknowledged" in event.detail
