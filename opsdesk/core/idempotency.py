"""Idempotency keys on creates (L3): the same key and body gives the first response again; the same
key with another body is 422; a request still in flight with that key is 409. Keys are per user
and kept at least 24 hours (IDEMPOTENCY_KEY_TTL_HOURS)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from opsdesk.core.models import IdempotencyKey, IdempotencyState

#: A claim older than this is a request whose process died; a retry may take it over.
STALE_IN_FLIGHT = dt.timedelta(minutes=5)
#: Responses that mean "nothing was processed": not stored, so a retry runs again.
_NOT_STORED = {401, 403, 409, 429}


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "errors": [{"field": "Idempotency-Key", "message": detail}]}, status=status
    )


def fingerprint(request: HttpRequest) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0")
    h.update(request.get_full_path().encode())
    h.update(b"\0")
    h.update(request.body)
    return h.hexdigest()


def claim(user: Any, key: str, fp: str) -> tuple[IdempotencyKey | None, HttpResponse | None]:
    """Either a fresh claim (row, None) or the response to give instead (None, response)."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fp), None
    except IntegrityError:
        pass
    with transaction.atomic():
        existing = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
        if existing.fingerprint != fp:
            return None, _error(422, "This Idempotency-Key was already used with a different request.")
        if existing.state == IdempotencyState.IN_FLIGHT:
            if timezone.now() - existing.created_at < STALE_IN_FLIGHT:
                return None, _error(409, "A request with this Idempotency-Key is still being processed.")
            existing.created_at = timezone.now()
            existing.save(update_fields=["created_at"])
            return existing, None
        response = HttpResponse(
            bytes(existing.response_body or b""),
            status=existing.response_status,
            content_type=existing.response_content_type or "application/json",
        )
        for name, value in existing.response_headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return None, response


def store(row: IdempotencyKey, response: HttpResponse) -> None:
    if response.status_code >= 500 or response.status_code in _NOT_STORED or response.streaming:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    headers = {k: response[k] for k in ("ETag", "Location") if response.has_header(k)}
    IdempotencyKey.objects.filter(pk=row.pk).update(
        state=IdempotencyState.DONE,
        response_status=response.status_code,
        response_body=response.content,
        response_content_type=response.get("Content-Type", "application/json"),
        response_headers=headers,
    )


def release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).delete()


def purge_expired() -> int:
    cutoff = timezone.now() - dt.timedelta(hours=max(24, settings.IDEMPOTENCY_KEY_TTL_HOURS))
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def parse_key(raw: str) -> str | None:
    key = raw.strip()
    if not key or len(key) > 255 or any(ord(c) < 32 for c in key):
        return None
    return key


__all__ = ["claim", "store", "release", "purge_expired", "fingerprint", "parse_key"]
