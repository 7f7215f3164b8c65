"""Tenancy-walk declaration of the SLA report in the API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route

ROUTES = [
    Route("api", "/api/v1/sla-report"),
    Route("api", "/api/v1/sla-report", query="format=csv"),
]
