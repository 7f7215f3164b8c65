"""`opsdesk billing import FILE`: import an AWS cost file from the shell (issue 12 item 6), streamed
as the upload is. A refused file is named on standard error with its line and column, exit status 1,
and nothing is imported."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from opsdesk.billing import services
from opsdesk.core.errors import ValidationFailed


class Command(BaseCommand):
    # A tool for people and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = "Billing reviews. `billing import FILE`: import an AWS cost and usage (or Cost Explorer) CSV."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import one CSV file; it replaces the same accounts' days.")
        imp.add_argument("file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, "rb") as handle:
                record = services.cost_import_run(actor=None, file=handle, file_name=path.rsplit("/", 1)[-1])
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}")
        except ValidationFailed as exc:
            raise CommandError(f"{path}: {exc.detail}")
        self.stdout.write(
            f"Imported {record.rows} lines into {record.cost_lines} daily costs for "
            f"{len(record.accounts)} account(s), {record.period_start} to {record.period_end}; "
            f"{record.replaced} earlier daily costs replaced."
        )
