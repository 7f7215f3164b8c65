"""Browser flows of the directory (A, L4) in Debian's Chromium against a real `opsdesk runserver`
process with demo data (conftest.py)."""

from __future__ import annotations

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, shot

pytestmark = BROWSER_FLOWS


def test_login_page_and_bad_password(page, server_url):
    page.goto(f"{server_url}/organisations/")
    assert "/login/" in page.url
    shot(page, "01-login")
    page.get_by_label("Email").fill("service_desk@provider.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-errors")).to_be_visible()


def test_staff_walks_the_directory(page, server_url):
    login(page, server_url, "service_desk@provider.example")
    expect(page.get_by_role("heading", name="Staff desk")).to_be_visible()
    shot(page, "02-staff-desk")

    page.get_by_role("link", name="Organisations", exact=True).first.click()
    page.wait_for_url("**/organisations/")
    expect(page.get_by_role("link", name="Northwind Trading")).to_be_visible()
    # Sorting by a header link swaps the table in place; the filter form then keeps that sort.
    names = page.locator("#rows tr td:first-child a")
    expect(names.first).to_have_text("Contoso Health")
    page.locator("th a.sort-link", has_text="Name").click()
    page.wait_for_url("**sort=-name**")
    page.wait_for_function("document.querySelector('#rows a').textContent.includes('Northwind')")
    # The filter form refreshes the table in place (htmx) and keeps the URL shareable.
    page.get_by_role("searchbox").fill("contoso")
    page.wait_for_url("**q=contoso**")
    assert "sort=-name" in page.url
    page.locator("#rows").get_by_role("link", name="Contoso Health").wait_for()
    expect(page.locator("#rows tr")).to_have_count(1)
    shot(page, "03-organisations-filtered")
    page.get_by_role("searchbox").fill("")
    page.locator("#rows").get_by_role("link", name="Northwind Trading").click()

    page.wait_for_url("**/organisations/*/")
    expect(page.get_by_role("heading", name="Northwind Trading")).to_be_visible()
    members = page.get_by_test_id("account-structure").locator("ul li")  # accounts under management
    expect(members.nth(2)).to_be_attached()
    shot(page, "04-organisation")

    page.get_by_role("link", name="Accounts", exact=True).first.click()
    page.wait_for_url("**/accounts/")
    page.get_by_role("link", name="318472659014").first.click()
    page.wait_for_url("**/accounts/*/")
    shot(page, "05-account")

    page.get_by_role("link", name="Contacts", exact=True).first.click()
    page.get_by_role("link", name="Olivia Hart").click()
    page.wait_for_url("**/contacts/*/")
    expect(page.locator(".badge-flag").first).to_be_visible()
    shot(page, "06-contact")

    page.get_by_role("link", name="Services", exact=True).first.click()
    page.get_by_role("link", name="NW-PROD-WEB").click()
    page.wait_for_url("**/services/*/")
    expect(page.locator(".runbook .prose").first).to_be_visible()
    shot(page, "07-service-runbook")

    page.get_by_role("link", name="History").first.click()
    page.wait_for_url("**/history/")
    expect(page.locator("article.event").first).to_be_visible()
    shot(page, "08-history")


def test_staff_creates_an_account_after_fixing_the_id(page, server_url):
    login(page, server_url, "service_desk@provider.example")
    page.goto(f"{server_url}/accounts/new/")
    page.get_by_label("Organisation").select_option(label="Contoso Health")
    page.get_by_label("AWS account id").fill("12345678901")
    page.get_by_label("Name", exact=True).fill("Contoso analytics")
    page.get_by_label("Regions").fill("eu-west-2")
    page.get_by_role("button", name="Create account").click()
    error = page.locator("#field-account_id .field-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("account id", ignore_case=True)
    shot(page, "09-account-form-error")

    page.get_by_label("AWS account id").fill("123456789012")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/*/")
    expect(page.get_by_role("heading", name="123456789012")).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("created")
    shot(page, "10-account-created")


def test_customer_sees_only_their_organisation(page, server_url):
    # Learn another organisation's URL as staff first, sign out through the user menu, then sign in
    # as the customer.
    login(page, server_url, "service_desk@provider.example")
    page.goto(f"{server_url}/organisations/?q=contoso")
    contoso_url = page.locator("#rows").get_by_role("link", name="Contoso Health").get_attribute("href")
    page.locator(".usermenu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")

    login(page, server_url, "ops@northwind.example")
    expect(page.get_by_role("heading", name="Northwind Trading")).to_be_visible()
    expect(page.get_by_text("Customer portal")).to_be_visible()
    expect(page.get_by_test_id("account-structure")).to_be_visible()
    shot(page, "11-customer-home")

    page.get_by_role("link", name="Accounts", exact=True).first.click()
    page.wait_for_url("**/accounts/")
    rows = page.locator("#rows tr")
    expect(rows).to_have_count(4)
    expect(page.get_by_role("link", name="New account")).to_have_count(0)
    shot(page, "12-customer-accounts")

    response = page.goto(f"{server_url}{contoso_url}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert "Contoso" not in page.content()
    shot(page, "13-customer-404")


def test_administrator_edits_an_organisation_and_sees_users(page, server_url):
    login(page, server_url, "administrator@provider.example")
    page.goto(f"{server_url}/organisations/?q=fabrikam")
    page.locator("#rows").get_by_role("link", name="Fabrikam Labs").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    page.wait_for_url("**/edit/")
    shot(page, "14-organisation-edit")
    page.get_by_label("Notes").fill("Onboarding kick-off done; first account next week.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/organisations/*/")
    expect(page.locator(".flash-success")).to_contain_text("saved")
    page.get_by_role("button", name="History").click()
    expect(page.locator("table.changes").first.get_by_text("first account next week")).to_be_visible()

    page.get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url("**/users/")
    expect(page.locator("#rows tr").nth(13)).to_be_attached()
    shot(page, "15-users")
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_label("Verification").select_option("stale")
    page.wait_for_url("**verification=stale**")
    shot(page, "16-contacts-not-verified")
