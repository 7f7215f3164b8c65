"""`opsdesk calendar add-working-days` and the one service behind it (C6, D3, E2, H2): every example
of sla-examples.md › Working days, batch input, bad input, other calendars, closures, and the
engine against a slow day-by-day reference."""

import datetime as dt
import io
import os
import subprocess
import sys
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.calendars import engine
from opsdesk.calendars import services as calendars
from opsdesk.calendars.models import Calendar
from opsdesk.calendars.tests.test_engine_properties import calendars as random_calendars
from opsdesk.core.errors import ValidationFailed

# (from, days, answer) on the uk calendar, from sla-examples.md
EXAMPLES = [("2026-12-24", "1", "2026-12-29"), ("2026-12-18", "10", "2027-01-06")]


@pytest.fixture(autouse=True)
def _fresh_engine_calendars(monkeypatch):
    """Engine calendars are cached per (id, version) for the life of the process; a test's rollback
    lets the next test's calendar reuse an id and version, so each test here starts with none."""
    monkeypatch.setattr(calendars, "_cache", type(calendars._cache)())


def run(*args, stdin="", out=None):
    out = out if out is not None else io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin)):
        call_command("calendar", "add-working-days", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
@pytest.mark.parametrize("start,days,expected", EXAMPLES)
def test_cli_spec_examples(start, days, expected):
    assert run("--from", start, "--days", days) == [expected]


@pytest.mark.django_db
def test_cli_exact_output_of_the_spec(capsys):
    call_command("calendar", "add-working-days", "--from", "2026-12-24", "--days", "1")
    assert capsys.readouterr().out == "2026-12-29\n"


@pytest.mark.django_db
def test_cli_batch_in_order_skipping_blank_lines():
    lines = "2026-12-18 10\n\n  2026-12-24   1  \n2026-12-24 0\n2026-12-25 0\n2026-12-31 1\n"
    # 0 working days is the date itself, working or not; 2027-01-01 is New Year's Day.
    assert run(stdin=lines) == ["2027-01-06", "2026-12-29", "2026-12-24", "2026-12-25", "2027-01-04"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "line,message",
    [
        ("2026-12-24", r"line 3: expected 'DATE N', got '2026-12-24'"),
        ("2026-12-24 1 2", r"line 3: expected 'DATE N', got '2026-12-24 1 2'"),
        ("1 2026-12-24", r"line 3: from: '1' is not a date"),
        ("2026-13-01 1", r"line 3: from: '2026-13-01' is not a date"),
        ("2026-12-24 one", r"line 3: days: 'one' is not a whole number"),
        ("2026-12-24 1.5", r"line 3: days: '1.5' is not a whole number"),
        ("2026-12-24 -1", r"line 3: days: '-1' is not a number of working days from 0 to 10,000"),
        ("2026-12-24 99999999", r"line 3: days: '99999999' is not a number of working days from 0 to 10,000"),
        ("0001-01-01 1", r"line 3: from: '0001-01-01' is out of range"),
        ("9999-12-31 1", r"line 3: from: '9999-12-31' is out of range"),
        ("1969-12-31 1", r"line 3: from: '1969-12-31' is out of range"),
        ("2101-01-01 1", r"line 3: from: '2101-01-01' is out of range"),
        ("99999-01-01 1", r"line 3: from: '99999-01-01' is not a date"),
    ],
)
def test_cli_batch_bad_line_names_the_line_after_the_good_lines(line, message):
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"^{message}"):
        run(stdin=f"2026-12-24 1\n\n{line}\n2026-12-18 10\n", out=out)
    assert out.getvalue() == "2026-12-29\n"  # earlier lines answered, later ones not read


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,message",
    [
        (["--from", "2026-12-24", "--days", "-1"], r"^days: '-1' is not a number of working days"),
        (
            ["--from", "2026-12-24", "--days", "99999999"],
            r"^days: '99999999' is not a number of working days",
        ),
        (["--from", "2026-12-24", "--days", "9" * 5000], r"^days: '99999999999999999999…' is not a number"),
        (["--from", "2026-12-24", "--days", "1_0"], r"^days: '1_0' is not a whole number"),
        (["--from", "2026-12-24", "--days", ""], r"^days: '' is not a whole number"),
        (["--from", "0001-01-01", "--days", "1"], r"^from: '0001-01-01' is out of range\. Must be between"),
        (["--from", "9999-12-31", "--days", "1"], r"^from: '9999-12-31' is out of range"),
        (["--from", "123456-01-01", "--days", "1"], r"^from: '123456-01-01' is not a date"),
        (
            ["--from", "2100-12-31", "--days", "10000"],
            r"^days: 10,000 working days after 2100-12-31 lie beyond",
        ),
        (["--from", "2026-12-24"], r"^--days is required with --from"),
        (["--days", "3"], r"^--days needs --from"),
        (
            ["--from", "2026-12-24", "--days", "1", "--calendar", "nope"],
            r"^calendar: Unknown calendar 'nope'",
        ),
        (["--calendar", "nope"], r"^calendar: Unknown calendar 'nope'. Known calendars: 24x7, uk"),
    ],
)
def test_cli_bad_flags(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args, stdin="2026-12-24 1\n")


