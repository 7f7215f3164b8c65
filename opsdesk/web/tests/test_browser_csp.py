"""The Content-Security-Policy (issue 7) in a real browser: the pages, htmx, the countdowns and the
API docs work, and Chromium reports no refused script, style or image."""

from __future__ import annotations

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login

pytestmark = BROWSER_FLOWS


def test_pages_work_under_the_content_security_policy(page, server_url):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))

    login(page, server_url, "service_desk@provider.example")
    assert page.context.request.get(f"{server_url}/").headers["content-security-policy"]
    bars = page.locator("svg.bar rect")
    expect(bars.first).to_be_attached()
    assert max(bars.nth(i).bounding_box()["width"] for i in range(bars.count())) > 10

    page.goto(f"{server_url}/organisations/")
    page.get_by_role("searchbox").fill("contoso")  # htmx swaps the table in place
    page.wait_for_url("**q=contoso**")
    expect(page.locator("#rows tr")).to_have_count(1)

    page.goto(f"{server_url}/incidents/")
    page.wait_for_load_state("networkidle")

    page.goto(f"{server_url}/status/")
    page.wait_for_load_state("networkidle")

    # Last: Swagger UI renders the large OpenAPI document slowly on a busy machine, and a
    # navigation away while it is still rendering waits on its busy renderer.
    page.goto(f"{server_url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("opsdesk API", timeout=60_000)
    assert refused == []
