"""Delivering the outbox (L2): claim a row under a lease, send it, mark it sent only with the claim token.

Why it is shaped like this (architecture.md, "Durable work"): Huey does not acknowledge tasks, so a
worker killed mid-task loses the task. The row is the source of truth instead:

- a claim is one conditional UPDATE (pending and due → sending, with a lease and a fresh token),
  so two workers never both hold a row; batches are claimed with SELECT … FOR UPDATE SKIP LOCKED
  on PostgreSQL so concurrent sweeps do not queue behind each other;
- only the holder of the current claim token may send or mark the row; a worker whose lease ran
  out and was re-claimed finds a different token and stops;
- the sweep puts rows whose lease expired back to pending, so a crash delays a delivery but never
  loses it. A crash after sending but before marking causes one resend, carrying the same
  Message-ID / X-Opsdesk-Delivery so the receiver can recognise it.

Every function takes `now` so tests (and the crash test in particular) can move time without sleeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import ssl
import uuid
from email.utils import parseaddr

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, F, TextField, Value, When
from django.utils import timezone

from opsdesk.core.leases import LeasedRows
from opsdesk.notifications import destinations
from opsdesk.notifications.models import Channel, Notification, NotificationState

logger = logging.getLogger("opsdesk.notifications")

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
#: Rows claimed per batch by the sweep, and batches per sweep run.
SWEEP_BATCH_SIZE = 100
SWEEP_MAX_BATCHES = 10

SIGNATURE_HEADER = "X-Opsdesk-Signature"
EVENT_HEADER = "X-Opsdesk-Event"
DELIVERY_HEADER = "X-Opsdesk-Delivery"


class DeliveryError(Exception):
    """A send that failed in a way worth retrying."""


class PermanentDeliveryError(Exception):
    """A send that can never succeed (its subscription is gone or switched off): no retry."""


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, … capped at 1 h."""
    exponent = max(attempts - 1, 0)
    seconds = BACKOFF_BASE_SECONDS * 2 ** min(exponent, 20)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


#: The outbox as durable work under a lease (core.leases).
OUTBOX = LeasedRows(
    model=Notification,
    waiting=NotificationState.PENDING,
    held=NotificationState.SENDING,
    dead=NotificationState.FAILED,
    lease_seconds=lambda: settings.OUTBOX_LEASE_SECONDS,
    max_attempts=lambda: settings.OUTBOX_MAX_ATTEMPTS,
    error_field="last_error",
    related=("subscription",),
)


# --- claiming --------------------------------------------------------------------------------


def claim(notification_id: int, *, now: dt.datetime | None = None) -> Notification | None:
    """Take one due, pending row for this worker; None when it is not due, already taken or done."""
    return OUTBOX.claim(notification_id, now or timezone.now())


def claim_batch(*, now: dt.datetime | None = None, limit: int = SWEEP_BATCH_SIZE) -> list[Notification]:
    """Take up to `limit` due, pending rows, skipping rows another transaction has locked."""
    return OUTBOX.claim_batch(now or timezone.now(), limit)


def requeue_expired(*, now: dt.datetime | None = None) -> int:
    """Rows whose worker stopped mid-delivery go back to pending (or die after the last attempt)."""
    requeued, dead = OUTBOX.requeue_expired(
        now or timezone.now(), "The worker's lease expired before the delivery was confirmed."
    )
    if dead or requeued:
        logger.warning("outbox leases expired", extra={"requeued": requeued, "dead": dead})
    return requeued + dead


# --- marking ---------------------------------------------------------------------------------


def _erased_if_confidential() -> Case:
    """A secret body is kept only while it may still be delivered."""
    return Case(When(confidential=True, then=Value("")), default=F("body"), output_field=TextField())


def mark_sent(notification_id: int, claim_token: uuid.UUID | str, *, now: dt.datetime | None = None) -> bool:
    """Only the current claim may mark the row; a stale worker's token matches nothing."""
    now = now or timezone.now()
    return bool(
        Notification.objects.filter(
            pk=notification_id, state=NotificationState.SENDING, claim_token=claim_token
        ).update(
            state=NotificationState.SENT,
            sent_at=now,
            body=_erased_if_confidential(),
            lease_until=None,
            claim_token=None,
            version=F("version") + 1,
            updated_at=now,
        )
    )


def mark_failed(
    notification: Notification, error: str, *, permanent: bool = False, now: dt.datetime | None = None
) -> bool:
    """Back to pending after a backoff, or failed (dead) after OUTBOX_MAX_ATTEMPTS or a permanent error."""
    now = now or timezone.now()
    dead = permanent or notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    changes = dict(
        lease_until=None,
        claim_token=None,
        last_error=error[:2000],
        version=F("version") + 1,
        updated_at=now,
    )
    if dead:
        changes.update(state=NotificationState.FAILED, body=_erased_if_confidential())
    else:
        changes.update(state=NotificationState.PENDING, next_attempt_at=now + backoff(notification.attempts))
    updated = Notification.objects.filter(
        pk=notification.pk, state=NotificationState.SENDING, claim_token=notification.claim_token
    ).update(**changes)
    log = logger.error if dead else logger.warning
    log(
        "notification delivery failed",
        extra={
            "notification": notification.pk,
            "attempts": notification.attempts,
            "dead": dead,
            "error": error[:300],
        },
    )
    return bool(updated)


# --- sending ---------------------------------------------------------------------------------


