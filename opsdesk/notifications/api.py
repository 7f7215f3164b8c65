"""Notification endpoints (L2, L3): webhook subscriptions (administrators) and the outbox record (staff).
Thin: parse, call one selector or service, answer."""

from __future__ import annotations

from ninja import Router

from opsdesk.core.crud import declare, routes
from opsdesk.notifications import schemas, selectors, services

router = Router(tags=["notifications"])


# --- webhook subscriptions and the outbox ------------------------------------------------------

WEBHOOK_SUBSCRIPTIONS = declare(
    "webhook_subscription",
    "/webhook-subscriptions",
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="subscription_id",
    target="subscription",
    ordering=("url", "created_at", "updated_at"),
    create_out=schemas.WebhookSubscriptionCreatedOut,
    docs={"create": "The response carries the signing `secret`; it is never shown again."},
)
NOTIFICATIONS = declare(
    "notification",
    "/notifications",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("created_at", "next_attempt_at", "sent_at", "state", "attempts"),
)
routes(router, WEBHOOK_SUBSCRIPTIONS, NOTIFICATIONS, module=__name__)
