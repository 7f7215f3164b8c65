"""The incidents API (L3): logging and the lifecycle over HTTP, the error shape, If-Match on
updates, tenancy (A4), internal notes kept from customers (C5) and a list without N+1 queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.incidents.models import Incident
from opsdesk.incidents.tests.conftest import all_checks, client_for, log, post

API = "/api/v1"






@pytest.fixture
def customer(world):
    return client_for(world["customer_a"])


@pytest.fixture
def staff(world):
    return client_for(world["service_desk"])


def _log_body(world, **changes):
    return {
        "service_reference": world["service_a"].reference,
        "title": "Checkout fails",
        "description": "HTTP 500 on /checkout since 10:02.",
        "priority": "P2",
        "diagnostics_confirmed": all_checks(),
        **changes,
    }


def test_customer_logs_and_staff_work_the_incident_over_the_api(world, customer, staff):
    r = post(customer, f"{API}/incidents", _log_body(world))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["reference"].startswith("INC-")
    assert body["state"] == "new" and body["priority"] == "P2"
    assert body["reported_by"]["id"] == world["contact_a"].pk
    assert body["telephone_follow_up_required"] is True
    assert body["targets"]["calendar"] == "24x7"
    assert body["targets"]["initial"]["explanation"]
    assert body["targets"]["initial"]["met_at"] is None
    assert [e["kind"] for e in body["timeline"]] == ["logged"]
    assert r["ETag"] == f'"{body["id"]}-1"'
    url = f"{API}/incidents/{body['id']}"

    r = post(staff, f"{url}/acknowledge")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert r.json()["targets"]["initial"]["met_in_time"] is True
    r = post(staff, f"{url}/calls", {"summary": "Called Ana, confirmed impact."})
    assert r.json()["telephone_follow_up_required"] is False
    r = post(staff, f"{url}/notes", {"body": "Internal: suspect the new WAF rule.", "public": False})
    assert r.status_code == 201 and r.json()["public"] is False
    r = post(
        staff, f"{url}/investigate", {"note": "We rolled back the WAF rule and are watching the errors."}
    )
    assert r.json()["state"] == "investigating"
    assert r.json()["considered_response_at"] is not None
    r = post(staff, f"{url}/await-customer", {"note": "Can you retry a checkout?"})
    assert r.json()["state"] == "awaiting_customer" and r.json()["paused_at"] is not None
    r = post(customer, f"{url}/notes", {"body": "Works now, thanks."})
    assert r.status_code == 201
    r = post(staff, f"{url}/resolve", {"summary": "WAF rule rolled back."})
    assert r.json()["state"] == "resolved"
    r = post(customer, f"{url}/close", {"customer_confirmed": True})
    assert r.status_code == 200 and r.json()["state"] == "closed"

    seen_by_customer = customer.get(url).json()
    assert all(e["public"] for e in seen_by_customer["timeline"])
    assert "WAF rule." not in json.dumps([e for e in seen_by_customer["timeline"] if e["kind"] == "note"][:1])
    assert "suspect the new WAF rule" not in customer.get(url).content.decode()
    assert "suspect the new WAF rule" in staff.get(url).content.decode()


def test_staff_log_on_behalf_and_raise_proactive_incidents(world, staff):
    r = post(staff, f"{API}/incidents", _log_body(world, priority="P3", reported_by=world["contact_a"].pk))
    assert r.status_code == 201 and r.json()["source"] == "staff"
    r = post(staff, f"{API}/incidents", _log_body(world, priority="P3"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reported_by"
    r = post(
        staff,
        f"{API}/incidents/proactive",
        {
            "organisation": world["org_a"].pk,
            "title": "GuardDuty finding",
            "description": "Port scan.",
            "priority": "P1",
        },
    )
    assert r.status_code in (201, 422)  # 422 only when it is out of hours and A has no night contact
    if r.status_code == 201:
        assert r.json()["contact_to_reach"]["id"] == world["contact_a"].pk
    else:
        assert r.json()["errors"][0]["field"] == "contact_to_reach"
    r = post(staff, f"{API}/incidents/proactive", {"organisation": 987654321, "priority": "P3"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "organisation"


def test_logging_errors_use_the_one_error_shape(world, customer):
    r = post(customer, f"{API}/incidents", {"priority": "P7"})
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"detail", "errors"}
    assert {e["field"] for e in body["errors"]} == {
        "service_reference",
        "title",
        "description",
        "priority",
        "diagnostics_confirmed",
    }
    assert not Incident.objects.exists()


def test_closing_a_new_incident_answers_422_naming_the_state(world, staff):
    incident = log(world)
    r = post(staff, f"{API}/incidents/{incident.pk}/close", {"customer_confirmed": True, "reason": "phone"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "state"
    assert "from New to Closed" in r.json()["errors"][0]["message"]


def test_assign_and_priority_need_if_match(world, staff):
    incident = log(world)
    url = f"{API}/incidents/{incident.pk}"
    r = post(staff, f"{url}/assign", {"assignee": world["engineer"].pk})
    assert r.status_code == 428
    r = post(staff, f"{url}/assign", {"assignee": world["engineer"].pk}, HTTP_IF_MATCH='"1-999"')
    assert r.status_code == 412
    r = post(staff, f"{url}/assign", {"assignee": world["engineer"].pk}, HTTP_IF_MATCH=incident.etag)
    assert r.status_code == 200 and r.json()["assignee"]["id"] == world["engineer"].pk
    etag = r["ETag"]
    r = post(staff, f"{url}/priority", {"priority": "P4"}, HTTP_IF_MATCH=etag)
    assert r.status_code == 200 and r.json()["priority"] == "P4"
    r = post(staff, f"{url}/assign", {"assignee": world["account_manager"].pk}, HTTP_IF_MATCH=r["ETag"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "assignee"


def test_another_tenants_incident_is_404_like_a_missing_one(world):
    incident = log(world)
    other = client_for(world["customer_b"])
    for path in ("", "/acknowledge", "/notes"):
        method = other.get if not path else (lambda u: post(other, u, {"body": "x"}))
        r = method(f"{API}/incidents/{incident.pk}{path}")
        missing = method(f"{API}/incidents/987654321{path}")
        assert r.status_code == missing.status_code == 404
        assert r.json() == missing.json()
    assert other.get(f"{API}/incidents").json()["count"] == 0


def test_list_filters_and_orders_like_the_queue(world, staff, customer):
    a = log(world, priority="P3", title="Payments down")
    b = log(world, priority="P4", title="Question about backups")
    post(staff, f"{API}/incidents/{b.pk}/acknowledge")
    r = staff.get(f"{API}/incidents?state=open&priority=P3")
    assert [i["id"] for i in r.json()["results"]] == [a.pk]
    r = staff.get(f"{API}/incidents?q=backups")
    assert [i["id"] for i in r.json()["results"]] == [b.pk]
    assert staff.get(f"{API}/incidents?state=nope").status_code == 422
    assert customer.get(f"{API}/incidents").json()["count"] == 2
    csv = staff.get(f"{API}/incidents?format=csv")
    assert csv.status_code == 200 and a.reference in b"".join(csv.streaming_content).decode()


def test_ordering_by_next_target_is_the_queue_order_either_way(world, staff):
    """?ordering=next_target_at is the queue's order (next target, none last, then oldest, then
    id); -next_target_at its exact reverse, so incidents with no unmet target come first — the same
    on SQLite and PostgreSQL."""
    from opsdesk.incidents import services

    monday = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    early = log(world, at=monday)
    twin = log(world, at=monday)  # same targets and logged-at as `early`: the id breaks the tie
    later = log(world, at=monday + timedelta(hours=1))
    done = log(world, at=monday - timedelta(hours=1))
    services.incident_acknowledge(actor=world["service_desk"], incident=done)
    services.incident_resolve(actor=world["service_desk"], incident=done, summary="Fixed the gateway.")
    queue = [early.pk, twin.pk, later.pk, done.pk]

    def ids(ordering):
        r = staff.get(f"{API}/incidents", {"ordering": ordering})
        assert r.status_code == 200, r.content
        return [i["id"] for i in r.json()["results"]]

    assert ids("next_target_at") == queue
    assert staff.get(f"{API}/incidents").json()["results"][0]["id"] == early.pk
    assert ids("-next_target_at") == queue[::-1]
    assert ids("-logged_at")[:2] == [later.pk, twin.pk]
    bad = staff.get(f"{API}/incidents", {"ordering": "-title"})
    assert bad.status_code == 422
    assert "Allowed: next_target_at, logged_at" in bad.json()["errors"][0]["message"]


def test_the_list_costs_the_same_number_of_queries_for_more_rows(world, staff):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = staff.get(f"{API}/incidents?limit=25")
            assert r.status_code == 200
        return len(ctx.captured_queries)

    log(world)
    few = count_queries()
    for _ in range(6):
        log(world)
    log(world, who="service_desk", reported_by=world["contact_a"].pk)
    assert count_queries() == few


def test_diagnostics_checklist_api(world, staff, customer):
    items = customer.get(f"{API}/diagnostics-checklist").json()
    assert [i["id"] for i in items] == all_checks()
    r = post(staff, f"{API}/diagnostics-checklist", {"text": "Checked CloudWatch alarms"})
    assert r.status_code == 201
    item = r.json()
    r = staff.patch(
        f"{API}/diagnostics-checklist/{item['id']}",
        data=json.dumps({"active": False}),
        content_type="application/json",
        HTTP_IF_MATCH=r["ETag"],
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert item["id"] not in [i["id"] for i in customer.get(f"{API}/diagnostics-checklist").json()]
    assert item["id"] in [
        i["id"] for i in staff.get(f"{API}/diagnostics-checklist?include_inactive=true").json()
    ]
    assert post(customer, f"{API}/diagnostics-checklist", {"text": "x"}).status_code == 403
