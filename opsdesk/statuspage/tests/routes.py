"""Tenancy-walk declarations of the status pages (see opsdesk/testing/routes.py).

The public pages and the feed are open to anyone (and must never show a tenant's data); every
staff page needs "statuspage.manage".
"""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, form, ui_pages

MANAGE = "statuspage.manage"
INCIDENT = {"pk": "status_incident"}


def _incident(w: dict[str, Any]) -> dict:
    return {
        "title": "Walk incident",
        "impact": "minor",
        "state": "investigating",
        "components": "Service desk telephony",
        "body": "We are investigating.",
        "published": "on",
    }


def _incident_edit(w: dict[str, Any]) -> dict:
    i = w["status_incident"]
    return {
        "title": "Walk incident edited",
        "impact": "major",
        "components": "AWS eu-west-2 connectivity",
        "started_at": i.started_at.strftime("%Y-%m-%dT%H:%M"),
        "published": "on",
        "version": type(i)._default_manager.get(pk=i.pk).version,
    }


STAFF = {"staff_only": True, "permission": MANAGE}

ROUTES = [
    Route("ui", "statuspage:index", public=True),
    Route("ui", "statuspage:incident", params=INCIDENT, public=True),
    Route("ui", "statuspage:feed", public=True),
    *ui_pages("statuspage:incident", "status_incident", create=_incident, update=_incident_edit, read=STAFF),
    *form("statuspage:incident_post_update", lambda w: {"state": "identified", "body": "Found it."},
          params=INCIDENT, **STAFF),
    # E4: the old maintenance list leads to the maintenance pages (provider-wide maintenance).
    Route("ui", "statuspage:maintenance_list", **STAFF),
]

def world_extras(world: dict[str, Any]) -> None:
    """A published incident (provider-wide: no tenant owns it)."""
    from opsdesk.statuspage.services import status_incident_create

    world["status_incident"] = status_incident_create(
        actor=world["admin"],
        title="Elevated error rates in AWS eu-west-2",
        impact="minor",
        body="We are investigating elevated error rates.",
        components=["AWS eu-west-2 connectivity"],
    )