@pytest.mark.django_db
def test_cli_answers_at_the_edges_of_the_window():
    assert run("--from", "1970-01-01", "--days", "1") == ["1970-01-02"]
    assert run("--from", "2100-12-31", "--days", "1") == ["2101-01-03"]  # Fri; no holidays known in 2101
    uk = calendars.business_calendar(Calendar.objects.get(name="uk"))
    [far] = run("--from", "2026-01-01", "--days", "10000")
    assert far == reference_add_working_days(uk, dt.date(2026, 1, 1), 10_000).isoformat()


@pytest.mark.django_db
def test_cli_another_calendar(world):
    assert run("--from", "2026-12-24", "--days", "1", "--calendar", "24x7") == ["2026-12-25"]
    saturdays = {d: [(dt.time(9), dt.time(17))] for d in range(6)}
    calendars.calendar_create(actor=world["admin"], name="six-day", timezone="UTC", weekly_hours=saturdays)
    # No holiday source: Christmas Day works; Saturday works; Sunday does not.
    assert run("--from", "2026-12-24", "--days", "3", "--calendar", "six-day") == ["2026-12-28"]
    assert run("--calendar", "six-day", stdin="2026-12-18 10\n") == ["2026-12-30"]


@pytest.mark.django_db
def test_a_bank_holiday_added_to_a_calendar_moves_the_answer(world):
    uk = Calendar.objects.get(name="uk")
    assert run("--from", "2026-12-18", "--days", "1") == ["2026-12-21"]
    calendars.closure_add(actor=world["admin"], calendar=uk, date=dt.date(2026, 12, 21), reason="Snow day")
    assert run("--from", "2026-12-18", "--days", "1") == ["2026-12-22"]
    assert run("--from", "2026-12-18", "--days", "10") == ["2027-01-07"]
    assert calendars.add_working_days(calendar=uk, start=dt.date(2026, 12, 18), days=10) == dt.date(
        2027, 1, 7
    )


@pytest.mark.django_db
def test_the_service_takes_a_calendar_or_its_name_and_refuses_bad_input():
    uk = Calendar.objects.get(name="uk")
    assert calendars.add_working_days(calendar="uk", start=dt.date(2026, 12, 24), days=1) == dt.date(
        2026, 12, 29
    )
    assert calendars.add_working_days(calendar=uk, start=dt.date(2026, 12, 24), days=1) == dt.date(
        2026, 12, 29
    )
    for kwargs, field in [
        ({"calendar": "nope", "start": dt.date(2026, 1, 1), "days": 1}, "calendar"),
        ({"calendar": uk, "start": dt.date(1, 1, 1), "days": 1}, "start"),
        ({"calendar": uk, "start": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "days": 1}, "start"),
        ({"calendar": uk, "start": dt.date(2026, 1, 1), "days": -1}, "days"),
        ({"calendar": uk, "start": dt.date(2026, 1, 1), "days": 10_001}, "days"),
        ({"calendar": uk, "start": dt.date(2026, 1, 1), "days": True}, "days"),
        ({"calendar": uk, "start": dt.date(2026, 1, 1), "days": 1.0}, "days"),
    ]:
        with pytest.raises(ValidationFailed) as info:
            calendars.add_working_days(**kwargs)
        assert [e["field"] for e in info.value.errors] == [field]