def message_id(notification: Notification) -> str:
    """The same Message-ID for every attempt, so a resend after a crash is recognisable downstream."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "opsdesk.invalid"
    return f"<opsdesk-notification-{notification.pk}@{domain}>"


def send_email(notification: Notification) -> None:
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        reply_to=[notification.reply_to] if notification.reply_to else None,
        headers={
            "Message-ID": message_id(notification),
            EVENT_HEADER: notification.event,
            DELIVERY_HEADER: str(notification.pk),
        },
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors, refused connections, timeouts: all retried.
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def webhook_body(notification: Notification) -> bytes:
    """The exact bytes sent and signed; built only from the row, so every retry sends the same body."""
    document = {
        "id": notification.pk,
        "event": notification.event,
        "organisation": notification.organisation_id,
        "created_at": notification.created_at,
        "subject": notification.subject,
        "data": notification.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    """The X-Opsdesk-Signature value: "sha256=" + hex HMAC-SHA256 of the raw body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _verify() -> ssl.SSLContext | bool:
    """How server certificates are checked: httpx's default, the public CAs (tests add their own CA)."""
    return True


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc: httpx.HTTPError) -> str:
    """A short reason for a failed request, never the receiver's words (which may be anything)."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    causes = list(_chain(exc))
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return "TLS error"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(exc).lower():
        return "connection refused"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    if isinstance(exc, httpx.ProtocolError):
        return "protocol error"
    return "network error"


def _post(address, url: str, body: bytes, headers: dict) -> httpx.Response:
    """POST to `address` exactly (the one that was checked), naming the host in Host and in TLS's
    SNI, so the certificate is checked against the name; redirects are answers, never followed."""
    original = httpx.URL(url)
    target = original.copy_with(host=str(address))
    host_header = original.netloc.decode("ascii")  # IDNA-encoded name (IPv6 in brackets), port if given
    with httpx.Client(
        verify=_verify(),
        trust_env=False,  # no proxy from the environment: it would connect to the name itself
        follow_redirects=False,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    ) as client:
        request = client.build_request(
            "POST",
            target,
            content=body,
            headers={**headers, "Host": host_header},
            extensions={"sni_hostname": original.raw_host.decode("ascii")},
        )
        return client.send(request)


def send_webhook(notification: Notification) -> None:
    subscription = notification.subscription
    if subscription is None:
        raise PermanentDeliveryError("The webhook subscription was deleted.")
    if not subscription.active:
        raise PermanentDeliveryError("The webhook subscription is inactive.")
    try:
        _, addresses = destinations.addresses_for_delivery(subscription.url)
    except destinations.DestinationRefused as exc:
        raise PermanentDeliveryError(exc.reason) from exc
    except destinations.DestinationUnresolved as exc:
        raise DeliveryError("name not resolved") from exc
    body = webhook_body(notification)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "opsdesk-webhooks",
        SIGNATURE_HEADER: sign(subscription.secret, body),
        EVENT_HEADER: notification.event,
        DELIVERY_HEADER: str(notification.pk),
    }
    for index, address in enumerate(addresses):
        try:
            response = _post(address, subscription.url, body, headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if index + 1 < len(addresses):
                continue  # the name has another (checked) address: try it
            raise DeliveryError(classify(exc)) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(classify(exc)) from exc
        break
    # Only the status is kept: the answer's body is the receiver's (or an internal service's) words.
    if 300 <= response.status_code < 400:
        raise DeliveryError(f"HTTP {response.status_code} (redirect not followed)")
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}")


def _send_and_mark(notification: Notification, now: dt.datetime | None) -> bool:
    try:
        if notification.channel == Channel.EMAIL:
            send_email(notification)
        else:
            send_webhook(notification)
    except PermanentDeliveryError as exc:
        mark_failed(notification, str(exc), permanent=True, now=now)
        return False
    except Exception as exc:
        if isinstance(exc, DeliveryError):
            error = str(exc)
        elif notification.channel == Channel.WEBHOOK:
            error = f"unexpected error ({type(exc).__name__})"  # its text may quote the receiver
        else:
            error = f"{type(exc).__name__}: {exc}"
        mark_failed(notification, error, now=now)
        return False
    marked = mark_sent(notification.pk, notification.claim_token, now=now)
    if not marked:
        logger.warning("notification sent after its claim was lost", extra={"notification": notification.pk})
    return marked


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> bool:
    """Claim, send and mark one notification; a no-op when it is not due or someone else has it."""
    notification = claim(notification_id, now=now)
    if notification is None:
        return False
    return _send_and_mark(notification, now)


def send_claimed(
    notification_id: int, claim_token: uuid.UUID | str, *, now: dt.datetime | None = None
) -> bool:
    """Send a row the sweep claimed, but only while that claim is still the current one."""
    notification = (
        Notification.objects.select_related("subscription")
        .filter(pk=notification_id, state=NotificationState.SENDING, claim_token=claim_token)
        .first()
    )
    if notification is None:
        return False
    return _send_and_mark(notification, now)


def sweep(*, now: dt.datetime | None = None, dispatch=None) -> int:
    """The periodic safety net: re-queue expired leases, then claim due rows and hand them out.

    `dispatch(notification_id, claim_token)` defaults to the Huey task; claims are handed out only
    after they are committed, so a worker never looks for a claim it cannot yet see.
    """
    now = now or timezone.now()
    if dispatch is None:
        from opsdesk.notifications.tasks import send_claimed_notification as dispatch
    requeue_expired(now=now)
    handed_out = 0
    for _ in range(SWEEP_MAX_BATCHES):
        batch = claim_batch(now=now)
        for notification in batch:
            dispatch(notification.pk, str(notification.claim_token))
        handed_out += len(batch)
        if len(batch) < SWEEP_BATCH_SIZE:
            break
    return handed_out
