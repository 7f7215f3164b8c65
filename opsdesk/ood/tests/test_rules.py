"""G4 start rule over every day of 2026–2028 against an independent computation, and the G6 billing
table of sla-examples.md, through the pure rules and `opsdesk ood`."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from opsdesk.ood import rules


def every_day(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def reference_start(approved_on: dt.date) -> dt.date:
    """Walk forward one day at a time and stop at the 1st or 2nd first-of-month met."""
    firsts_wanted = 1 if approved_on.day <= 20 else 2
    day = approved_on
    while True:
        day += dt.timedelta(days=1)
        if day.day == 1:
            firsts_wanted -= 1
            if firsts_wanted == 0:
                return day


def test_start_rule_every_day_of_2026_to_2028():
    days = list(every_day(dt.date(2026, 1, 1), dt.date(2028, 12, 31)))
    assert len(days) == 365 + 365 + 366
    for day in days:
        assert rules.engagement_start(day) == reference_start(day), day


@pytest.mark.parametrize(
    "approved_on, start",
    [
        ("2026-11-20", "2026-12-01"),
        ("2026-11-21", "2027-01-01"),
        ("2026-12-20", "2027-01-01"),
        ("2026-12-21", "2027-02-01"),
        ("2026-12-31", "2027-02-01"),
        ("2028-02-29", "2028-04-01"),
        ("2026-01-01", "2026-02-01"),
    ],
)
def test_start_rule_examples(approved_on, start):
    assert rules.engagement_start(dt.date.fromisoformat(approved_on)).isoformat() == start


BILLING_TABLE = [
    # allocated, hours, billed, overrun (sla-examples.md › Block billing)
    (3, "0", 0, "0.00"),
    (3, "0.5", 1, "0.00"),
    (3, "20", 1, "0.00"),
    (3, "20.25", 2, "0.00"),
    (3, "60", 3, "0.00"),
    (3, "61", 3, "1.00"),
]


@pytest.mark.parametrize("allocated, hours, billed, overrun", BILLING_TABLE)
def test_billing_table(allocated, hours, billed, overrun):
    result = rules.bill(allocated, hours)
    assert result.billed_blocks == billed
    assert result.as_dict()["overrun_hours"] == overrun
    assert result.overrun == (overrun != "0.00")
    assert result.hours_used == Decimal(hours)


def test_unused_whole_blocks_are_not_billed_and_nothing_allocated_is_all_overrun():
    assert rules.bill(5, Decimal("39.75")).billed_blocks == 2
    nothing = rules.bill(0, "7.5")
    assert (nothing.billed_blocks, nothing.overrun_hours) == (0, Decimal("7.5"))


@pytest.mark.parametrize(
    "hours, message",
    [
        ("0.1", "'0.1' is not in quarter hours"),
        ("20.3", "'20.3' is not in quarter hours"),
        ("-1", "'-1' is not a number of hours"),
        (Decimal("-0.25"), "'-0.25' is negative"),
        ("abc", "'abc' is not a number of hours"),
        ("NaN", "'NaN' is not a number of hours"),
        ("1e2", "'1e2' is not a number of hours"),
        ("99999999999", "'99999999999' is more than"),
    ],
)
def test_bad_hours_are_refused_naming_the_value(hours, message):
    with pytest.raises(rules.RuleError) as info:
        rules.bill(3, hours)
    assert info.value.field == "hours"
    assert message in info.value.message


@pytest.mark.parametrize("allocated", ["-1", "1.5", "x", True, 1.5, 10_001])
def test_bad_allocations_are_refused(allocated):
    with pytest.raises(rules.RuleError) as info:
        rules.bill(allocated, "1")
    assert info.value.field == "allocated"


# -- the command -----------------------------------------------------------------------------------


def run(*args, stdin=""):
    out = io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin)):
        call_command("ood", *args, stdout=out)
    return out.getvalue().splitlines()


def test_start_date_command_exactly_as_the_spec():
    assert run("start-date", "--approved-on", "2026-11-20") == ["2026-12-01"]
    assert run("start-date", "--approved-on", "2026-11-21") == ["2027-01-01"]


def test_start_date_batch_in_order():
    assert run("start-date", stdin="2026-11-20\n\n2026-11-21\n2028-02-29\n") == [
        "2026-12-01",
        "2027-01-01",
        "2028-04-01",
    ]


def test_start_date_bad_line_names_the_line():
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"line 2: approved_on: '2026-13-01' is not a date"):
        with mock.patch("sys.stdin", io.StringIO("2026-11-20\n2026-13-01\n2026-11-21\n")):
            call_command("ood", "start-date", stdout=out)
    assert out.getvalue() == "2026-12-01\n"
    with pytest.raises(CommandError, match=r"line 1: expected 'DATE'"):
        run("start-date", stdin="2026-11-20 2026-11-21\n")
    with pytest.raises(CommandError, match="out of range"):
        run("start-date", "--approved-on", "1900-01-01")


def test_bill_command_exactly_as_the_spec():
    assert run("bill", "--allocated", "3", "--hours", "61") == [
        '{"allocated_blocks": 3, "hours_used": "61.00", "billed_blocks": 3, "overrun_hours": "1.00"}'
    ]


def test_bill_batch_is_the_billing_table():
    lines = "".join(f"{a} {h}\n" for a, h, _, _ in BILLING_TABLE)
    answers = [json.loads(line) for line in run("bill", stdin=lines)]
    assert [(a["billed_blocks"], a["overrun_hours"]) for a in answers] == [
        (b, o) for _, _, b, o in BILLING_TABLE
    ]
    assert answers[1] == {
        "allocated_blocks": 3,
        "hours_used": "0.50",
        "billed_blocks": 1,
        "overrun_hours": "0.00",
    }


@pytest.mark.parametrize(
    "stdin, message",
    [
        ("3 61\n3 0.1\n", "line 2: hours: '0.1' is not in quarter hours"),
        ("3 61\n3\n", "line 2: expected 'ALLOCATED HOURS', got '3'"),
        ("3 61\nx 1\n", "line 2: allocated: 'x' is not a whole number of blocks"),
    ],
)
def test_bill_batch_bad_line(stdin, message):
    with pytest.raises(CommandError, match=message):
        run("bill", stdin=stdin)


def test_bill_flags_must_come_together():
    with pytest.raises(CommandError, match="--hours is required"):
        run("bill", "--allocated", "3")
    with pytest.raises(CommandError, match="--hours needs --allocated"):
        run("bill", "--hours", "3")


def test_through_the_opsdesk_entry_point(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(OPSDESK_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")

    def opsdesk(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "opsdesk", "ood", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    result = opsdesk("start-date", "--approved-on", "2026-11-21")
    assert (result.returncode, result.stdout) == (0, "2027-01-01\n"), result.stderr
    result = opsdesk("bill", stdin="3 61\n3 20.3\n")
    assert result.returncode == 1
    assert result.stdout == (
        '{"allocated_blocks": 3, "hours_used": "61.00", "billed_blocks": 3, "overrun_hours": "1.00"}\n'
    )
    assert "line 2: hours: '20.3' is not in quarter hours" in result.stderr
    assert "Traceback" not in result.stderr
