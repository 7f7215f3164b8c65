"""The changes API (L3): an RFC through the level-2 workflow and the approval matrix, ETags,
idempotency, filters, CSV, the one error shape for bad input, and tenancy."""

from __future__ import annotations

import json

import pytest

from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import Change, ChangeApproval
from opsdesk.changes.tests.conftest import client_for
from opsdesk.changes.tests.factory import (
    DOCUMENTS,
    change_at,
    rfc,
    second_approver,
    standard_change,
    working_hours,
)
from opsdesk.directory import services as directory

pytestmark = pytest.mark.django_db
API = "/api/v1/changes"


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def patch(client, url, body, **headers):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


def _rfc_body(world, **extra):
    return {
        "organisation": world["org_a"].pk,
        "level": 2,
        "title": "Upgrade the database",
        "description": "RDS 14 to 16",
        "impact_statement": "Read-only for 5 minutes",
        "urgency": "high",
        "services": [world["service_a"].pk],
        "lead_contact": world["contact_a"].pk,
        **extra,
    }


def test_a_level_2_change_through_the_api(world):
    customer = client_for(world["customer_a"])
    created = post(customer, API, _rfc_body(world), HTTP_IDEMPOTENCY_KEY="rfc-1")
    assert created.status_code == 201, created.content
    change = created.json()
    assert change["priority"] == "P3" and change["state"] == "confirm_need" and change["review_due_at"]
    assert change["reference"].startswith("CHG-") and created["ETag"]
    again = post(customer, API, _rfc_body(world), HTTP_IDEMPOTENCY_KEY="rfc-1")
    assert again.json()["id"] == change["id"] and Change.objects.count() == 1
    url = f"{API}/{change['id']}"
    staff = client_for(world["engineer"])
    r = patch(
        staff,
        url,
        {**DOCUMENTS, "checklist": [{"item": "Snapshot", "done": False}]},
        HTTP_IF_MATCH=staff.get(url)["ETag"],
    )
    assert r.status_code == 200, r.content
    for state in ("identify", "impact_assessment", "engagement", "planning", "approval"):
        r = post(staff, f"{url}/transition", {"to_state": state}, HTTP_IF_MATCH=r["ETag"])
        assert r.status_code == 200 and r.json()["state"] == state, r.content
    r = post(staff, f"{url}/approve")
    assert r.json()["state"] == "approval" and r.json()["approvals"][0]["side"] == "provider"
    r = post(client_for(second_approver(world, "a")), f"{url}/approve", {"reason": "Go ahead"})
    assert r.json()["state"] == "scheduled"
    start, end = working_hours()
    r = post(staff, f"{url}/schedule", {"starts_at": start.isoformat(), "ends_at": end.isoformat()})
    assert r.status_code == 200 and r.json()["window"]["starts_at"], r.content
    r = post(staff, f"{url}/transition", {"to_state": "implementation"})
    assert r.json()["state"] == "implementation", r.content
    r = post(staff, f"{url}/transition", {"to_state": "testing"})
    r = post(staff, f"{url}/transition", {"to_state": "closed"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "checklist"
    r = patch(
        staff, url, {"checklist": [{"item": "Snapshot", "done": True}]}, HTTP_IF_MATCH=staff.get(url)["ETag"]
    )
    assert r.status_code == 200, r.content
    assert post(staff, f"{url}/transition", {"to_state": "closed"}).json()["state"] == "closed"
    r = post(staff, f"{url}/review", {"notes": "Smooth."})
    assert r.json()["state"] == "reviewed" and r.json()["review_notes"] == "Smooth."
    states = [e["to_state"] for e in r.json()["timeline"]]
    assert states[0] == "confirm_need" and states[-1] == "reviewed" and "approval" in states
    deadlines = staff.get(f"{url}/deadlines").json()["deadlines"]
    assert deadlines[0]["kind"] == "change_review" and deadlines[0]["rule"]["working_days"] == 10


def test_an_rfc_from_a_contact_who_is_not_an_approver_is_a_clear_403_and_nothing_changes(world):
    contact = directory.contact_create(
        actor=world["admin"], organisation=world["org_a"], name="Nina Notapprover", email="nina@a.test"
    )
    user = directory.user_create(
        actor=world["admin"],
        email="nina-user@a.test",
        full_name="Nina",
        role="customer",
        password="test-password-123",
        contact=contact.pk,
    )
    r = post(client_for(user), API, _rfc_body(world))
    assert r.status_code == 403
    assert "Nina Notapprover is not an authorised change approver" in r.json()["detail"]
    assert r.json()["errors"] == [
        {"field": "requested_by", "message": "Nina Notapprover is not an authorised change approver."}
    ]
    assert not Change.objects.exists()


def test_approving_ones_own_change_is_a_clear_403_and_nothing_changes(world):
    change = change_at(world, "a", ChangeState.APPROVAL)
    customer = client_for(world["customer_a"])
    before = customer.get(f"{API}/{change.pk}")["ETag"]
    r = post(customer, f"{API}/{change.pk}/approve")
    assert r.status_code == 403 and "can never approve their own change" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "actor"
    assert customer.get(f"{API}/{change.pk}")["ETag"] == before and not ChangeApproval.objects.exists()


def test_a_rejection_needs_a_reason_and_returns_to_consultation(world):
    change = change_at(world, "a", ChangeState.APPROVAL)
    staff = client_for(world["service_desk"])
    r = post(staff, f"{API}/{change.pk}/reject", {"reason": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = post(staff, f"{API}/{change.pk}/reject", {"reason": "No backout tested"})
    assert r.json()["state"] == "consultation" and r.json()["approval_round"] == 2


def test_an_invalid_transition_is_409_naming_the_state(world):
    change = rfc(world, "a")
    r = post(client_for(world["engineer"]), f"{API}/{change.pk}/transition", {"to_state": "closed"})
    assert r.status_code == 409 and "from confirm need to closed" in r.json()["detail"]
    r = post(client_for(world["engineer"]), f"{API}/{change.pk}/transition", {"to_state": "bogus"})
    assert r.status_code == 422


def test_raising_the_priority_without_the_call_is_422_naming_each_field(world):
    change = rfc(world, "a")
    r = post(client_for(world["service_desk"]), f"{API}/{change.pk}/priority", {"priority": "P1"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"caller", "called_at", "note"}
    r = post(
        client_for(world["service_desk"]),
        f"{API}/{change.pk}/priority",
        {"priority": "P1", "caller": "CTO", "called_at": "2026-01-05T10:00:00Z", "note": "Outage risk"},
    )
    assert r.json()["priority"] == "P1" and r.json()["priority_calls"][0]["caller"] == "CTO"


def test_a_stale_if_match_is_412(world):
    change = rfc(world, "a")
    staff = client_for(world["engineer"])
    etag = staff.get(f"{API}/{change.pk}")["ETag"]
    post(staff, f"{API}/{change.pk}/transition", {"to_state": "identify"})
    r = patch(staff, f"{API}/{change.pk}", {"title": "x"}, HTTP_IF_MATCH=etag)
    assert r.status_code == 412


def test_tenancy_filters_and_csv(world):
    rfc(world, "a")
    rfc(world, "a", level=1)
    rfc(world, "b")
    staff = client_for(world["change_manager"])
    assert staff.get(f"{API}?level=1").json()["count"] == 1
    assert staff.get(f"{API}?organisation={world['org_b'].pk}").json()["count"] == 1
    assert staff.get(f"{API}?service={world['service_a'].pk}").json()["count"] == 2
    assert staff.get(f"{API}?state=bogus").status_code == 422
    csv = b"".join(staff.get(f"{API}?format=csv").streaming_content).decode()
    assert csv.splitlines()[0].startswith("id,reference") and len(csv.splitlines()) == 4
    customer_b = client_for(world["customer_b"])
    assert customer_b.get(API).json()["count"] == 1
    theirs = Change.objects.filter(organisation=world["org_a"]).first()
    assert customer_b.get(f"{API}/{theirs.pk}").status_code == 404
    assert post(customer_b, f"{API}/{theirs.pk}/approve").status_code == 404
    assert client_for(world["billing"]).get(API).json()["count"] == 0


def test_the_list_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for tag in ("a", "b", "a"):
        rfc(world, tag)
    staff = client_for(world["change_manager"])
    staff.get(API)
    with django_assert_max_num_queries(14):
        assert staff.get(API).json()["count"] == 3
    for tag in ("b", "a", "a"):
        rfc(world, tag, level=1)
    with django_assert_max_num_queries(14):
        assert staff.get(API).json()["count"] == 6


def test_catalogue_pipelines_and_the_matrix(world):
    manager = client_for(world["change_manager"])
    r = post(manager, "/api/v1/standard-changes", {"name": "Rotate a secret", "runbook": "1. Rotate."})
    assert r.status_code == 201
    r = post(manager, "/api/v1/standard-changes", {"name": "rotate a SECRET", "runbook": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    assert (
        post(
            client_for(world["customer_a"]), "/api/v1/standard-changes", {"name": "x", "runbook": "x"}
        ).status_code
        == 403
    )
    standard_change(world)
    assert client_for(world["customer_a"]).get("/api/v1/standard-changes").json()["count"] == 2
    r = post(
        client_for(world["engineer"]),
        "/api/v1/approved-pipelines",
        {"service": world["service_a"].pk, "name": "GitHub Actions"},
    )
    assert r.status_code == 201 and r.json()["service_reference"] == world["service_a"].reference
    assert client_for(world["customer_b"]).get("/api/v1/approved-pipelines").json()["count"] == 0
    matrix = client_for(world["customer_a"]).get("/api/v1/change-approval-matrix?level=2").json()["results"]
    assert {(m["side"], m["required"]) for m in matrix} == {("provider", True), ("customer", True)}