def test_cli_through_the_opsdesk_entry_point(tmp_path):
    """The command as a user runs it: answers on standard output; a bad line's message on standard
    error with its number, the lines before it answered, exit status 1, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(OPSDESK_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")

    def opsdesk(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "opsdesk", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    assert opsdesk("migrate", "calendars", "-v0", "--skip-checks").returncode == 0  # only what it reads
    (start, days, expected), (start_2, days_2, expected_2) = EXAMPLES
    result = opsdesk("calendar", "add-working-days", "--from", start, "--days", days)
    assert (result.returncode, result.stdout) == (0, f"{expected}\n"), result.stderr
    result = opsdesk(
        "calendar", "add-working-days", stdin=f"{start_2} {days_2}\n2026-12-18 -1\n2026-12-18 1\n"
    )
    assert result.returncode == 1
    assert result.stdout == f"{expected_2}\n"
    assert "line 2: days: '-1' is not a number of working days from 0 to 10,000" in result.stderr
    assert "Traceback" not in result.stderr
    result = opsdesk("calendar", "--help")
    assert result.returncode == 0 and "add-working-days" in result.stdout


# -- the engine against a slow, obviously correct reference -----------------------------------------


def reference_add_working_days(cal: engine.BusinessCalendar, day: dt.date, n: int) -> dt.date:
    """Step one date at a time, counting the dates that have opening hours and are not closed."""
    while n > 0:
        day += dt.timedelta(days=1)
        if cal.always_open or (cal.weekly_hours[day.weekday()] and day not in cal.closed_dates):
            n -= 1
    return day


UK = engine.uk_calendar(range(1970, 2101))
PROPERTY = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
_near_holidays = st.builds(
    lambda d, shift: d + dt.timedelta(days=shift),
    st.sampled_from(sorted(d for d in UK.closed_dates if 2025 <= d.year <= 2029)),
    st.integers(-12, 3),
)
# Up to 2097: 3,000 working days (~12 years) later is still inside the engine's years (to 2110).
start_days = st.one_of(st.dates(dt.date(1970, 1, 1), dt.date(2097, 12, 31)), _near_holidays)


@PROPERTY
@given(start_days, st.one_of(st.integers(0, 30), st.integers(0, 3000)))
def test_uk_add_working_days_matches_reference(day, n):
    assert UK.add_working_days(day, n) == reference_add_working_days(UK, day, n)


@PROPERTY
@given(
    random_calendars(), st.dates(dt.date(2025, 10, 1), dt.date(2029, 3, 31)), st.integers(0, 400), st.data()
)
def test_random_calendars_add_working_days_matches_reference(cal, day, n, data):
    closures = data.draw(st.sets(st.dates(day, day + dt.timedelta(days=30)), max_size=5))
    cal = cal.with_closures(closures)
    assert cal.add_working_days(day, n) == reference_add_working_days(cal, day, n)


def test_engine_refuses_what_it_cannot_answer():
    with pytest.raises(ValueError):
        UK.add_working_days(dt.date(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        UK.add_working_days(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 1)
    for day, n in [
        (dt.date(1, 1, 1), 1),
        (dt.date(9999, 12, 31), 1),
        (dt.date(2026, 1, 1), 99_999_999),
        (dt.date(2110, 12, 20), 30),
    ]:
        with pytest.raises(engine.OutsideWindow):
            UK.add_working_days(day, n)
    assert engine.always_open_calendar().add_working_days(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 25)
    with pytest.raises(engine.OutsideWindow):
        engine.always_open_calendar().add_working_days(dt.date(2026, 1, 1), 10**12)
