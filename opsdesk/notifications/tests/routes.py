"""Tenancy-walk declarations of the notifications API (see opsdesk/testing/routes.py)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
MANAGE = "notifications.manage_webhooks"
STAFF = {"staff_only": True, "permission": MANAGE}


def _subscription(w: dict[str, Any]) -> dict:
    return {
        "organisation": w["org_a"].pk,
        "url": "https://hooks.example.test/walk",
        "event_types": ["walk.test"],
        "description": "walk",
    }


ROUTES = [
    *api_entity(f"{API}/webhook-subscriptions", "subscription_id", "webhook_a", create=_subscription,
                update=lambda w: {"description": "walked"}, delete="webhook_a", read=STAFF),
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
