"""Sign-in hardening (issue 7): the client address lockouts count by, the audit record of security
events (lockouts, password changes and resets), and the password-reset email through the outbox."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from opsdesk.core import audit
from opsdesk.core.models import AuditAction, AuditEvent
from opsdesk.notifications.services import notification_enqueue

#: At most one reset email per account in this many seconds: asking again and again must not fill
#: someone's mailbox (the first link keeps working until it is used or expires).
RESET_EMAIL_INTERVAL_SECONDS = 300


def client_ip(request: HttpRequest) -> str | None:
    """The address lockouts count by (AXES_CLIENT_IP_CALLABLE). Behind OPSDESK_TRUSTED_PROXY_COUNT
    proxies it is that many entries from the right of X-Forwarded-For: entries further left were
    written by the client and can be anything."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count][:45]
    return request.META.get("REMOTE_ADDR")


def record_security_event(*, action: str, actor: Any = None, request: Any = None, note: str = "") -> None:
    """The one place this branch records sign-in security events. When core.audit has
    `audit_security_event` (added on the hardening branch), it is used; until then a note-only
    "update" event about the user is written, not visible to customers."""
    hook = getattr(audit, "audit_security_event", None)
    if hook is not None:
        hook(action=action, actor=actor, request=request, note=note)
        return
    user = actor if getattr(actor, "is_authenticated", False) else None
    AuditEvent.objects.create(
        actor=user,
        actor_label=user.email if user is not None else "system",
        action=AuditAction.UPDATE,
        object_type="directory.user",
        object_id=str(user.pk) if user is not None else "",
        object_repr=str(user)[:255] if user is not None else "",
        organisation_id=None,
        public=False,
        note=f"{action}: {note}"[:255],
    )


def on_user_locked_out(sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kw):
    """Receiver of axes' `user_locked_out`: one audit event when a lock starts. Axes sends the signal
    again on every failure while locked; recording those would let an attacker fill the
    append-only audit table, so only the failure that reaches the limit is recorded."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    record_security_event(
        action="signin_locked_out",
        request=request,
        note=(
            f"Sign-in locked for {settings.AXES_COOLOFF_TIME} after {settings.AXES_FAILURE_LIMIT} failures: "
            f"account {username or '?'} from {ip_address or '?'}"
        ),
    )


def password_reset_email_enqueue(*, user: Any, subject: str, body: str) -> None:
    """The reset link goes out through the outbox like every other email (L2), with no payload, so a
    provider-wide webhook subscribed to every event learns only that a reset was asked for."""
    bucket = int(time.time()) // RESET_EMAIL_INTERVAL_SECONDS
    with transaction.atomic():
        notification_enqueue(
            event="auth.password_reset",
            recipients=[user.email],
            subject=subject,
            body=body,
            dedup_key=f"password-reset:{user.pk}:{bucket}",
        )


def password_reset_completed(*, user: Any, request: HttpRequest) -> None:
    """A new password set through an emailed link proves the mailbox: the account's lockout is lifted
    (the address's stays) and the reset is recorded."""
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())
    record_security_event(
        action="password_reset", actor=user, request=request, note="new password set from an emailed link"
    )
