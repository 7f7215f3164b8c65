"""API tokens (L3): shown once, stored as SHA-256, revocable, and expiring (issue 7: by default after
settings.TOKEN_DEFAULT_DAYS, never later than settings.TOKEN_MAX_DAYS)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.audit import audit_record, audit_security_event
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import ApiToken, AuditAction

TOKEN_PREFIX = "opsd_"
#: A name longer than the column is refused, not cut: the client would not recognise its token.
NAME_MAX = ApiToken._meta.get_field("name").max_length
#: last_used_at is written, and a token_used audit event recorded, at most this often per token.
TOKEN_USE_INTERVAL = dt.timedelta(minutes=5)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def expiry_problem(days: int | None) -> str | None:
    """Why a token lifetime in days is refused, or None (absent means the default)."""
    if days is None:
        return None
    if not 1 <= days <= settings.TOKEN_MAX_DAYS:
        return f"Must be between 1 and {settings.TOKEN_MAX_DAYS} days."
    return None


def token_create(
    *, actor: Any, user: Any, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Returns the stored token and the secret, which is never retrievable again. A token without
    an expiry would stay valid for ever if it leaked, so one is always set."""
    problem = expiry_problem(expires_in_days)
    if problem:
        raise ValidationFailed.field("expires_in_days", problem)
    if expires_in_days is None:
        expires_in_days = settings.TOKEN_DEFAULT_DAYS
    if not user.is_active:
        raise ValidationFailed.field("user", "The user is inactive.")
    if len(name) > NAME_MAX:
        raise ValidationFailed.field("name", f"At most {NAME_MAX} characters (it has {len(name)}).")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:12], digest=_digest(secret), expires_at=expires_at
        )
        audit_record(actor=actor, action=AuditAction.CREATE, obj=token, public=False)
    return token, secret


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action=AuditAction.UPDATE, obj=token, note="revoked", public=False)
    return token


def token_authenticate(secret: str) -> Any | None:
    """The user a bearer secret belongs to, or None if unknown, revoked or expired."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret)).first()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_INTERVAL:
        # At most one write (and one audit event) per token per interval: the conditional UPDATE
        # lets only one of several concurrent requests through.
        with transaction.atomic():
            stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_INTERVAL)
            if ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
                audit_security_event(
                    action=AuditAction.TOKEN_USED, actor=token.user, obj=token, note=f"token {token.prefix}…"
                )
    return token.user
