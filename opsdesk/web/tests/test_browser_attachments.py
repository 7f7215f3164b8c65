"""Browser flow of attachments (issue 9, item 4) in Debian's Chromium against the demo server
(conftest.py): the service desk posts an update with two files in one submit (a refused web page
first: the error names it and nothing is kept), finds both files listed with the note in the
timeline, and removes one after confirming: the timeline says "removed <name>" and by whom."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from opsdesk.web.tests.browser import BROWSER_FLOWS, login, shot

pytestmark = BROWSER_FLOWS

DESK = "service_desk@provider.example"


def test_desk_posts_a_note_with_files_and_removes_one(page, server_url):
    login(page, server_url, DESK)
    page.locator(".mainnav").get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    page.locator("#rows tr[data-reference] a.mono").first.click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))

    note = page.get_by_test_id("action-note")
    note.locator("summary").click()
    note.locator("textarea[name=body]").fill("Load balancer logs and the dashboard, attached.")
    note.locator("input[name=visibility][value=public]").check()
    files = note.locator("input[type=file][name=files]")
    assert files.get_attribute("multiple") is not None
    files.set_input_files(
        [
            {"name": "lb-access.log", "mimeType": "text/plain", "buffer": b"10:02 502 upstream reset\n"},
            {"name": "dashboard.html", "mimeType": "text/html", "buffer": b"<html><body>x</body></html>"},
        ]
    )
    note.locator("button[type=submit]").click()
    note = page.get_by_test_id("action-note")
    expect(note).to_have_attribute("open", "")
    expect(note.locator(".field-error")).to_contain_text(
        "dashboard.html: Files of type .html are not accepted"
    )
    expect(page.get_by_test_id("timeline")).not_to_contain_text("Load balancer logs and the dashboard")
    shot(page, "60-note-file-refused")

    note.locator("textarea[name=body]").fill("Load balancer logs and the dashboard, attached.")
    note.locator("input[name=visibility][value=public]").check()
    note.locator("input[type=file][name=files]").set_input_files(
        [
            {"name": "lb-access.log", "mimeType": "text/plain", "buffer": b"10:02 502 upstream reset\n"},
            {"name": "dashboard.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%\xe2\xe3\n"},
        ]
    )
    note.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    expect(page.locator(".flash-success")).to_contain_text("Update added with 2 files.")
    entry = (
        page.get_by_test_id("timeline")
        .locator("li.tl-note")
        .filter(has_text="Load balancer logs and the dashboard")
    )
    expect(entry.get_by_test_id("note-attachment")).to_have_text(["lb-access.log", "dashboard.pdf"])
    shot(page, "61-note-with-files")

    attachments = page.get_by_test_id("attachments")
    attachments.get_by_test_id("attachment").filter(has_text="dashboard.pdf").get_by_test_id(
        "attachment-remove"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove dashboard.pdf?")
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+/.*"))
    expect(page.locator(".flash-success")).to_contain_text("dashboard.pdf removed.")
    removed = page.get_by_test_id("timeline-attachment-removed")
    expect(removed).to_have_text("removed dashboard.pdf (on a note)")
    expect(entry.get_by_test_id("note-attachment")).to_have_text(["lb-access.log"])
    shot(page, "62-attachment-removed")
