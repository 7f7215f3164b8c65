"""Attachments on incidents, notes and RCAs (issue 9, item 4): stored through the storage API, size
limit, type read from the bytes, refused executables and markup, served only to who may see the
incident and always as a download, listed in the timeline and audited; nothing kept on failure."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from opsdesk.core.models import AuditEvent
from opsdesk.incidents import services as incident_services
from opsdesk.incidents.attachments import services
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.attachments.tests.conftest import PDF, PNG, audit_fails_for_attachments, stored_files
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.tests.conftest import client_for, logged_by_desk

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def incident(world):
    return logged_by_desk(world, title="Checkout down", description="503s", priority="P2")


def upload(client, url, name, data, **fields):
    return client.post(url, data={"file": SimpleUploadedFile(name, data), **fields})


def test_upload_download_roundtrip_as_an_attachment_only(world, incident, storage):
    customer = client_for(world["customer_a"])
    response = upload(customer, f"{API}/incidents/{incident.pk}/attachments", "trace.png", PNG)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png" and body["size"] == len(PNG) and body["public"]
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert len(stored_files(storage)) == 1  # under the storage's location, by Django's storage API

    download = customer.get(body["download"])
    assert download.status_code == 200
    assert (
        download["Content-Disposition"].startswith("attachment;")
        and "trace.png" in download["Content-Disposition"]
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG
    page = customer.get(reverse("incidents:attachment_download", args=[body["id"]]))
    assert page.status_code == 200 and page["Content-Disposition"].startswith("attachment;")

    # Listed in the timeline (page and API) and audited for staff.
    detail = customer.get(f"{API}/incidents/{incident.pk}").json()
    assert [e["attachment_id"] for e in detail["timeline"] if e["kind"] == "attachment"] == [body["id"]]
    html = customer.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'data-testid="timeline-attachment"' in html and "trace.png" in html
    event = AuditEvent.objects.get(object_type="incidents.attachment", object_id=str(body["id"]))
    assert event.action == "create" and event.actor_id == world["customer_a"].pk
    assert event.after["sha256"] == body["sha256"] and "file" not in event.after


def test_text_is_accepted_with_the_type_read_from_the_bytes(world, incident):
    desk = client_for(world["service_desk"])
    response = upload(desk, f"{API}/incidents/{incident.pk}/attachments", "report.png", b"just a log line\n")
    assert response.status_code == 201 and response.json()["content_type"] == "text/plain"
    assert not response.json()["public"]  # staff: internal unless said otherwise
    pdf = upload(desk, f"{API}/incidents/{incident.pk}/attachments", "notes.txt", PDF, public="true")
    assert pdf.json()["content_type"] == "application/pdf" and pdf.json()["public"]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.txt", b"", "empty"),
        ("tool.bin", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100, "executable"),
        ("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "executable"),
        ("macho", b"\xcf\xfa\xed\xfe" + b"\x00" * 100, "executable"),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n", "executable"),
        ("setup.exe", b"harmless text", ".exe"),
        ("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "web page"),
        ("image.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "web page"),
        ("image.svg", PNG, ".svg"),
        ("page.html", b"plain", ".html"),
    ],
)
def test_refused_files_name_the_problem_and_store_nothing(world, incident, storage, name, data, words):
    customer = client_for(world["customer_a"])
    response = upload(customer, f"{API}/incidents/{incident.pk}/attachments", name, data)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "file"
    assert words in response.json()["errors"][0]["message"]
    assert not Attachment.objects.exists() and stored_files(storage) == []


def test_oversized_file_is_refused(world, incident, storage, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = upload(
        client_for(world["customer_a"]), f"{API}/incidents/{incident.pk}/attachments", "big.txt", b"x" * 1025
    )
    assert response.status_code == 422
    assert "at most 1 KB" in response.json()["errors"][0]["message"]
    assert not Attachment.objects.exists() and stored_files(storage) == []
    ok = upload(
        client_for(world["customer_a"]), f"{API}/incidents/{incident.pk}/attachments", "ok.txt", b"x" * 1024
    )
    assert ok.status_code == 201


def test_a_failed_transaction_removes_the_stored_file(world, incident, storage, monkeypatch):
    audit_fails_for_attachments(monkeypatch)
    with pytest.raises(IntegrityError):
        services.attachment_add(
            actor=world["service_desk"], incident=incident, file=SimpleUploadedFile("a.txt", b"data")
        )
    assert stored_files(storage) == [] and not Attachment.objects.exists()


def test_who_sees_what(world, incident):
    desk, customer_a, customer_b = world["service_desk"], world["customer_a"], world["customer_b"]
    internal_note = incident_services.incident_add_note(actor=desk, incident=incident, body="x", public=False)
    public_note = incident_services.incident_add_note(actor=desk, incident=incident, body="y", public=True)
    on_internal = services.attachment_add(
        actor=desk,
        incident=incident,
        file=SimpleUploadedFile("internal.txt", b"a"),
        note=internal_note.pk,
        public=True,
    )
    on_public = services.attachment_add(
        actor=desk, incident=incident, file=SimpleUploadedFile("public.txt", b"b"), note=public_note.pk
    )
    internal = services.attachment_add(actor=desk, incident=incident, file=SimpleUploadedFile("i.txt", b"c"))
    assert not on_internal.public and on_public.public and not internal.public  # a note's visibility wins

    a, b, staff = client_for(customer_a), client_for(customer_b), client_for(desk)
    listed = a.get(f"{API}/incidents/{incident.pk}/attachments").json()
    assert [x["filename"] for x in listed] == ["public.txt"]
    for hidden in (on_internal, internal):
        assert a.get(f"{API}/attachments/{hidden.pk}/download").status_code == 404
        assert a.get(reverse("incidents:attachment_download", args=[hidden.pk])).status_code == 404
    timeline = a.get(f"{API}/incidents/{incident.pk}").json()["timeline"]
    assert not [e for e in timeline if e["kind"] == "attachment"]  # a note's files are listed with it
    assert [[f["filename"] for f in e["attachments"]] for e in timeline if e["kind"] == "note"] == [
        ["public.txt"]
    ]
    assert len(staff.get(f"{API}/incidents/{incident.pk}/attachments").json()) == 3

    # Another tenant: 404 everywhere, like a missing one.
    assert b.get(f"{API}/attachments/{on_public.pk}").status_code == 404
    assert b.get(f"{API}/attachments/{on_public.pk}/download").status_code == 404
    assert b.get(reverse("incidents:attachment_download", args=[on_public.pk])).status_code == 404
    assert upload(b, f"{API}/incidents/{incident.pk}/attachments", "x.txt", b"x").status_code == 404

    # Customers attach to public notes only, and never internally.
    refused = upload(
        a, f"{API}/incidents/{incident.pk}/attachments", "x.txt", b"x", note=str(internal_note.pk)
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note"
    refused = upload(a, f"{API}/incidents/{incident.pk}/attachments", "x.txt", b"x", public="false")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "public"


def test_rca_attachments_are_written_by_staff(world):
    desk = world["service_desk"]
    inc = logged_by_desk(world, title="Checkout down", description="503s", priority="P2")
    rca = rca_services.rca_request(actor=desk, incident=inc)
    staff, customer = client_for(desk), client_for(world["customer_a"])
    assert upload(customer, f"{API}/rcas/{rca.pk}/attachments", "r.pdf", PDF).status_code == 403
    created = upload(staff, f"{API}/rcas/{rca.pk}/attachments", "r.pdf", PDF)
    assert created.status_code == 201 and created.json()["rca_id"] == rca.pk
    assert client_for(world["customer_b"]).get(created.json()["download"]).status_code == 404
    assert (
        upload(client_for(world["customer_b"]), f"{API}/rcas/{rca.pk}/attachments", "r.pdf", PDF).status_code
        == 404
    )
    page = staff.get(reverse("incidents:rca_detail", args=[rca.pk])).content.decode()
    assert "r.pdf" in page and 'data-testid="attachment-form"' in page


def test_upload_from_the_incident_page(world, incident, storage):
    staff = client_for(world["service_desk"])
    page = staff.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'data-testid="attachment-form"' in page and 'enctype="multipart/form-data"' in page
    url = reverse("incidents:attachment_upload", args=[incident.pk])
    refused = staff.post(
        url, {"file": SimpleUploadedFile("x.html", b"<html>"), "public": "public"}, follow=True
    )
    assert ".html are not accepted" in refused.content.decode()
    assert stored_files(storage) == []
    done = staff.post(url, {"file": SimpleUploadedFile("log.txt", b"log"), "public": "public"}, follow=True)
    assert "log.txt attached." in done.content.decode()
    attachment = Attachment.objects.get()
    assert attachment.public and attachment.uploaded_by_id == world["service_desk"].pk
    customer_page = client_for(world["customer_a"]).get(reverse("incidents:detail", args=[incident.pk]))
    assert "log.txt" in customer_page.content.decode()
    # A customer of another organisation cannot post to it.
    other = client_for(world["customer_b"]).post(url, {"file": SimpleUploadedFile("a.txt", b"a")})
    assert other.status_code == 404
