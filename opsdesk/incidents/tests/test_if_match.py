"""Issue 7, part 7: POST actions on an incident, an escalation or an RCA honour If-Match when it is
sent. Stale: 412 and nothing changes. The version is compared with the row locked inside the
service's transaction, so of several actions sent with one ETag the first acts and the rest get 412
(not a 422 about a state that has already moved). Permission comes first: 403, not 412/428."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from opsdesk.core.errors import PermissionDenied, PreconditionFailed
from opsdesk.incidents import escalations, rca, services
from opsdesk.incidents.choices import IncidentState
from opsdesk.incidents.escalation_models import Escalation, EscalationState
from opsdesk.incidents.models import Incident, IncidentEvent, IncidentNote
from opsdesk.incidents.rca_models import RcaState, RootCauseAnalysis
from opsdesk.incidents.tests.conftest import SECTIONS, client_for, log, post

API = "/api/v1"
LONDON = ZoneInfo("Europe/London")






def older_etag(obj) -> str:
    """The ETag the object had one change ago."""
    return f'"{obj.pk}-{obj.version - 1}"'


def moved_to(world, state: str) -> Incident:
    """A P3 incident of tenant a, moved by the service desk to `state`."""
    desk = world["service_desk"]
    incident = log(world)
    steps = {
        IncidentState.ACKNOWLEDGED: [lambda i: services.incident_acknowledge(actor=desk, incident=i)],
        IncidentState.INVESTIGATING: [
            lambda i: services.incident_acknowledge(actor=desk, incident=i),
            lambda i: services.incident_start_investigating(actor=desk, incident=i),
        ],
        IncidentState.AWAITING_CUSTOMER: [
            lambda i: services.incident_acknowledge(actor=desk, incident=i),
            lambda i: services.incident_await_customer(actor=desk, incident=i, note="Which region?"),
        ],
        IncidentState.RESOLVED: [
            lambda i: services.incident_acknowledge(actor=desk, incident=i),
            lambda i: services.incident_resolve(actor=desk, incident=i, summary="Restarted the pool."),
        ],
    }
    for step in steps.get(state, []):
        incident = step(incident)
    incident.refresh_from_db()
    assert incident.state == (state or IncidentState.NEW)
    return incident


def snapshot(incident: Incident) -> tuple:
    row = Incident.objects.get(pk=incident.pk)
    return (
        row.version,
        row.state,
        row.priority,
        row.assignee_id,
        row.telephone_call_recorded_at,
        IncidentEvent.objects.filter(incident=row).count(),
        IncidentNote.objects.filter(incident=row).count(),
    )


ACTIONS = [
    ("acknowledge", IncidentState.NEW, {}),
    ("investigate", IncidentState.ACKNOWLEDGED, {"note": "Looking at the load balancer logs now."}),
    ("await-customer", IncidentState.ACKNOWLEDGED, {"note": "Which region do you see it in?"}),
    ("resume", IncidentState.AWAITING_CUSTOMER, {}),
    ("resolve", IncidentState.INVESTIGATING, {"summary": "Restarted the pool."}),
    ("close", IncidentState.RESOLVED, {"customer_confirmed": True, "reason": "Confirmed by phone."}),
    ("calls", IncidentState.NEW, {"summary": "Called the customer."}),
    ("notes", IncidentState.ACKNOWLEDGED, {"body": "A substantive public update on the cause."}),
    ("assign", IncidentState.NEW, {"assignee": "engineer"}),
    ("priority", IncidentState.NEW, {"priority": "P4", "reason": "Workaround in place."}),
]


@pytest.mark.parametrize("action,state,body", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_stale_if_match_is_412_and_changes_nothing(world, action, state, body):
    staff = client_for(world["service_desk"])
    incident = moved_to(world, state)
    if body.get("assignee"):
        body = {**body, "assignee": world[body["assignee"]].pk}
    stale = staff.get(f"{API}/incidents/{incident.pk}")["ETag"]
    # Someone else changes the incident in between (assigning it leaves the state as it was).
    services.incident_assign(actor=world["engineer"], incident=incident, assignee=world["engineer"])
    before = snapshot(incident)
    url = f"{API}/incidents/{incident.pk}/{action}"

    r = post(staff, url, body, HTTP_IF_MATCH=stale)
    assert r.status_code == 412, r.content
    assert r.json()["detail"] and r.json()["errors"] == []
    assert snapshot(incident) == before

    fresh = staff.get(f"{API}/incidents/{incident.pk}")["ETag"]
    r = post(staff, url, body, HTTP_IF_MATCH=fresh)
    assert r.status_code in (200, 201), r.content
    assert snapshot(incident)[0] > before[0]


def test_without_if_match_the_lifecycle_works_as_before(world):
    staff = client_for(world["service_desk"])
    incident = log(world)
    url = f"{API}/incidents/{incident.pk}"
    assert post(staff, f"{url}/acknowledge").json()["state"] == IncidentState.ACKNOWLEDGED
    assert post(staff, f"{url}/notes", {"body": "Internal.", "public": False}).status_code == 201
    assert post(staff, f"{url}/investigate").json()["state"] == IncidentState.INVESTIGATING
    r = post(staff, f"{url}/resolve", {"summary": "Fixed."}, HTTP_IF_MATCH="*")  # any version
    assert r.json()["state"] == IncidentState.RESOLVED


def test_the_same_etag_twice_gives_one_200_then_412_not_422(world):
    """The reproduction: 30 acknowledges sent with one ETag gave 1 × 200 and 29 × 422."""
    staff = client_for(world["service_desk"])
    incident = log(world)
    etag = staff.get(f"{API}/incidents/{incident.pk}")["ETag"]
    codes = [
        post(staff, f"{API}/incidents/{incident.pk}/acknowledge", HTTP_IF_MATCH=etag).status_code
        for _ in range(3)
    ]
    assert codes == [200, 412, 412]
    assert IncidentEvent.objects.filter(incident=incident, kind="acknowledged").count() == 1


def test_the_service_compares_the_version_with_the_locked_row(world):
    """What two concurrent requests do: both read version v (the handler's read), both send v. The
    first acts; the second locks the row, finds v + 1 and is refused, though the object it was
    handed still says v."""
    desk = world["service_desk"]
    incident = log(world)
    read_by_both = Incident.objects.get(pk=incident.pk)
    version = read_by_both.version
    services.incident_acknowledge(actor=desk, incident=read_by_both, expected_version=version)
    assert read_by_both.version == version  # the second caller's copy is stale, as it would be
    with pytest.raises(PreconditionFailed):
        services.incident_acknowledge(actor=desk, incident=read_by_both, expected_version=version)
    with pytest.raises(PreconditionFailed):
        services.incident_start_investigating(actor=desk, incident=read_by_both, expected_version=version)
    row = Incident.objects.get(pk=incident.pk)
    assert row.state == IncidentState.ACKNOWLEDGED and row.version == version + 1


def test_permission_comes_before_the_precondition(world):
    customer = client_for(world["customer_a"])
    incident = log(world)
    url = f"{API}/incidents/{incident.pk}"
    stale = older_etag(incident)
    before = snapshot(incident)
    r = post(customer, f"{url}/assign", {"assignee": world["engineer"].pk}, HTTP_IF_MATCH=stale)
    assert r.status_code == 403, r.content
    assert post(customer, f"{url}/assign", {"assignee": world["engineer"].pk}).status_code == 403  # not 428
    assert post(customer, f"{url}/priority", {"priority": "P4"}, HTTP_IF_MATCH=stale).status_code == 403
    assert post(customer, f"{url}/acknowledge", HTTP_IF_MATCH=stale).status_code == 403
    assert snapshot(incident) == before
    with pytest.raises(PermissionDenied):
        services.incident_acknowledge(
            actor=world["customer_a"], incident=incident, expected_version=incident.version - 1
        )


def test_assign_and_priority_still_need_if_match_from_staff(world):
    staff = client_for(world["service_desk"])
    incident = log(world)
    url = f"{API}/incidents/{incident.pk}"
    assert post(staff, f"{url}/assign", {"assignee": world["engineer"].pk}).status_code == 428
    assert post(staff, f"{url}/priority", {"priority": "P4"}).status_code == 428
    r = post(staff, f"{url}/assign", {"assignee": world["engineer"].pk}, HTTP_IF_MATCH=f'"{incident.pk}-x"')
    assert r.status_code == 412


# --- escalations and RCAs ------------------------------------------------------------------------


def _escalation(world) -> Escalation:
    incident = log(world, priority="P3")
    return escalations.escalation_raise(
        actor=world["customer_a"],
        incident=incident,
        criterion="poor_updates",
        details="Updates are vague.",
        at=datetime(2026, 3, 10, 10, tzinfo=LONDON),
    )


@pytest.mark.parametrize(
    "action,body",
    [("acknowledge", {}), ("respond", {"response": "Root cause found."}), ("close", {"reason": "Done."})],
)
def test_escalation_actions_honour_if_match(world, action, body):
    manager = client_for(world["cloud_support_manager"])
    esc = _escalation(world)
    url = f"{API}/escalations/{esc.pk}"
    stale = manager.get(url)["ETag"]
    Escalation.objects.filter(pk=esc.pk).update(version=esc.version + 1)  # changed by someone else
    r = post(manager, f"{url}/{action}", body, HTTP_IF_MATCH=stale)
    assert r.status_code == 412, r.content
    assert Escalation.objects.get(pk=esc.pk).state == EscalationState.OPEN
    # A customer who may not handle it is refused for that, whatever the header says.
    r = post(client_for(world["customer_a"]), f"{url}/{action}", body, HTTP_IF_MATCH=stale)
    assert r.status_code in (403, 404)
    r = post(manager, f"{url}/{action}", body, HTTP_IF_MATCH=manager.get(url)["ETag"])
    assert r.status_code == 200, r.content
    assert Escalation.objects.get(pk=esc.pk).state != EscalationState.OPEN


def test_raising_an_escalation_a_level_honours_if_match(world):
    customer = client_for(world["customer_a"])
    esc = _escalation(world)
    url = f"{API}/escalations/{esc.pk}"
    stale = older_etag(esc)
    r = post(customer, f"{url}/raise-level", {"criterion": "poor_updates"}, HTTP_IF_MATCH=stale)
    assert r.status_code == 412, r.content
    assert Escalation.objects.filter(incident=esc.incident).count() == 1


def test_rca_submit_and_accept_honour_if_match(world):
    desk, customer = world["service_desk"], client_for(world["customer_a"])
    report = rca.rca_request(actor=desk, incident=log(world, priority="P2"))
    report = rca.rca_update(actor=desk, rca=report, **SECTIONS)
    rca.rca_action_add(actor=desk, rca=report, description="Alarm on pool usage.")
    staff = client_for(desk)
    url = f"{API}/rcas/{report.pk}"
    stale = older_etag(report)
    assert post(staff, f"{url}/submit", HTTP_IF_MATCH=stale).status_code == 412
    assert RootCauseAnalysis.objects.get(pk=report.pk).state == RcaState.DRAFT
    etag = staff.get(url)["ETag"]
    assert post(staff, f"{url}/submit", HTTP_IF_MATCH=etag).status_code == 200
    assert post(customer, f"{url}/accept", HTTP_IF_MATCH=etag).status_code == 412  # submitting moved it
    assert RootCauseAnalysis.objects.get(pk=report.pk).state == RcaState.SUBMITTED
    r = post(customer, f"{url}/accept", HTTP_IF_MATCH=customer.get(url)["ETag"])
    assert r.status_code == 200 and r.json()["state"] == RcaState.ACCEPTED


def test_the_openapi_document_declares_if_match_and_412_on_every_action(world):
    paths = client_for(world["service_desk"]).get(f"{API}/openapi.json").json()["paths"]
    escalation_actions = ("acknowledge", "respond", "close", "raise-level")
    actions = [
        *(f"/api/v1/incidents/{{incident_id}}/{a[0]}" for a in ACTIONS),
        *(f"/api/v1/escalations/{{escalation_id}}/{a}" for a in escalation_actions),
        "/api/v1/rcas/{rca_id}/submit",
        "/api/v1/rcas/{rca_id}/accept",
    ]
    for path in actions:
        operation = paths[path]["post"]
        assert "412" in operation["responses"], path
        headers = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "If-Match"]
        assert len(headers) == 1, path
        assert headers[0]["required"] is path.endswith(("/assign", "/priority")), path
