"""Calendar pages (B1, B5): read by everyone signed in; closures added, removed and imported and weekly
hours edited through forms, by calendar managers only, with the services' errors inline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from opsdesk.calendars.forms import parse_spans
from opsdesk.calendars.models import Calendar, Closure, ClosureSource

pytestmark = pytest.mark.django_db

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20310714\r\n"
    b"DTEND;VALUE=DATE:20310716\r\nSUMMARY:Office move\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def url(name: str, *args) -> str:
    return reverse(f"calendars:{name}", args=args)


@pytest.fixture
def uk(db) -> Calendar:
    return Calendar.objects.get(name="uk")


@pytest.fixture
def manager(client, world):
    client.force_login(world["cloud_support_manager"])
    return client


def test_everyone_signed_in_reads_calendars(world, uk):
    customer = Client()
    customer.force_login(world["customer_a"])
    listing = customer.get(url("list"))
    assert listing.status_code == 200 and b"24x7" in listing.content
    detail = customer.get(url("detail", uk.pk), {"year": 2026})
    text = detail.content.decode()
    assert detail.status_code == 200 and "Christmas Day" in text and "09:00–17:00" in text
    assert 'data-testid="add-closure"' not in text
    assert customer.get(url("closure_add", uk.pk)).status_code == 403
    assert customer.post(url("closure_add", uk.pk), {"date": "2031-01-02"}).status_code == 403
    assert Client().get(url("list")).status_code == 302


def test_closure_add_and_remove_through_the_form(manager, uk):
    response = manager.post(url("closure_add", uk.pk), {"date": "2031-03-04", "reason": "Company away day"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2031")
    closure = Closure.objects.get(calendar=uk, date=dt.date(2031, 3, 4))
    assert closure.reason == "Company away day"
    page = manager.get(response["Location"]).content.decode()
    assert "Company away day" in page and "recomputed" in page
    duplicate = manager.post(url("closure_add", uk.pk), {"date": "2031-03-04"})
    assert duplicate.status_code == 200
    assert "already closed" in duplicate.context["form"].errors["date"][0]
    version = Calendar.objects.get(pk=uk.pk).version
    removed = manager.post(url("closure_remove", uk.pk, closure.pk))
    assert removed.status_code == 302
    assert not Closure.objects.filter(pk=closure.pk).exists()
    assert Calendar.objects.get(pk=uk.pk).version == version + 1


def test_ics_import_through_the_upload_form(manager, uk):
    upload = SimpleUploadedFile("closures.ics", ICS, content_type="text/calendar")
    response = manager.post(url("closures_import", uk.pk), {"file": upload})
    assert response.status_code == 302
    imported = Closure.objects.filter(calendar=uk, source=ClosureSource.ICALENDAR).order_by("date")
    assert [c.date for c in imported] == [dt.date(2031, 7, 14), dt.date(2031, 7, 15)]
    assert {c.reason for c in imported} == {"Office move"}
    again = manager.post(url("closures_import", uk.pk), {"file": SimpleUploadedFile("c.ics", ICS)})
    assert again.status_code == 302
    bad = manager.post(
        url("closures_import", uk.pk), {"file": SimpleUploadedFile("c.ics", b"not a calendar")}
    )
    assert bad.status_code == 200 and bad.context["form"].errors["file"]


def test_weekly_hours_are_edited_as_text_spans(manager, uk):
    form = manager.get(url("hours", uk.pk))
    assert form.context["form"]["monday"].value() == "09:00-17:00"
    assert form.context["form"]["saturday"].value() == ""
    data = {"monday": "08:00-12:00, 13:00-18:00", "tuesday": "09:00-17:00", "friday": "09:00-13:00"}
    assert manager.post(url("hours", uk.pk), data).status_code == 302
    spans = {(h.weekday, h.start, h.end) for h in uk.working_hours.all()}
    assert (0, dt.time(8), dt.time(12)) in spans and (0, dt.time(13), dt.time(18)) in spans
    assert not any(weekday == 2 for weekday, *_ in spans)
    bad = manager.post(url("hours", uk.pk), {"monday": "9 to 5"})
    assert "is not a span like 09:00-17:00" in bad.context["form"].errors["monday"][0]
    overlap = manager.post(url("hours", uk.pk), {"monday": "09:00-12:00, 11:00-13:00"})
    assert overlap.status_code == 200 and overlap.context["form"].non_field_errors()
    closed = manager.post(url("hours", uk.pk), {})
    assert closed.status_code == 200 and closed.context["form"].non_field_errors()
    assert uk.working_hours.count() == 4, "a refused change leaves the hours as they were"


def test_create_a_calendar(manager):
    data = {
        "name": "us-east",
        "timezone": "America/New_York",
        "holiday_country": "us",
        "monday": "08:00-16:00",
    }
    response = manager.post(url("create"), data)
    assert response.status_code == 302
    calendar = Calendar.objects.get(name="us-east")
    assert calendar.holiday_country == "US" and calendar.working_hours.count() == 1
    bad = manager.post(url("create"), {**data, "name": "eu", "timezone": "Mars/Olympus"})
    assert "Unknown time zone" in bad.context["form"].errors["timezone"][0]


def test_parse_spans():
    assert parse_spans("") == []
    assert parse_spans("09:00-12:00; 13:30–17:00") == [
        (dt.time(9), dt.time(12)),
        (dt.time(13, 30), dt.time(17)),
    ]
    with pytest.raises(Exception, match="not a valid time"):
        parse_spans("25:00-26:00")


def test_form_pages_lead_back_to_their_calendar(manager, uk):
    create = manager.post(url("create"), {"name": ""})
    assert create.status_code == 200 and "name" in create.context["form"].errors
    assert create.context["cancel_url"] == url("list") and create.context["calendar"] is None
    hours = manager.get(url("hours", uk.pk))
    assert hours.context["calendar"] == uk and hours.context["cancel_url"] == url("detail", uk.pk)
    assert hours.context["intro"] == f"Opening spans per weekday in {uk.timezone} local time."
    assert str(hours.context["week_help"]) in hours.content.decode()
    closure = manager.post(url("closure_add", uk.pk), {"date": "not a date"})
    assert closure.status_code == 200 and closure.context["title"] == f"Add a closed day to {uk.name}"
    assert f'<a href="{url("detail", uk.pk)}">{uk.name}</a>' in closure.content.decode()
    upload = manager.get(url("closures_import", uk.pk)).content.decode()
    assert 'enctype="multipart/form-data"' in upload
    assert 'enctype="multipart/form-data"' not in closure.content.decode()
