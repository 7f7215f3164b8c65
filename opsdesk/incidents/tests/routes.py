"""Tenancy-walk declarations of the incident pages (C1–C7), (see opsdesk/testing/routes.py). The
incidents API is declared in routes_api.py, the escalation and RCA API in routes_escalations_rca.py.

World keys come from the incidents world extras: `incident_a` (new), `acked_incident_a`,
`awaiting_incident_a`, `resolved_incident_a`, `p2_incident_a` (P2, no escalation or RCA yet),
`escalation_a` (a level-2 escalation raised two weeks ago), `checklist_item`. Each POST body is valid
for a user who is permitted.
"""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, form

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

MANAGE = "incidents.manage"
UPDATE = "incidents.update"
CHECKLIST = "incidents.edit_checklist"
ESCALATE = "incidents.escalate"
HANDLE_ESCALATION = "incidents.manage_escalations"
REQUEST_RCA = "incidents.request_rca"
CHECKLISTS = {"staff_only": True, "permission": CHECKLIST}


def _log(w: dict[str, Any]) -> dict:
    """Both organisations have a WALK-SVC service; staff log on behalf of A's contact, a customer as
    their own contact (another one is refused)."""
    from opsdesk.incidents.selectors import checklist_list

    return {
        "service_reference": "WALK-SVC",
        "reported_by": getattr(w.get("walk_user"), "contact_id", None) or w["contact_a"].pk,
        "priority": "P3",
        "title": "Walk",
        "description": "walk",
        "diagnostics_confirmed": list(checklist_list().values_list("pk", flat=True)),
    }


def _checklist_edit(w: dict[str, Any]) -> dict:
    item = w["checklist_item"]
    return {"text": item.text, "position": "5", "active": "on", "version": item.version}


def _on(key: str) -> dict[str, dict[str, str]]:
    return {"params": {"pk": key}}


def _versioned(body):
    """A change of incident A that names the version the page was opened at."""
    return lambda w: {**body(w), "version": w["incident_a"].version}


def _action(name: str, key: str, permission: str | None, body=None, **kwargs: Any) -> Route:
    return Route("ui", f"incidents:{name}", "POST", permission=permission, body=body, **_on(key), **kwargs)


INCIDENT_ROUTES = [
    Route("ui", "incidents:queue"),
    Route("ui", "incidents:queue", query="state=all&priority=P3&q=walk"),
    Route("ui", "incidents:queue", query="state=all&mine=1"),
    Route("ui", "incidents:escalation_worklist", staff_only=True),
    Route("ui", "incidents:log", permission="incidents.log"),
    Route("ui", "incidents:log", "POST", permission="incidents.log", body=_log),
    Route("ui", "incidents:detail", **_on("incident_a")),
    Route("ui", "incidents:detail", **_on("resolved_incident_a")),
    Route("ui", "incidents:history", **_on("incident_a")),
    _action("acknowledge", "incident_a", MANAGE, staff_only=True),
    _action("investigate", "acked_incident_a", MANAGE, lambda w: {"note": ""}, staff_only=True),
    _action(
        "await_customer",
        "acked_incident_a",
        MANAGE,
        lambda w: {"note": "Please send the request ids."},
        staff_only=True,
    ),
    _action("resume", "awaiting_incident_a", UPDATE),
    _action("resolve", "acked_incident_a", MANAGE, lambda w: {"summary": "Restarted it."}, staff_only=True),
    _action(
        "close",
        "resolved_incident_a",
        UPDATE,
        lambda w: {"customer_confirmed": "on", "reason": "Confirmed by telephone."},
    ),
    _action("note", "incident_a", UPDATE, lambda w: {"body": "A walk note.", "visibility": "public"}),
    _action("call", "incident_a", MANAGE, lambda w: {"summary": "Called the customer."}, staff_only=True),
    _action("assign", "incident_a", MANAGE, _versioned(lambda w: {"assignee": w["engineer"].pk}),
            staff_only=True),
    _action("priority", "incident_a", MANAGE, _versioned(lambda w: {"priority": "P4", "reason": "walk"}),
            staff_only=True),
    _action(
        "escalate",
        "p2_incident_a",
        ESCALATE,
        lambda w: {"criterion": "not_satisfied", "details": "walk", "contact": w["contact_a"].pk},
    ),
    _action("rca_request", "p2_incident_a", REQUEST_RCA),
    _action("escalation_acknowledge", "escalation_a", HANDLE_ESCALATION, staff_only=True),
    _action(
        "escalation_respond",
        "escalation_a",
        HANDLE_ESCALATION,
        lambda w: {"response": "We are on it."},
        staff_only=True,
    ),
    _action(
        "escalation_close", "escalation_a", HANDLE_ESCALATION, lambda w: {"reason": "walk"}, staff_only=True
    ),
    Route("ui", "incidents:checklist_list", **CHECKLISTS),
    *form("incidents:checklist_create", lambda w: {"text": "Walk check", "position": "500", "active": "on"},
          **CHECKLISTS),
    *form("incidents:checklist_update", _checklist_edit, **CHECKLISTS, **_on("checklist_item")),
]

ROUTES = INCIDENT_ROUTES
