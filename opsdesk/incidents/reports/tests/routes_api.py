"""Tenancy-walk declaration of the SLA report in the API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

ROUTES = [
    Route("api", "/api/v1/sla-report"),
    Route("api", "/api/v1/sla-report", query="format=csv"),
]
