"""The pages as people use them: the request form with per-line errors, the review screen, the
catalogue a customer's plan allows, and another tenant's records as 404."""

from __future__ import annotations

import re

from django.urls import reverse

from opsdesk.ood.models import Engagement, OfferingRate, OodRequest
from opsdesk.ood.tests.conftest import login


def form_data(lines: list[dict], **extra) -> dict:
    data = {
        "submitting_account": "111111111101",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
        **extra,
    }
    for i, line in enumerate(lines):
        data.update({f"lines-{i}-{k}": v for k, v in line.items()})
    return data


def fieldset(html: str, number: int) -> str:
    match = re.search(rf'data-testid="line-{number}">(.*?)</fieldset>', html, re.S)
    assert match, f"no line {number}"
    return match.group(1)


def test_request_form_shows_each_problem_on_its_line(world, catalogue, accounts):
    client = login(world["customer_a"])
    page = client.get(reverse("ood:request_create"))
    assert page.status_code == 200
    assert "SAP cluster management" not in page.content.decode()  # not on the customer's plan
    response = client.post(
        reverse("ood:request_create"),
        form_data(
            [
                {
                    "offering": catalogue["eks"].pk,
                    "blocks": "2",
                    "accounts": "111111111102",
                    "recurrence": "monthly",
                },
                {
                    "offering": catalogue["ct"].pk,
                    "blocks": "0",
                    "accounts": "111111111108",
                    "recurrence": "monthly",
                },
            ]
        ),
    )
    assert response.status_code == 200  # shown again with its errors, as the kit's form pages
    html = response.content.decode()
    second = fieldset(html, 2)
    assert "Line 2: &#x27;0&#x27; is not a whole number of blocks" in second
    assert "Line 2: account 111111111108 is a member of another management account" in second
    assert "Line 1" not in fieldset(html, 1).replace("<legend>Line 1</legend>", "")
    assert OodRequest.objects.count() == 0


def test_a_customer_submits_and_sees_their_request(world, catalogue):
    client = login(world["customer_a"])
    response = client.post(
        reverse("ood:request_create"),
        form_data(
            [
                {
                    "offering": catalogue["eks"].pk,
                    "blocks": "2",
                    "accounts": "111111111101, 111111111102",
                    "recurrence": "monthly",
                },
                {
                    "offering": "",
                    "blocks": "",
                    "accounts": "",
                    "recurrence": "monthly",
                },  # a blank line is ignored
            ]
        ),
    )
    request = OodRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ood:request_detail", args=[request.pk]
    )
    assert [line.blocks for line in request.lines.all()] == [2]
    page = client.get(response["Location"]).content.decode()
    assert "Submitted" in page and "111111111101, 111111111102" in page
    assert 'data-testid="approve-form"' not in page  # customers do not review
    assert login(world["customer_b"]).get(response["Location"]).status_code == 404


def test_reviewer_partially_approves_on_the_review_screen(world, submit, catalogue):
    request = submit(
        lines=[
            {
                "offering": catalogue["eks"].pk,
                "blocks": 3,
                "accounts": ["111111111101", "111111111102"],
                "recurrence": "monthly",
            }
        ]
    )
    client = login(world["operations_reviewer"])
    page = client.get(reverse("ood:request_detail", args=[request.pk])).content.decode()
    assert 'data-testid="approve-form"' in page and 'data-testid="deny-form"' in page
    url = reverse("ood:request_approve", args=[request.pk])
    narrowed = {"version": request.version, "line_1_blocks": "2", "line_1_accounts": "111111111102"}
    refused = client.post(url, narrowed)
    assert refused.status_code == 200
    reason_field = re.search(r'<input[^>]*name="line_1_reason"[^>]*>', refused.content.decode()).group(0)
    assert 'aria-invalid="true"' in reason_field
    assert "Line 1: say why it is approved only in part" in refused.content.decode()
    too_many = client.post(url, {**narrowed, "line_1_blocks": "5", "line_1_reason": "x"})
    assert "Line 1: cannot approve 5 blocks; 3 were requested." in too_many.content.decode()
    done = client.post(url, {**narrowed, "line_1_reason": "Management account out of scope."})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.state == "partially_approved"
    (engagement,) = Engagement.objects.all()
    detail = client.get(reverse("ood:engagement_detail", args=[engagement.pk])).content.decode()
    assert engagement.start_date.strftime("%-d %B %Y") in detail
    again = client.post(
        reverse("ood:request_deny", args=[request.pk]), {"version": request.version, "reason": "x"}
    )
    assert again.status_code == 302
    follow = client.get(again["Location"]).content.decode()
    assert "already partially approved; a decision is final" in follow
    assert (
        login(world["customer_b"]).get(reverse("ood:engagement_detail", args=[engagement.pk])).status_code
        == 404
    )


def test_deny_needs_a_reason_on_the_page(world, submit):
    request = submit()
    client = login(world["operations_reviewer"])
    url = reverse("ood:request_deny", args=[request.pk])
    refused = client.post(url, {"version": request.version, "reason": ""})
    assert refused.status_code == 200 and "Say why the request is denied." in refused.content.decode()
    assert client.post(url, {"version": request.version, "reason": "Not scoped."}).status_code == 302
    request.refresh_from_db()
    assert request.state == "denied"


def test_catalogue_pages(world, catalogue):
    customer = login(world["customer_a"])
    listing = customer.get(reverse("ood:offering_list")).content.decode()
    assert "EKS maintenance" in listing and "GBP 1450.00" in listing
    assert "SAP cluster management" not in listing and "Legacy patching" not in listing
    assert customer.get(reverse("ood:offering_create")).status_code == 403
    staff = login(world["account_manager"])
    response = staff.post(
        reverse("ood:offering_rate_create", args=[catalogue["eks"].pk]),
        {"rate": "1500.00", "currency": "GBP", "effective_from": "2027-02-02"},
    )
    assert response.status_code == 200
    assert "A rate takes effect on the first day of a month" in response.content.decode()
    # The same answer as the kit's own form pages (core.ui.views.form_page): the form again, 200.
    kit = staff.post(reverse("ood:offering_create"), {"name": ""})
    assert kit.status_code == response.status_code == 200 and 'aria-invalid="true"' in kit.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert OfferingRate.objects.filter(offering=catalogue["eks"], rate="1500.00").count() == 0
