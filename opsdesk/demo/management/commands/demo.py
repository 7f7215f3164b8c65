"""`opsdesk demo`: a believable provider with three customers, for `make run` and for trying things (L5).

Idempotent: each app's step creates only what is missing (see opsdesk/demo/steps.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from opsdesk.core.errors import ApplicationError
from opsdesk.demo.steps import run_demo
from opsdesk.directory.demo import DEMO_PASSWORD, demo_logins, format_logins


class Command(BaseCommand):
    help = "Create the demo provider, three customer organisations and their logins (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo = run_demo()
        except ApplicationError as exc:
            raise CommandError(f"Demo data could not be created: {exc.detail}")
        if demo.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data: created {demo.created} records."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):\n")
        self.stdout.write(format_logins(demo_logins()))
