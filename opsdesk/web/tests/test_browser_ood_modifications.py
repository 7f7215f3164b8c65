"""Browser flow of engagement modifications (issue 10, G5): a customer asks from the engagement page
for more blocks a month, sees a refused value named on its field, the operations reviewer must give
a reason to require scoping and approves instead, and the customer finds the new allocation in the
engagement's blocks by month. Debian's Chromium against a real `opsdesk runserver` with the demo
data (conftest.py)."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from opsdesk.ood import rules
from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

CUSTOMER = "ops@northwind.example"  # Northwind: the running Control Tower engagement of the demo
REVIEWER = "operations_reviewer@provider.example"


def test_request_a_change_review_and_history_by_month(page, server_url):
    # Three months ahead: later than the demo's own blocks change (the G4 month from today).
    effective = rules.first_of_month_after(dt.date.today(), 3)
    login(page, server_url, CUSTOMER)
    page.goto(f"{server_url}/ood/engagements/?account=318472659014&recurrence=monthly")
    page.get_by_role("link", name="Control Tower operations").first.click()
    page.wait_for_url("**/ood/engagements/*/")
    engagement_url = page.url
    page.get_by_test_id("request-change").click()
    page.locator('[name="requested_date"]').fill(f"{effective:%Y-%m-%d}")
    page.locator('[name="blocks"]').fill("0")
    page.get_by_role("button", name="Submit the change").click()
    expect(page.get_by_text("'0' is not a whole number of blocks from 1")).to_be_visible()
    shot(page, "ood-mod-01-refused-blocks")
    page.locator('[name="blocks"]').fill("3")
    page.locator('[name="notes"]').fill("New workload OU from the spring.")
    page.get_by_role("button", name="Submit the change").click()
    page.wait_for_url("**/ood/modifications/*/")
    expect(page.get_by_test_id("state")).to_have_text("Submitted")
    expect(page.get_by_test_id("changes")).to_contain_text("3 blocks a month")
    modification_url = page.url
    logout(page)

    login(page, server_url, REVIEWER)
    page.goto(modification_url)
    page.get_by_role("button", name="Require scoping").click()
    expect(page.get_by_text("Say what the CSDM needs to scope")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("state")).to_have_text("Approved")
    expect(page.get_by_test_id("effective")).to_contain_text(f"{effective:%B %Y}")
    shot(page, "ood-mod-02-approved")
    logout(page)

    login(page, server_url, CUSTOMER)
    page.goto(engagement_url)
    row = page.get_by_test_id("allocation-months").locator("tr", has_text=f"{effective:%B %Y}")
    expect(row).to_contain_text("3")
    expect(row).to_contain_text("MOD-")
    shot(page, "ood-mod-03-blocks-by-month")
