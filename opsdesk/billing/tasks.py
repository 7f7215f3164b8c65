"""Huey tasks of billing reviews (issue 12 item 6): the weekly review, and the import of uploaded
cost files. Safe to run twice: an alert exists once per (organisation, account, week) and its
notifications carry a dedup key; an import is claimed from its row (queued → running), so a second
run finds nothing to do (architecture.md, "Durable work")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.billing import services


@db_periodic_task(crontab(day_of_week="1", hour="7", minute="5"))
def billing_weekly_review() -> int:
    """Mondays 07:05 (server time, UTC): the week just ended against the one before (F4)."""
    return services.billing_alerts_weekly()


@db_task()
def cost_import_process(import_id: int) -> bool:
    """Scheduled on commit by an upload: import the stored file."""
    return services.cost_import_process(import_id)


@db_periodic_task(crontab(minute="*"))
def cost_import_sweep() -> int:
    """Every minute: re-queue imports of killed workers, dispatch queued ones never dispatched."""
    return services.cost_import_sweep()
