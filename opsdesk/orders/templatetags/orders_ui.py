"""Template helpers of orders: an order's overdue flag (H1: past its 3-working-day acceptance
deadline) and its due-soon flag (past that deadline's warning instant), and the staff desk's "orders
awaiting acceptance" panel."""

from __future__ import annotations

from django import template
from django.utils import timezone

from opsdesk.core.permissions import has_permission
from opsdesk.orders import selectors

register = template.Library()
#: Rows of the desk panel.
DESK_ROWS = 6


@register.filter
def order_overdue(order) -> bool:
    return selectors.is_overdue(order, now=timezone.now())


@register.filter
def order_due_soon(order) -> bool:
    """Amber: past the acceptance deadline's warning instant, not yet overdue (staff only)."""
    return selectors.is_due_soon(order, now=timezone.now())


@register.filter
def quote_expired(order) -> bool:
    """The order's current quote is past its valid-until day (H1): it can no longer be accepted."""
    quote = order.current_quote
    return quote is not None and selectors.quote_status(quote) == "expired"


@register.inclusion_tag("orders/_desk.html")
def orders_desk(user):
    """The staff desk's panel: valid orders waiting for acceptance, earliest due first, overdue ones
    highlighted in red and those due soon in amber, with the count of each."""
    if not has_permission(user, selectors.VIEW) or not getattr(user, "is_provider_staff", False):
        return {"visible": False}
    now = timezone.now()
    waiting = selectors.orders_awaiting_acceptance(user=user)
    rows = list(waiting[:DESK_ROWS])
    for order in rows:
        order.is_overdue = selectors.is_overdue(order, now=now)
        order.is_due_soon = selectors.is_due_soon(order, now=now)
    return {
        "visible": True,
        "orders": rows,
        "waiting": waiting.count(),
        "overdue": waiting.filter(acceptance_due_at__lt=now).count(),
        "due_soon": waiting.filter(selectors.due_soon_q(now=now)).count(),
        "now": now,
    }


@register.inclusion_tag("orders/_portal.html")
def orders_portal(user):
    """The customer portal's panel: their organisation's open orders, those waiting for them (a
    quote to accept, an order form to correct) first."""
    if not has_permission(user, selectors.VIEW):
        return {"visible": False}
    open_orders = list(selectors.customer_open_orders(user=user).prefetch_related("quotes")[:DESK_ROWS])
    return {"visible": True, "orders": open_orders}
