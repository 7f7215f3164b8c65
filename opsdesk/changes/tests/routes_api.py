"""Tenancy-walk declarations of the changes API (see routes.py here for the changes each step is
walked on and why decisions are recorded on the approver's behalf by staff)."""

from __future__ import annotations

from typing import Any

from opsdesk.changes.tests.routes import on_behalf, window
from opsdesk.testing.routes import Route, api_entity, steps

API = "/api/v1"
VIEW = "changes.view"
VIEW_PERMISSION = VIEW
SUBMIT = "changes.submit"
MANAGE = "changes.manage"
DECIDE = "changes.decide"
CATALOGUE = "changes.manage_catalogue"
CHANGE = f"{API}/changes/{{change_id}}"
STAFF = {"staff_only": True}


def _rfc(w: dict[str, Any]) -> dict[str, Any]:
    user = w.get("walk_user")
    org = w["org_b"] if user is not None and user == w["customer_b"] else w["org_a"]
    return {
        "organisation": org.pk,
        "level": 2,
        "title": "Walk RFC",
        "description": "Walk",
        "impact_statement": "None",
    }


step = steps(CHANGE)

ROUTES = [
    *api_entity(
        f"{API}/changes",
        "change_id",
        "change_new_a",
        update=lambda w: {"title": "Walk title", "checklist": [{"item": "one", "done": True}]},
        read={"permission": VIEW},
        write={"permission": MANAGE, "staff_only": True},
    ),
    Route("api", f"{API}/changes", "POST", body=_rfc, permission=SUBMIT),
    Route("api", f"{CHANGE}/deadlines", params={"change_id": "change_new_a"}, permission=VIEW),
    step("transition", "change_new_a", MANAGE, lambda w: {"to_state": "identify"}, **STAFF),
    step("approve", "change_approval_a", DECIDE, on_behalf),
    step("reject", "change_approval_a", DECIDE, lambda w: {"reason": "Walk", **on_behalf(w)}),
    step("priority", "change_new_a", MANAGE, lambda w: {"priority": "P4"}, **STAFF),
    step("review", "change_closed_a", MANAGE, lambda w: {"notes": "Walk"}, **STAFF),
    step("withdraw", "change_new_a", MANAGE, lambda w: {"reason": "Walk"}, **STAFF),
    step("schedule", "change_scheduled_a", MANAGE, window, **STAFF),
    step("halt", "change_implementation_a", MANAGE, lambda w: {"reason": "Walk"}, **STAFF),
    *api_entity(
        f"{API}/standard-changes",
        "standard_change_id",
        "standard_change",
        create=lambda w: {"name": "Walk standard change", "runbook": "Steps"},
        update=lambda w: {"name": "Walk renamed"},
        delete="standard_change_unused",
        create_staff_only=True,
        read={"permission": VIEW},
        write={"permission": CATALOGUE, "staff_only": True},
    ),
    *api_entity(
        f"{API}/approved-pipelines",
        "pipeline_id",
        "pipeline_a",
        create=lambda w: {"service": w["service_a"].pk, "name": "Walk pipeline"},
        delete="pipeline_a",
        create_staff_only=True,
        read={"permission": VIEW},
        write={"permission": MANAGE, "staff_only": True},
    ),
    *api_entity(
        f"{API}/change-approval-matrix",
        "approval_rule_id",
        "approval_rule",
        read={"permission": VIEW},
    ),
]
