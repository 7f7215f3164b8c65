"""`opsdesk calendar add-working-days`: "which date is N working days after this one?" from the
shell (C6, D3, E2, H2), exactly as in sla-examples.md › Working days."""

from __future__ import annotations

import datetime as dt
import re
import sys

from django.core.management.base import BaseCommand, CommandError

from opsdesk.calendars.selectors import calendar_by_name
from opsdesk.calendars.services import WORKING_DAYS_MAX, add_working_days
from opsdesk.core.cli import answer_flags, answer_lines
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import check_window


def parse_day(value: str, *, field: str = "from") -> dt.date:
    """A date as the shell gives it, YYYY-MM-DD, inside 1970–2100 (core.limits)."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.field(field, f"'{value}' is not a date (YYYY-MM-DD, e.g. 2026-12-24).")
    return check_window(day, field=field, shown=value.strip())


def parse_days(value: str, *, field: str = "days") -> int:
    """A whole number as the shell gives it (digits, an optional sign); its range is the service's."""
    text = value.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValidationFailed.field(field, f"'{value}' is not a whole number of working days.")
    if len(text) > 20:  # beyond any range, and int() refuses thousands of digits
        raise ValidationFailed.field(
            field, f"'{text[:20]}…' is not a number of working days from 0 to {WORKING_DAYS_MAX:,}."
        )
    return int(text)


class Command(BaseCommand):
    # A tool for people and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = (
        "Calendar questions. `calendar add-working-days --from 2026-12-24 --days 1 [--calendar uk]`; "
        "without --from, reads 'DATE N' lines on standard input and writes one date a line."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add-working-days",
            help="The N-th working day after a date (the date itself never counts; weekends and closed "
            "days are skipped).",
        )
        add.add_argument(
            "--from", dest="start", help="YYYY-MM-DD; omit to read 'DATE N' lines from standard input."
        )
        add.add_argument("--days", help="How many working days, 0 or more.")
        add.add_argument("--calendar", default="uk", help="Calendar name (default uk).")

    def handle(self, *args, action: str, start: str | None, days: str | None, calendar: str, **options):
        try:
            found = calendar_by_name(calendar)
        except ValidationFailed as exc:
            raise CommandError(exc.detail)

        def answer(start: str, days: str) -> str:
            return add_working_days(calendar=found, start=parse_day(start), days=parse_days(days)).isoformat()

        if start is not None:
            if days is None:
                raise CommandError("--days is required with --from.")
            answer_flags(self.stdout, answer, start, days)
        elif days is not None:
            raise CommandError("--days needs --from (or give neither and use standard input).")
        else:
            answer_lines(self.stdout, sys.stdin, answer, expected="DATE N")
