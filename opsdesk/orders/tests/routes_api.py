"""Tenancy-walk declarations of the orders API (see opsdesk/testing/routes.py and routes.py here for
the orders each step is walked on)."""

from __future__ import annotations

from typing import Any

from opsdesk.orders.tests.factory import LINES, good_form
from opsdesk.testing.routes import Route, api_entity, steps

API = "/api/v1"
VIEW = "orders.view"
MANAGE = "orders.manage"
ACCEPT_QUOTE = "orders.accept_quote"
ENQUIRE = "orders.enquire"
ORDER = f"{API}/orders/{{order_id}}"


def _form(w: dict[str, Any]) -> dict:
    data = good_form(w, "a", reference="WALK-API-1")
    return {**data, "requested_start": data["requested_start"].isoformat()}


def _enquiry(w: dict[str, Any]) -> dict:
    """A named contact enquires for their own organisation; staff name the organisation."""
    staff = getattr(w.get("walk_user"), "is_provider_staff", False)
    return {"title": "Walk enquiry", **({"organisation": w["org_a"].pk} if staff else {})}


step = steps(ORDER)
STAFF = {"staff_only": True}

ROUTES = [
    *api_entity(
        f"{API}/orders",
        "order_id",
        "order_quoted_a",
        update=lambda w: {"title": "Walk title"},
        delete="order_enquiry_a",
        read={"permission": VIEW},
        write={"permission": MANAGE, "staff_only": True},
    ),
    # H1: customers (named contacts) raise enquiries themselves; the order team records them too.
    Route("api", f"{API}/orders", "POST", body=_enquiry, permission=ENQUIRE),
    Route("api", f"{ORDER}/deadlines", params={"order_id": "order_validated_a"}, permission=VIEW),
    step(
        "capture",
        "order_enquiry_a",
        MANAGE,
        lambda w: {"solution_architect": w["solutions_architect"].pk},
        **STAFF,
    ),
    step(
        "assign-project-manager",
        "order_complex_a",
        MANAGE,
        lambda w: {"project_manager": w["csdm"].pk},
        **STAFF,
    ),
    step("quote", "order_pm_a", MANAGE, lambda w: {"lines": LINES}, **STAFF),
    step("accept-quote", "order_quoted_a", ACCEPT_QUOTE, _form),
    step("order-form", "order_received_a", ACCEPT_QUOTE, lambda w: {"purchase_order": "PO-WALK-2"}),
    step("validate", "order_received_a", MANAGE, **STAFF),
    step("accept", "order_validated_a", MANAGE, **STAFF),
    step("start-build", "order_accepted_a", MANAGE, lambda w: {"note": "Walk"}, **STAFF),
    step(
        "enable",
        "order_build_a",
        MANAGE,
        lambda w: {"runbooks": [{"title": "Walk", "body": "Walk"}]},
        **STAFF,
    ),
    step("cancel", "order_enquiry_a", MANAGE, lambda w: {"reason": "Walk"}, **STAFF),
]
