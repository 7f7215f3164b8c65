"""`opsdesk worker`: the Huey consumer that delivers the outbox and runs the periodic sweeps (L2, L5)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def _immediate() -> bool:
    huey = settings.HUEY
    return bool(huey.get("immediate")) if isinstance(huey, dict) else bool(huey.immediate)


class Command(BaseCommand):
    help = (
        "Run the task worker: outbox deliveries (email, signed webhooks) and the periodic sweeps. "
        "Its queue is SQLite beside the database by default, Redis when REDIS_URL is set."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-w",
            "--workers",
            type=int,
            default=None,
            help="Number of workers (default OPSDESK_WORKER_THREADS).",
        )
        parser.add_argument(
            "-k",
            "--worker-type",
            choices=("thread", "process", "greenlet"),
            default=None,
            dest="worker_type",
            help="Kind of worker (default thread).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            default=True,
            help="Do not schedule the periodic tasks (outbox sweep, purges) from this worker.",
        )

    def handle(self, *args, **options):
        if _immediate():
            raise CommandError(
                "Huey is in immediate mode (OPSDESK_HUEY_IMMEDIATE), so tasks run inside the web process "
                "and a worker would have nothing to consume. Unset it to run a worker."
            )
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        passed = {k: options[k] for k in ("workers", "worker_type") if options[k] is not None}
        if not options["periodic"]:
            passed["periodic"] = False
        # run_huey adds its own plain-text handler when the "huey" logger has none; a NullHandler
        # keeps the consumer's lines in the one structured stream configured in LOGGING (L6).
        huey_logger = logging.getLogger("huey")
        if not huey_logger.handlers:
            huey_logger.addHandler(logging.NullHandler())
        call_command("run_huey", **passed)
