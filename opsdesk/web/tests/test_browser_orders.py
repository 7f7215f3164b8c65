"""Orders in the browser (H1, issue 10 item 8): the staff desk shows orders awaiting acceptance with
the overdue one highlighted; the pipeline board fits a phone (390 px: its columns stack, the page
never scrolls sideways); a customer accepts a quote with its order form. Debian's Chromium against
the demo server."""

from __future__ import annotations

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, shot
from opsdesk.web.tests.test_browser_phone import PHONE, overflow, sign_in

pytestmark = BROWSER_FLOWS


def test_the_desk_panel_and_the_board_on_a_phone(browser, server_url):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, server_url, "account_manager@provider.example")
        panel = page.get_by_test_id("orders-awaiting-acceptance")
        expect(panel).to_be_visible()
        expect(panel.get_by_test_id("orders-overdue")).to_have_text("1 overdue")
        page.goto(f"{server_url}/orders/board/")
        board = page.get_by_test_id("board")
        expect(board).to_be_visible()
        expect(board.locator(".order-card.overdue")).to_have_count(1)
        expect(board.locator('[data-state="enabled"] .order-card')).to_have_count(1)
        assert overflow(page) == 0, "the order board scrolls sideways at 390 px"
        shot(page, "95-phone-order-board")
        board.locator(".order-card.overdue a").click()
        page.wait_for_url("**/orders/*/")
        expect(page.get_by_test_id("overdue")).to_be_visible()
        expect(page.get_by_test_id("timeline")).to_contain_text("Validated")
        assert overflow(page) == 0, "the order page scrolls sideways at 390 px"
    finally:
        context.close()


def test_a_customer_accepts_a_quote_with_the_order_form(page, server_url):
    login(page, server_url, "cto@fabrikam.example")
    page.goto(f"{server_url}/orders/")
    expect(page.locator("#rows tr")).to_have_count(1)  # Fabrikam's own order only
    page.locator("#rows a").first.click()
    page.wait_for_url("**/orders/*/")
    expect(page.get_by_test_id("quote-total")).to_have_text("9970.00")
    page.get_by_role("button", name="Accept the quote").click()
    page.get_by_label("Purchase order number").fill("PO-FAB-0042")
    page.get_by_label("Service name").fill("SageMaker research platform")
    page.get_by_label("Service reference").fill("FAB-SAGEMAKER")
    page.get_by_role("button", name="Accept quote and send order form").click()
    page.wait_for_url("**/orders/*/")
    expect(page.get_by_test_id("state")).to_have_text("Order form received")
    shot(page, "96-customer-accepted-quote")


def test_a_customer_raises_an_enquiry_and_cannot_accept_an_expired_quote(page, server_url):
    """Issue 10 item 7: a named contact raises an enquiry from the portal and sees it as their own;
    a quote past its valid-until day shows as expired, with no way to accept it."""
    login(page, server_url, "it@contoso.example")
    page.get_by_test_id("your-orders").get_by_role("link", name="Raise an enquiry").click()
    page.get_by_label("Title").fill("Amazon WorkSpaces for the call centre")
    page.get_by_label("Tell us more").fill("About 40 seats, eu-west-2.")
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_url("**/orders/*/")
    expect(page.get_by_test_id("state")).to_have_text("Enquiry")
    expect(page.get_by_test_id("enquirer")).to_have_text("Daniel Okafor")
    page.goto(f"{server_url}/orders/?q=Amazon+Connect")
    page.locator("#rows a").first.click()
    page.wait_for_url("**/orders/*/")
    expect(page.get_by_test_id("quote-status")).to_have_text("expired")
    expect(page.get_by_test_id("quote-expired")).to_contain_text("ask your account manager")
    expect(page.get_by_role("button", name="Accept the quote")).to_have_count(0)
    shot(page, "97-customer-expired-quote")
