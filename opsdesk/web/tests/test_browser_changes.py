"""Browser flow of change management (issue 11, D1–D5): a customer's change approver submits a
level-2 RFC through the form (a missing impact statement is named on its field) and finds it on the
change board; another customer's nominated approver approves a change the provider has approved,
from the approval panel, and it moves to implementation. Debian's Chromium against a real
`opsdesk runserver` with the demo data (conftest.py)."""

from __future__ import annotations

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

NORTHWIND_APPROVER = "ops@northwind.example"
CONTOSO_APPROVER = "it@contoso.example"


def test_an_approver_submits_an_rfc_and_another_approves_a_change(page, server_url):
    login(page, server_url, NORTHWIND_APPROVER)
    page.goto(f"{server_url}/changes/")
    page.get_by_test_id("new-rfc").click()
    page.locator('[name="level"]').select_option("2")
    page.locator('[name="title"]').fill("Add a CloudFront distribution for images")
    page.locator('[name="description"]').fill("Serve product images through CloudFront.")
    page.get_by_role("button", name="Submit RFC").click()
    expect(page.locator("#impact_statement-error")).to_contain_text("required")
    page.locator('[name="impact_statement"]').fill("None: new distribution, DNS switch later.")
    page.get_by_role("button", name="Submit RFC").click()
    page.wait_for_url("**/changes/all/*/")
    expect(page.get_by_test_id("state")).to_have_text("Confirm need")
    expect(page.get_by_test_id("priority")).to_have_text("P3")
    reference = page.get_by_test_id("reference").inner_text()
    shot(page, "changes-01-rfc-submitted")
    page.goto(f"{server_url}/changes/")
    column = page.locator('section[data-state="confirm_need"]')
    expect(column).to_contain_text(reference)
    shot(page, "changes-02-board")
    logout(page)

    login(page, server_url, CONTOSO_APPROVER)
    page.goto(f"{server_url}/changes/")
    page.locator('section[data-state="approval"]').get_by_role("link").first.click()
    page.wait_for_url("**/changes/all/*/")
    panel = page.get_by_test_id("approval-panel")
    expect(panel.locator('tr[data-side="provider"]')).to_contain_text("Approved")
    expect(panel.locator('tr[data-side="customer"]')).to_contain_text("waiting")
    page.get_by_test_id("actions").get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/changes/all/*/")
    expect(page.get_by_test_id("state")).to_have_text("Implement")
    expect(panel.locator('tr[data-side="customer"]')).to_contain_text("Daniel Okafor")
    shot(page, "changes-03-approved")
