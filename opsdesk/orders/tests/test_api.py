"""The orders API (L3): the lifecycle step by step, ETags, the one error shape, tenancy."""

from __future__ import annotations

import json

import pytest

from opsdesk.orders.choices import OrderState
from opsdesk.orders.tests.conftest import client_for
from opsdesk.orders.tests.factory import LINES, good_form, order_at

pytestmark = pytest.mark.django_db
API = "/api/v1/orders"


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def test_the_lifecycle_through_the_api(world, manager):
    staff = client_for(manager)
    created = post(staff, API, {"organisation": world["org_a"].pk, "title": "Data platform"})
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["state"] == "enquiry" and order["reference"] is None and created["ETag"]
    url = f"{API}/{order['id']}"
    r = post(
        staff,
        f"{url}/capture",
        {"solution_architect": world["solutions_architect"].pk, "requirements": "Two VPCs"},
    )
    assert r.status_code == 200 and r.json()["state"] == "requirements"
    r = post(staff, f"{url}/quote", {"lines": LINES}, HTTP_IF_MATCH=r["ETag"])
    assert r.status_code == 200, r.content
    assert r.json()["quote_total"] == "7140.38" and r.json()["currency"] == "GBP"
    assert r.json()["quote_lines"][1]["amount"] == "239.88"
    form = {**good_form(world, "a"), "requested_start": good_form(world, "a")["requested_start"].isoformat()}
    customer = client_for(world["customer_a"])
    r = post(customer, f"{url}/accept-quote", form)
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "received"
    r = post(staff, f"{url}/validate")
    assert r.json()["state"] == "validated" and r.json()["validation_problems"] == []
    assert r.json()["acceptance_due_at"]
    deadlines = staff.get(f"{url}/deadlines").json()["deadlines"]
    assert deadlines[0]["kind"] == "order_acceptance" and deadlines[0]["rule"]["working_days"] == 3
    assert any("3 working days" in step for step in deadlines[0]["explanation"])
    r = post(staff, f"{url}/accept")
    assert r.status_code == 200 and r.json()["reference"].startswith("ORD-")
    r = post(staff, f"{url}/start-build", {"note": "Kick-off booked"})
    assert r.json()["state"] == "build"
    r = post(staff, f"{url}/enable", {"runbooks": [{"title": "Failover", "body": "Steps"}]})
    assert r.status_code == 200 and r.json()["state"] == "enabled" and r.json()["service"]
    timeline = r.json()["timeline"]
    assert [t["to_state"] for t in timeline][-1] == "enabled"
    assert timeline[3]["actor"] == world["customer_a"].full_name


def test_an_invalid_transition_is_409_naming_the_state(world, manager):
    order = order_at(world, "a", OrderState.ENQUIRY)
    r = post(client_for(manager), f"{API}/{order.pk}/accept")
    assert r.status_code == 409
    assert "order" in r.json()["detail"] and "is enquiry" in r.json()["detail"]
    assert r.json()["errors"] == [{"field": "state", "message": "The order is enquiry."}]


def test_accepting_with_problems_is_422_listing_each(world, manager):
    order = order_at(world, "a", OrderState.QUOTED)
    customer = client_for(world["customer_a"])
    r = post(customer, f"{API}/{order.pk}/accept-quote", {"purchase_order": "PO-77"})
    assert r.status_code == 200
    r = post(client_for(manager), f"{API}/{order.pk}/accept")
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == [
        "order_contact",
        "billing_address",
        "service_name",
        "service_reference",
        "environment",
        "requested_start",
        "accounts",
    ]
    assert client_for(manager).get(f"{API}/{order.pk}").json()["state"] == "received"
    # corrected through the order form, then accepted
    form = good_form(world, "a")
    form["requested_start"] = form["requested_start"].isoformat()
    r = post(customer, f"{API}/{order.pk}/order-form", form)
    assert r.status_code == 200, r.content
    r = post(client_for(manager), f"{API}/{order.pk}/accept")
    assert r.status_code == 200 and r.json()["state"] == "accepted"


