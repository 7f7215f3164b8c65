"""The API of Operations on Demand as a client sees it: the one JSON error shape naming each line's
field, decisions through the steps, and tenancy (another tenant's request is a 404)."""

from __future__ import annotations

import json

from opsdesk.ood.models import Engagement
from opsdesk.ood.tests.conftest import login

API = "/api/v1/ood"


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_rules_through_the_api(world):
    client = login(world["customer_a"])
    assert client.get(f"{API}/start-date?approved_on=2026-11-21").json() == {
        "approved_on": "2026-11-21",
        "start_date": "2027-01-01",
    }
    assert client.get(f"{API}/bill?allocated=3&hours=61").json() == {
        "allocated_blocks": 3,
        "hours_used": "61.00",
        "billed_blocks": 3,
        "overrun_hours": "1.00",
    }
    bad = client.get(f"{API}/bill?allocated=3&hours=0.1")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "hours", "message": "'0.1' is not in quarter hours (0.25 steps, e.g. 20.25)."}
    ]


def test_customer_browses_the_catalogue_of_their_plan(world, catalogue):
    items = login(world["customer_a"]).get(f"{API}/offerings").json()["results"]
    assert [(o["name"], o["rate"]["rate"], o["rate"]["currency"]) for o in items] == [
        ("Control Tower operations", "1200.00", "GBP"),
        ("EKS maintenance", "1450.00", "GBP"),
    ]
    assert login(world["customer_a"]).get(f"{API}/offerings/{catalogue['sap'].pk}").status_code == 404


def test_submit_with_bad_lines_names_each(world, catalogue):
    response = post(
        login(world["customer_a"]),
        f"{API}/requests",
        {
            "submitting_account": "111111111101",
            "lines": [
                {
                    "offering": catalogue["eks"].pk,
                    "blocks": 1.5,
                    "accounts": ["111111111102"],
                    "recurrence": "monthly",
                },
                {
                    "offering": catalogue["eks"].pk,
                    "blocks": 1,
                    "accounts": ["1111111111021"],
                    "recurrence": "monthly",
                },
            ],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "lines.0.blocks",
            "message": "Line 1: '1.5' is not a whole number of blocks from 1 to 10,000.",
        },
        {
            "field": "lines.1.accounts",
            "message": "Line 2: '1111111111021' is not an AWS account id (exactly 12 digits).",
        },
    ]


def test_submit_review_and_engagements_through_the_api(world, catalogue):
    customer = login(world["customer_a"])
    created = post(
        customer,
        f"{API}/requests",
        {
            "submitting_account": "111111111101",
            "lines": [
                {
                    "offering": catalogue["eks"].pk,
                    "blocks": 3,
                    "accounts": ["111111111101", "111111111102"],
                    "recurrence": "monthly",
                }
            ],
        },
    )
    assert created.status_code == 201, created.content
    request = created.json()
    assert (request["state"], request["lines"][0]["accounts"]) == (
        "submitted",
        ["111111111101", "111111111102"],
    )
    url = f"{API}/requests/{request['id']}"
    assert post(customer, f"{url}/approve", {}).status_code == 403
    assert login(world["customer_b"]).get(url).status_code == 404
    reviewer = login(world["operations_reviewer"])
    too_many = post(reviewer, f"{url}/approve", {"lines": [{"line": 1, "blocks": 4}]})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["message"] == "Line 1: cannot approve 4 blocks; 3 were requested."
    approved = post(
        reviewer,
        f"{url}/approve",
        {"lines": [{"line": 1, "blocks": 2, "accounts": ["111111111102"], "reason": "Member only."}]},
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "partially_approved"
    assert approved.json()["lines"][0]["approved_accounts"] == ["111111111102"]
    again = post(reviewer, f"{url}/deny", {"reason": "Too late"})
    assert again.status_code == 409
    assert "already partially approved" in again.json()["detail"]
    engagements = customer.get(f"{API}/engagements").json()["results"]
    assert [(e["account"], e["allocations"][0]["blocks"], e["status"]) for e in engagements] == [
        ("111111111102", 2, "scheduled")
    ]
    assert login(world["customer_b"]).get(f"{API}/engagements/{engagements[0]['id']}").status_code == 404
    assert Engagement.objects.count() == 1


def test_lists_cost_the_same_queries_for_more_rows(world, catalogue):
    """No N+1: a list's query count does not grow with its rows (offerings with plans and rates,
    requests with lines and accounts, engagements with allocations)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.ood import services

    def submit_and_approve(accounts):
        request = services.ood_request_create(
            actor=world["customer_a"],
            submitting_account="111111111101",
            lines=[
                {"offering": catalogue["eks"].pk, "blocks": 1, "accounts": accounts, "recurrence": "monthly"}
            ],
        )
        services.ood_request_approve(actor=world["operations_reviewer"], request=request)

    client = login(world["admin"])
    urls = [f"{API}/offerings", f"{API}/requests", f"{API}/engagements"]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    submit_and_approve(["111111111102"])
    few = counts()
    for _ in range(3):
        submit_and_approve(["111111111101", "111111111102"])
    services.offering_create(actor=world["admin"], name="More", plans=["advanced", "accelerate"], rate="1")
    assert counts() == few
