"""The Playwright flow of issue 10, end to end: a customer's named contact requests two offerings for
two accounts (one request, two lines; a bad line is named on its line first, then fixed), the
operations reviewer approves in part (fewer blocks on one line, one account fewer on the other, with
a reason, on a start date agreed for today), an engineer kicks off one engagement and logs time on
it, and the customer finds the hours on their balance and the billed blocks and amount on this
month's statement. Debian's Chromium against a real `opsdesk runserver` with the demo data
(conftest.py); screenshots in test-artifacts/screenshots/ood-flow-*.png."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

CUSTOMER = "ops@northwind.example"  # Northwind: accelerate plan, all-features management account
REVIEWER = "operations_reviewer@provider.example"
ENGINEER = "engineer@provider.example"  # Jamie Chen
MANAGEMENT, PRODUCTION, DEVELOPMENT = "204815637290", "318472659014", "427593810265"
#: The demo's EKS maintenance rate this month (a new rate applies only from next January).
EKS_RATE = "1450.00"


def test_issue_10_request_review_time_balance_and_statement(page, server_url):
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    month = f"{today:%Y-%m}"

    # 1. The customer asks for EKS maintenance and SAP cluster management, each for two accounts.
    login(page, server_url, CUSTOMER)
    page.goto(f"{server_url}/ood/requests/new/")
    page.locator('[name="submitting_account"]').fill(MANAGEMENT)
    page.locator('[name="lines-0-offering"]').select_option(label="EKS maintenance")
    page.locator('[name="lines-0-blocks"]').fill("3")
    page.locator('[name="lines-0-accounts"]').fill(f"{PRODUCTION}, {DEVELOPMENT}")
    page.locator('[name="lines-1-offering"]').select_option(label="SAP cluster management")
    page.locator('[name="lines-1-blocks"]').fill("0")
    page.locator('[name="lines-1-accounts"]').fill(f"{PRODUCTION}, {DEVELOPMENT}")
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_test_id("line-2")).to_contain_text("Line 2: '0' is not a whole number of blocks")
    expect(page.get_by_test_id("line-1")).not_to_contain_text("is not")
    shot(page, "ood-flow-01-request-line-error")
    page.locator('[name="lines-1-blocks"]').fill("2")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url("**/ood/requests/*/")
    expect(page.get_by_test_id("state")).to_have_text("Submitted")
    shot(page, "ood-flow-02-request-submitted")
    request_url = page.url
    logout(page)

    # 2. The reviewer approves in part: line 1 with 2 of 3 blocks, line 2 for production only.
    login(page, server_url, REVIEWER)
    page.goto(request_url)
    shot(page, "ood-flow-03-review")
    page.locator('[name="line_1_blocks"]').fill("2")
    page.locator('[name="line_2_accounts"]').fill(PRODUCTION)
    page.locator('[name="line_2_reason"]').fill("Development has no SAP cluster yet.")
    page.locator('[name="agreed_start"]').fill(today.isoformat())
    page.locator('[name="agreed_with"]').fill("Olivia Hart (Northwind), by phone")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Line 1: say why it is approved only in part")).to_be_visible()
    page.locator('[name="line_1_reason"]').fill("Two blocks cover this quarter's upgrades.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("state")).to_have_text("Partially approved")
    approved = [page.get_by_test_id(f"line-{n}").locator("td").last for n in (1, 2)]
    expect(approved[0]).to_contain_text(f"2 blocks for {PRODUCTION}, {DEVELOPMENT}")
    expect(approved[1]).to_contain_text(f"2 blocks for {PRODUCTION} — Development has no SAP cluster yet.")
    engagements = page.locator("section", has_text="Engagements").get_by_role("link")
    expect(engagements).to_have_count(3)  # EKS for both accounts, SAP for production
    shot(page, "ood-flow-04-partially-approved")
    logout(page)

    # 3. The engineer kicks off the EKS engagement of production and logs time on it.
    login(page, server_url, ENGINEER)
    page.goto(request_url)
    page.get_by_role("link", name=f"EKS maintenance · {PRODUCTION}").click()
    page.wait_for_url("**/ood/engagements/*/")
    engagement_url = page.url
    expect(page.get_by_test_id("kick-off")).to_contain_text("Starts by")
    shot(page, "ood-flow-05-engagement-not-started")
    page.get_by_role("button", name="Record kick-off").click()
    expect(page.get_by_test_id("kick-off")).to_contain_text("Started")
    expect(page.get_by_test_id("kick-off")).to_contain_text("engineer Jamie Chen")
    page.locator(".actions a", has_text="Log time").click()
    page.locator('[name="work_date"]').fill(today.isoformat())
    page.locator('[name="hours"]').fill("21.5")
    page.locator('[name="description"]').fill("EKS 1.31 upgrade of the production cluster and its add-ons.")
    shot(page, "ood-flow-06-log-time")
    page.get_by_role("button", name="Log time").click()
    page.wait_for_url(engagement_url)
    expect(page.get_by_test_id("usage")).to_contain_text("21.50 of 40 hours used")
    expect(page.get_by_test_id("usage")).to_contain_text("2 blocks billed so far")
    shot(page, "ood-flow-07-engagement-time-logged")
    logout(page)

    # 4. The customer sees the hours on their balance and the billed blocks on the statement.
    login(page, server_url, CUSTOMER)
    page.goto(f"{server_url}/ood/balance/")
    row = page.get_by_test_id("balance").locator("tr", has_text="EKS maintenance").filter(has_text=PRODUCTION)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"2 blocks \(40(\.00)? h\)"))
    expect(row).to_contain_text(re.compile(r"21\.50 of 40(\.00)? h"))
    shot(page, "ood-flow-08-balance")
    page.get_by_role("link", name="Northwind Trading").click()
    page.wait_for_url(f"**/ood/statements/*/?month={month}")
    expect(page.get_by_test_id("statement-state")).to_contain_text("Open")
    line = page.get_by_test_id("statement").locator("tbody tr", has_text="EKS maintenance").filter(
        has_text=PRODUCTION
    )
    cells = line.locator("td")
    expect(cells.nth(3)).to_have_text("2")  # allocated blocks
    expect(cells.nth(4)).to_have_text("21.50")  # hours used
    expect(cells.nth(5)).to_have_text("2")  # billed: min(2, ceil(21.5 / 20))
    expect(cells.nth(7)).to_have_text(f"GBP {EKS_RATE}")
    expect(cells.nth(8)).to_have_text("GBP 2900.00")
    shot(page, "ood-flow-09-statement")
