"""Browser flow of the SLA report (issue 9, item 2) in Debian's Chromium against the demo server
(conftest.py): a customer opens their report from the navigation and sees this month's compliance
on the chart, with its text alternative; asking for another organisation's report is refused."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, shot

pytestmark = BROWSER_FLOWS

CUSTOMER = "ops@northwind.example"


def test_customer_report_shows_this_months_compliance_chart(page, server_url):
    login(page, server_url, CUSTOMER)
    page.locator(".mainnav").get_by_role("link", name="SLA report").click()
    page.wait_for_url("**/reports/sla/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwind Trading")

    chart = page.get_by_test_id("sla-compliance")
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_have_text(re.compile("SLA compliance by month"))
    expect(chart).to_have_attribute("role", "img")
    # Only the customer's own organisation: no chart of breaches across organisations.
    expect(page.get_by_test_id("sla-breaches")).to_have_count(0)

    # This month (provider time) is the chart's last month: its figure is written on the chart and
    # in the table under it (opened from its summary), the same in both.
    month = dt.datetime.now(ZoneInfo("Europe/London")).strftime("%b %Y")
    page.get_by_test_id("sla-compliance-figure").locator("summary").click()
    row = page.get_by_test_id("sla-compliance-table").locator("tr").filter(has_text=month)
    expect(row).to_be_visible()
    figure = row.locator("td").first.inner_text()
    point = chart.locator(f'text[data-month="{month}"]')
    expect(point).to_have_text(figure if figure.endswith("%") else "–")
    shot(page, "60-customer-sla-report")

    # Another organisation's report (the demo has three): refused, naming the organisation asked for.
    own = page.locator(".mainnav").get_by_role("link", name="Organisation", exact=True).get_attribute("href")
    other = next(pk for pk in (1, 2, 3) if f"/{pk}/" not in own)
    response = page.goto(f"{server_url}/reports/sla/?organisation={other}")
    assert response.status == 404
    expect(page.get_by_test_id("report-error")).to_contain_text(f"no organisation with id {other}")
    expect(page.get_by_test_id("sla-compliance")).to_have_count(0)
