"""Tenancy-walk declarations of the status page API (see opsdesk/testing/routes.py)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
MANAGE = "statuspage.manage"
INCIDENT = f"{API}/status/incidents/{{incident_id}}"
STAFF = {"staff_only": True, "permission": MANAGE}


def _incident(w: dict[str, Any]) -> dict:
    return {
        "title": "Walk incident",
        "impact": "major",
        "body": "Investigating.",
        "components": ["Service desk telephony"],
    }


ROUTES = [
    Route("api", f"{API}/status", public=True),
    *api_entity(f"{API}/status/incidents", "incident_id", "status_incident", create=_incident,
                update=lambda w: {"impact": "critical"}, read=STAFF),
    Route("api", f"{INCIDENT}/updates", "POST", params={"incident_id": "status_incident"}, **STAFF,
          body=lambda w: {"state": "monitoring", "body": "A fix is deployed; monitoring."}),
]
