"""Tenancy-walk declarations of the incidents API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route, api_entity, steps

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

API = "/api/v1"
WALK_SERVICE = "WALK-SVC"
VIEW = "incidents.view"
MANAGE = "incidents.manage"
UPDATE = "incidents.update"


def _checks(w):
    from opsdesk.incidents.selectors import checklist_list

    return list(checklist_list().values_list("pk", flat=True))


def _log(w):
    """Both organisations have a WALK-SVC service; staff log on behalf of A's contact, a customer as
    their own contact (another one is refused)."""
    return {
        "service_reference": WALK_SERVICE,
        "title": "Walk",
        "description": "walk",
        "priority": "P3",
        "diagnostics_confirmed": _checks(w),
        "reported_by": getattr(w.get("walk_user"), "contact_id", None) or w["contact_a"].pk,
    }


_step = steps(f"{API}/incidents/{{incident_id}}")


def _proactive(w):
    return {"organisation": w["org_a"].pk, "title": "Walk", "description": "walk", "priority": "P3"}


ROUTES = [
    Route("api", f"{API}/incidents", permission=VIEW),
    Route("api", f"{API}/incidents", query="state=open", permission=VIEW),
    Route("api", f"{API}/incidents", "POST", permission="incidents.log", body=_log),
    Route("api", f"{API}/incidents/proactive", "POST", staff_only=True, permission=MANAGE, body=_proactive),
    Route("api", f"{API}/incidents/{{incident_id}}", params={"incident_id": "incident_a"}, permission=VIEW),
    Route("api", f"{API}/incidents/{{incident_id}}/deadlines", params={"incident_id": "incident_a"},
          permission=VIEW),
    _step("acknowledge", "incident_a", MANAGE),
    _step("investigate", "acked_incident_a", MANAGE, lambda w: {"note": ""}),
    _step("await-customer", "acked_incident_a", MANAGE, lambda w: {"note": "Please send the request ids."}),
    _step("resume", "awaiting_incident_a", UPDATE),
    _step("resolve", "acked_incident_a", MANAGE, lambda w: {"summary": "Restarted the load balancer."}),
    _step("close", "resolved_incident_a", UPDATE,
          lambda w: {"customer_confirmed": True, "reason": "Confirmed by telephone."}),
    _step("notes", "incident_a", UPDATE, lambda w: {"body": "A walk note.", "public": True}),
    _step("calls", "incident_a", MANAGE, lambda w: {"summary": "Called the customer."}),
    _step("assign", "incident_a", MANAGE, lambda w: {"assignee": w["engineer"].pk}, if_match="incident_a"),
    _step("priority", "incident_a", MANAGE, lambda w: {"priority": "P4"}, if_match="incident_a"),
    *api_entity(f"{API}/diagnostics-checklist", "item_id", "checklist_item", shown=False,
                create=lambda w: {"text": "Walk check"}, update=lambda w: {"position": 5},
                write={"permission": "incidents.edit_checklist"}),
]

def world_extras(world):
    """Incidents of A in every state a command starts from, one of B, a WALK-SVC service in both
    organisations (so one logging body fits every user) and out-of-hours contacts (C3)."""
    from opsdesk.directory.services import contact_create, service_create
    from opsdesk.incidents import services
    from opsdesk.incidents.selectors import checklist_list
    from opsdesk.testing.world import CANARY_A, CANARY_B

    admin, desk = world["admin"], world["service_desk"]
    checks = list(checklist_list().values_list("pk", flat=True))
    for tag, canary in (("a", CANARY_A), ("b", CANARY_B)):
        org = world[f"org_{tag}"]
        world[f"walk_service_{tag}"] = service_create(
            actor=admin,
            organisation=org,
            reference=WALK_SERVICE,
            name="Walk service",
            environment="production",
        )
        contact_create(
            actor=admin,
            organisation=org,
            name=f"Night {canary}",
            email=f"night@{tag}.test",
            gdpr_consent=True,
            is_technical_out_of_hours=True,
        )

    def log(tag: str):
        canary = CANARY_A if tag == "a" else CANARY_B
        return services.incident_log(
            actor=world[f"customer_{tag}"],
            # Not service_a: the directory walk deletes that one, and incidents protect a service.
            service=world[f"walk_service_{tag}"],
            title=f"Walk incident {canary}",
            description=f"Broken {canary}",
            priority="P3",
            diagnostics_confirmed=checks,
        )

    world["incident_a"] = log("a")
    world["incident_b"] = log("b")
    world["acked_incident_a"] = services.incident_acknowledge(actor=desk, incident=log("a"))
    world["awaiting_incident_a"] = services.incident_await_customer(
        actor=desk,
        incident=services.incident_acknowledge(actor=desk, incident=log("a")),
        note="Which region?",
    )
    world["resolved_incident_a"] = services.incident_resolve(
        actor=desk, incident=services.incident_acknowledge(actor=desk, incident=log("a")), summary="Fixed."
    )
    world["checklist_item"] = checklist_list().first()
