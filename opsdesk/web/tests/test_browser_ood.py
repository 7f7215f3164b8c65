"""Browser flow of Operations on Demand (issue 10, G2–G4): a customer requests two offerings for two
accounts through the request form, sees a refused line named on its line, the operations reviewer
approves one line in part with a reason, and the customer finds the decision and the engagements.
Debian's Chromium against a real `opsdesk runserver` with the demo data (conftest.py)."""

from __future__ import annotations

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

CUSTOMER = "ops@northwind.example"  # Northwind: accelerate plan, all-features management account
REVIEWER = "operations_reviewer@provider.example"


def test_request_partial_approval_and_engagements(page, server_url):
    login(page, server_url, CUSTOMER)
    page.goto(f"{server_url}/ood/requests/new/")
    page.locator('[name="submitting_account"]').fill("204815637290")
    page.locator('[name="lines-0-offering"]').select_option(label="EKS maintenance")
    page.locator('[name="lines-0-blocks"]').fill("3")
    page.locator('[name="lines-0-accounts"]').fill("318472659014, 427593810265")
    page.locator('[name="lines-1-offering"]').select_option(label="SAP cluster management")
    page.locator('[name="lines-1-blocks"]').fill("1.5")
    page.locator('[name="lines-1-accounts"]').fill("318472659014")
    page.get_by_role("button", name="Submit request").click()
    line_2 = page.get_by_test_id("line-2")
    expect(line_2).to_contain_text("Line 2: '1.5' is not a whole number of blocks")
    expect(page.get_by_test_id("line-1")).not_to_contain_text("is not")
    shot(page, "ood-01-request-line-error")
    page.locator('[name="lines-1-blocks"]').fill("2")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url("**/ood/requests/*/")
    expect(page.get_by_test_id("state")).to_have_text("Submitted")
    request_url = page.url
    logout(page)

    login(page, server_url, REVIEWER)
    page.goto(request_url)
    page.locator('[name="line_1_blocks"]').fill("2")
    page.locator('[name="line_1_accounts"]').fill("318472659014")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Line 1: say why it is approved only in part")).to_be_visible()
    page.locator('[name="line_1_reason"]').fill("Development is out of scope this quarter.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("state")).to_have_text("Partially approved")
    shot(page, "ood-02-partially-approved")
    logout(page)

    login(page, server_url, CUSTOMER)
    page.goto(request_url)
    expect(page.get_by_test_id("line-1")).to_contain_text("2 blocks for 318472659014")
    expect(page.get_by_test_id("line-1")).to_contain_text("Development is out of scope this quarter.")
    engagements = page.locator("section", has_text="Engagements").get_by_role("link")
    expect(engagements).to_have_count(2)  # EKS and SAP, both for production
    engagements.first.click()
    page.wait_for_url("**/ood/engagements/*/")
    expect(page.get_by_test_id("start")).to_contain_text("G4 rule")
    shot(page, "ood-03-engagement")
