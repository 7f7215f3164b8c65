"""Tenancy-walk declarations of the alerts API (see opsdesk/testing/routes.py); the world's alerts,
security events and priority rules are made by routes.py's world_extras."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import api_entity

API = "/api/v1"
VIEW_PERMISSION = "alerts.view"
STAFF_READ = {"staff_only": True, "permission": "alerts.view_security"}


def _rule(w: dict[str, Any]) -> dict:
    return {"organisation": w["org_a"].pk, "alarm_pattern": "walk-*", "priority": "P2"}


ROUTES = [
    *api_entity(f"{API}/alerts", "alert_id", "alert_a", read={"permission": VIEW_PERMISSION}),
    *api_entity(f"{API}/security-events", "security_event_id", "security_event_a", read=STAFF_READ),
    *api_entity(
        f"{API}/alert-priority-rules",
        "rule_id",
        "priority_rule_a",
        create=_rule,
        delete="priority_rule_a",
        create_staff_only=True,
        read=STAFF_READ,
        write={"permission": "alerts.manage"},
    ),
]
