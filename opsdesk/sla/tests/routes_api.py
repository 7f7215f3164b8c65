"""Tenancy-walk declarations of the SLA API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route

API = "/api/v1"


def world_extras(world):
    from opsdesk.sla.models import SlaPolicy

    world["default_policy"] = SlaPolicy.objects.get(is_default=True)


def _policy(w):
    rows = [
        {"priority": p, "clock": "business", "initial_hours": 2, "considered_hours": 8}
        for p in ("P1", "P2", "P3", "P4")
    ]
    return {"name": "Walk policy", "targets": rows}


ROUTES = [
    Route("api", f"{API}/sla/targets", query="priority=P3&logged_at=2026-12-01T16:30:00%2B00:00"),
    Route("api", f"{API}/sla-policies"),
    Route("api", f"{API}/sla-policies/{{policy_id}}", params={"policy_id": "default_policy"}),
    Route("api", f"{API}/sla-policies", "POST", staff_only=True, permission="sla.manage", body=_policy),
]
