"""Tenancy-walk declarations of the incidents API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route

API = "/api/v1"
WALK_SERVICE = "WALK-SVC"


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


def _incident(key: str, permission: str | None = None, **kwargs) -> dict:
    return {"params": {"incident_id": key}, "permission": permission, **kwargs}


ROUTES = [
    Route("api", f"{API}/incidents", permission="incidents.view"),
    Route("api", f"{API}/incidents", query="state=open", permission="incidents.view"),
    Route("api", f"{API}/incidents", "POST", permission="incidents.log", body=_log),
    Route(
        "api",
        f"{API}/incidents/proactive",
        "POST",
        staff_only=True,
        permission="incidents.manage",
        body=lambda w: {
            "organisation": w["org_a"].pk,
            "title": "Walk",
            "description": "walk",
            "priority": "P3",
        },
    ),
    Route("api", f"{API}/incidents/{{incident_id}}", **_incident("incident_a", "incidents.view")),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/acknowledge",
        "POST",
        **_incident("incident_a", "incidents.manage"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/investigate",
        "POST",
        body=lambda w: {"note": ""},
        **_incident("acked_incident_a", "incidents.manage"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/await-customer",
        "POST",
        body=lambda w: {"note": "Please send the request ids."},
        **_incident("acked_incident_a", "incidents.manage"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/resume",
        "POST",
        **_incident("awaiting_incident_a", "incidents.update"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/resolve",
        "POST",
        body=lambda w: {"summary": "Restarted the load balancer."},
        **_incident("acked_incident_a", "incidents.manage"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/close",
        "POST",
        body=lambda w: {"customer_confirmed": True, "reason": "Confirmed by telephone."},
        **_incident("resolved_incident_a", "incidents.update"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/notes",
        "POST",
        body=lambda w: {"body": "A walk note.", "public": True},
        **_incident("incident_a", "incidents.update"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/calls",
        "POST",
        body=lambda w: {"summary": "Called the customer."},
        **_incident("incident_a", "incidents.manage"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/assign",
        "POST",
        if_match="incident_a",
        body=lambda w: {"assignee": w["engineer"].pk},
        **_incident("incident_a", "incidents.manage"),
    ),
    Route(
        "api",
        f"{API}/incidents/{{incident_id}}/priority",
        "POST",
        if_match="incident_a",
        body=lambda w: {"priority": "P4"},
        **_incident("incident_a", "incidents.manage"),
    ),
    Route("api", f"{API}/diagnostics-checklist"),
    Route(
        "api",
        f"{API}/diagnostics-checklist",
        "POST",
        permission="incidents.edit_checklist",
        body=lambda w: {"text": "Walk check"},
    ),
    Route(
        "api",
        f"{API}/diagnostics-checklist/{{item_id}}",
        "PATCH",
        params={"item_id": "checklist_item"},
        permission="incidents.edit_checklist",
        if_match="checklist_item",
        body=lambda w: {"position": 5},
    ),
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
