"""`opsdesk ood start-date` and `opsdesk ood bill`: the G4 start rule and the G6 block-billing rule
from the shell, exactly as in sla-examples.md (one answer from flags, or one a line from standard
input; a bad line named on standard error with a non-zero exit)."""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from opsdesk.core.cli import answer_flags, answer_lines
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import check_window
from opsdesk.ood import rules


def _day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.field("approved_on", f"'{value}' is not a date (YYYY-MM-DD, e.g. 2026-11-20).")
    return check_window(day, field="approved_on", shown=value.strip())


def start_date(approved_on: str) -> str:
    return rules.engagement_start(_day(approved_on)).isoformat()


def bill(allocated: str, hours: str) -> str:
    try:
        result = rules.bill(allocated, hours)
    except rules.RuleError as exc:
        raise ValidationFailed.field(exc.field, exc.message)
    return json.dumps(result.as_dict())


class Command(BaseCommand):
    # A tool for people and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = (
        "Operations on Demand rules. `ood start-date --approved-on 2026-11-20` (G4); "
        "`ood bill --allocated 3 --hours 61` (G6). Without the flags each reads lines from standard input."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        start = sub.add_parser(
            "start-date",
            help="The engagement start for an approval date: the 1st of the next month, or of the month "
            "after when approved after the 20th.",
        )
        start.add_argument(
            "--approved-on", help="YYYY-MM-DD; omit to read one date a line from standard input."
        )
        billing = sub.add_parser("bill", help="Billed blocks and overrun hours of one engagement-month.")
        billing.add_argument(
            "--allocated", help="Allocated blocks; omit to read 'ALLOCATED HOURS' lines from standard input."
        )
        billing.add_argument("--hours", help="Hours used in the month, in quarter hours (e.g. 20.25).")

    def handle(self, *args, action: str, **options):
        if action == "start-date":
            approved_on = options.get("approved_on")
            if approved_on is not None:
                answer_flags(self.stdout, start_date, approved_on)
            else:
                answer_lines(self.stdout, sys.stdin, start_date, expected="DATE")
            return
        allocated, hours = options.get("allocated"), options.get("hours")
        if allocated is not None:
            if hours is None:
                raise CommandError("--hours is required with --allocated.")
            answer_flags(self.stdout, bill, allocated, hours)
        elif hours is not None:
            raise CommandError("--hours needs --allocated (or give neither and use standard input).")
        else:
            answer_lines(self.stdout, sys.stdin, bill, expected="ALLOCATED HOURS")
