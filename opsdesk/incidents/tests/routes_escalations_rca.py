"""Tenancy-walk declarations of the escalation (C7) and root-cause analysis (C6) API (see
opsdesk/testing/routes.py). The incidents API itself is declared in routes_api.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsdesk.testing.routes import Route, api_entity, steps

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

API = "/api/v1"
ESCALATE = "incidents.escalate"
MANAGE = "incidents.manage_escalations"
RCA = "incidents.rca"
REQUEST_RCA = "incidents.request_rca"


def _p2_incident(world: dict[str, Any], title: str, logged_at: dt.datetime):
    from opsdesk.incidents import services
    from opsdesk.incidents.models import DiagnosticsChecklistItem

    return services.incident_log(
        actor=world["service_desk"],
        reported_by=world["contact_a"],
        service=world["esc_service_a"],
        title=f"{title} CanaryAlpha7Q",
        description="Degraded CanaryAlpha7Q",
        priority="P2",
        diagnostics_confirmed=list(
            DiagnosticsChecklistItem.objects.filter(active=True).values_list("pk", flat=True)
        ),
        logged_at=logged_at,
    )


def _escalate(w: dict[str, Any]) -> dict:
    return {"criterion": "not_satisfied", "details": "walk", "contact": w["contact_a"].pk}


def world_extras(world: dict[str, Any]) -> None:
    """For org A: an incident with a level-2 escalation raised two weeks ago (its targets have
    passed, so it may move up), a P2 with nothing yet (to escalate or request an RCA), a P2 with a
    draft RCA ready to submit and its action, and one with a submitted RCA."""
    from django.utils import timezone

    from opsdesk.directory.services import service_create
    from opsdesk.incidents.escalations import services as escalations
    from opsdesk.incidents.rca import services as rca

    desk = world["service_desk"]
    # A service of its own, so that the walk can still delete service_a.
    world["esc_service_a"] = service_create(
        actor=world["admin"],
        organisation=world["org_a"],
        reference="A-ESC-CanaryAlpha7Q",
        name="Escalated service CanaryAlpha7Q",
        environment="production",
        accounts=[world["account_a"].pk],
        contacts=[world["contact_a"].pk],
    )
    past = timezone.now() - dt.timedelta(days=14)
    world["esc_incident_a"] = _p2_incident(world, "Escalated", past)
    world["escalation_a"] = escalations.escalation_raise(
        actor=desk,
        incident=world["esc_incident_a"],
        criterion="poor_updates",
        details="Walk CanaryAlpha7Q",
        contact=world["contact_a"],
        at=past,
    )
    world["p2_incident_a"] = _p2_incident(world, "Plain", past)

    sections = {
        "impact": "Impact CanaryAlpha7Q",
        "timeline_of_events": "Timeline",
        "monitoring_assessment": "Monitoring",
        "lessons_learned": "Lessons",
        "recommendations": "Recommendations",
    }
    world["rca_a"] = rca.rca_request(actor=desk, incident=_p2_incident(world, "Draft RCA", past))
    world["rca_a"] = rca.rca_update(actor=desk, rca=world["rca_a"], **sections)
    world["rca_action_a"] = rca.rca_action_add(
        actor=desk, rca=world["rca_a"], description="Add an alarm CanaryAlpha7Q", runbook_update=True
    )
    submitted = rca.rca_request(actor=desk, incident=_p2_incident(world, "Submitted RCA", past))
    submitted = rca.rca_update(actor=desk, rca=submitted, **sections)
    rca.rca_action_add(actor=desk, rca=submitted, description="Update the runbook")
    world["rca_submitted_a"] = rca.rca_submit(actor=desk, rca=submitted)


incident_step = steps(f"{API}/incidents/{{incident_id}}")
escalation_step = steps(f"{API}/escalations/{{escalation_id}}")
rca_step = steps(f"{API}/rcas/{{rca_id}}", staff_only=True)

ROUTES = [
    Route("api", f"{API}/escalation-matrix"),
    Route("api", f"{API}/escalation-criteria"),
    incident_step("escalations", "p2_incident_a", ESCALATE, _escalate),
    Route("api", f"{API}/incidents/{{incident_id}}/escalations", params={"incident_id": "esc_incident_a"}),
    Route("api", f"{API}/escalations/{{escalation_id}}", params={"escalation_id": "escalation_a"}),
    Route("api", f"{API}/escalations/{{escalation_id}}/deadlines", params={"escalation_id": "escalation_a"}),
    Route("api", f"{API}/rcas/{{rca_id}}/deadlines", params={"rca_id": "rca_a"}),
    escalation_step("raise-level", "escalation_a", ESCALATE,
                    lambda w: {"criterion": "plan_not_met", "details": "walk"}),
    escalation_step("acknowledge", "escalation_a", MANAGE),
    escalation_step("respond", "escalation_a", MANAGE, lambda w: {"response": "walk"}),
    escalation_step("close", "escalation_a", MANAGE, lambda w: {"reason": "walk"}),
    Route("api", f"{API}/rcas", query="overdue=true"),
    *api_entity(f"{API}/rcas", "rca_id", "rca_a", update=lambda w: {"lessons_learned": "walked"},
                write={"staff_only": True, "permission": RCA}),
    incident_step("rca", "p2_incident_a", REQUEST_RCA),
    rca_step("actions", "rca_a", RCA, lambda w: {"description": "walk", "runbook_update": True}),
    Route("api", f"{API}/rca-actions/{{action_id}}", "PATCH", params={"action_id": "rca_action_a"},
          staff_only=True, permission=RCA, if_match="rca_action_a", body=lambda w: {"done": True}),
    rca_step("submit", "rca_a", RCA),
    rca_step("accept", "rca_submitted_a", REQUEST_RCA, staff_only=False),
]
