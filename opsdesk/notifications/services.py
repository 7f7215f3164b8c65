"""Writes of notifications (L2): putting deliveries in the outbox, and managing webhook subscriptions."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import record_create, record_delete, record_update
from opsdesk.core.validation import reject_nul
from opsdesk.directory.models import Organisation
from opsdesk.notifications import destinations
from opsdesk.notifications.models import Channel, Notification, WebhookSubscription

SECRET_PREFIX = "whsec_"
_DEDUP_KEY_MAX = 255


# --- the outbox ------------------------------------------------------------------------------


def _row_key(dedup_key: str, channel: str, target: object) -> str:
    return f"{dedup_key}|{channel}|{target}"


def _schedule_delivery(notification_id: int) -> None:
    from opsdesk.notifications.tasks import deliver_notification

    deliver_notification(notification_id)


def _email_address(raw: str | None, field: str) -> str:
    address = (raw or "").strip()
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationFailed.field(field, f"Not an email address: {raw!r}.")
    if len(address) > 254:
        raise ValidationFailed.field(field, "An email address is at most 254 characters.")
    return address


def notification_enqueue(
    *,
    event: str,
    organisation: Organisation | None = None,
    recipients: Iterable[str] = (),
    subject: str = "",
    body: str = "",
    payload: Mapping[str, Any] | None = None,
    dedup_key: str | None = None,
    confidential: bool = False,
    reply_to: str = "",
) -> list[Notification]:
    """Put one email per recipient and one webhook per matching subscription in the outbox (L2).

    Runs inside the caller's transaction, so the deliveries commit with their cause or not at all;
    each is handed to the worker only on commit (and the periodic sweep finds any whose hand-off
    was lost). A repeated `dedup_key` adds nothing and returns the rows already made for it.
    A `confidential` body (a secret link) goes only to the email recipients, is never shown in the
    outbox record and is erased once delivered. `reply_to` is the address the emails' answers go
    to (their Reply-To header; empty: the sender's); it is stored on each row, so a resend carries it.
    """
    if not event or len(event) > 100:
        raise ValidationFailed.field("event", "An event type of 1–100 characters is required.")
    reject_nul(event=event, dedup_key=dedup_key, subject=subject, body=body, reply_to=reply_to)
    addresses = []
    for raw in recipients:
        address = _email_address(raw, "recipients").lower()
        if address not in addresses:
            addresses.append(address)
    reply_to = _email_address(reply_to, "reply_to") if (reply_to or "").strip() else ""
    if dedup_key is not None and not (0 < len(dedup_key) <= _DEDUP_KEY_MAX):
        raise ValidationFailed.field("dedup_key", f"Must be 1–{_DEDUP_KEY_MAX} characters.")

    with transaction.atomic():
        scope = Q(organisation__isnull=True)
        if organisation is not None:
            scope |= Q(organisation=organisation)
        subscriptions = WebhookSubscription.objects.filter(scope, active=True).order_by("pk")
        now = timezone.now()
        common = dict(
            organisation=organisation,
            event=event,
            subject=" ".join((subject or "").split())[:255],
            body=body or "",
            confidential=confidential,
            payload=dict(payload or {}),
            next_attempt_at=now,
        )
        candidates = [
            Notification(
                channel=Channel.EMAIL,
                recipient=address,
                reply_to=reply_to,
                dedup_key=_row_key(dedup_key, Channel.EMAIL, address) if dedup_key else None,
                **common,
            )
            for address in addresses
        ] + [
            Notification(
                channel=Channel.WEBHOOK,
                subscription=sub,
                dedup_key=_row_key(dedup_key, Channel.WEBHOOK, sub.pk) if dedup_key else None,
                **{**common, "body": "" if confidential else common["body"]},
            )
            for sub in subscriptions
            if sub.matches(event)
        ]
        if dedup_key is not None:
            existing = list(
                Notification.objects.filter(dedup_key__in=[c.dedup_key for c in candidates]).order_by("pk")
            )
            if existing:
                return existing
        created = []
        for row in candidates:
            try:
                # A savepoint per row: a concurrent enqueue of the same dedup_key loses the race on
                # the unique index without breaking the caller's transaction.
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                if row.dedup_key is None:
                    raise
                continue
            created.append(row)
            transaction.on_commit(lambda pk=row.pk: _schedule_delivery(pk), robust=True)
    return created


# --- webhook subscriptions -------------------------------------------------------------------


def _resolve_organisation(actor: Any, value: Any) -> Organisation | None:
    if value is None or isinstance(value, Organisation):
        return value
    org = Organisation.objects.restrict(actor).filter(pk=value).first() if str(value).isdigit() else None
    if org is None:
        raise ValidationFailed.field("organisation", "No such organisation.")
    return org


def _check_destination(url: Any) -> None:
    """Issue 7: HTTPS to a public address only (delivery checks again after resolving the name)."""
    if not isinstance(url, str):
        return  # the model's own validation reports it
    try:
        destinations.check_url(url)
    except destinations.DestinationRefused as exc:
        raise ValidationFailed.field("url", exc.message)


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_subscription_create(
    *,
    actor: Any,
    url: str,
    organisation: int | Organisation | None = None,
    event_types: list[str] | None = None,
    active: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """L2: the secret is generated here and returned on this object only; callers show it once."""
    require_permission(actor, "notifications.manage_webhooks")
    _check_destination((url or "").strip())
    subscription = WebhookSubscription(
        organisation=_resolve_organisation(actor, organisation),
        url=(url or "").strip(),
        secret=generate_secret(),
        event_types=list(event_types or []),
        active=active,
        description=description,
    )
    with transaction.atomic():
        return record_create(actor=actor, obj=subscription, public=False)


def webhook_subscription_update(
    *, actor: Any, subscription: WebhookSubscription, expected_version: int | None = None, **changes: Any
) -> WebhookSubscription:
    require_permission(actor, "notifications.manage_webhooks")
    unknown = set(changes) - {"url", "organisation", "event_types", "active", "description"}
    if unknown:
        raise ValidationFailed.field(sorted(unknown)[0], "This field cannot be changed.")
    if "organisation" in changes:
        changes["organisation"] = _resolve_organisation(actor, changes["organisation"])
    if "url" in changes and isinstance(changes["url"], str):
        changes["url"] = changes["url"].strip()
        _check_destination(changes["url"])
    if "event_types" in changes and changes["event_types"] is None:
        changes["event_types"] = []
    with transaction.atomic():
        return record_update(
            actor=actor, obj=subscription, changes=changes, expected_version=expected_version, public=False
        )


def webhook_subscription_delete(
    *, actor: Any, subscription: WebhookSubscription, expected_version: int | None = None
) -> None:
    """Deliveries still in the outbox lose their subscription and are marked failed by the worker."""
    require_permission(actor, "notifications.manage_webhooks")
    with transaction.atomic():
        record_delete(actor=actor, obj=subscription, expected_version=expected_version)
