"""Tenancy-walk declarations of the web pages (see core/testing/routes.py)."""

from opsdesk.core.testing.routes import Route
from opsdesk.web.routes_calendars import ROUTES as _CALENDAR_ROUTES
from opsdesk.web.routes_incidents import ROUTES as _INCIDENT_ROUTES
from opsdesk.web.routes_rca import ROUTES as _RCA_ROUTES

ROUTES = [
    Route("ui", "web:login", public=True),
    Route(
        "ui",
        "web:login",
        "POST",
        public=True,
        body=lambda w: {"username": "nobody@example.test", "password": "wrong-password"},
    ),
    Route("ui", "web:logout", "POST", public=True),
    Route("ui", "web:home"),
]
ROUTES += _CALENDAR_ROUTES + _INCIDENT_ROUTES + _RCA_ROUTES
