"""B1/B5: calendars as database records — closures, hours, iCalendar import, engine cache."""

import datetime as dt

import pytest
from django.test import Client

from opsdesk.calendars.models import Calendar, Closure
from opsdesk.calendars.services import (
    business_calendar,
    calendar_create,
    closure_add,
    closure_remove,
    closures_import_ics,
    working_hours_set,
)
from opsdesk.core.errors import PermissionDenied, ValidationFailed


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


@pytest.fixture
def uk(db):
    return Calendar.objects.get(name="uk")


def test_uk_calendar_is_open_in_hours_and_closed_on_bank_holidays(uk):
    clock = business_calendar(uk)
    assert clock.is_open(at("2026-12-01T10:00:00+00:00"))
    assert not clock.is_open(at("2026-12-25T10:00:00+00:00"))
    assert not clock.is_open(at("2026-12-28T10:00:00+00:00"))  # Boxing Day observed
    assert clock.is_open(at("2026-06-01T08:30:00+00:00"))  # 09:30 BST


def test_a_closure_closes_the_day_and_refreshes_the_cached_engine(
    world, uk, django_capture_on_commit_callbacks
):
    before = business_calendar(uk)
    assert before.is_open(at("2026-12-02T10:00:00+00:00"))
    with django_capture_on_commit_callbacks(execute=True):
        closure = closure_add(
            actor=world["admin"], calendar=uk, date=dt.date(2026, 12, 2), reason="Office move"
        )
    uk.refresh_from_db()
    after = business_calendar(uk)
    assert not after.is_open(at("2026-12-02T10:00:00+00:00"))
    assert after.next_opening(at("2026-12-02T10:00:00+00:00")) == at("2026-12-03T09:00:00+00:00")
    with pytest.raises(ValidationFailed) as info:
        closure_add(actor=world["admin"], calendar=uk, date=dt.date(2026, 12, 2))
    assert info.value.errors[0]["field"] == "date"
    with django_capture_on_commit_callbacks(execute=True):
        closure_remove(actor=world["admin"], closure=closure)
    uk.refresh_from_db()
    assert business_calendar(uk).is_open(at("2026-12-02T10:00:00+00:00"))
    assert uk.recomputed_version == uk.version  # the recomputation ran (immediate mode) and was recorded


def test_only_calendar_managers_change_calendars(world, uk):
    with pytest.raises(PermissionDenied):
        closure_add(actor=world["engineer"], calendar=uk, date=dt.date(2026, 12, 2))
    with pytest.raises(PermissionDenied):
        closure_add(actor=world["customer_a"], calendar=uk, date=dt.date(2026, 12, 2))


def test_24x7_cannot_close(world):
    with pytest.raises(ValidationFailed):
        closure_add(
            actor=world["admin"], calendar=Calendar.objects.get(name="24x7"), date=dt.date(2026, 12, 2)
        )


def test_custom_calendar_with_split_days(world):
    cal = calendar_create(
        actor=world["admin"],
        name="sydney-support",
        timezone="Australia/Sydney",
        weekly_hours={d: [(dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))] for d in range(5)},
        holiday_country="AU",
        holiday_subdivision="NSW",
    )
    clock = business_calendar(cal)
    assert not clock.is_open(at("2026-12-01T12:30:00+11:00"))
    assert clock.add_business_time(at("2026-12-01T11:30:00+11:00"), dt.timedelta(hours=1)) == at(
        "2026-12-01T13:30:00+11:00"
    )
    assert not clock.is_open(at("2026-12-25T10:00:00+11:00"))


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"weekly_hours": {0: [(dt.time(17), dt.time(9))]}}, "weekly_hours"),
        ({"weekly_hours": {9: [(dt.time(9), dt.time(17))]}}, "weekly_hours"),
        ({"weekly_hours": {}}, "weekly_hours"),
        ({"name": "Bad Name!"}, "name"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "GB", "holiday_subdivision": "ZZZ"}, "holiday_subdivision"),
    ],
)
def test_bad_calendars_are_refused(world, kwargs, field):
    data = {"name": "custom", "weekly_hours": {0: [(dt.time(9), dt.time(17))]}, **kwargs}
    with pytest.raises(ValidationFailed) as info:
        calendar_create(actor=world["admin"], **data)
    assert info.value.errors[0]["field"] == field
    assert not Calendar.objects.filter(name=data["name"]).exists()


def test_hours_change(world, uk):
    working_hours_set(
        actor=world["admin"], calendar=uk, weekly_hours={d: [(dt.time(8), dt.time(16))] for d in range(5)}
    )
    uk.refresh_from_db()
    assert business_calendar(uk).is_open(at("2026-12-01T08:30:00+00:00"))
    assert not business_calendar(uk).is_open(at("2026-12-01T16:30:00+00:00"))


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//opsdesk test//EN\r
BEGIN:VEVENT\r
UID:a@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261230\r
DTEND;VALUE=DATE:20270101\r
SUMMARY:Company shutdown\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:b@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261201\r
SUMMARY:Training day\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_import_closures_from_icalendar(world, uk):
    created = closures_import_ics(actor=world["admin"], calendar=uk, content=ICS)
    assert sorted(c.date for c in created) == [
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 30),
        dt.date(2026, 12, 31),
    ]
    assert Closure.objects.get(calendar=uk, date=dt.date(2026, 12, 30)).reason == "Company shutdown"
    assert closures_import_ics(actor=world["admin"], calendar=uk, content=ICS) == []  # already closed
    with pytest.raises(ValidationFailed) as info:
        closures_import_ics(actor=world["admin"], calendar=uk, content=b"not a calendar")
    assert info.value.errors[0]["field"] == "file"


def test_import_through_the_api(world, uk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(world["admin"])
    r = client.post(f"/api/v1/calendars/{uk.pk}/closures/import", {"file": SimpleUploadedFile("c.ics", ICS)})
    assert r.status_code == 201 and len(r.json()) == 3
    r = client.get(f"/api/v1/calendars/{uk.pk}/closures", {"year": 2026})
    assert {c["date"] for c in r.json()} >= {"2026-12-01", "2026-12-30"}
