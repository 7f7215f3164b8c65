"""Maintenance in the browser (E2–E4): an engineer runs the demo's in-window patching through its
lifecycle from the maintenance page (ended early, then completed); a customer's change approver sees
their own calendar, whose iCal feed address serves a calendar that parses with `icalendar` and holds
their declared window. Debian's Chromium against the demo server."""

from __future__ import annotations

from icalendar import Calendar
from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, shot

pytestmark = BROWSER_FLOWS


def test_an_engineer_runs_maintenance_through_its_lifecycle(page, server_url):
    login(page, server_url, "engineer@provider.example")
    page.get_by_role("link", name="Maintenance", exact=True).click()
    page.wait_for_url("**/maintenance/")
    page.get_by_role("link", name="Maintenance: Monthly OS patching (web tier)").click()
    page.wait_for_url("**/maintenance/provider/*/")
    expect(page.get_by_test_id("in-window")).to_have_text("Inside the agreed window")
    for action, state in (
        ("Start the maintenance", "In progress"),
        ("End the work and verify", "Verifying"),
        ("Complete the maintenance", "Completed"),
    ):
        page.get_by_role("button", name=action).click()
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/maintenance/provider/*/")
        expect(page.get_by_test_id("state")).to_have_text(state)
    expect(page.get_by_test_id("ended-early")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("Jamie Chen")
    shot(page, "97-maintenance-completed")


def test_a_customer_sees_their_calendar_and_its_ical_feed(page, server_url):
    login(page, server_url, "it@contoso.example")
    page.goto(f"{server_url}/maintenance/")
    expect(page.get_by_test_id("agreed-window")).to_contain_text("Saturday 22:00–02:00")
    expect(page.locator("main")).to_contain_text("Customer maintenance: Clinic site power maintenance")
    expect(page.locator("main")).not_to_contain_text("Northwind")
    url = page.get_by_test_id("feed-url").locator("input").input_value()
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    summaries = [str(e["summary"]) for e in Calendar.from_ical(response.body()).walk("VEVENT")]
    # "<kind>: <reference> <title>", e.g. "Customer maintenance: CMW-1 Clinic site power maintenance"
    assert any(
        s.startswith("Customer maintenance: CMW-") and s.endswith(" Clinic site power maintenance")
        for s in summaries
    ), summaries
    # The provider-wide maintenance every customer is told about is in their calendar too (E4).
    assert any(s.startswith("Provider-wide maintenance: ") for s in summaries), summaries
    shot(page, "98-customer-maintenance-calendar")
