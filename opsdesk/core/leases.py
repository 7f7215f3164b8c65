"""Durable work under a lease (architecture.md, "Durable work"): the claim, batch claim and
expired-lease recovery shared by the outbox (notifications/delivery.py) and the inbox
(inbox/processing.py), which were written twice.

Huey does not acknowledge tasks, so the row is the truth: a claim is one conditional UPDATE (waiting
and due → held, a lease and a fresh token), so two workers never both hold a row; batches are
claimed with SELECT … FOR UPDATE SKIP LOCKED so concurrent sweeps do not queue behind each other;
only the current token may mark a row; rows whose lease ran out go back to waiting (or dead after
the last attempt), so a killed worker delays work but never loses it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q


@dataclass(frozen=True)
class LeasedRows:
    """A table of durable work: rows wait in state `waiting` until `next_attempt_at`, are held in
    `held` under `lease_until` and `claim_token`, and end in `dead` after `max_attempts()` claims.
    The settings are read when used (tests change them)."""

    model: type[models.Model]
    waiting: str
    held: str
    dead: str
    lease_seconds: Callable[[], int]
    max_attempts: Callable[[], int]
    error_field: str
    #: Relations read with a claimed row; the order claimed rows are handed back in.
    related: tuple[str, ...] = ()
    order: tuple[str, ...] = ("next_attempt_at", "pk")

    def due(self, now: dt.datetime) -> Q:
        return Q(state=self.waiting, next_attempt_at__lte=now)

    def _claimed(self, now: dt.datetime, token: uuid.UUID) -> dict[str, Any]:
        return {
            "state": self.held,
            "lease_until": now + dt.timedelta(seconds=self.lease_seconds()),
            "claim_token": token,
            "attempts": F("attempts") + 1,
            "version": F("version") + 1,
            "updated_at": now,
        }

    def _read(self, **lookup: Any):
        rows = self.model.objects.filter(**lookup)
        return rows.select_related(*self.related) if self.related else rows

    def claim(self, pk: int, now: dt.datetime) -> Any | None:
        """Take one due, waiting row; None when it is not due, taken or done."""
        token = uuid.uuid4()
        if not self.model.objects.filter(self.due(now), pk=pk).update(**self._claimed(now, token)):
            return None
        return self._read(pk=pk, claim_token=token).first()

    def claim_batch(self, now: dt.datetime, limit: int) -> list[Any]:
        """Take up to `limit` due rows, skipping rows another transaction has locked; handed back
        in `order` (oldest first by default)."""
        token = uuid.uuid4()
        with transaction.atomic():
            ids = list(
                self.model.objects.select_for_update(skip_locked=True)
                .filter(self.due(now))
                .order_by(*self.order)
                .values_list("pk", flat=True)[:limit]
            )
            if not ids:
                return []
            self.model.objects.filter(self.due(now), pk__in=ids).update(**self._claimed(now, token))
        return list(self._read(pk__in=ids, claim_token=token).order_by(*self.order))

    def requeue_expired(self, now: dt.datetime, note: str) -> tuple[int, int]:
        """Rows whose worker stopped mid-way: back to waiting, or dead after the last attempt, with
        `note` as their error. (requeued, dead)"""
        expired = self.model.objects.filter(state=self.held, lease_until__lt=now)
        common = {
            "lease_until": None,
            "claim_token": None,
            self.error_field: note,
            "version": F("version") + 1,
            "updated_at": now,
        }
        limit = self.max_attempts()
        dead = expired.filter(attempts__gte=limit).update(state=self.dead, **common)
        requeued = expired.filter(attempts__lt=limit).update(
            state=self.waiting, next_attempt_at=now, **common
        )
        return requeued, dead
