"""Browser flow of on-call (issue 9 item 1, "Checked by"): a P1 logged by a customer pages the
engineer on call, who acknowledges from the link in the email, without signing in. Debian's
Chromium against a real `opsdesk runserver` with the demo data (conftest.py), whose emails are
written to files (server_mail_dir)."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot

pytestmark = BROWSER_FLOWS

CUSTOMER = "ops@northwind.example"
#: The demo rota's participants: whoever's week it is gets the page.
ON_CALL = {
    "engineer@provider.example": "Jamie Chen",
    "cloud_support_manager@provider.example": "Rachel Evans",
}


def page_email(mail_dir, reference: str, timeout: float = 20):
    """The page sent for `reference`, read from the server's email files."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = message_from_bytes(raw.strip(), policy=default)
                if "[PAGE P1]" in str(message["Subject"]) and reference in str(message["Subject"]):
                    return message
        time.sleep(0.3)
    raise AssertionError(f"no page was emailed for {reference}")


def test_a_customer_p1_pages_the_engineer_on_call_who_acknowledges_from_the_email(
    page, server_url, server_mail_dir
):
    # The customer logs a P1 on a production service at whatever hour the test runs.
    login(page, server_url, CUSTOMER)
    page.goto(f"{server_url}/incidents/new/")
    page.locator("#id_service_reference").select_option("NW-PROD-WEB")
    page.locator("input[name=priority][value=P1]").check()
    page.locator("#id_title").fill("Web shop down: every checkout answers 503")
    page.locator("#id_description").fill(
        "All checkouts fail with 503 since a few minutes ago; revenue stopped."
    )
    for box in page.locator("input[name=diagnostics_confirmed]").all():
        box.check()
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    reference = re.search(r"INC-\d+", page.get_by_role("heading", level=1).inner_text()).group(0)
    logout(page)

    # The engineer on call this week was emailed a page with their own acknowledgement link.
    message = page_email(server_mail_dir, reference)
    [to] = [str(a) for a in message["To"].addresses]
    assert to in ON_CALL, f"paged {to}, not the on-call rota"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"Acknowledge this page: (\S+)", body).group(1)
    assert link.startswith(server_url)

    # Opening the link (not signed in) shows the page and changes nothing until the button.
    page.goto(link)
    card = page.get_by_test_id("ack-link")
    expect(card).to_contain_text(reference)
    expect(card).to_contain_text(f"Sent to {ON_CALL[to]}")
    shot(page, "40-oncall-ack-link")
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("ack-done")).to_contain_text(f"Acknowledged by {ON_CALL[to]}")
    shot(page, "41-oncall-acknowledged")

    # The staff desk shows who is on call, and the page as acknowledged.
    login(page, server_url, "service_desk@provider.example")
    panel = page.get_by_test_id("oncall-now")
    expect(panel).to_contain_text("Primary on-call")
    expect(panel).to_contain_text(ON_CALL[to])
    page.locator(".mainnav").get_by_role("link", name="On-call", exact=True).click()
    page.wait_for_url("**/oncall/")
    row = page.locator("#rows tr", has_text=reference).filter(has_text="New P1/P2 incident")
    expect(row).to_contain_text(f"Acknowledged by {ON_CALL[to]}")
    shot(page, "42-oncall-pages")

    # The rota page: who is on call now and next, and the next four weeks' shifts.
    page.get_by_role("link", name="Rotas", exact=True).click()
    page.get_by_role("link", name="Primary on-call").click()
    expect(page.get_by_test_id("rota-now")).to_contain_text(ON_CALL[to])
    expect(page.get_by_test_id("feed-url")).to_contain_text("/oncall/feeds/")
    shot(page, "43-oncall-rota")
