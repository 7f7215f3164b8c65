"""Processing the inbox (issue 12): claim a delivery under a lease, hand it to its kind's handler,
mark it only with the claim token — the outbox's shape (notifications/delivery.py), for the same
reason (architecture.md, "Durable work"): Huey does not acknowledge tasks, the row is the truth.

- a claim is one conditional UPDATE (received and due → processing, a lease, a fresh token), so
  two workers never both hold a row; batches are claimed with SELECT … FOR UPDATE SKIP LOCKED;
- the handler is called only by the claim holder, and only the current token may mark the row; a
  worker whose lease ran out and was re-claimed finds another token and its marks change nothing;
- the sweep puts rows whose lease expired back to received, so a killed worker delays a delivery
  but never loses it. Handlers are therefore written to be safe to run twice (they de-duplicate by
  the delivery or by their own keys).

Every function takes `now` so tests can move time without sleeping.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from opsdesk.core.leases import LeasedRows
from opsdesk.inbox import registry
from opsdesk.inbox.choices import DeliveryState
from opsdesk.inbox.models import Delivery
from opsdesk.notifications.delivery import backoff

logger = logging.getLogger("opsdesk.inbox")

SWEEP_BATCH_SIZE = 100
SWEEP_MAX_BATCHES = 10
#: Small: new alerts in a batch are processed one by one, and a batch is one worker thread's.
DUE_BATCH_SIZE = 25
DUE_MAX_BATCHES = 10
PURGE_BATCH_SIZE = 1000


#: The inbox as durable work under a lease (core.leases); batches in the order deliveries arrived
#: (a batch handler applies one alarm identity's state changes in turn).
INBOX = LeasedRows(
    model=Delivery,
    waiting=DeliveryState.RECEIVED,
    held=DeliveryState.PROCESSING,
    dead=DeliveryState.FAILED,
    lease_seconds=lambda: settings.INBOX_LEASE_SECONDS,
    max_attempts=lambda: settings.INBOX_MAX_ATTEMPTS,
    error_field="error",
    order=("received_at", "pk"),
)


def _due(now: dt.datetime) -> Q:
    return INBOX.due(now)


def is_waiting(delivery_id: int) -> bool:
    """Still received (due now or later): not yet taken by a worker, processed or failed."""
    return Delivery.objects.filter(pk=delivery_id, state=DeliveryState.RECEIVED).exists()


# --- claiming --------------------------------------------------------------------------------


def claim(delivery_id: int, *, now: dt.datetime | None = None) -> Delivery | None:
    """Take one due, received row for this worker; None when it is not due, taken or done."""
    return INBOX.claim(delivery_id, now or timezone.now())


def claim_batch(*, now: dt.datetime | None = None, limit: int = SWEEP_BATCH_SIZE) -> list[Delivery]:
    """Take up to `limit` due rows, skipping rows another transaction has locked."""
    return INBOX.claim_batch(now or timezone.now(), limit)


def requeue_expired(*, now: dt.datetime | None = None) -> int:
    """Rows whose worker stopped mid-way go back to received (or fail after the last attempt)."""
    requeued, dead = INBOX.requeue_expired(
        now or timezone.now(), "The worker's lease expired before the delivery was processed."
    )
    if dead or requeued:
        logger.warning("inbox leases expired", extra={"requeued": requeued, "dead": dead})
    return requeued + dead


# --- marking ---------------------------------------------------------------------------------


def _holder(delivery: Delivery):
    return Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.PROCESSING, claim_token=delivery.claim_token
    )


def mark_done(delivery: Delivery, state: str, *, now: dt.datetime | None = None, error: str = "") -> bool:
    """Processed or unrouted, by the current claim only; a stale worker's token matches nothing."""
    now = now or timezone.now()
    return bool(
        _holder(delivery).update(
            state=state,
            processed_at=now,
            error=error,
            lease_until=None,
            claim_token=None,
            version=F("version") + 1,
            updated_at=now,
        )
    )


