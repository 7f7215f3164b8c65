"""Inbox endpoints (issue 12), for the provider's staff: the raw deliveries (read, re-process) and
the SNS endpoints (create, edit, rotate the token, delete). Thin: parse, call one selector or
service, answer."""

from __future__ import annotations

from ninja import Router

from opsdesk.core.api import with_etag
from opsdesk.core.crud import command, declare, late, routes, steps
from opsdesk.inbox import schemas, selectors, services

router = Router(tags=["inbox"])

DELIVERIES = declare(
    "delivery",
    "/inbox/deliveries",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("received_at", "state", "attempts"),
    docs={"list": "Every raw delivery as received, newest first; `?format=csv` for CSV."},
)
SNS_SUBSCRIPTIONS = declare(
    "sns_subscription",
    "/inbox/sns-subscriptions",
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="subscription_id",
    target="subscription",
    ordering=("created_at", "updated_at"),
    create_out=schemas.SnsSubscriptionCreatedOut,
    docs={"create": "The response carries the endpoint's `token`; it is never shown again."},
)
INTAKE_KEYS = declare(
    "intake_key",
    "/inbox/intake-keys",
    ("list", "get", "create", "delete"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="key_id",
    target="key",
    ordering=("created_at",),
    create_out=schemas.IntakeKeyCreatedOut,
    docs={"create": "EventBridge or webhook keys (issue 12 items 4, 7); the `token` is shown once."},
)
routes(router, DELIVERIES, SNS_SUBSCRIPTIONS, INTAKE_KEYS, module=__name__)

step = steps(
    router,
    "/inbox/deliveries/{delivery_id}",
    "delivery",
    schemas.DeliveryOut,
    module=__name__,
    selectors=selectors,
    services=services,
)
step(
    "reprocess",
    "delivery_reprocess",
    description="Send a processed, unrouted or failed delivery through its handler again (409 otherwise).",
)

command(
    router,
    "/inbox/sns-subscriptions/{subscription_id}/rotate",
    name="sns_subscription_rotate",
    module=__name__,
    id="subscription_id",
    get=late(selectors, "sns_subscription_get"),
    service=late(services, "sns_subscription_rotate"),
    target="subscription",
    out=schemas.SnsSubscriptionCreatedOut,
    answer=lambda request, response, rotated: with_etag(response, rotated),
    description="A new token (shown once, in the answer): the old address stops working at once.",
)

command(
    router,
    "/inbox/intake-keys/{key_id}/rotate",
    name="intake_key_rotate",
    module=__name__,
    id="key_id",
    get=late(selectors, "intake_key_get"),
    service=late(services, "intake_key_rotate"),
    target="key",
    out=schemas.IntakeKeyCreatedOut,
    answer=lambda request, response, rotated: with_etag(response, rotated),
    description="A new secret (shown once, in the answer): the old one stops working at once.",
)
