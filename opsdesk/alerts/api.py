"""Alerts endpoints (issue 12): alerts (list with filters and CSV, detail), security events, and the
priority rules (CRUD kit). Thin: parse, call one selector or service, answer."""

from __future__ import annotations

from ninja import Router

from opsdesk.alerts import schemas, selectors, services
from opsdesk.core.crud import declare, routes

router = Router(tags=["alerts"])

ALERTS = declare(
    "alert",
    "/alerts",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("last_seen_at", "first_seen_at", "occurrences", "priority"),
    docs={"list": "Alarms de-duplicated by identity, last seen first; `?format=csv` for CSV."},
)
SECURITY_EVENTS = declare(
    "security_event",
    "/security-events",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("event_time", "severity"),
    docs={"list": "CloudTrail events classified by the security rule table (F2); `?format=csv` for CSV."},
)
PRIORITY_RULES = declare(
    "priority_rule",
    "/alert-priority-rules",
    ("list", "get", "create", "delete"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="rule_id",
    target="rule",
    ordering=("created_at",),
)
routes(router, ALERTS, SECURITY_EVENTS, PRIORITY_RULES, module=__name__)