def mark_failed(delivery: Delivery, error: str, *, now: dt.datetime | None = None) -> bool:
    """Back to received after a backoff, or failed after INBOX_MAX_ATTEMPTS."""
    now = now or timezone.now()
    dead = delivery.attempts >= settings.INBOX_MAX_ATTEMPTS
    changes = dict(
        lease_until=None, claim_token=None, error=error[:2000], version=F("version") + 1, updated_at=now
    )
    if dead:
        changes.update(state=DeliveryState.FAILED)
    else:
        changes.update(state=DeliveryState.RECEIVED, next_attempt_at=now + backoff(delivery.attempts))
    (logger.error if dead else logger.warning)(
        "inbox delivery failed",
        extra={"delivery": delivery.pk, "attempts": delivery.attempts, "dead": dead, "error": error[:300]},
    )
    return bool(_holder(delivery).update(**changes))


# --- processing ------------------------------------------------------------------------------


class _ClaimLost(Exception):
    """The lease ran out and another worker took the row: undo this worker's handler."""


def _process_claimed(delivery: Delivery, now: dt.datetime | None) -> bool:
    handler = registry.handler_for(delivery.kind)
    if handler is None:
        return mark_done(
            delivery,
            DeliveryState.UNROUTED,
            now=now,
            error=f"No handler is registered for {delivery.kind!r}.",
        )
    try:
        # The handler's writes and the mark commit together: a worker that lost its claim rolls
        # its work back, so the database sees each delivery's effects once.
        with transaction.atomic():
            handler(delivery)
            if not mark_done(delivery, DeliveryState.PROCESSED, now=now):
                raise _ClaimLost()
    except _ClaimLost:
        logger.warning("inbox claim lost before the delivery was marked", extra={"delivery": delivery.pk})
        return False
    except Exception as exc:  # the handler's failure is the delivery's, kept on the row
        mark_failed(delivery, f"{type(exc).__name__}: {exc}", now=now)
        return False
    return True


def process(delivery_id: int, *, now: dt.datetime | None = None) -> bool:
    """Claim, process and mark one delivery; a no-op when it is not due or someone else has it."""
    delivery = claim(delivery_id, now=now)
    if delivery is None:
        return False
    return _process_claimed(delivery, now)


def process_claimed(
    delivery_id: int, claim_token: uuid.UUID | str, *, now: dt.datetime | None = None
) -> bool:
    """Process a row the sweep claimed, but only while that claim is still the current one."""
    delivery = Delivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PROCESSING, claim_token=claim_token
    ).first()
    if delivery is None:
        return False
    return _process_claimed(delivery, now)


