"""Tenancy-walk declarations of the notifications API (see opsdesk/testing/routes.py)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route

API = "/api/v1"
MANAGE = "notifications.manage_webhooks"
SUBSCRIPTION = f"{API}/webhook-subscriptions/{{subscription_id}}"


def _subscription(w: dict[str, Any]) -> dict:
    return {
        "organisation": w["org_a"].pk,
        "url": "https://hooks.example.test/walk",
        "event_types": ["walk.test"],
        "description": "walk",
    }


ROUTES = [
    Route("api", f"{API}/webhook-subscriptions", staff_only=True, permission=MANAGE),
    Route(
        "api", f"{API}/webhook-subscriptions", "POST", staff_only=True, permission=MANAGE, body=_subscription
    ),
    Route("api", SUBSCRIPTION, staff_only=True, permission=MANAGE, params={"subscription_id": "webhook_a"}),
    Route(
        "api",
        SUBSCRIPTION,
        "PATCH",
        staff_only=True,
        permission=MANAGE,
        params={"subscription_id": "webhook_a"},
        if_match="webhook_a",
        body=lambda w: {"description": "walked"},
    ),
    Route(
        "api",
        SUBSCRIPTION,
        "DELETE",
        staff_only=True,
        permission=MANAGE,
        params={"subscription_id": "webhook_a"},
        if_match="webhook_a",
    ),
    Route("api", f"{API}/notifications", staff_only=True),
    Route(
        "api",
        f"{API}/notifications/{{notification_id}}",
        staff_only=True,
        params={"notification_id": "notification_a"},
    ),
]


def world_extras(world: dict[str, Any]) -> None:
    """A webhook subscription and a queued notification of organisation A, for the walk."""
    from opsdesk.notifications.services import notification_enqueue, webhook_subscription_create

    org = world["org_a"]
    world["webhook_a"] = webhook_subscription_create(
        actor=world["admin"],
        organisation=org,
        url="https://hooks.example.test/a",
        event_types=[],
        description=f"Webhook of {org.name}",
    )
    rows = notification_enqueue(
        event="walk.test",
        organisation=org,
        recipients=["ops-a@example.test"],
        subject=f"Walk for {org.name}",
        body=f"Body for {org.name}",
        payload={"organisation": org.name},
    )
    world["notification_a"] = rows[0]
