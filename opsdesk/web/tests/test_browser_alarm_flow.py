"""Browser flow of alarms (issue 12, "Checked by"): a CloudWatch alarm arrives through Contoso's
SNS endpoint (signed as SNS signs, with the local stand-in's certificate), becomes a P2 incident
on the production EHR (the demo's priority rule), and pages the engineer on call; the engineer signs
in, finds the page on their pages list and acknowledges it; then an OK for the same alarm resolves
the alert. Debian's Chromium against a real `opsdesk runserver` with the demo data (conftest.py)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from email import message_from_bytes
from email.policy import default

from django.utils import timezone
from playwright.sync_api import expect

from opsdesk.demo.intake import CONTOSO_PRODUCTION, DEMO_SNS_TOKEN, alarm_notification
from opsdesk.inbox.tests import snsfixture
from opsdesk.web.tests.browser import BROWSER_FLOWS, login, logout, shot
from opsdesk.web.tests.conftest import sns_certificate_path

pytestmark = BROWSER_FLOWS

#: The demo team: the rota's engineer this week, or (in a gap) the whole team as the fallback.
PEOPLE = {
    "engineer@provider.example": "Jamie Chen",
    "cloud_support_manager@provider.example": "Rachel Evans",
    "head_of_customer_engineering@provider.example": "David Thompson",
    "service_desk@provider.example": "Sam Patel",
}


def send_alarm(server_url: str, name: str, state: str) -> dict:
    """POST one signed SNS notification of a CloudWatch alarm, as SNS does (text/plain JSON)."""
    document = alarm_notification(
        CONTOSO_PRODUCTION, name, state, timezone.now(), message_id=str(uuid.uuid4())
    )
    document.update(
        Timestamp=snsfixture._stamp(None),
        SigningCertURL=snsfixture.CERT_URL,
        UnsubscribeURL="https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    )
    request = urllib.request.Request(
        f"{server_url}/intake/sns/{DEMO_SNS_TOKEN}/",
        data=json.dumps(snsfixture.sign(document)).encode(),
        headers={"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
        return json.loads(response.read() or b"{}")


def paged_people(mail_dir, alarm: str, timeout: float = 20) -> list[str]:
    """Who the page about `alarm` was emailed to, read from the server's email files."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = message_from_bytes(raw.strip(), policy=default)
                if "[PAGE P2]" in str(message["Subject"]) and alarm in str(message["Subject"]):
                    found += [a.addr_spec for a in message["To"].addresses]
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"nobody was paged for {alarm}")


def test_an_alarm_pages_the_engineer_who_acknowledges_and_ok_resolves_the_alert(
    page, server_url, server_mail_dir, e2e_dir
):
    sns_certificate_path(e2e_dir).write_bytes(snsfixture.keys()[1])
    alarm = f"ch-ehr-e2e{uuid.uuid4().hex[:6]}-5xx"

    # The alarm arrives: stored, processed, raised as a P2 incident that pages whoever is on call.
    send_alarm(server_url, alarm, "ALARM")
    people = paged_people(server_mail_dir, alarm)
    assert set(people) <= set(PEOPLE), people
    engineer = "engineer@provider.example" if "engineer@provider.example" in people else people[0]

    # The engineer signs in: the page is on their pages list; they open it and acknowledge it.
    login(page, server_url, engineer)
    expect(page.get_by_test_id("my-open-pages")).to_be_visible()
    page.goto(f"{server_url}/oncall/?state=open&mine=yes")
    row = page.locator("#rows tr", has_text=alarm)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("New P1/P2 incident")
    expect(row).to_contain_text(PEOPLE[engineer])
    shot(page, "70-alarm-paged")
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/oncall/pages/\d+/$"))
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("page-state")).to_contain_text(f"Acknowledged by {PEOPLE[engineer]}")
    shot(page, "71-alarm-page-acknowledged")

    # The alert is open, linked to its P2 incident on the production EHR service.
    page.goto(f"{server_url}/alerts/")
    page.get_by_role("link", name=alarm).click()
    expect(page.get_by_test_id("alert-state")).to_contain_text("Open")
    expect(page.get_by_test_id("alert-state")).to_contain_text("P2")
    expect(page.get_by_test_id("alert-incident")).to_be_visible()

    # OK for the same alarm identity resolves the alert.
    send_alarm(server_url, alarm, "OK")
    page.reload()
    expect(page.get_by_test_id("alert-state")).to_contain_text("Resolved")
    expect(page.get_by_test_id("occurrence")).to_have_count(2)
    shot(page, "72-alarm-resolved")
    logout(page)
