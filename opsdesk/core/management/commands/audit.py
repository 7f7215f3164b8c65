"""`opsdesk audit verify`: walk the audit log's hash chain (L1) and report the first break.

Reads the rows in id order a batch at a time, so memory stays flat however long the log is. A row
whose hash is not the hash of its content was edited; a row whose prev_hash is not the previous
row's hash follows a deleted (or inserted) row. Exits 0 with "ok, N events verified" when the
chain is intact, 1 naming the row otherwise. The last line of a clean run gives the head hash:
keep it somewhere the database owner cannot write, and a rewrite of the whole chain shows too.
"""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from opsdesk.core import auditchain
from opsdesk.core.models import AuditEvent


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number.")
    if not 1 <= number <= 100_000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100000, not {number}.")
    return number


class Command(BaseCommand):
    # A tool for people and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = "Audit log tools. `verify` checks the hash chain and reports the first broken link."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{verify}", required=True)
        verify = sub.add_parser("verify", help="Check every audit event against the hash chain.")
        verify.add_argument(
            "--batch-size",
            type=positive,
            default=2000,
            metavar="N",
            help="Rows read per query (default 2000).",
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "verify":
            self.verify(options["batch_size"])

    def verify(self, batch_size: int) -> None:
        prev_hash, prev_id, count, last_id = auditchain.GENESIS, None, 0, 0
        while True:
            batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
            if not batch:
                break
            for event in batch:
                if not event.chain_intact():
                    raise CommandError(
                        f"audit chain broken at event {event.id}: its content does not match its "
                        f"hash (the row was edited). {count} events before it verified."
                    )
                if event.prev_hash != prev_hash:
                    after = f"event {prev_id}" if prev_id is not None else "the start of the log"
                    raise CommandError(
                        f"audit chain broken at event {event.id}: its link does not match {after} "
                        f"(rows between them were deleted, or the chain was rewritten). "
                        f"{count} events before it verified."
                    )
                prev_hash, prev_id = event.hash, event.id
                count += 1
            last_id = batch[-1].id
        self.stdout.write(f"ok, {count} events verified")
        if prev_id is not None:
            self.stdout.write(f"head: event {prev_id} {prev_hash}")
