"""Browser flow of the inbox (issue 12): an administrator makes an SNS endpoint for an
organisation and copies its address; what arrives there — here a message that is not JSON — is
refused, recorded and shown in the inbox with its reason and no re-process button; rotating the
token retires the old address. Debian's Chromium against a real server with the demo data."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, shot

pytestmark = BROWSER_FLOWS

ADMIN = "administrator@provider.example"
TOPIC = "arn:aws:sns:eu-west-2:123456789012:alarms"


def test_an_sns_endpoint_is_made_and_what_it_refuses_is_shown(page, server_url):
    login(page, server_url, ADMIN)
    page.get_by_role("link", name="Inbox", exact=True).click()
    page.get_by_role("link", name="SNS endpoints").click()
    page.goto(f"{server_url}/inbox/sns/new/")
    page.locator("#id_organisation").select_option(index=0)
    page.locator("#id_description").fill("CloudWatch alarms")
    page.locator("#id_topic_arns").fill(TOPIC)
    page.get_by_role("button", name="Create endpoint").click()
    address = page.get_by_test_id("endpoint").inner_text()
    assert re.fullmatch(r"https?://[^/]+/intake/sns/sns_[\w-]+/", address), address
    shot(page, "95-inbox-sns-endpoint")

    requests = page.context.request
    assert requests.get(address).status == 200
    refused = requests.post(address, data="not json", headers={"Content-Type": "text/plain; charset=UTF-8"})
    assert refused.status == 400
    # the edge's one JSON check, as the API answers it (core.edge.json_body_problem)
    assert refused.json()["errors"] == [
        {"field": "body", "message": "Cannot parse request body: Expecting value: line 1 column 1 (char 0)"}
    ]

    page.goto(f"{server_url}/inbox/?state=refused")
    expect(page.get_by_test_id("delivery-state").first).to_contain_text("Refused")
    page.locator("#rows a").first.click()
    expect(page.get_by_test_id("delivery-error")).to_contain_text("body: Cannot parse request body")
    expect(page.get_by_test_id("delivery-body")).to_have_text("not json")
    expect(page.get_by_test_id("reprocess")).to_have_count(0)
    shot(page, "96-inbox-refused-delivery")

    page.get_by_role("link", name="CloudWatch alarms").click()
    page.get_by_test_id("rotate").click()
    new_address = page.get_by_test_id("endpoint").inner_text()
    assert new_address != address
    assert requests.get(address).status == 404
    assert requests.get(new_address).status == 200
