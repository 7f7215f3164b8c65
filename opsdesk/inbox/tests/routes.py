"""Tenancy-walk declarations of the inbox pages (deliveries, SNS endpoints, intake keys) and the
intake endpoints (see opsdesk/testing/routes.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from opsdesk.testing.routes import Route, form, ui_pages

VIEW_PERMISSION = "inbox.view"
MANAGE = "inbox.manage_sns"
READ = {"staff_only": True, "permission": VIEW_PERMISSION}
TOPIC = "arn:aws:sns:eu-west-2:111111111101:walk"


def _version(w: dict[str, Any], key: str) -> int:
    obj = w[key]
    return type(obj).objects.get(pk=obj.pk).version


def _sns_create(w: dict[str, Any]) -> dict:
    return {"organisation": w["org_a"].pk, "description": "walk", "topic_arns": TOPIC, "active": "on"}


def _sns_update(w: dict[str, Any]) -> dict:
    return {"description": "walked", "topic_arns": TOPIC, "active": "on", "version": _version(w, "sns_a")}


def _key_create(w: dict[str, Any]) -> dict:
    return {"purpose": "webhook", "organisation": w["org_a"].pk, "description": "walk"}


ROUTES = [
    # The intake: no sign-in, the token is the address (GET probes it; POSTs are tested in test_sns).
    Route("ui", "intake:sns", params={"token": "sns_token"}, public=True),
    # EventBridge and the webhook (issue 12 items 4, 7): GET probes; POSTs are tested in alerts.
    Route("ui", "intake:eventbridge", public=True),
    Route("ui", "intake:webhook", params={"token": "webhook_token"}, public=True),
    *ui_pages("inbox:delivery", "delivery_a", read=READ),
    Route(
        "ui",
        "inbox:delivery_reprocess",
        "POST",
        params={"pk": "delivery_a"},
        staff_only=True,
        permission="inbox.reprocess",
    ),
    *ui_pages(
        "inbox:sns", "sns_a", create=_sns_create, update=_sns_update, read=READ, write={"permission": MANAGE}
    ),
    *form(
        "inbox:sns_delete",
        lambda w: {"version": _version(w, "sns_a")},
        params={"pk": "sns_a"},
        staff_only=True,
        permission=MANAGE,
    ),
    Route("ui", "inbox:sns_rotate", "POST", params={"pk": "sns_a"}, staff_only=True, permission=MANAGE),
    # Intake keys (EventBridge and the generic webhook): no edit page; create and rotate show the secret.
    *ui_pages("inbox:key", "webhook_key_a", create=_key_create, read=READ, write={"permission": MANAGE}),
    *form(
        "inbox:key_delete",
        lambda w: {"version": _version(w, "webhook_key_a")},
        params={"pk": "webhook_key_a"},
        staff_only=True,
        permission=MANAGE,
    ),
    Route(
        "ui", "inbox:key_rotate", "POST", params={"pk": "webhook_key_a"}, staff_only=True, permission=MANAGE
    ),
]


def world_extras(world: dict[str, Any]) -> None:
    """An SNS endpoint and an unrouted delivery (naming the organisation) of each organisation."""
    from opsdesk.inbox import services
    from opsdesk.inbox.models import Delivery

    for tag in ("a", "b"):
        org = world[f"org_{tag}"]
        subscription = services.sns_subscription_create(
            actor=world["admin"], organisation=org, topic_arns=[TOPIC], description=f"SNS of {org.name}"
        )
        world[f"sns_{tag}"] = subscription
        world[f"delivery_{tag}"] = Delivery.objects.create(
            source="sns",
            external_id=f"walk-{tag}",
            organisation=org,
            sns_subscription=subscription,
            verified=True,
            kind="cloudwatch.alarm",
            body=json.dumps({"Type": "Notification", "Message": f"alarm of {org.name}"}),
            state="unrouted",
            error="No handler is registered for 'cloudwatch.alarm'.",
        )
    world["sns_token"] = SimpleNamespace(pk=world["sns_a"].token)
    webhook = services.intake_key_create(actor=world["admin"], purpose="webhook", organisation=world["org_a"])
    world["webhook_token"] = SimpleNamespace(pk=webhook.token)
    world["webhook_key_a"] = webhook
