"""Billing API and pages (issue 12 item 6): upload, review, tenancy of billing contacts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.billing import selectors
from opsdesk.billing.models import CostImport, DailyCost


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _file(world, cost="12.34", name="costs.csv"):
    week = selectors.last_complete_week()
    a = world["account_a"].account_id
    body = (
        "lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/UnblendedCost,resourceTags/user:Env\n"
        f"{a},{week}T10:00:00Z,{cost},prod\n{a},{week - dt.timedelta(days=7)}T10:00:00Z,10,prod\n"
    )
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def test_upload_then_review_through_the_api(world, django_capture_on_commit_callbacks):
    billing = client_for(world["billing"])
    with django_capture_on_commit_callbacks(execute=True):  # the worker (Huey, immediate in tests)
        created = billing.post("/api/v1/billing/imports", {"file": _file(world)})
        assert created.status_code == 202, created.content
        assert created.json()["state"] == "queued" and created.json()["rows"] == 0
        assert not DailyCost.objects.exists()  # nothing imported inside the request
    done = billing.get(f"/api/v1/billing/imports/{created.json()['id']}").json()
    assert (done["state"], done["rows"], done["error"]) == ("done", 2, "")
    assert Decimal(done["total"]) == Decimal("22.34") and done["finished_at"] and len(done["sha256"]) == 64
    review = billing.get(f"/api/v1/billing/reviews?organisation={world['org_a'].pk}&tag=Env=prod").json()
    total = review["total"]
    assert (Decimal(total["current"]), Decimal(total["previous"])) == (Decimal("12.34"), Decimal(10))
    assert Decimal(total["change_percent"]) == Decimal("23.40")
    assert len(review["trend"]) == 12 and Decimal(review["trend"][-1]["total"]) == Decimal("12.34")
    assert billing.get("/api/v1/billing/imports").json()["count"] == 1


def test_a_bad_upload_fails_naming_the_line_and_imports_nothing(world, django_capture_on_commit_callbacks):
    billing = client_for(world["billing"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = billing.post("/api/v1/billing/imports", {"file": _file(world, cost="x1")})
    assert answer.status_code == 202
    failed = billing.get(f"/api/v1/billing/imports/{answer.json()['id']}").json()
    assert (failed["state"], failed["error_field"], failed["error"]) == (
        "failed",
        "lineItem/UnblendedCost",
        "Line 2, column lineItem/UnblendedCost: 'x1' is not a number.",
    )
    assert failed["rows"] == 0 and not DailyCost.objects.exists()
    empty = billing.post("/api/v1/billing/imports", {"file": SimpleUploadedFile("e.csv", b"")})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    assert CostImport.objects.count() == 1


def test_customers_see_their_own_review_only_as_billing_contacts(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world["billing"]).post("/api/v1/billing/imports", {"file": _file(world)})
    customer = client_for(world["customer_a"])
    assert customer.get("/api/v1/billing/reviews").status_code == 403
    assert 'href="/billing/"' not in customer.get("/").content.decode()  # no Billing link either
    world["contact_a"].is_billing_contact = True
    world["contact_a"].save()
    assert customer.get("/api/v1/billing/reviews").json()["organisation_id"] == world["org_a"].pk
    assert customer.get(f"/api/v1/billing/reviews?organisation={world['org_b'].pk}").status_code == 404
    assert customer.get("/api/v1/billing/imports").status_code in (403, 404)
    assert 'href="/billing/"' in customer.get("/").content.decode()
    page = customer.get("/billing/")
    assert page.status_code == 200 and "12.34" in page.content.decode() and "<svg" in page.content.decode()
    assert customer.get(f"/billing/?organisation={world['org_b'].pk}").status_code == 404
    assert client_for(world["engineer"]).get("/billing/").status_code == 403


def test_the_upload_page_queues_the_file_and_the_list_shows_its_state(
    world, django_capture_on_commit_callbacks
):
    billing = client_for(world["billing"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = billing.post("/billing/imports/new/", {"file": _file(world)}, follow=True)
    assert "costs.csv is queued for import" in answer.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        billing.post("/billing/imports/new/", {"file": _file(world, cost="oops", name="bad.csv")})
    page = billing.get("/billing/imports/").content.decode()
    assert "Done" in page and "Failed: Line 2, column lineItem/UnblendedCost: &#x27;oops&#x27; is not" in page
    assert 'hx-trigger="every 5s"' not in page  # nothing left to wait for
    review = billing.get("/billing/").content.decode()  # the billing page shows them too
    assert "Latest cost imports" in review and "Failed: Line 2, column lineItem/UnblendedCost" in review
    assert list(CostImport.objects.order_by("pk").values_list("state", flat=True)) == ["done", "failed"]
    # Queued and not yet taken by a worker: shown as such, and the list refreshes itself.
    billing.post("/billing/imports/new/", {"file": _file(world, name="later.csv")})
    page = billing.get("/billing/imports/").content.decode()
    assert "Queued" in page and 'hx-trigger="every 5s"' in page


def test_cost_files_may_be_larger_than_other_uploads(world, settings):
    settings.UPLOAD_MAX_BODY_BYTES = 300  # attachments' limit; cost reports have their own
    billing = client_for(world["billing"])
    assert billing.post("/api/v1/billing/imports", {"file": _file(world)}).status_code == 202
