"""Issue 7, part 1: instants outside 1970–2100 (core.limits) are refused at the edge, quickly and
naming the field, by the API, the CLI and the calendar writes, instead of costing seconds of CPU and
gigabytes of spans (or a 500)."""

import datetime as dt
import io
import os
import subprocess
import sys
import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from opsdesk.calendars import services as calendars
from opsdesk.calendars.models import Calendar, Closure
from opsdesk.core.errors import ValidationFailed
from opsdesk.sla import services

FAR = [
    "9990-06-01T00:00:00+00:00",
    "0003-06-01T00:00:00+00:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59+00:00",
    "2101-01-01T00:00:00+00:00",
    "2100-12-31T23:30:00-01:00",  # 2101-01-01T00:30Z
]


@pytest.fixture
def client(world):
    client = Client()
    client.force_login(world["customer_a"])
    # Warm up (URLs, the API, the engine calendar) so that the timing below is the request's own.
    warm = client.get("/api/v1/sla/targets", {"priority": "P3", "logged_at": "2026-12-01T10:00:00Z"})
    assert warm.status_code == 200
    return client


@pytest.mark.parametrize("logged_at", FAR)
def test_api_refuses_instants_outside_the_window_quickly(client, logged_at):
    started = time.monotonic()
    r = client.get("/api/v1/sla/targets", {"priority": "P3", "logged_at": logged_at})
    assert time.monotonic() - started < 2
    assert r.status_code == 422, r.content
    body = r.json()
    assert [e["field"] for e in body["errors"]] == ["logged_at"]
    assert "1970-01-01 and 2100-12-31" in body["errors"][0]["message"]
    assert body["detail"].startswith("logged_at:")


@pytest.mark.parametrize("logged_at", ["1970-01-01T00:00:00+00:00", "2100-12-31T23:59:59+00:00"])
def test_api_answers_at_the_edges_of_the_window(client, logged_at):
    r = client.get("/api/v1/sla/targets", {"priority": "P4", "logged_at": logged_at})
    assert r.status_code == 200, r.content
    assert r.json()["initial_response_due"] > r.json()["logged_at"][:4]


