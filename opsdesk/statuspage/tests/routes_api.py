"""Tenancy-walk declarations of the status page API (see opsdesk/testing/routes.py)."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route

API = "/api/v1"
MANAGE = "statuspage.manage"
INCIDENT = f"{API}/status/incidents/{{incident_id}}"
MAINTENANCE = f"{API}/status/maintenance/{{maintenance_id}}"


def _staff(target: str, method: str = "GET", **kwargs: Any) -> Route:
    return Route("api", target, method, staff_only=True, permission=MANAGE, **kwargs)


def _incident(w: dict[str, Any]) -> dict:
    return {
        "title": "Walk incident",
        "impact": "major",
        "body": "Investigating.",
        "components": ["Service desk telephony"],
    }


def _maintenance(w: dict[str, Any]) -> dict:
    return {
        "title": "Walk maintenance",
        "starts_at": "2030-01-01T01:00:00Z",
        "ends_at": "2030-01-01T03:00:00Z",
        "components": ["AWS eu-west-2 connectivity"],
    }


ROUTES = [
    Route("api", f"{API}/status", public=True),
    _staff(f"{API}/status/incidents"),
    _staff(f"{API}/status/incidents", "POST", body=_incident),
    _staff(INCIDENT, params={"incident_id": "status_incident"}),
    _staff(
        INCIDENT,
        "PATCH",
        params={"incident_id": "status_incident"},
        if_match="status_incident",
        body=lambda w: {"impact": "critical"},
    ),
    _staff(
        f"{INCIDENT}/updates",
        "POST",
        params={"incident_id": "status_incident"},
        body=lambda w: {"state": "monitoring", "body": "A fix is deployed; monitoring."},
    ),
    _staff(f"{API}/status/maintenance"),
    _staff(f"{API}/status/maintenance", "POST", body=_maintenance),
    _staff(MAINTENANCE, params={"maintenance_id": "status_maintenance"}),
    _staff(
        MAINTENANCE,
        "PATCH",
        params={"maintenance_id": "status_maintenance"},
        if_match="status_maintenance",
        body=lambda w: {"state": "cancelled"},
    ),
]
