"""Browser flows of incidents (C1–C7, B3) and calendars (B1) in Debian's Chromium against a real
`opsdesk runserver` process with demo data (the server and browser fixtures of test_browser.py).

The incident flow is one test so that it runs in order on one server under xdist: a customer logs a
P3 and fixes the missing description, the service desk acknowledges it from the queue, and the
customer escalates it. Nothing here depends on the wall clock: where the page differs in and out of
business hours (the clock start, "best endeavours"), the test checks what is shown either way.
"""

from __future__ import annotations

import re

import pytest

from opsdesk.web.tests.test_browser import (  # noqa: F401 - fixtures reused from the directory flows
    _short_timeouts,
    browser_context_args,
    browser_type_launch_args,
    login,
    server_url,
    shot,
)

pytestmark = [pytest.mark.browser]

CUSTOMER = "ops@northwind.example"
DESK = "service_desk@provider.example"


def logout(page) -> None:
    page.locator(".usermenu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")


def test_customer_logs_desk_acknowledges_customer_escalates(page, server_url):  # noqa: F811
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
    assert summary.is_visible()
    assert "Description" in summary.inner_text()
    assert page.locator("#field-description .field-error").inner_text() == "This field is required."
    # What was typed is kept; nothing was logged.
    assert page.locator("#id_title").input_value() == "Checkout pages slow since 10:00"
    assert page.locator("input[name=priority][value=P3]").is_checked()
    shot(page, "20-incident-log-error")

    page.locator("#id_description").fill("Checkout p95 latency is 20 s instead of 2 s; ALB 5xx at 3 %.")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    assert "logged as P3" in page.locator(".flash-success").inner_text()
    heading = page.get_by_role("heading", level=1).inner_text()
    reference = re.search(r"INC-\d+", heading).group(0)
    incident_url = page.url
    for key in ("initial", "considered"):
        target = page.get_by_test_id(f"target-{key}")
        assert target.is_visible()
        assert "Due" in target.inner_text()
        steps = page.get_by_test_id(f"target-{key}-explanation").locator("li")
        assert steps.count() >= 2
        assert "clock starts" in steps.first.inner_text()
    assert page.get_by_test_id("target-initial-status").inner_text() in ("Running", "Due soon")
    shot(page, "21-incident-logged-targets")
    logout(page)

    # (b) The service desk finds it in the queue and acknowledges it: the initial response is met.
    login(page, server_url, DESK)
    page.locator(".mainnav").get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    row = page.locator(f"#rows tr[data-reference='{reference}']")
    row.wait_for()
    countdown = row.locator("time.countdown")
    page.wait_for_function("el => /^(in|overdue by) /.test(el.textContent)", arg=countdown.element_handle())
    first = countdown.inner_text()
    page.wait_for_timeout(1_100)
    assert countdown.inner_text() != first, "the countdown ticks without a reload"
    shot(page, "22-incident-queue")
    page.get_by_role("searchbox").fill(reference)
    page.wait_for_url(f"**q={reference}**")
    page.wait_for_function("document.querySelectorAll('#rows tr').length === 1")
    page.locator("#rows").get_by_role("link", name=reference).click()
    page.wait_for_url(incident_url)
    shot(page, "23-incident-staff-new")
    page.get_by_test_id("action-acknowledge").get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(incident_url)
    assert "acknowledged" in page.locator(".flash-success").inner_text()
    assert page.locator(".incident-head .badge-state-acknowledged").inner_text() == "Acknowledged"
    assert page.get_by_test_id("target-initial-status").inner_text() == "Met"
    assert page.get_by_test_id("timeline").get_by_text("Initial response met").is_visible()
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
    flash = page.locator(".flash-success").inner_text()
    assert "Escalated to level 2" in flash
    level2 = page.get_by_test_id("escalation-2")
    assert level2.is_visible()
    assert "Level 2" in level2.inner_text() and "Cloud support manager" in level2.inner_text()
    assert "poor" in level2.inner_text().lower()
    assert page.get_by_test_id("escalation-ack-due").is_visible()
    assert page.get_by_test_id("escalation-response-due").is_visible()
    best_endeavours = level2.get_by_test_id("best-endeavours").count() == 1
    assert ("best-endeavours basis" in flash) == best_endeavours
    shot(page, "25-incident-escalated")

    page.locator(".mainnav").get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    assert page.locator(f"#rows tr[data-reference='{reference}']").is_visible()
    shot(page, "26-customer-incidents")


def test_staff_desk_calendars_and_checklist(page, server_url):  # noqa: F811
    login(page, server_url, "cloud_support_manager@provider.example")
    assert page.get_by_test_id("incidents-by-priority").is_visible()
    assert page.get_by_test_id("overdue-rcas").is_visible()
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
    assert page.get_by_test_id("closures").get_by_text("Company away day").is_visible()
    assert "recomputed" in page.locator(".flash-success").inner_text()
    assert page.get_by_test_id("holidays").get_by_text("Christmas Day").is_visible()
    shot(page, "29-calendar-detail")
    page.get_by_test_id("edit-hours").click()
    page.get_by_label("Friday").fill("09:00-12:00, 13:00-16:30")
    page.get_by_label("Monday").fill("9 to 5")
    page.get_by_role("button", name="Save working hours").click()
    assert "is not a span like" in page.locator("#field-monday .field-error").inner_text()
    shot(page, "30-calendar-hours-error")
    page.get_by_label("Monday").fill("09:00-17:00")
    page.get_by_role("button", name="Save working hours").click()
    page.wait_for_url(re.compile(r".*/calendars/\d+/$"))
    assert "13:00–16:30" in page.locator("table.week").inner_text()

    page.goto(f"{server_url}/incidents/checklist/")
    assert page.get_by_test_id("checklist").locator("tbody tr").count() >= 4
    shot(page, "31-diagnostics-checklist")
