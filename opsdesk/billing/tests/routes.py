"""Tenancy-walk declarations of the billing review pages (see opsdesk/testing/routes.py). In the walk
world both tenants' named contacts are billing contacts, so customers see their own reviews."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from opsdesk.testing.routes import Route, form

VIEW_PERMISSION = "billing.view"
IMPORT = "billing.import"
MANAGE = "billing.manage"


def _csv(w: dict[str, Any]) -> dict:
    a = w["account_a"].account_id
    body = f"LinkedAccount,Date,Service,Cost\n{a},2026-11-02,EC2,1.00\n".encode()
    return {"file": ("walk.csv", body)}


def _threshold_create(w: dict[str, Any]) -> dict:
    return {"organisation": w["org_a"].pk, "account": w["member_a"].pk, "percent": "15"}


ROUTES = [
    Route("ui", "billing:review", permission=VIEW_PERMISSION),
    Route("ui", "billing:import_list", staff_only=True, permission=IMPORT),
    *form("billing:import_create", _csv, multipart=True, staff_only=True, permission=IMPORT),
    Route("ui", "billing:threshold_list", permission=VIEW_PERMISSION),
    *form("billing:threshold_create", _threshold_create, staff_only=True, permission=MANAGE),
    *form(
        "billing:threshold_update",
        lambda w: {"percent": "22"},
        params={"pk": "threshold_a"},
        staff_only=True,
        permission=MANAGE,
    ),
    Route(
        "ui",
        "billing:alert_acknowledge",
        "POST",
        params={"pk": "billing_alert_a"},
        permission=VIEW_PERMISSION,
    ),
]


def world_extras(world: dict[str, Any]) -> None:
    """Costs, a threshold and an alert of each organisation; both contacts are billing contacts."""
    from opsdesk.billing import services
    from opsdesk.billing.models import BillingAlert

    for tag in ("a", "b"):
        contact = world[f"contact_{tag}"]
        contact.is_billing_contact = True
        contact.save(update_fields=["is_billing_contact"])
        acct = world[f"account_{tag}"]
        data = io.BytesIO(
            f"LinkedAccount,Date,Service,Cost\n{acct.account_id},2026-11-02,EC2,1.00\n".encode()
        )
        world[f"cost_import_{tag}"] = services.cost_import_run(
            actor=world["admin"], file=data, file_name=f"walk-{tag}.csv"
        )
        world[f"threshold_{tag}"] = services.threshold_create(
            actor=world["admin"], organisation=world[f"org_{tag}"], percent="10"
        )
        world[f"billing_alert_{tag}"] = BillingAlert.objects.create(
            organisation=world[f"org_{tag}"],
            week_start=dt.date(2026, 10, 26),
            previous=1,
            current=2,
            change=1,
            change_percent=100,
            crossed="percentage",
            threshold=world[f"threshold_{tag}"],
        )
