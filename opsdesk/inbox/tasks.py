"""Huey tasks of the inbox (issue 12). They take ids and are safe to run twice: the claim token in
the row decides who may process (architecture.md, "Durable work")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.inbox import processing


@db_task()
def process_delivery(delivery_id: int) -> int:
    """Scheduled on commit by the intake for each delivery: the fast path. It processes whatever
    is due — this delivery and any that arrived with it — in batches (processing.process_due). In a
    storm most of these find their delivery already taken by an earlier one's batch: one indexed
    read, and done."""
    if not processing.is_waiting(delivery_id):
        return 0
    return processing.process_due()


@db_task()
def process_due() -> int:
    """More of what process_delivery started, when it left full batches behind."""
    return processing.process_due()


@db_task()
def process_claimed_delivery(delivery_id: int, claim_token: str) -> bool:
    """A row the sweep already claimed; exits if the claim has since been lost."""
    return processing.process_claimed(delivery_id, claim_token)


@db_periodic_task(crontab(minute="*"))
def inbox_sweep() -> int:
    """Every minute: recover rows of killed workers, retry failures whose backoff passed, and
    process anything whose on-commit hand-off never reached the queue."""
    return processing.sweep()


@db_periodic_task(crontab(minute="23"))
def inbox_purge() -> int:
    """Hourly: drop processed and refused deliveries past their retention."""
    return processing.purge()
