"""Browser flows of incidents (C1–C7, B3) and calendars (B1) in Debian's Chromium against a real
`opsdesk runserver` process with demo data (conftest.py).

The incident flow is one test so that it runs in order on one server under xdist: a customer logs a
P3 and fixes the missing description, the service desk acknowledges it from the queue, and the
customer escalates it. Nothing here depends on the wall clock: where the page differs in and out of
business hours (the clock start, "best endeavours"), the test checks what is shown either way.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

CUSTOMER = "ops@northwind.example"
DESK = "service_desk@provider.example"


def test_customer_logs_desk_acknowledges_customer_escalates(page, server_url):
    # (a) The customer logs a P3 on a production service, forgets the description, fixes it.
    login(page, server_url, CUSTOMER)
    page.locator(".mainnav").get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    page.get_by_test_id("create").click()
    page.wait_for_url("**/incidents/new/")
    page.locator("#id_service_reference").select_option("NW-PROD-WEB")
    page.locator("input[name=priority][value=P3]").check()
    page.locator("#id_title").fill("Checkout pages slow since 10:00")
    for box in page.locator("input[name=diagnostics_confirmed]").all():
        box.check()
    page.get_by_role("button", name="Log incident").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Description")
    expect(page.locator("#field-description .field-error")).to_have_text("This field is required.")
    # What was typed is kept; nothing was logged.
    expect(page.locator("#id_title")).to_have_value("Checkout pages slow since 10:00")
    expect(page.locator("input[name=priority][value=P3]")).to_be_checked()
    shot(page, "20-incident-log-error")

    page.locator("#id_description").fill("Checkout p95 latency is 20 s instead of 2 s; ALB 5xx at 3 %.")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    expect(page.locator(".flash-success")).to_contain_text("logged as P3")
    heading = page.get_by_role("heading", level=1).inner_text()
    reference = re.search(r"INC-\d+", heading).group(0)
    incident_url = page.url
    for key in ("initial", "considered"):
        target = page.get_by_test_id(f"target-{key}")
        expect(target).to_be_visible()
        expect(target).to_contain_text("Due")
        steps = page.get_by_test_id(f"target-{key}-explanation").locator("li")
        expect(steps.nth(1)).to_be_attached()
        expect(steps.first).to_contain_text("clock starts")
    expect(page.get_by_test_id("target-initial-status")).to_have_text(re.compile(r"^(Running|Due soon)$"))
    shot(page, "21-incident-logged-targets")
    logout(page)

    # (b) The service desk finds it in the queue and acknowledges it: the initial response is met.
    login(page, server_url, DESK)
    page.locator(".mainnav").get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    row = page.locator(f"#rows tr[data-reference='{reference}']")
    row.wait_for()
    countdown = row.locator("time.countdown")
    # countdown.js keeps it current (data-state is its mark), in the one duration format of pages.
    page.wait_for_function("el => el.hasAttribute('data-state')", arg=countdown.element_handle())
    assert re.fullmatch(
        r"in (\d+ h( \d+ min)?|\d+ min|under 1 min)|(\d+ h( \d+ min)?|\d+ min|under 1 min) overdue",
        countdown.inner_text(),
    ), countdown.inner_text()
    shot(page, "22-incident-queue")
    page.get_by_role("searchbox").fill(reference)
    page.wait_for_url(f"**q={reference}**")
    page.wait_for_function("document.querySelectorAll('#rows tr').length === 1")
    page.locator("#rows").get_by_role("link", name=reference).click()
    page.wait_for_url(incident_url)
    shot(page, "23-incident-staff-new")
    page.get_by_test_id("action-acknowledge").get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(incident_url)
    expect(page.locator(".flash-success")).to_contain_text("acknowledged")
    expect(page.locator(".incident-head .badge-state-acknowledged")).to_have_text("Acknowledged")
    expect(page.get_by_test_id("target-initial-status")).to_have_text("Met")
    expect(page.get_by_test_id("timeline").get_by_text("Initial response met")).to_be_visible()
    shot(page, "24-incident-acknowledged")
    logout(page)

    # (c) The customer escalates it, giving a criterion and details.
    login(page, server_url, CUSTOMER)
    page.goto(incident_url)
    escalate = page.get_by_test_id("action-escalate")
    escalate.locator("summary").click()
    escalate.get_by_label("Why are you escalating?").select_option("poor_updates")
    escalate.get_by_label("Details").fill("No update for two hours while checkout is slow.")
    escalate.get_by_role("button", name="Escalate").click()
    page.wait_for_url(incident_url)
    expect(page.locator(".flash-success")).to_contain_text("Escalated to level 2")
    flash = page.locator(".flash-success").inner_text()
    level2 = page.get_by_test_id("escalation-2")
    expect(level2).to_contain_text("Level 2")
    expect(level2).to_contain_text("Cloud support manager")
    expect(level2).to_contain_text("poor", ignore_case=True)
    expect(page.get_by_test_id("escalation-ack-due")).to_be_visible()
    expect(page.get_by_test_id("escalation-response-due")).to_be_visible()
    best_endeavours = level2.get_by_test_id("best-endeavours").count() == 1
    assert ("best-endeavours basis" in flash) == best_endeavours
    shot(page, "25-incident-escalated")

    page.locator(".mainnav").get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    expect(page.locator(f"#rows tr[data-reference='{reference}']")).to_be_visible()
    shot(page, "26-customer-incidents")


def test_staff_desk_calendars_and_checklist(page, server_url):
    login(page, server_url, "cloud_support_manager@provider.example")
    expect(page.get_by_test_id("incidents-by-priority")).to_be_visible()
    expect(page.get_by_test_id("overdue-rcas")).to_be_visible()
    shot(page, "27-staff-desk-incidents")

    page.locator(".mainnav").get_by_role("link", name="Calendars", exact=True).click()
    page.wait_for_url("**/calendars/")
    shot(page, "28-calendars")
    page.get_by_test_id("calendars").get_by_role("link", name="uk", exact=True).click()
    page.wait_for_url(re.compile(r".*/calendars/\d+/$"))
    page.get_by_test_id("add-closure").click()
    page.get_by_label("Date").fill("2031-03-04")
    page.get_by_label("Reason").fill("Company away day")
    page.get_by_role("button", name="Add closure").click()
    page.wait_for_url("**?year=2031")
    expect(page.get_by_test_id("closures").get_by_text("Company away day")).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("recomputed")
    expect(page.get_by_test_id("holidays").get_by_text("Christmas Day")).to_be_visible()
    shot(page, "29-calendar-detail")
    page.get_by_test_id("edit-hours").click()
    page.get_by_label("Friday").fill("09:00-12:00, 13:00-16:30")
    page.get_by_label("Monday").fill("9 to 5")
    page.get_by_role("button", name="Save working hours").click()
    expect(page.locator("#field-monday .field-error")).to_contain_text("is not a span like")
    shot(page, "30-calendar-hours-error")
    page.get_by_label("Monday").fill("09:00-17:00")
    page.get_by_role("button", name="Save working hours").click()
    page.wait_for_url(re.compile(r".*/calendars/\d+/$"))
    expect(page.locator("table.week")).to_contain_text("13:00–16:30")

    page.goto(f"{server_url}/incidents/checklist/")
    expect(page.get_by_test_id("checklist").locator("tbody tr").nth(3)).to_be_attached()
    shot(page, "31-diagnostics-checklist")
