"""Orders at each stage of H1 for tests and the tenancy walk, built through the services (so each
has its timeline and audit trail), on the two-tenant test world (opsdesk/testing/world.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opsdesk.directory import services as directory
from opsdesk.orders import services
from opsdesk.orders.choices import OrderState

#: The stages an order is brought to, in lifecycle order.
STAGES = (
    OrderState.ENQUIRY,
    OrderState.REQUIREMENTS,
    OrderState.PROJECT_MANAGEMENT,
    OrderState.QUOTED,
    OrderState.RECEIVED,
    OrderState.VALIDATED,
    OrderState.ACCEPTED,
    OrderState.BUILD,
    OrderState.ENABLED,
)

LINES = [
    {
        "category": "project_management",
        "description": "Project management",
        "quantity": "5",
        "unit_price": "650.00",
    },
    {"category": "licensing", "description": "Monitoring licences", "quantity": "12", "unit_price": "19.99"},
    {
        "category": "network_integration",
        "description": "VPN to head office",
        "quantity": "1",
        "unit_price": "1250.50",
    },
    {"category": "services", "description": "Managed EKS, monthly", "quantity": "1", "unit_price": "2400.00"},
]
#: 5 × 650 + 12 × 19.99 + 1250.50 + 2400 = 7140.38
LINES_TOTAL = Decimal("7140.38")


def order_contact(world: dict[str, Any], tag: str) -> Any:
    key = f"order_contact_{tag}"
    if key not in world:
        canary = world[f"org_{tag}"].name.split()[-1]
        world[key] = directory.contact_create(
            actor=world["admin"],
            organisation=world[f"org_{tag}"],
            name=f"Orla Order {canary}",
            email=f"orders-{tag}@{canary.lower()}.test",
            is_order_contact=True,
        )
    return world[key]


def good_form(world: dict[str, Any], tag: str, *, reference: str = "") -> dict[str, Any]:
    return {
        "order_contact": order_contact(world, tag).pk,
        "purchase_order": f"PO-{tag.upper()}-1001",
        "billing_address": "1 Finance Street\nLondon\nEC1A 1BB",
        "service_name": "Managed EKS platform",
        "service_reference": reference or f"EKS-{tag.upper()}-01",
        "environment": "production",
        "requested_start": timezone.localdate() + dt.timedelta(days=21),
        "accounts": [world[f"account_{tag}"].pk],
    }


def order_at(
    world: dict[str, Any], tag: str, state: str, *, title: str = "", complex_: bool = False, **form: Any
):
    """A new order of tenant `tag` brought to `state` by the services, as the admin."""
    actor = world["admin"]
    canary = world[f"org_{tag}"].name.split()[-1]
    order = services.order_create(
        actor=actor,
        organisation=world[f"org_{tag}"],
        title=title or f"EKS platform {canary}",
        description=f"Enquiry {canary}",
    )
    target = STAGES.index(state)
    if target >= 1:
        order = services.order_capture_requirements(
            actor=actor,
            order=order,
            solution_architect=world["solutions_architect"],
            requirements=f"Two clusters {canary}",
            is_complex=complex_ or state == OrderState.PROJECT_MANAGEMENT,
        )
    if target >= 2 and (complex_ or state == OrderState.PROJECT_MANAGEMENT):
        order = services.order_assign_project_manager(actor=actor, order=order, project_manager=world["csdm"])
    if target >= 3:
        order = services.order_quote(actor=actor, order=order, lines=LINES)
    if target >= 4:
        order = services.order_accept_quote(actor=actor, order=order, **{**good_form(world, tag), **form})
    if target >= 5:
        order = services.order_validate(actor=actor, order=order)
    if target >= 6:
        order = services.order_accept(actor=actor, order=order)
    if target >= 7:
        order = services.order_start_build(actor=actor, order=order)
    if target >= 8:
        order = services.order_enable(
            actor=actor,
            order=order,
            runbooks=[{"title": "Restart a node group", "body": "# Steps\n\n1. Drain."}],
        )
    return order
