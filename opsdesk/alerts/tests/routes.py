"""Tenancy-walk declarations of the alerts pages (see opsdesk/testing/routes.py), and the world's
alerts, security events and priority rules of each organisation."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

VIEW_PERMISSION = "alerts.view"

ROUTES: list = []


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
