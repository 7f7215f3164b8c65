"""Tenancy-walk declarations of the order pages (see opsdesk/testing/routes.py).

Every user with "orders.view" reads the list and board (restricted to their organisation for a
customer) and an order's page; the order team ("orders.manage") runs the steps; a customer accepts a
quote with its order form and corrects the form ("orders.accept_quote"). Each step is walked on an
order of tenant A in the state that step needs (world_extras)."""

from __future__ import annotations

from typing import Any

from opsdesk.orders.choices import OrderState
from opsdesk.orders.tests.factory import good_form, order_at
from opsdesk.testing.routes import Route, form, ui_pages

VIEW = "orders.view"
MANAGE = "orders.manage"
ACCEPT_QUOTE = "orders.accept_quote"
ENQUIRE = "orders.enquire"
STAFF = {"staff_only": True, "permission": MANAGE}

#: world key -> (tenant, state, complex): the orders each step is walked on.
ORDERS = {
    "order_enquiry_a": ("a", OrderState.ENQUIRY, False),
    "order_complex_a": ("a", OrderState.REQUIREMENTS, True),
    "order_pm_a": ("a", OrderState.PROJECT_MANAGEMENT, True),
    "order_quoted_a": ("a", OrderState.QUOTED, False),
    "order_received_a": ("a", OrderState.RECEIVED, False),
    "order_validated_a": ("a", OrderState.VALIDATED, False),
    "order_accepted_a": ("a", OrderState.ACCEPTED, False),
    "order_build_a": ("a", OrderState.BUILD, False),
    "order_quoted_b": ("b", OrderState.QUOTED, False),
}


def world_extras(world: dict[str, Any]) -> None:
    for key, (tag, state, complex_) in ORDERS.items():
        world[key] = order_at(world, tag, state, complex_=complex_)


def _version(w: dict[str, Any], key: str) -> int:
    order = w[key]
    return type(order)._default_manager.get(pk=order.pk).version


def _order_form(w: dict[str, Any], key: str) -> dict:
    data = good_form(w, "a", reference="WALK-SVC-1")
    return {
        **data,
        "requested_start": data["requested_start"].isoformat(),
        "accounts": [str(a) for a in data["accounts"]],
        "version": _version(w, key),
    }


def _enquiry(w: dict[str, Any]) -> dict:
    """A named contact enquires for their own organisation; staff name the organisation."""
    user = w.get("walk_user")
    staff = getattr(user, "is_provider_staff", False)
    return {"title": "Walk enquiry", **({"organisation": w["org_a"].pk} if staff else {})}


def _step(name: str, key: str, body, permission: str = MANAGE) -> list[Route]:
    common = {"params": {"pk": key}, "permission": permission}
    if permission == MANAGE:
        common["staff_only"] = True
    return form(f"orders:order_{name}", body, **common)


ROUTES = [
    *ui_pages(
        "orders:order",
        "order_quoted_a",
        read={"permission": VIEW},
        update=lambda w: {"title": "Walk title", "description": "", "version": _version(w, "order_quoted_a")},
        write={"permission": MANAGE},
    ),
    # H1: customers (named contacts) raise enquiries themselves; the order team records them too.
    *form("orders:order_create", _enquiry, permission=ENQUIRE),
    Route("ui", "orders:order_board", permission=VIEW),
    *_step(
        "capture",
        "order_enquiry_a",
        lambda w: {
            "solution_architect": w["solutions_architect"].pk,
            "requirements": "Walk",
            "version": _version(w, "order_enquiry_a"),
        },
    ),
    *_step(
        "assign_project_manager",
        "order_complex_a",
        lambda w: {"project_manager": w["csdm"].pk, "version": _version(w, "order_complex_a")},
    ),
    *_step(
        "quote",
        "order_pm_a",
        lambda w: {
            "currency": "GBP",
            "line0_description": "Walk PM",
            "line0_quantity": "1",
            "line0_unit_price": "10.00",
            "version": _version(w, "order_pm_a"),
        },
    ),
    *_step("accept_quote", "order_quoted_a", lambda w: _order_form(w, "order_quoted_a"), ACCEPT_QUOTE),
    *_step("update_form", "order_received_a", lambda w: _order_form(w, "order_received_a"), ACCEPT_QUOTE),
    *_step("validate", "order_received_a", lambda w: {"version": _version(w, "order_received_a")}),
    *_step("accept", "order_validated_a", lambda w: {"version": _version(w, "order_validated_a")}),
    *_step(
        "start_build",
        "order_accepted_a",
        lambda w: {"note": "Walk", "version": _version(w, "order_accepted_a")},
    ),
    *_step(
        "enable",
        "order_build_a",
        lambda w: {
            "runbook_title": "Walk runbook",
            "runbook_body": "Walk",
            "version": _version(w, "order_build_a"),
        },
    ),
    *_step(
        "cancel", "order_enquiry_a", lambda w: {"reason": "Walk", "version": _version(w, "order_enquiry_a")}
    ),
]
