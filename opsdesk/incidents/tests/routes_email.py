"""Tenancy-walk declarations of the email triage pages and API (issue 12 item 5): staff only; a
customer gets 404, staff without the permission 403."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
READ = {"staff_only": True, "permission": "incidents.email_triage"}
ACT = {"staff_only": True, "permission": "incidents.manage"}


def _open(w: dict[str, Any]) -> dict:
    return {"organisation": w["org_a"].pk, "priority": "P3"}


ROUTES = [
    Route("ui", "incidents:email_triage_list", **READ),
    Route("ui", "incidents:email_triage_detail", params={"pk": "email_a"}, **READ),
    Route("ui", "incidents:email_triage_take", "POST", params={"pk": "email_a"}, **ACT),
    Route(
        "ui",
        "incidents:email_triage_dismiss",
        "POST",
        params={"pk": "email_a"},
        body=lambda w: {"reason": "spam"},
        **ACT,
    ),
    Route("ui", "incidents:email_triage_open", "POST", params={"pk": "email_a"}, body=_open, **ACT),
    *api_entity(f"{API}/email-triage", "email_id", "email_a", read=READ),
    Route("api", f"{API}/email-triage/{{email_id}}/take", "POST", params={"email_id": "email_a"}, **ACT),
    Route(
        "api",
        f"{API}/email-triage/{{email_id}}/dismiss",
        "POST",
        params={"email_id": "email_a"},
        body=lambda w: {"reason": "spam"},
        **ACT,
    ),
    Route(
        "api",
        f"{API}/email-triage/{{email_id}}/open-incident",
        "POST",
        params={"email_id": "email_a"},
        body=_open,
        **ACT,
    ),
]


def world_extras(world: dict[str, Any]) -> None:
    """A triage item of each organisation (a reply naming one of its incidents from a stranger)."""
    from django.utils import timezone

    from opsdesk.incidents.models import InboundEmail

    for n, tag in enumerate(("a", "b"), start=1):
        world[f"email_{tag}"] = InboundEmail.objects.create(
            delivery_id=900_000 + n,
            sender=f"stranger-{tag}@nowhere.test",
            subject=f"Help {tag}",
            received_at=timezone.now(),
            organisation=world[f"org_{tag}"],
            outcome="triage",
            triage_state="open",
            reason="Not from a named contact.",
            body_text=f"text {tag}",
        )
