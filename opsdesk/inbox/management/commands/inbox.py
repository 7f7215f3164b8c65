"""`opsdesk inbox process`: process the inbox's due deliveries in this process, now (issue 12) — after
an outage, or when no worker is running. The same claims as the sweep (lease + token), so it is safe
beside running workers and safe to kill: a killed run's rows come back when their lease runs out."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from opsdesk.inbox import processing


class Command(BaseCommand):
    # A tool for operators and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = "The inbox of raw deliveries. `inbox process [--wait] [--batch N]`: process what is due, exit."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("process", help="Process every due delivery, batch by batch, then exit.")
        run.add_argument("--batch", type=int, default=10, help="Deliveries claimed at a time (default 10).")
        run.add_argument(
            "--wait",
            action="store_true",
            help="Also wait for deliveries other workers hold (or held, when killed) until their "
            "lease runs out, and process them: exit only when nothing is received or processing.",
        )

    def handle(self, *args, **options):
        if not 1 <= options["batch"] <= 1000:
            raise CommandError("--batch must be between 1 and 1000.")
        counts = processing.drain(batch=options["batch"], wait_for_leases=options["wait"])
        self.stdout.write(
            f"Processed {counts['processed']} deliveries; {counts['not_processed']} not processed "
            f"(failed, to be retried, or taken by another worker); {counts['requeued']} re-queued "
            "after an expired lease."
        )
