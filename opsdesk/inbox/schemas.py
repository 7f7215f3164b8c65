"""API shapes of the inbox (issue 12). An SNS endpoint's token appears only in
SnsSubscriptionCreatedOut, answered by a create and a rotation."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, FilterSchema, Schema

from opsdesk.core.limits import Id
from opsdesk.inbox.choices import DeliverySource, DeliveryState, IntakePurpose


class DeliveryOut(Schema):
    id: int
    source: DeliverySource
    external_id: str = Field(..., description="SNS MessageId, EventBridge id, email Message-ID.")
    organisation_id: int | None
    sns_subscription_id: int | None
    received_at: datetime
    verified: bool = Field(..., description="The sender was authenticated (an SNS signature verified).")
    kind: str
    body: str = Field(..., description="The raw body as received (a refused one: its first 16 KB).")
    headers: dict[str, str]
    answered: int | None = Field(None, description="The HTTP status the sender was answered with.")
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    processed_at: datetime | None
    error: str = Field(..., description="Why it was refused, or the last processing error.")
    version: int
    created_at: datetime
    updated_at: datetime


class DeliveryFilter(FilterSchema):
    source: DeliverySource | None = None
    state: DeliveryState | None = None
    organisation: Id | None = None
    kind: str | None = Field(None, max_length=100)
    verified: bool | None = None


class SnsSubscriptionOut(Schema):
    id: int
    organisation_id: int
    token_hint: str = Field(..., description="The token's last characters (the token itself is shown once).")
    topic_arns: list[str]
    description: str
    active: bool
    confirmed_at: datetime | None
    rotated_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class SnsSubscriptionCreatedOut(SnsSubscriptionOut):
    token: str = Field(
        ...,
        description="Shown once. Subscribe https://<opsdesk>/intake/sns/<token>/ in Amazon SNS (HTTPS).",
    )


class SnsSubscriptionIn(Schema):
    organisation: Id
    topic_arns: list[str] = Field([], description="The SNS topic ARNs accepted; any other is refused (403).")
    description: str = Field("", max_length=200)
    active: bool = True


class SnsSubscriptionPatch(Schema):
    topic_arns: list[str] | None = None
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class SnsSubscriptionFilter(FilterSchema):
    organisation: Id | None = None
    active: bool | None = None


class IntakeKeyOut(Schema):
    id: int
    purpose: str = Field(..., description="eventbridge (X-Opsdesk-Intake-Key header) or webhook (address).")
    organisation_id: int | None
    token_hint: str = Field(..., description="The secret's last characters (the secret is shown once).")
    description: str
    active: bool
    rotated_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class IntakeKeyCreatedOut(IntakeKeyOut):
    token: str = Field(
        ...,
        description="Shown once: the EventBridge connection's X-Opsdesk-Intake-Key value, or the webhook "
        "address https://<opsdesk>/intake/webhook/<token>/.",
    )


class IntakeKeyIn(Schema):
    purpose: IntakePurpose
    organisation: Id | None = None
    description: str = Field("", max_length=200)


class IntakeKeyFilter(FilterSchema):
    organisation: Id | None = None
    purpose: IntakePurpose | None = None
