"""`opsdesk sla targets`: "when is this due?" from the shell (B3, L5), exactly as in sla-examples.md."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from opsdesk.core.cli import answer_flags, answer_lines
from opsdesk.sla.services import parse_instant, targets_as_dict, targets_on_calendar


def answer(priority: str, logged_at: str, calendar: str) -> str:
    instant = parse_instant(logged_at)
    targets = targets_on_calendar(priority=priority, logged_at=instant, calendar=calendar)
    return json.dumps(targets_as_dict(targets, instant))


class Command(BaseCommand):
    # A tool for people and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = (
        "SLA questions. `sla targets --priority P3 --logged-at 2026-12-01T16:30:00+00:00 [--calendar uk]`; "
        "without --priority, reads 'PRIORITY TIMESTAMP' lines on standard input and writes JSON lines."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        targets = sub.add_parser("targets", help="Initial and considered response targets.")
        targets.add_argument("--priority", help="P1, P2, P3 or P4; omit to read lines from standard input.")
        targets.add_argument("--logged-at", dest="logged_at", help="ISO 8601 with a UTC offset.")
        targets.add_argument("--calendar", default="uk", help="Calendar name (default uk).")

    def handle(
        self, *args, action: str, priority: str | None, logged_at: str | None, calendar: str, **options
    ):
        if priority is not None:
            if logged_at is None:
                raise CommandError("--logged-at is required with --priority.")
            answer_flags(self.stdout, answer, priority, logged_at, calendar)
            return
        if logged_at is not None:
            raise CommandError("--logged-at needs --priority (or give neither and use standard input).")
        answer_lines(
            self.stdout, sys.stdin, lambda p, t: answer(p, t, calendar), expected="PRIORITY TIMESTAMP"
        )