@pytest.mark.parametrize(
    "line,field",
    [
        ({"quantity": 0}, "lines.0.quantity"),
        ({"unit_price": "-1"}, "lines.0.unit_price"),
        ({"unit_price": "1.234"}, "lines.0.unit_price"),
        ({"category": "catering"}, "lines.0.category"),
    ],
)
def test_bad_quote_input_is_422_naming_the_field(world, manager, line, field):
    order = order_at(world, "a", OrderState.REQUIREMENTS)
    r = post(client_for(manager), f"{API}/{order.pk}/quote", {"lines": [{**LINES[0], **line}]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


def test_a_stale_if_match_is_412(world, manager):
    order = order_at(world, "a", OrderState.ENQUIRY)
    r = post(
        client_for(manager),
        f"{API}/{order.pk}/capture",
        {"solution_architect": world["csdm"].pk},
        HTTP_IF_MATCH=f'"{order.pk}-{order.version - 1}"',
    )
    assert r.status_code == 412


def test_a_customer_sees_only_their_organisations_orders(world):
    mine = order_at(world, "a", OrderState.QUOTED)
    theirs = order_at(world, "b", OrderState.QUOTED)
    customer = client_for(world["customer_a"])
    listed = customer.get(API).json()
    assert [o["id"] for o in listed["results"]] == [mine.pk]
    assert customer.get(f"{API}/{theirs.pk}").status_code == 404
    assert post(customer, f"{API}/{theirs.pk}/accept-quote", {}).status_code == 404
    assert customer.get(f"{API}/{theirs.pk}/deadlines").status_code == 404
    # and runs no staff step on their own
    assert post(customer, f"{API}/{mine.pk}/validate").status_code == 403
    # a named contact raises an enquiry for their own organisation only (another's is unknown)
    assert post(customer, API, {"organisation": world["org_a"].pk, "title": "x"}).status_code == 201
    r = post(customer, API, {"organisation": world["org_b"].pk, "title": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "organisation"


def test_list_filters_and_csv(world, manager):
    order_at(world, "a", OrderState.QUOTED)
    order_at(world, "b", OrderState.ENQUIRY)
    staff = client_for(manager)
    assert staff.get(f"{API}?state=quoted").json()["count"] == 1
    assert staff.get(f"{API}?organisation={world['org_b'].pk}").json()["count"] == 1
    assert staff.get(f"{API}?state=bogus").status_code == 422
    csv = b"".join(staff.get(f"{API}?format=csv").streaming_content).decode()
    assert csv.splitlines()[0].startswith("id,reference")


def test_the_list_reads_a_fixed_number_of_queries(world, manager, django_assert_max_num_queries):
    for tag in ("a", "b", "a"):
        order_at(world, tag, OrderState.RECEIVED, service_reference=f"EKS-Q-{tag}")
    staff = client_for(manager)
    staff.get(API)  # session and user loaded once
    with django_assert_max_num_queries(12):
        listed = staff.get(API).json()
    assert listed["count"] == 3 and all(o["quote_lines"] and o["timeline"] for o in listed["results"])
    for tag in ("b", "b", "a"):
        order_at(world, tag, OrderState.RECEIVED, service_reference=f"EKS-R-{tag}")
    with django_assert_max_num_queries(12):
        assert staff.get(API).json()["count"] == 6


def test_bad_input_names_the_field_and_changes_nothing(world, manager):
    staff = client_for(manager)
    r = post(staff, API, {"organisation": 987654321, "title": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "organisation"
    r = post(staff, API, {"organisation": world["org_a"].pk, "title": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    order = order_at(world, "a", OrderState.QUOTED)
    before = client_for(manager).get(f"{API}/{order.pk}")["ETag"]
    customer = client_for(world["customer_a"])
    r = post(customer, f"{API}/{order.pk}/accept-quote", {"requested_start": "31/12/2026"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "requested_start"
    r = post(customer, f"{API}/{order.pk}/accept-quote", {"order_contact": world["contact_b"].pk})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "order_contact"
    r = post(staff, f"{API}/{order.pk}/enable", {"runbooks": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "runbooks"
    r = post(staff, f"{API}/{order.pk}/cancel", {})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    assert client_for(manager).get(f"{API}/{order.pk}")["ETag"] == before
    # a start date years ahead is incorrect data, listed by validation
    far = {**good_form(world, "a"), "requested_start": "2099-01-01"}
    post(customer, f"{API}/{order.pk}/accept-quote", far)
    r = post(staff, f"{API}/{order.pk}/validate")
    assert r.json()["validation_problems"] == [
        {"field": "requested_start", "message": "01 Jan 2099 is more than two years ahead."}
    ]
