"""Tenancy-walk declaration of the SLA report page (see opsdesk/testing/routes.py): every staff role
and each customer (their own organisation's report) may read it."""

from opsdesk.testing.routes import Route

ROUTES = [
    Route("ui", "reports:sla"),
    Route("ui", "reports:sla", query="format=csv"),
    Route("ui", "reports:desk_compliance"),
]
