"""Files posted with a note in one submit (pages and API), and removing an attachment: who may, what
the timeline says, when the stored file goes (issue 9, items 4 and 5)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from opsdesk.core.models import AuditEvent
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.attachments import services
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.attachments.tests.conftest import PDF, PNG, audit_fails_for_attachments, stored_files
from opsdesk.incidents.models import IncidentNote
from opsdesk.incidents.tests.conftest import client_for, logged_by_desk

pytestmark = pytest.mark.django_db

API = "/api/v1"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


@pytest.fixture
def incident(world):
    return logged_by_desk(world, title="Checkout down", description="503s", priority="P2")


def files(*pairs: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data) for name, data in pairs]


# --- a note with its files ---------------------------------------------------------------------


def test_staff_post_a_note_with_files_in_one_submit(world, incident, storage):
    staff = client_for(world["service_desk"])
    page = staff.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    form = page[page.index('id="action-note"') :]
    form = form[: form.index("</form>")]
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form and "multiple" in form

    done = staff.post(
        reverse("incidents:note", args=[incident.pk]),
        {
            "body": "Load balancer logs attached.",
            "visibility": "public",
            "files": files(("lb.log", b"502 upstream\n"), ("graph.png", PNG)),
        },
        follow=True,
    )
    html = done.content.decode()
    assert "Update added with 2 files." in html
    note = IncidentNote.objects.get(body="Load balancer logs attached.")
    assert sorted(note.attachments.values_list("filename", "public")) == [
        ("graph.png", True),
        ("lb.log", True),
    ]
    assert len(stored_files(storage)) == 2

    # Listed with the note in the timeline, for the customer too (the note is public).
    customer_html = client_for(world["customer_a"]).get(reverse("incidents:detail", args=[incident.pk]))
    timeline = customer_html.content.decode()
    timeline = timeline[timeline.index('data-testid="timeline"') :]
    note_entry = timeline[timeline.index("Load balancer logs attached.") :]
    note_entry = note_entry[: note_entry.index("</li>\n")]
    assert "lb.log" in note_entry and "graph.png" in note_entry
    download = reverse("incidents:attachment_download", args=[note.attachments.get(filename="lb.log").pk])
    assert download in note_entry


def test_internal_note_files_stay_internal(world, incident):
    staff = client_for(world["service_desk"])
    staff.post(
        reverse("incidents:note", args=[incident.pk]),
        {"body": "Internal dump.", "visibility": "internal", "files": files(("dump.txt", b"secret"))},
    )
    attachment = Attachment.objects.get()
    assert not attachment.public and attachment.note.body == "Internal dump."
    customer = client_for(world["customer_a"])
    assert "dump.txt" not in customer.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert customer.get(reverse("incidents:attachment_download", args=[attachment.pk])).status_code == 404


def test_customer_posts_an_update_with_a_file_from_the_portal(world, incident):
    customer = client_for(world["customer_a"])
    url = reverse("incidents:note", args=[incident.pk])
    done = customer.post(url, {"body": "Here is the error.", "files": files(("error.pdf", PDF))}, follow=True)
    assert "Update added with 1 file." in done.content.decode()
    attachment = Attachment.objects.get()
    assert attachment.public and attachment.uploaded_by_id == world["customer_a"].pk
    assert attachment.note.body == "Here is the error." and attachment.content_type == "application/pdf"
    other = client_for(world["customer_b"]).post(url, {"body": "x", "files": files(("a.txt", b"a"))})
    assert other.status_code == 404 and Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (("empty.txt", b""), "empty.txt: The file is empty."),
        (("invoice.txt", EXE), "invoice.txt: This file is a program or script"),
        (
            ("report.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>"),
            "report.pdf: This file is a web page",
        ),
        (("page.html", b"plain"), "page.html: Files of type .html are not accepted"),
        (("big.txt", b"x" * 2048), "big.txt: The file is 2 KB; attachments may be at most 1 KB."),
    ],
)
def test_a_refused_file_is_a_form_error_naming_it_and_nothing_is_stored(
    world, incident, storage, settings, bad, words
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    staff = client_for(world["service_desk"])
    notes = IncidentNote.objects.count()
    response = staff.post(
        reverse("incidents:note", args=[incident.pk]),
        {"body": "Two files.", "visibility": "public", "files": files(("fine.txt", b"ok"), bad)},
    )
    assert response.status_code == 200  # the page again, the note form open with its error
    html = response.content.decode()
    assert words in html and 'id="action-note" data-testid="action-note" open' in html
    assert IncidentNote.objects.count() == notes and not Attachment.objects.exists()
    assert stored_files(storage) == []


def test_a_database_failure_after_the_files_were_written_keeps_nothing(world, incident, storage, monkeypatch):
    """The second file's audit row is refused by the database: the note, both rows and the first
    file already written are all gone."""
    audit_fails_for_attachments(monkeypatch, after=1)
    notes = IncidentNote.objects.count()
    with pytest.raises(IntegrityError):
        services.note_add(
            actor=world["service_desk"],
            incident=incident,
            body="Two files.",
            files=files(("one.txt", b"1"), ("two.txt", b"2")),
        )
    assert IncidentNote.objects.count() == notes and not Attachment.objects.exists()
    assert stored_files(storage) == []


def test_api_note_with_files_is_multipart(world, incident, storage):
    customer = client_for(world["customer_a"])
    url = f"{API}/incidents/{incident.pk}/notes-with-attachments"
    created = customer.post(
        url, {"body": "Screenshots.", "files": files(("a.png", PNG), ("b.txt", b"trace"))}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["public"] and [a["filename"] for a in body["attachments"]] == ["a.png", "b.txt"]
    assert {a["note_id"] for a in body["attachments"]} == {body["id"]}
    timeline = customer.get(f"{API}/incidents/{incident.pk}").json()["timeline"]
    (entry,) = [e for e in timeline if e["note_id"] == body["id"]]
    assert [f["filename"] for f in entry["attachments"]] == ["a.png", "b.txt"]
    assert customer.get(entry["attachments"][0]["download"]).status_code == 200

    refused = customer.post(url, {"body": "Again.", "files": files(("ok.txt", b"ok"), ("tool.txt", EXE))})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "files",
            "message": "tool.txt: This file is a program or script; executables cannot be attached.",
        }
    ]
    assert not IncidentNote.objects.filter(body="Again.").exists() and Attachment.objects.count() == 2
    assert len(stored_files(storage)) == 2
    plain = customer.post(url, {"body": "No files this time."})
    assert plain.status_code == 201 and plain.json()["attachments"] == []
    assert client_for(world["customer_b"]).post(url, {"body": "x"}).status_code == 404


# --- removing an attachment ----------------------------------------------------------------------


def _attach(world, incident, who="customer_a", name="trace.png", data=PNG):
    return services.attachment_add(
        actor=world[who], incident=incident, file=SimpleUploadedFile(name, data), public=True
    )


def test_the_uploader_removes_their_file_and_the_timeline_says_so(
    world, incident, storage, django_capture_on_commit_callbacks
):
    attachment = _attach(world, incident)
    customer = client_for(world["customer_a"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = customer.delete(f"{API}/attachments/{attachment.pk}")
        assert response.status_code == 204
        assert len(stored_files(storage)) == 1  # still there until the removal commits
    for callback in callbacks:
        callback()
    assert stored_files(storage) == []

    assert customer.get(f"{API}/attachments/{attachment.pk}/download").status_code == 404
    assert customer.get(f"{API}/incidents/{incident.pk}/attachments").json() == []
    timeline = customer.get(f"{API}/incidents/{incident.pk}").json()["timeline"]
    removed = [e for e in timeline if e["kind"] == "attachment_removed"]
    assert [(e["detail"], e["actor"]) for e in removed] == [("removed trace.png", str(world["customer_a"]))]
    html = customer.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "removed trace.png" in html and "Attachment removed" in html
    event = AuditEvent.objects.get(object_type="incidents.attachment", action="delete")
    assert event.actor_id == world["customer_a"].pk and event.note == "Removed trace.png"
    assert customer.delete(f"{API}/attachments/{attachment.pk}").status_code == 404  # gone


def test_who_may_remove(world, incident, storage):
    by_desk = _attach(world, incident, who="service_desk", name="desk.txt", data=b"desk")
    mine = _attach(world, incident, name="mine.txt", data=b"mine")
    a, b = client_for(world["customer_a"]), client_for(world["customer_b"])
    # Another organisation's customer: 404 like a missing one, pages and API.
    assert b.delete(f"{API}/attachments/{mine.pk}").status_code == 404
    assert b.get(reverse("incidents:attachment_remove", args=[mine.pk])).status_code == 404
    assert b.post(reverse("incidents:attachment_remove", args=[mine.pk])).status_code == 404
    # A customer may not remove the desk's file.
    refused = a.delete(f"{API}/attachments/{by_desk.pk}")
    assert refused.status_code == 403 and "Only who attached a file" in refused.json()["detail"]
    # Once the incident is resolved, the customer no longer may; staff still may.
    desk = world["service_desk"]
    incident_services.incident_acknowledge(actor=desk, incident=incident)
    incident_services.incident_resolve(actor=desk, incident=incident, summary="Pool size raised.")
    late = a.delete(f"{API}/attachments/{mine.pk}")
    assert late.status_code == 409 and "no longer open" in late.json()["detail"]
    assert client_for(desk).delete(f"{API}/attachments/{mine.pk}").status_code == 204
    assert Attachment.objects.get(pk=by_desk.pk).removed_at is None
    assert Attachment.objects.get(pk=mine.pk).removed_by_id == desk.pk


def test_remove_from_the_page_asks_to_confirm(world, incident, storage, django_capture_on_commit_callbacks):
    attachment = _attach(world, incident)
    customer = client_for(world["customer_a"])
    detail = reverse("incidents:detail", args=[incident.pk])
    url = reverse("incidents:attachment_remove", args=[attachment.pk])
    assert f'href="{url}"' in customer.get(detail).content.decode()
    confirm = customer.get(url)
    assert confirm.status_code == 200 and "Remove trace.png?" in confirm.content.decode()
    assert Attachment.objects.get().removed_at is None  # asking removes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = customer.post(url, {"version": attachment.version}, follow=True)
    html = done.content.decode()
    assert "trace.png removed." in html and "removed trace.png" in html
    assert stored_files(storage) == []
    # The desk's own file offers no Remove link to the customer.
    by_desk = _attach(world, incident, who="service_desk", name="desk.txt", data=b"desk")
    page = customer.get(detail).content.decode()
    assert reverse("incidents:attachment_remove", args=[by_desk.pk]) not in page
    assert customer.get(reverse("incidents:attachment_remove", args=[by_desk.pk])).status_code == 403
