"""Tenancy-walk declarations of the alerts pages (see opsdesk/testing/routes.py), and the world's
alerts, security events and priority rules of each organisation."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opsdesk.testing.routes import form, ui_pages

VIEW_PERMISSION = "alerts.view"
STAFF_READ = {"staff_only": True, "permission": "alerts.view_security"}
MANAGE = "alerts.manage"


def _rule(w: dict[str, Any]) -> dict:
    return {"organisation": w["org_a"].pk, "alarm_pattern": "walk-*", "priority": "P2"}


def _version(w: dict[str, Any], key: str) -> int:
    obj = w[key]
    return type(obj).objects.get(pk=obj.pk).version


ROUTES = [
    *ui_pages("alerts:alert", "alert_a", read={"permission": VIEW_PERMISSION}),
    *ui_pages("alerts:security_event", "security_event_a", read=STAFF_READ),
    *ui_pages(
        "alerts:rule",
        "priority_rule_a",
        create=_rule,
        read=STAFF_READ,
        write={"permission": MANAGE},
    ),
    *form(
        "alerts:rule_delete",
        lambda w: {"version": _version(w, "priority_rule_a")},
        params={"pk": "priority_rule_a"},
        staff_only=True,
        permission=MANAGE,
    ),
]


def world_extras(world: dict[str, Any]) -> None:
    from opsdesk.alerts import services
    from opsdesk.alerts.models import Alert, SecurityEvent

    now = timezone.now()
    for tag in ("a", "b"):
        org, account = world[f"org_{tag}"], world[f"member_{tag}"]
        world[f"alert_{tag}"] = Alert.objects.create(
            source="cloudwatch",
            identity_key=f"cloudwatch:{account.account_id}:eu-west-1:walk-{tag}",
            account_id=account.account_id,
            region="eu-west-1",
            name=f"alarm of {org.name}",
            organisation=org,
            summary=f"alarm of {org.name}",
            first_seen_at=now,
            last_seen_at=now,
        )
        world[f"security_event_{tag}"] = SecurityEvent.objects.create(
            event_id=f"walk-{tag}",
            kind="vpc_change",
            severity="medium",
            account_id=account.account_id,
            organisation=org,
            actor=f"arn:aws:iam::{account.account_id}:user/walk",
            resource=f"vpc of {org.name}",
            event_time=now,
            raw={},
        )
        world[f"priority_rule_{tag}"] = services.priority_rule_create(
            actor=world["admin"], organisation=org, priority="P4", alarm_pattern=f"{org.name}-*"
        )
