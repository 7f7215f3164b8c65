"""Notifications (L2): an outbox of email and webhook deliveries, and the webhook subscriptions.

A notification is a row before it is a message: it is written in the same transaction as the
change that causes it, so a rollback sends nothing and a crash loses nothing (architecture.md,
"Durable work"). Workers claim rows with a lease and a claim token; a sweep re-queues rows whose
lease ran out.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (dead)"


def validate_event_types(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError("Must be a list of event type names (empty for every event).")
    if len(set(value)) != len(value):
        raise ValidationError("An event type is listed twice.")
    if any(len(v) > 100 for v in value):
        raise ValidationError("An event type name is at most 100 characters.")


class WebhookSubscription(BaseModel):
    """Where signed webhooks go (L2). No organisation means provider-wide: every organisation's events."""

    tenant_path = "organisation"
    #: The signing secret never enters the audit log; it is shown once when the subscription is created.
    audit_exclude = ("secret",)

    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        help_text="Empty: provider-wide (every organisation's events).",
    )
    url = models.URLField(max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField(max_length=100, editable=False)
    event_types = models.JSONField(
        default=list, blank=True, validators=[validate_event_types], help_text="Empty: every event type."
    )
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["organisation__name", "url", "pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def matches(self, event: str) -> bool:
        return self.active and (not self.event_types or event in self.event_types)


class Notification(BaseModel):
    """One delivery in the outbox (L2): one email to one recipient, or one webhook to one subscription.

    State changes are outbox mechanics made by workers, not changes by people, so they are not
    audited; the row itself (attempts, last_error, sent_at) is the delivery record.
    """

    tenant_path = "organisation"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    recipient = models.EmailField(max_length=254, blank=True)
    #: Where the recipient's answer should go (an email's Reply-To), chosen by the caller: mail
    #: about an incident names the incident's own reply address, so an answer lands on it. Stored
    #: with the row, so every attempt (a resend after a crash too) carries the same header.
    reply_to = models.EmailField(max_length=254, blank=True)
    subscription = models.ForeignKey(
        WebhookSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    event = models.CharField(max_length=100)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True, max_length=100_000)
    #: The body carries a secret (a password-reset link): never shown to anyone through the API,
    #: and erased once delivered or given up, so the outbox is no way into someone's account.
    confidential = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    state = models.CharField(
        max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker claimed this delivery.")
    next_attempt_at = models.DateTimeField(db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    #: The caller's de-duplication key qualified by the target, so a repeated event never makes
    #: a second delivery to the same address or subscription.
    dedup_key = models.CharField(max_length=600, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["state", "lease_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel="email") & ~Q(recipient="")) | Q(channel="webhook"),
                name="notification_email_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        target = self.recipient if self.channel == Channel.EMAIL else f"webhook #{self.subscription_id}"
        return f"{self.event} → {target}"