@pytest.mark.django_db
def test_services_refuse_a_far_instant_themselves():
    with pytest.raises(ValidationFailed) as info:
        services.targets_on_calendar(priority="P3", logged_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
    assert info.value.errors[0]["field"] == "logged_at"


def run(*args, stdin=""):
    out = io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin)):
        call_command("sla", "targets", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_cli_single_refuses_a_far_instant_naming_logged_at():
    with pytest.raises(CommandError, match=r"^logged_at: '9990-06-01T00:00:00\+00:00' is out of range"):
        run("--priority", "P3", "--logged-at", "9990-06-01T00:00:00+00:00")


@pytest.mark.django_db
def test_cli_batch_names_the_line_of_a_far_instant():
    lines = "P3 2026-12-01T10:00:00+00:00\nP3 9999-12-31T23:59:59Z\n"
    with pytest.raises(CommandError, match=r"^line 2: logged_at: .* out of range"):
        run(stdin=lines)


def test_cli_batch_process_reports_on_stderr_and_fails(tmp_path):
    """The command as a user runs it: the message on standard error with the line number, exit 1.
    (The line is refused before any database read, so an empty database will do.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(OPSDESK_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "-m", "opsdesk", "sla", "targets"],
        input="\nP3 0001-01-01T00:00:00+00:00\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "line 2: logged_at: '0001-01-01T00:00:00+00:00' is out of range" in result.stderr


# --- calendars: closures and their years ---------------------------------------------------------


@pytest.fixture
def admin(world):
    client = Client()
    client.force_login(world["admin"])
    return client


@pytest.mark.parametrize("year", ["-1", "0", "1969", "2101", "99999999999999999999"])
def test_closures_year_outside_the_window_is_422_naming_year(admin, year):
    uk = Calendar.objects.get(name="uk")
    r = admin.get(f"/api/v1/calendars/{uk.pk}/closures", {"year": year})
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["year"]


def test_closures_year_inside_the_window_filters(admin, world):
    uk = Calendar.objects.get(name="uk")
    calendars.closure_add(actor=world["admin"], calendar=uk, date=dt.date(2100, 12, 31), reason="Last")
    r = admin.get(f"/api/v1/calendars/{uk.pk}/closures", {"year": 2100})
    assert r.status_code == 200 and [c["date"] for c in r.json()] == ["2100-12-31"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31", "2101-01-01"])
def test_a_closure_outside_the_window_is_refused(admin, world, day):
    uk = Calendar.objects.get(name="uk")
    version = uk.version
    r = admin.post(
        f"/api/v1/calendars/{uk.pk}/closures", {"date": day, "reason": "x"}, content_type="application/json"
    )
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["date"]
    with pytest.raises(ValidationFailed) as info:  # the service holds the same rule (the web form's path)
        calendars.closure_add(actor=world["admin"], calendar=uk, date=dt.date.fromisoformat(day))
    assert info.value.errors[0]["field"] == "date"
    uk.refresh_from_db()
    assert uk.version == version and not Closure.objects.filter(calendar=uk, date=day).exists()


def ics(start: str, end: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
        "BEGIN:VEVENT\r\nUID:ok@t\r\nDTSTART;VALUE=DATE:20261201\r\nSUMMARY:Fine\r\nEND:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:far@t\r\nDTSTART{start}\r\nDTEND{end}\r\nSUMMARY:Far\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()


@pytest.mark.parametrize(
    "start,end",
    [
        (";VALUE=DATE:99991231", ";VALUE=DATE:99991231"),
        (";VALUE=DATE:00010101", ";VALUE=DATE:00010102"),
        (":99991231T120000Z", ":99991231T130000Z"),
        (";VALUE=DATE:21001231", ";VALUE=DATE:21010102"),  # its last day is 2101-01-01
    ],
)
def test_icalendar_import_with_far_dates_is_refused_as_a_whole(admin, start, end):
    uk = Calendar.objects.get(name="uk")
    r = admin.post(
        f"/api/v1/calendars/{uk.pk}/closures/import", {"file": SimpleUploadedFile("c.ics", ics(start, end))}
    )
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["file"]
    assert "out of range" in r.json()["errors"][0]["message"]
    assert not Closure.objects.filter(calendar=uk, date=dt.date(2026, 12, 1)).exists()


def test_icalendar_import_up_to_the_last_day_of_2100(admin):
    uk = Calendar.objects.get(name="uk")
    r = admin.post(
        f"/api/v1/calendars/{uk.pk}/closures/import",
        {"file": SimpleUploadedFile("c.ics", ics(";VALUE=DATE:21001230", ";VALUE=DATE:21010101"))},
    )
    assert r.status_code == 201, r.content
    assert sorted(c["date"] for c in r.json()) == ["2026-12-01", "2100-12-30", "2100-12-31"]


# --- the cache of engine calendars ---------------------------------------------------------------


def test_the_engine_calendar_cache_is_bounded(world, monkeypatch):
    monkeypatch.setattr(calendars, "CALENDAR_CACHE_SIZE", 3)
    monkeypatch.setattr(calendars, "_cache", type(calendars._cache)())
    hours = {d: [(dt.time(9), dt.time(17))] for d in range(5)}
    made = [
        calendars.calendar_create(actor=world["admin"], name=f"c{i}", timezone="UTC", weekly_hours=hours)
        for i in range(5)
    ]
    engines = [calendars.business_calendar(c) for c in made]
    assert len(calendars._cache) == 3
    assert calendars.business_calendar(made[-1]) is engines[-1]  # the recent ones stay
    assert calendars.business_calendar(made[0]) is not engines[0]  # the oldest was dropped
    # A change replaces the calendar's entry rather than adding one.
    calendars.closure_add(actor=world["admin"], calendar=made[0], date=dt.date(2026, 12, 2))
    made[0].refresh_from_db()
    calendars.business_calendar(made[0])
    assert len(calendars._cache) == 3
    assert sum(1 for pk, *_ in calendars._cache if pk == made[0].pk) == 1


def test_an_rca_action_due_date_outside_the_window_is_refused(world):
    from opsdesk.incidents.rca import services as rca
    from opsdesk.incidents.tests.conftest import log

    report = rca.rca_request(actor=world["service_desk"], incident=log(world, priority="P2"))
    client = Client()
    client.force_login(world["service_desk"])
    r = client.post(
        f"/api/v1/rcas/{report.pk}/actions",
        {"description": "Alarm on pool usage.", "due_date": "0001-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["due_date"]
    assert not report.actions.exists()


def test_the_closure_form_shows_the_window_as_a_field_error(admin):
    from django.urls import reverse

    uk = Calendar.objects.get(name="uk")
    r = admin.post(reverse("calendars:closure_add", args=[uk.pk]), {"date": "2101-01-01", "reason": "x"})
    assert r.status_code == 200
    assert "out of range" in r.context["form"].errors["date"][0]
    assert not Closure.objects.filter(calendar=uk, date=dt.date(2101, 1, 1)).exists()
