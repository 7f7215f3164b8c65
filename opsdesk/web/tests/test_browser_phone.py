"""At phone width (390 px, issue 9): the staff queue fits the screen (the body never scrolls
sideways; a wide table scrolls inside its own box), and the navigation collapses behind a menu
button that opens it and whose links work. In Debian's Chromium against the demo server."""

from __future__ import annotations

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, PASSWORD, shot

pytestmark = BROWSER_FLOWS

DESK = "service_desk@provider.example"
CUSTOMER = "ops@northwind.example"
PHONE = {"width": 390, "height": 844}


def overflow(page) -> int:
    """How far the page is wider than the screen, in CSS pixels (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_the_queue_and_its_navigation_work_on_a_phone(browser, server_url):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, server_url, DESK)
        assert overflow(page) == 0
        page.goto(f"{server_url}/incidents/")
        expect(page.get_by_test_id("result-count")).to_be_visible()
        assert overflow(page) == 0, "the queue page scrolls sideways at 390 px"
        # The navigation is collapsed behind its menu button, and opens to working links.
        nav = page.locator(".mainnav")
        expect(nav).to_be_hidden()
        menu = page.get_by_text("Menu", exact=True)
        expect(menu).to_be_visible()
        menu.click()
        expect(nav).to_be_visible()
        link = nav.get_by_role("link", name="RCAs", exact=True)
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert overflow(page) == 0
        shot(page, "90-phone-queue-menu")
        link.click()
        page.wait_for_url("**/rcas/**")
        assert overflow(page) == 0
        # An incident page fits too.
        page.goto(f"{server_url}/incidents/")
        page.locator("#rows a.mono").first.click()
        page.wait_for_url("**/incidents/*/")
        assert overflow(page) == 0, "the incident page scrolls sideways at 390 px"
        shot(page, "91-phone-incident")
    finally:
        context.close()


def test_customer_pages_fit_a_phone(browser, server_url):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, server_url, CUSTOMER)
        for path in ("/", "/incidents/", "/incidents/new/"):
            page.goto(f"{server_url}{path}")
            assert overflow(page) == 0, f"{path} scrolls sideways at 390 px"
    finally:
        context.close()
