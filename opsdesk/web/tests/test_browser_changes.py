"""Browser flow of change management (issue 11, D1–D5): a customer's change approver submits a
level-2 RFC through the form (a missing impact statement is named on its field) and finds it on the
change board; another customer's nominated approver approves a change the provider has approved,
from the approval panel, and it moves on to have its window agreed; and the whole level-2 flow to an
agreed window that the organisation's iCal feed holds. Debian's Chromium against a real
`opsdesk runserver` with the demo data (conftest.py)."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

NORTHWIND_APPROVER = "ops@northwind.example"
CONTOSO_APPROVER = "it@contoso.example"
NORTHWIND_SECOND_APPROVER = "change@northwind.example"


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
    expect(page.get_by_test_id("state")).to_have_text("Schedule")
    expect(panel.locator('tr[data-side="customer"]')).to_contain_text("Daniel Okafor")
    shot(page, "changes-03-approved")


def _weekday_ahead(days: int) -> dt.date:
    day = dt.date.today() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def test_a_level_2_rfc_is_approved_by_both_sides_scheduled_and_in_the_ical_feed(page, server_url):
    """Issue 11 item 11 (D1, D4–D6, E4): a customer approver submits a level-2 RFC; the provider
    documents it and approves; the customer's other approver approves; the provider agrees the
    window; the organisation's iCal feed (parsed with `icalendar`) holds the scheduled change."""
    login(page, server_url, NORTHWIND_APPROVER)
    page.goto(f"{server_url}/changes/all/new/")
    page.locator('[name="level"]').select_option("2")
    page.locator('[name="title"]').fill("Enable WAF managed rules on the storefront")
    page.locator('[name="description"]').fill("Attach the AWS managed core rule set to the storefront ALB.")
    page.locator('[name="impact_statement"]').fill("None expected; rules start in count mode.")
    page.get_by_role("button", name="Submit RFC").click()
    page.wait_for_url("**/changes/all/*/")
    reference = page.get_by_test_id("reference").inner_text()
    change_url = page.url
    logout(page)

    login(page, server_url, "engineer@provider.example")
    page.goto(change_url)
    page.get_by_role("button", name="Edit").click()
    for name, text in {
        "impact_assessment": "Count mode first; level 2 confirmed.",
        "engaged": "Olivia Hart and Amelia Grant; provider cloud engineering.",
        "statement_of_work": "Attach AWSManagedRulesCommonRuleSet in count mode, review, then block.",
        "backout_plan": "Detach the web ACL.",
        "cost_impact": "About 10 USD a month for the web ACL and rules.",
        "test_plan": "Checkout smoke tests by the customer.",
    }.items():
        page.locator(f'[name="{name}"]').fill(text)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(change_url)
    for state in ("identify", "impact_assessment", "engagement", "planning", "approval"):
        page.get_by_test_id("actions").get_by_role("button", name="Next step").click()
        page.locator('[name="to_state"]').select_option(state)
        page.get_by_role("button", name="Move").click()
        page.wait_for_url(change_url)
    page.get_by_test_id("actions").get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(change_url)
    expect(page.get_by_test_id("approval-panel").locator('tr[data-side="provider"]')).to_contain_text("Approved")
    logout(page)

    login(page, server_url, NORTHWIND_SECOND_APPROVER)
    page.goto(change_url)
    page.get_by_test_id("actions").get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(change_url)
    expect(page.get_by_test_id("state")).to_have_text("Schedule")
    logout(page)

    login(page, server_url, "engineer@provider.example")
    page.goto(change_url)
    page.get_by_test_id("actions").get_by_role("button", name="Agree the window").click()
    day = _weekday_ahead(7)
    page.locator('[name="starts_at"]').fill(f"{day:%Y-%m-%d}T10:00")
    page.locator('[name="ends_at"]').fill(f"{day:%Y-%m-%d}T12:00")
    page.get_by_role("button", name="Agree window").click()
    page.wait_for_url(change_url)
    expect(page.get_by_test_id("window")).to_contain_text(f"{day.day}")
    shot(page, "changes-04-scheduled")

    change_id = change_url.rstrip("/").rsplit("/", 1)[1]
    change = page.request.get(f"{server_url}/api/v1/changes/{change_id}").json()
    assert change["state"] == "scheduled" and change["window"]["starts_at"]
    organisation = change["organisation"]
    feed_url = page.request.get(f"{server_url}/api/v1/organisations/{organisation}/ical-feed").json()["url"]
    feed = page.request.get(feed_url)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(feed.body()).walk("VEVENT")}
    event = events[f"Change: {reference} Enable WAF managed rules on the storefront"]
    assert str(event["uid"]) == f"changes.change-{change_id}@opsdesk" and str(event["status"]) == "TENTATIVE"
    assert event.decoded("dtstart") == dt.datetime.fromisoformat(change["window"]["starts_at"])
