"""Tenancy-walk declarations of the root-cause analysis pages (C6) (see
opsdesk/testing/routes.py).

World keys come from the incidents world extras (incidents/tests/routes_escalations_rca.py): `rca_a`
(a draft RCA of an org-A P2 on a service of its own, every section written and one action: ready to submit),
`rca_action_a` (its open action) and `rca_submitted_a` (a submitted RCA, ready to accept). No extras
of our own are needed. Each POST body is valid for a user who is permitted.
"""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, form, ui_pages

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

WRITE = "incidents.rca"
ACCEPT = "incidents.request_rca"


def _version(key: str):
    """The object's current version (world objects may be stale after later world extras)."""

    def body(w: dict[str, Any]) -> dict[str, Any]:
        obj = w[key]
        return {"version": type(obj)._default_manager.get(pk=obj.pk).version}

    return body


def _sections(w: dict[str, Any]) -> dict[str, Any]:
    return {
        **_version("rca_a")(w),
        "impact": "Walk impact",
        "timeline_of_events": "Walk timeline",
        "monitoring_assessment": "Walk monitoring",
        "lessons_learned": "Walk lessons",
        "recommendations": "Walk recommendations",
    }


def _on(key: str) -> dict[str, dict[str, str]]:
    return {"params": {"pk": key}}


def _done(w: dict[str, Any]) -> dict[str, Any]:
    return {"done": "True", **_version("rca_action_a")(w)}


def _step(name: str, key: str, permission: str = WRITE, body=None, **more: Any) -> Route:
    kwargs = {"staff_only": True, "permission": permission, "body": body, **_on(key), **more}
    return Route("ui", f"incidents:{name}", "POST", **kwargs)


ROUTES = [
    *ui_pages("incidents:rca", "rca_a"),
    Route("ui", "incidents:rca_list", query="overdue=yes&state=draft&sort=-incident"),
    Route("ui", "incidents:rca_detail", **_on("rca_submitted_a")),
    *form("incidents:rca_edit", _sections, staff_only=True, permission=WRITE, **_on("rca_a")),
    _step("rca_action_add", "rca_a", body=lambda w: {"description": "Walk action", "runbook_update": "on"}),
    _step("rca_action_done", "rca_action_a", body=_done),
    _step("rca_submit", "rca_a", body=_version("rca_a")),
    _step("rca_accept", "rca_submitted_a", ACCEPT, staff_only=False),
]
