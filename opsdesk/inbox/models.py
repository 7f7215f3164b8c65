"""The inbox of raw deliveries (issue 12, F1): every SNS message, EventBridge event, email or webhook
call is a row before it is anything else.

A delivery is committed before the sender gets its 2xx; workers then claim it under a lease and a
claim token (as the outbox does, notifications/delivery.py) and hand it to the handler registered for
its kind (inbox/registry.py). A redelivery of the same (source, external id) is stored once.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.models import BaseModel
from opsdesk.inbox.choices import DeliverySource, DeliveryState, IntakePurpose

#: The most of a raw body kept (and accepted): SNS messages are at most 256 KB.
BODY_MAX_CHARS = 1024 * 1024


def validate_topic_arns(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Must be a list of SNS topic ARNs.")
    for arn in value:
        parts = arn.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not all(parts[3:]):
            raise ValidationError(
                f"Not an SNS topic ARN: {arn[:120]!r} (arn:aws:sns:<region>:<account>:<name>)."
            )
    if len(set(value)) != len(value):
        raise ValidationError("A topic ARN is listed twice.")
    if len(value) > 100:
        raise ValidationError("At most 100 topics per subscription.")


class SnsSubscription(BaseModel):
    """One HTTPS endpoint for Amazon SNS, for one organisation (F1): /intake/sns/<token>/.

    The token in the address is a secret, shown once when made or rotated (the old address stops at
    once); only its SHA-256 is stored. Only messages of the listed topics are accepted."""

    tenant_path = "organisation"
    audit_exclude = ("token_hash",)

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="sns_subscriptions"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The token's last characters, to tell endpoints apart without revealing them.
    token_hint = models.CharField(max_length=8, blank=True, editable=False)
    topic_arns = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_topic_arns],
        help_text="The SNS topics accepted on this endpoint (TopicArn); any other is refused.",
    )
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    #: When SNS last asked to confirm a subscription here, and whether we confirmed it.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "description", "pk"]

    def __str__(self) -> str:
        return self.description or f"SNS endpoint #{self.pk}"


class IntakeKey(BaseModel):
    """A secret that authenticates an intake that has no signature of its own (issue 12 items 4, 7):
    the EventBridge API destination's `X-Opsdesk-Intake-Key` header (per organisation or global), or
    the generic webhook's address /intake/webhook/<token>/ (per organisation). Only its SHA-256 is
    stored; shown once when made or rotated (the old secret stops at once)."""

    tenant_path = "organisation"
    audit_exclude = ("token_hash",)

    purpose = models.CharField(max_length=12, choices=IntakePurpose.choices)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="intake_keys"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, blank=True, editable=False)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purpose", "description", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(purpose="webhook") | Q(organisation__isnull=False),
                name="inbox_webhook_key_has_organisation",
            )
        ]

    def __str__(self) -> str:
        return self.description or f"{self.get_purpose_display()} key …{self.token_hint}"


class Delivery(BaseModel):
    """One raw delivery, as received. Processing state changes are inbox mechanics made by workers,
    not changes by people, so they are not audited; the row is the record."""

    tenant_path = "organisation"

    source = models.CharField(max_length=12, choices=DeliverySource.choices)
    #: The sender's id of the message: SNS MessageId, EventBridge id, email Message-ID.
    external_id = models.CharField(max_length=255, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    sns_subscription = models.ForeignKey(
        SnsSubscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    verified = models.BooleanField(
        default=False, help_text="The sender was authenticated (e.g. SNS signature)."
    )
    kind = models.CharField(max_length=100, blank=True, help_text="e.g. sns.notification")
    body = models.TextField(blank=True, max_length=BODY_MAX_CHARS)
    headers = models.JSONField(default=dict, blank=True)
    #: The status the sender was answered with.
    answered = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.RECEIVED)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker claimed this delivery.")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    #: Why it was refused, or the last processing error.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["state", "lease_until"]),
            models.Index(fields=["state", "received_at"]),
        ]
        constraints = [
            # A redelivery is stored once. Refused rows do not take the key: a forged message
            # carrying a real MessageId must not shadow the genuine one arriving later.
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(verified=True),
                name="inbox_delivery_once_per_external_id",
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | Q(verified=False), name="inbox_delivery_refused_unverified"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.kind or 'delivery'} {self.external_id}".strip()
