"""Tenancy-walk declarations of the core API and pages (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route

ROUTES = [
    Route("api", "/api/v1/tokens"),
    Route("api", "/api/v1/tokens", "POST", body=lambda w: {"name": "walk", "expires_in_days": 1}),
    Route("api", "/api/v1/tokens/{token_id}", "DELETE", params={"token_id": "token_a"}, owner="customer_a"),
    Route("api", "/api/v1/audit-events", permission="core.view_history"),
    Route(
        "api",
        "/api/v1/audit-events",
        query="object_type=directory.organisation",
        permission="core.view_history",
    ),
    Route("ui", "healthz", public=True),
    # Metrics: the scraper's token (test_security.py) or signed-in staff; anonymous callers get 401.
    Route("ui", "prometheus-django-metrics", staff_only=True, anonymous_status=401),
]


def world_extras(world):
    """A token of customer A: only its owner can revoke it; everyone else gets 404."""
    from opsdesk.core.tokens import token_create

    token, _secret = token_create(actor=world["customer_a"], user=world["customer_a"], name="a")
    world["token_a"] = token
