"""Tenancy-walk declarations of the escalation pages (C7; see opsdesk/testing/routes.py): the
escalation matrix, which everyone signed in reads. The escalation API is declared with the RCA API
in incidents/tests/routes_escalations_rca.py."""

from opsdesk.testing.routes import Route

ROUTES = [
    Route("ui", "incidents:escalation_matrix"),
]
