"""API shapes of notifications (L2). The webhook secret appears only in WebhookSubscriptionCreatedOut."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, FilterSchema, Schema

from opsdesk.notifications.models import Channel, NotificationState


class WebhookSubscriptionOut(Schema):
    id: int
    organisation_id: int | None = Field(
        None, description="Empty: provider-wide, every organisation's events."
    )
    url: str
    event_types: list[str] = Field(..., description="Empty: every event type.")
    active: bool
    description: str
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookSubscriptionCreatedOut(WebhookSubscriptionOut):
    secret: str = Field(
        ...,
        description="Signing secret, shown once. Each delivery carries X-Opsdesk-Signature: "
        "sha256=<hex HMAC-SHA256 of the raw body with this secret>.",
    )


class WebhookSubscriptionIn(Schema):
    url: str
    organisation: int | None = Field(None, description="Organisation id; omit for provider-wide.")
    event_types: list[str] = []
    active: bool = True
    description: str = ""


class WebhookSubscriptionPatch(Schema):
    url: str | None = None
    organisation: int | None = None
    event_types: list[str] | None = None
    active: bool | None = None
    description: str | None = None


class WebhookSubscriptionFilter(FilterSchema):
    organisation: int | None = None
    active: bool | None = None


class NotificationOut(Schema):
    id: int
    channel: Channel
    organisation_id: int | None
    recipient: str
    reply_to: str = Field(
        ..., description="The email's Reply-To (an incident's reply address); empty: the sender's."
    )
    subscription_id: int | None
    event: str
    subject: str
    body: str = Field(..., description="Empty for a confidential notification (e.g. a password-reset link).")
    confidential: bool
    payload: dict
    state: NotificationState
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    sent_at: datetime | None
    last_error: str
    version: int
    created_at: datetime
    updated_at: datetime


    @staticmethod
    def resolve_body(obj) -> str:
        return "" if obj.confidential else obj.body


class NotificationFilter(FilterSchema):
    state: NotificationState | None = None
    channel: Channel | None = None
    event: str | None = None
    organisation: int | None = None
