"""Notification endpoints (L2, L3): webhook subscriptions (administrators) and the outbox record (staff).
Thin: parse, call one selector or service, answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from opsdesk.core.api import (
    CSV_NOTE,
    ErrorOut,
    ListParams,
    created_with_etag,
    expected_version,
    list_response,
    page_response_schema,
    with_etag,
)
from opsdesk.notifications import selectors, services
from opsdesk.notifications.schemas import (
    NotificationFilter,
    NotificationOut,
    WebhookSubscriptionCreatedOut,
    WebhookSubscriptionFilter,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
    WebhookSubscriptionPatch,
)

router = Router(tags=["notifications"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    412: ErrorOut,
    422: ErrorOut,
    428: ErrorOut,
}


# --- webhook subscriptions -------------------------------------------------------------------


@router.get(
    "/webhook-subscriptions", response=page_response_schema(WebhookSubscriptionOut), description=CSV_NOTE
)
def webhook_subscription_list(
    request: HttpRequest, filters: Query[WebhookSubscriptionFilter], params: Query[ListParams]
):
    qs = selectors.webhook_subscription_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        qs,
        params,
        WebhookSubscriptionOut,
        ordering=("url", "created_at", "updated_at"),
        name="webhook-subscriptions",
    )


@router.post(
    "/webhook-subscriptions",
    response={201: WebhookSubscriptionCreatedOut, **ERRORS},
    description="The response carries the signing `secret`; it is never shown again.",
)
def webhook_subscription_create(request: HttpRequest, response: HttpResponse, payload: WebhookSubscriptionIn):
    return created_with_etag(
        response, services.webhook_subscription_create(actor=request.auth, **payload.dict())
    )


@router.get("/webhook-subscriptions/{subscription_id}", response={200: WebhookSubscriptionOut, **ERRORS})
def webhook_subscription_get(request: HttpRequest, response: HttpResponse, subscription_id: int):
    return with_etag(response, selectors.webhook_subscription_get(user=request.auth, pk=subscription_id))


@router.patch("/webhook-subscriptions/{subscription_id}", response={200: WebhookSubscriptionOut, **ERRORS})
def webhook_subscription_update(
    request: HttpRequest, response: HttpResponse, subscription_id: int, payload: WebhookSubscriptionPatch
):
    subscription = selectors.webhook_subscription_get(user=request.auth, pk=subscription_id)
    subscription = services.webhook_subscription_update(
        actor=request.auth,
        subscription=subscription,
        expected_version=expected_version(request, subscription),
        **payload.dict(exclude_unset=True),
    )
    return with_etag(response, subscription)


@router.delete("/webhook-subscriptions/{subscription_id}", response={204: None, **ERRORS})
def webhook_subscription_delete(request: HttpRequest, subscription_id: int):
    subscription = selectors.webhook_subscription_get(user=request.auth, pk=subscription_id)
    services.webhook_subscription_delete(
        actor=request.auth,
        subscription=subscription,
        expected_version=expected_version(request, subscription),
    )
    return Status(204, None)


# --- the outbox ------------------------------------------------------------------------------


@router.get("/notifications", response=page_response_schema(NotificationOut), description=CSV_NOTE)
def notification_list(request: HttpRequest, filters: Query[NotificationFilter], params: Query[ListParams]):
    qs = selectors.notification_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        qs,
        params,
        NotificationOut,
        ordering=("created_at", "next_attempt_at", "sent_at", "state", "attempts"),
        name="notifications",
    )


@router.get("/notifications/{notification_id}", response={200: NotificationOut, **ERRORS})
def notification_get(request: HttpRequest, response: HttpResponse, notification_id: int):
    return with_etag(response, selectors.notification_get(user=request.auth, pk=notification_id))
