"""C6: root-cause analyses — opened by closing a P1, due 10 working days later on the organisation's
calendar (B7), requested for a P2 (possibly chargeable), written, submitted only when complete;
the overdue list; tenancy (A4)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.models import RcaState, RootCauseAnalysis
from opsdesk.incidents.tests.conftest import SECTIONS, client_for, logged_by_desk, london

API = "/api/v1"


def incident(world, *, priority: str = "P2", at: datetime | None = None) -> Incident:
    title, description = "Checkout down", "Checkout answers 503."
    return logged_by_desk(world, title=title, description=description, priority=priority, at=at)


def closed_p1(world, *, closed_at: datetime) -> Incident:
    desk = world["service_desk"]
    inc = incident(world, priority="P1", at=closed_at - timedelta(hours=6))
    inc = services.incident_acknowledge(actor=desk, incident=inc, at=closed_at - timedelta(hours=5))
    inc = services.incident_resolve(
        actor=desk, incident=inc, summary="Pool resized.", at=closed_at - timedelta(hours=1)
    )
    return services.incident_close(
        actor=desk, incident=inc, customer_confirmed=True, reason="Confirmed by phone.", at=closed_at
    )


def send(client, method, url, body=None, **headers):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json", **headers
    )


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e["field"] for e in exc.errors}


# --- opening and requesting --------------------------------------------------------------------


def test_closing_a_p1_opens_an_rca_due_10_working_days_later_across_christmas(world):
    # Closed Thu 17 Dec 2026 15:00. Working days on the uk calendar: Fri 18 (1), Mon 21 (2),
    # Tue 22 (3), Wed 23 (4), Thu 24 (5); Fri 25 Christmas, Sat/Sun, Mon 28 Boxing Day (observed);
    # Tue 29 (6), Wed 30 (7), Thu 31 (8); Fri 1 Jan New Year's Day; Mon 4 (9), Tue 5 Jan (10).
    inc = closed_p1(world, closed_at=london(2026, 12, 17, 15))
    report = RootCauseAnalysis.objects.get(incident=inc)  # opened by incident_close itself
    assert report.due_at == london(2027, 1, 5, 15)
    assert report.state == RcaState.DRAFT and report.chargeable is False and report.requested_by is None
    # Idempotent: the incident has one RCA.
    assert rca_services.rca_open_for_closed_p1(incident=inc) == report
    assert RootCauseAnalysis.objects.filter(incident=inc).count() == 1
    assert AuditEvent.objects.filter(
        object_type="incidents.rootcauseanalysis", object_id=str(report.pk)
    ).exists()


def test_only_a_p1_gets_one_on_closing(world):
    desk = world["service_desk"]
    inc = services.incident_acknowledge(actor=desk, incident=incident(world, priority="P2"))
    assert rca_services.rca_open_for_closed_p1(incident=inc) is None
    assert not RootCauseAnalysis.objects.exists()


def test_a_p2_rca_on_request_is_possibly_chargeable(world):
    inc = incident(world, priority="P2")
    report = rca_services.rca_request(actor=world["customer_a"], incident=inc, at=london(2026, 3, 2, 10))
    assert report.chargeable is True and report.requested_by == world["customer_a"]
    assert report.due_at == london(2026, 3, 16, 10)
    with pytest.raises(Conflict):
        rca_services.rca_request(actor=world["service_desk"], incident=inc)


@pytest.mark.parametrize("priority", ["P1", "P3", "P4"])
def test_other_priorities_cannot_request_one(world, priority):
    inc = incident(world, priority=priority)
    with pytest.raises(ValidationFailed) as info:
        rca_services.rca_request(actor=world["customer_a"], incident=inc)
    assert fields_of(info.value) == {"priority"}
    assert not RootCauseAnalysis.objects.exists()


def test_a_p3_request_over_the_api_is_refused_naming_the_priority(world):
    inc = incident(world, priority="P3")
    response = send(client_for(world["customer_a"]), "post", f"{API}/incidents/{inc.pk}/rca")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["priority"]


# --- writing and submitting --------------------------------------------------------------------


def test_submit_needs_every_section_and_an_action(world):
    desk = world["service_desk"]
    report = rca_services.rca_request(actor=desk, incident=incident(world))
    with pytest.raises(ValidationFailed) as info:
        rca_services.rca_submit(actor=desk, rca=report)
    assert fields_of(info.value) == {*SECTIONS, "actions"}

    report = rca_services.rca_update(actor=desk, rca=report, impact=SECTIONS["impact"], lessons_learned="  ")
    with pytest.raises(ValidationFailed) as info:
        rca_services.rca_submit(actor=desk, rca=report)
    assert fields_of(info.value) == {
        "timeline_of_events",
        "monitoring_assessment",
        "lessons_learned",
        "recommendations",
        "actions",
    }
    assert "Assessment of monitoring and metrics is empty." in info.value.detail

    report = rca_services.rca_update(actor=desk, rca=report, **SECTIONS)
    action = rca_services.rca_action_add(
        actor=desk,
        rca=report,
        description="Alarm on pool usage",
        owner=world["engineer"],
        runbook_update=True,
    )
    assert action.runbook_update is True and action.owner == world["engineer"]
    report = rca_services.rca_submit(actor=desk, rca=report)
    assert report.state == RcaState.SUBMITTED and report.submitted_at is not None

    with pytest.raises(ValidationFailed) as info:
        rca_services.rca_update(actor=desk, rca=report, impact="changed")
    assert fields_of(info.value) == {"state"}
    # The action plan is still tracked after submission.
    action = rca_services.rca_action_update(actor=desk, action=action, done=True)
    assert action.done_at is not None

    accepted = rca_services.rca_accept(actor=world["customer_a"], rca=report)
    assert accepted.state == RcaState.ACCEPTED and accepted.accepted_by == world["customer_a"]


def test_customers_do_not_write_the_report(world):
    report = rca_services.rca_request(actor=world["customer_a"], incident=incident(world))
    with pytest.raises(PermissionDenied):
        rca_services.rca_update(actor=world["customer_a"], rca=report, impact="x")
    with pytest.raises(PermissionDenied):
        rca_services.rca_action_add(actor=world["customer_a"], rca=report, description="x")
    with pytest.raises(PermissionDenied):
        rca_services.rca_submit(actor=world["customer_a"], rca=report)


def test_an_action_owner_is_staff_or_a_user_of_the_customer(world):
    desk = world["service_desk"]
    report = rca_services.rca_request(actor=desk, incident=incident(world))
    assert rca_services.rca_action_add(
        actor=desk, rca=report, description="x", owner=world["customer_a"].pk
    ).owner
    with pytest.raises(ValidationFailed) as info:
        rca_services.rca_action_add(actor=desk, rca=report, description="x", owner=world["customer_b"].pk)
    assert fields_of(info.value) == {"owner"}


# --- the overdue list --------------------------------------------------------------------------


def test_overdue_list(world):
    desk = world["service_desk"]
    now = timezone.now()
    late = rca_services.rca_request(actor=desk, incident=incident(world), at=now - timedelta(days=30))
    on_time = rca_services.rca_request(actor=desk, incident=incident(world), at=now)
    done = rca_services.rca_request(actor=desk, incident=incident(world), at=now - timedelta(days=30))
    done = rca_services.rca_update(actor=desk, rca=done, **SECTIONS)
    rca_services.rca_action_add(actor=desk, rca=done, description="x")
    rca_services.rca_submit(actor=desk, rca=done)

    assert list(rca_selectors.rca_overdue_list(user=desk)) == [late]
    assert set(rca_selectors.rca_list(user=desk, overdue=False)) == {on_time, done}
    assert list(rca_selectors.rca_overdue_list(user=world["customer_a"])) == [late]
    assert not rca_selectors.rca_overdue_list(user=world["customer_b"]).exists()

    body = client_for(desk).get(f"{API}/rcas?overdue=true").json()
    assert [r["id"] for r in body["results"]] == [late.pk] and body["results"][0]["overdue"] is True


# --- API and tenancy ---------------------------------------------------------------------------


def test_rca_over_the_api(world):
    customer, desk = client_for(world["customer_a"]), client_for(world["service_desk"])
    inc = incident(world)
    response = send(customer, "post", f"{API}/incidents/{inc.pk}/rca")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["chargeable"] is True and body["state"] == "draft" and body["priority"] == "P2"
    url = f"{API}/rcas/{body['id']}"

    assert send(desk, "patch", url, {"impact": "x"}).status_code == 428
    assert send(desk, "patch", url, {"impact": "x"}, HTTP_IF_MATCH='"0-0"').status_code == 412
    response = send(desk, "patch", url, SECTIONS, HTTP_IF_MATCH=customer.get(url)["ETag"])
    assert response.status_code == 200 and response.json()["impact"] == SECTIONS["impact"]
    assert send(customer, "patch", url, {"impact": "x"}, HTTP_IF_MATCH=response["ETag"]).status_code == 403

    response = send(desk, "post", f"{url}/submit")
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["actions"]
    response = send(
        desk, "post", f"{url}/actions", {"description": "Update the runbook", "runbook_update": True}
    )
    assert response.status_code == 201
    action = response.json()
    action_url = f"{API}/rca-actions/{action['id']}"
    response = send(desk, "patch", action_url, {"done": True}, HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200 and response.json()["done_at"]
    response = send(desk, "post", f"{url}/submit")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert send(customer, "post", f"{url}/accept").json()["state"] == "accepted"


def test_another_tenant_gets_404(world):
    desk = world["service_desk"]
    report = rca_services.rca_request(actor=desk, incident=incident(world))
    action = rca_services.rca_action_add(actor=desk, rca=report, description="x")
    client = client_for(world["customer_b"])
    assert client.get(f"{API}/rcas/{report.pk}").status_code == 404
    assert send(client, "post", f"{API}/incidents/{report.incident_id}/rca").status_code == 404
    assert send(client, "post", f"{API}/rcas/{report.pk}/accept").status_code == 404
    assert send(client, "patch", f"{API}/rca-actions/{action.pk}", {"done": True}).status_code == 404
    assert client.get(f"{API}/rcas").json()["count"] == 0
    with pytest.raises(NotFound):
        rca_selectors.rca_get(user=world["customer_b"], pk=report.pk)
    with pytest.raises(NotFound):
        rca_services.rca_request(actor=world["customer_b"], incident=incident(world))


def test_rca_steps_reach_the_incident_timeline(world):
    from opsdesk.incidents.models import IncidentEvent

    inc = incident(world)
    rca_services.rca_request(actor=world["customer_a"], incident=inc, at=london(2026, 3, 2, 10))
    event = IncidentEvent.objects.get(incident=inc, kind="rca")
    assert event.actor == world["customer_a"] and "Mon 16 Mar 2026 10:00" in event.detail
