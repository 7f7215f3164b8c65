"""Tenancy-walk declarations of the inbox API (see opsdesk/testing/routes.py). The world's deliveries
and SNS endpoints are made by routes.py's world_extras (every module's extras build each world)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
VIEW_PERMISSION = "inbox.view"
MANAGE = "inbox.manage_sns"
READ = {"staff_only": True, "permission": VIEW_PERMISSION}
TOPIC = "arn:aws:sns:eu-west-2:111111111101:walk"


def _create(w: dict[str, Any]) -> dict:
    return {"organisation": w["org_a"].pk, "topic_arns": [TOPIC], "description": "walk"}


ROUTES = [
    *api_entity(f"{API}/inbox/deliveries", "delivery_id", "delivery_a", read=READ),
    Route(
        "api",
        f"{API}/inbox/deliveries/{{delivery_id}}/reprocess",
        "POST",
        params={"delivery_id": "delivery_a"},
        staff_only=True,
        permission="inbox.reprocess",
    ),
    *api_entity(
        f"{API}/inbox/sns-subscriptions",
        "subscription_id",
        "sns_a",
        create=_create,
        update=lambda w: {"description": "walked"},
        delete="sns_a",
        create_staff_only=True,
        read=READ,
        write={"permission": MANAGE},
    ),
    Route(
        "api",
        f"{API}/inbox/sns-subscriptions/{{subscription_id}}/rotate",
        "POST",
        params={"subscription_id": "sns_a"},
        staff_only=True,
        permission=MANAGE,
    ),
    *api_entity(
        f"{API}/inbox/intake-keys",
        "key_id",
        "webhook_key_a",
        create=lambda w: {"purpose": "webhook", "organisation": w["org_a"].pk},
        delete="webhook_key_a",
        create_staff_only=True,
        read=READ,
        write={"permission": MANAGE},
    ),
    Route(
        "api",
        f"{API}/inbox/intake-keys/{{key_id}}/rotate",
        "POST",
        params={"key_id": "webhook_key_a"},
        staff_only=True,
        permission=MANAGE,
    ),
]
