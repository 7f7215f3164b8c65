"""Tenancy-walk declaration of the SLA report page (see opsdesk/testing/routes.py): every staff role
and each customer (their own organisation's report) may read it."""

from opsdesk.testing.routes import Route

#: Billing staff (no operational access) see none of this: 403 or 404 (walk.module_view_permission).
VIEW_PERMISSION = "incidents.view"

ROUTES = [
    Route("ui", "reports:sla"),
    Route("ui", "reports:sla", query="format=csv"),
    Route("ui", "reports:desk_compliance"),
]
