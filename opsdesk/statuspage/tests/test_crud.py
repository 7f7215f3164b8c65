"""The status page's staff records through the CRUD kit's common checks (core.testing.crud).
They are provider-wide, not a tenant's: a customer is refused the whole kind (403). Provider-wide
maintenance is the maintenance app's (its own CRUD checks)."""

from __future__ import annotations

from opsdesk.core.testing.crud import CrudCases
from opsdesk.statuspage import api, services, views


def _once(world, key, make):
    if key not in world:
        world[key] = make()
    return world[key]


class TestStatusIncidents(CrudCases):
    api = api.INCIDENTS
    pages = views.INCIDENTS
    invalid_body = {"impact": "apocalyptic"}
    patch_body = {"title": "Elevated error rates (patched)"}
    list_filter = "q=Canary"
    outsider_status = 403

    def _make(self, world, title):
        return services.status_incident_create(
            actor=world["admin"], title=title, impact="minor", body="Investigating.", components=["API"]
        )

    def target(self, world):
        return _once(world, "status_incident", lambda: self._make(world, "Canary API errors"))

    def other(self, world):
        return _once(world, "status_incident_other", lambda: self._make(world, "Slow dashboards"))

    def create_body(self, world):
        return {"title": "Kit incident", "impact": "major", "body": "Investigating."}
