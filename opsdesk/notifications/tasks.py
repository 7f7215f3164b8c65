"""Huey tasks of the outbox (L2). They take ids, never objects, and are safe to run twice: the claim
token in the row decides who may send (architecture.md, "Durable work")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.notifications import delivery


@db_task()
def deliver_notification(notification_id: int) -> bool:
    """Scheduled on commit by notification_enqueue: the fast path, usually within a second."""
    return delivery.deliver(notification_id)


@db_task()
def send_claimed_notification(notification_id: int, claim_token: str) -> bool:
    """A row the sweep already claimed; exits without sending if the claim has since been lost."""
    return delivery.send_claimed(notification_id, claim_token)


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> int:
    """Every minute: recover rows of crashed workers, retry failures whose backoff has passed, and
    send anything whose on-commit hand-off never reached the queue."""
    return delivery.sweep()


@db_periodic_task(crontab(minute="17"))
def idempotency_keys_purge() -> int:
    """Hourly: drop idempotency keys past their retention (L3), so the table stays small."""
    from opsdesk.core.idempotency import purge_expired

    return purge_expired()