def _process_together(deliveries: list[Delivery], handler, now: dt.datetime | None) -> list[Delivery]:
    """A batch handler's run: it takes what it can do together (an alarm storm's repeats) and its
    writes commit with the marks of what it took, or nothing does. Returns the deliveries left to
    process one by one: those it did not take, or all of them when it failed or a claim was lost."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            taken = handler(deliveries)
            if taken:
                marked = Delivery.objects.filter(
                    pk__in=[d.pk for d in taken],
                    state=DeliveryState.PROCESSING,
                    claim_token=deliveries[0].claim_token,
                ).update(
                    state=DeliveryState.PROCESSED,
                    processed_at=now,
                    error="",
                    lease_until=None,
                    claim_token=None,
                    version=F("version") + 1,
                    updated_at=now,
                )
                if marked != len(taken):
                    raise _ClaimLost()
    except _ClaimLost:
        logger.warning("inbox claim lost before a batch was marked", extra={"deliveries": len(deliveries)})
        return deliveries
    except Exception as exc:  # one bad delivery must not fail the others: one by one instead
        error = f"{type(exc).__name__}: {exc}"[:300]
        logger.info("inbox batch fell back to one by one", extra={"error": error})
        return deliveries
    done = {d.pk for d in taken}
    return [d for d in deliveries if d.pk not in done]


def process_batch(claimed: list[Delivery], *, now: dt.datetime | None = None) -> int:
    """Process deliveries claimed together (one claim token): what a kind's batch handler takes in
    one go (registry.register_batch: an alarm storm's repeats in a few writes), the rest one by
    one. Returns how many were processed."""
    by_kind: dict[str, list[Delivery]] = {}
    for delivery in claimed:
        by_kind.setdefault(delivery.kind, []).append(delivery)
    processed = 0
    for kind, deliveries in by_kind.items():
        handler = registry.batch_handler_for(kind)
        rest = deliveries
        if handler is not None and len(deliveries) > 1:
            rest = _process_together(deliveries, handler, now)
            processed += len(deliveries) - len(rest)
        for delivery in rest:
            processed += _process_claimed(delivery, now)
    return processed


def process_due(*, now: dt.datetime | None = None, limit: int = DUE_BATCH_SIZE) -> int:
    """The intake's hand-off (tasks.process_delivery): claim whatever is due, in batches, and
    process it. Each accepted delivery schedules one of these, so in a storm the first task takes a
    batch and the tasks after it find their rows taken (tasks.process_delivery: one read); a task stops
    after DUE_MAX_BATCHES full batches and hands the rest on, so none runs unbounded."""
    processed = 0
    for _ in range(DUE_MAX_BATCHES):
        batch = claim_batch(now=now, limit=limit)
        processed += process_batch(batch, now=now) if batch else 0
        if len(batch) < limit:
            return processed
    from opsdesk.inbox.tasks import process_due as more

    more()
    return processed


def sweep(*, now: dt.datetime | None = None, dispatch=None) -> int:
    """The periodic safety net: re-queue expired leases, then claim due rows and hand them out.
    `dispatch(delivery_id, claim_token)` defaults to the Huey task."""
    now = now or timezone.now()
    if dispatch is None:
        from opsdesk.inbox.tasks import process_claimed_delivery as dispatch
    requeue_expired(now=now)
    handed_out = 0
    for _ in range(SWEEP_MAX_BATCHES):
        batch = claim_batch(now=now)
        for delivery in batch:
            dispatch(delivery.pk, str(delivery.claim_token))
        handed_out += len(batch)
        if len(batch) < SWEEP_BATCH_SIZE:
            break
    return handed_out


def drain(*, batch: int = 10, wait_for_leases: bool = False, sleep=None) -> dict[str, int]:
    """Process everything due now, in this process, batch by batch (`opsdesk inbox process`): the
    sweep's claims without the queue. With `wait_for_leases`, rows another worker holds are waited
    for until they are done or their lease runs out (a killed worker's rows are then re-queued and
    processed here), so the inbox is empty of received and processing rows when it returns."""
    import time

    sleep = sleep or time.sleep
    counts = {"processed": 0, "not_processed": 0, "requeued": 0}
    while True:
        counts["requeued"] += requeue_expired()
        claimed = claim_batch(limit=batch)
        for delivery in claimed:
            done = process_claimed(delivery.pk, delivery.claim_token)
            counts["processed" if done else "not_processed"] += 1
        if claimed:
            continue
        if not wait_for_leases:
            return counts
        held = Delivery.objects.filter(state=DeliveryState.PROCESSING).order_by("lease_until").first()
        if held is None:
            if not Delivery.objects.filter(_due(timezone.now())).exists():
                return counts
            continue
        wait = (held.lease_until - timezone.now()).total_seconds() if held.lease_until else 0
        sleep(min(max(wait, 0.05), 5.0))


def purge(*, now: dt.datetime | None = None) -> int:
    """Retention: processed and refused deliveries older than OPSDESK_INBOX_RETENTION_DAYS go, in
    batches. Unrouted and failed ones stay until someone re-processes them."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.INBOX_RETENTION_DAYS)
    old = Delivery.objects.filter(
        state__in=(DeliveryState.PROCESSED, DeliveryState.REFUSED), received_at__lt=cutoff
    )
    removed = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH_SIZE])
        if not ids:
            return removed
        removed += Delivery.objects.filter(pk__in=ids).delete()[0]
