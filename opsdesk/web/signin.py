"""Sign-in hardening (issue 7): the client address lockouts count by, the audit record of lockouts
and resets, and the password-reset email through the outbox."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from opsdesk.core import audit
from opsdesk.core.models import AuditAction
from opsdesk.notifications.services import notification_enqueue

#: At most one reset email per account in this many seconds: asking again and again must not fill
#: someone's mailbox (the first link keeps working until it is used or expires).
RESET_EMAIL_INTERVAL_SECONDS = 300


def client_ip(request: HttpRequest) -> str | None:
    """The address lockouts count by (AXES_CLIENT_IP_CALLABLE): the same one the audit log records
    (REMOTE_ADDR, or behind OPSDESK_TRUSTED_PROXY_HOPS proxies the address the outermost saw)."""
    return audit.source_address(request) or None


def on_user_locked_out(sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kw):
    """Receiver of axes' `user_locked_out`: one audit event when a lock starts. Axes sends the signal
    again on every failure while locked; recording those would let an attacker fill the
    append-only audit table, so only the failure that reaches the limit is recorded."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    audit.audit_security_event(
        action=AuditAction.LOCKOUT,
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
            confidential=True,
        )


def password_reset_completed(*, user: Any, request: HttpRequest) -> None:
    """A new password set through an emailed link proves the mailbox: the account's lockout is lifted
    (the address's stays) and the reset is recorded."""
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())
    audit.audit_security_event(
        action=AuditAction.PASSWORD_RESET,
        actor=user,
        request=request,
        note="new password set from an emailed link",
    )


def password_changed(*, user: Any, request: HttpRequest) -> None:
    """A password changed by its owner, signed in: recorded like a reset."""
    audit.audit_security_event(
        action=AuditAction.PASSWORD_CHANGED, actor=user, request=request, note="by its owner"
    )
