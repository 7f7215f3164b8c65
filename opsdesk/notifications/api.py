"""Notification endpoints (L2, L3): webhook subscriptions (administrators) and the outbox record (staff).
Thin: parse, call one selector or service, answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from opsdesk.core.api import (
    CSV_NOTE,
    ERRORS,
    ListParams,
    created_with_etag,
    deleted,
    list_response,
    page_response_schema,
    updated_with_etag,
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
    return updated_with_etag(
        request, response, services.webhook_subscription_update, payload, subscription=subscription
    )


@router.delete("/webhook-subscriptions/{subscription_id}", response={204: None, **ERRORS})
def webhook_subscription_delete(request: HttpRequest, subscription_id: int):
    subscription = selectors.webhook_subscription_get(user=request.auth, pk=subscription_id)
    return deleted(request, services.webhook_subscription_delete, subscription=subscription)


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
