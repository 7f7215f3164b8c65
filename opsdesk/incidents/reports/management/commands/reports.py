"""`opsdesk reports rebuild`: recompute the SLA report's whole monthly roll-up (after a change of
the provider's time zone or of the escalation levels, or to check it); `opsdesk reports refresh`:
recompute only the rows marked as changed (what the minute task does)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from opsdesk.incidents.reports.services import rebuild, refresh_all_marked


class Command(BaseCommand):
    help = (
        "The SLA report's monthly roll-up: `reports rebuild` (everything) or `reports refresh` (marked rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "refresh"])

    def handle(self, *args, action: str, **options):
        started = time.perf_counter()
        if action == "rebuild":
            done = f"{rebuild():,} rows written"
        else:
            done = f"{refresh_all_marked():,} marked keys refreshed"
        self.stdout.write(f"{done} in {time.perf_counter() - started:.1f} s")
