"""Tenancy-walk declarations of the billing API (see opsdesk/testing/routes.py); the world's costs,
thresholds and alerts are made by routes.py's world_extras."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
VIEW_PERMISSION = "billing.view"
IMPORT = "billing.import"
MANAGE = "billing.manage"
READ = {"permission": VIEW_PERMISSION}


def _upload(w: dict[str, Any]) -> dict:
    a = w["account_a"].account_id
    return {"file": ("walk.csv", f"LinkedAccount,Date,Service,Cost\n{a},2026-11-03,EC2,2.00\n".encode())}


ROUTES = [
    Route(
        "api",
        f"{API}/billing/reviews",
        query="organisation={organisation}",
        params={"organisation": "org_a"},
        **READ,
    ),
    *api_entity(
        f"{API}/billing/imports",
        "import_id",
        "cost_import_a",
        read={"staff_only": True, "permission": IMPORT},
    ),
    Route(
        "api",
        f"{API}/billing/imports",
        "POST",
        body=_upload,
        multipart=True,
        staff_only=True,
        permission=IMPORT,
    ),
    *api_entity(f"{API}/billing/alerts", "alert_id", "billing_alert_a", read=READ),
    Route(
        "api",
        f"{API}/billing/alerts/{{alert_id}}/acknowledge",
        "POST",
        params={"alert_id": "billing_alert_a"},
        **READ,
    ),
    *api_entity(
        f"{API}/billing/thresholds",
        "threshold_id",
        "threshold_a",
        create=lambda w: {"organisation": w["org_a"].pk, "account": w["member_a"].pk, "amount": "100"},
        update=lambda w: {"percent": "12"},
        delete="threshold_a",
        create_staff_only=True,
        read=READ,
        write={"permission": MANAGE},
    ),
]
