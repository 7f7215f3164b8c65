"""Reads of orders (H1), restricted to what the user may see (A4): staff every organisation's,
a customer their own organisation's; another tenant's order is a 404 like a missing one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, DateTimeField, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from opsdesk.core import humanize
from opsdesk.core.permissions import has_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.orders.choices import DEADLINE_OWNER, PIPELINE, OrderState
from opsdesk.orders.models import Order, OrderEvent, Quote
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.selectors import warning_instant

VIEW = "orders.view"
#: The states in which an order waits for acceptance against its 3-working-day deadline.
AWAITING_ACCEPTANCE = (OrderState.RECEIVED, OrderState.VALIDATED)


def overdue_q(*, now: dt.datetime) -> Q:
    return Q(state__in=AWAITING_ACCEPTANCE, acceptance_due_at__lt=now)


def due_soon_q(*, now: dt.datetime) -> Q:
    """Waiting for acceptance, past the acceptance deadline's warning instant (B6: the policy's
    warning fraction of the 3 working days) and not yet overdue; on order_list's rows."""
    return Q(state__in=AWAITING_ACCEPTANCE, acceptance_warn_at__lte=now, acceptance_due_at__gte=now)


def order_list(
    *,
    user: Any,
    state: str | None = None,
    organisation: int | None = None,
    q: str | None = None,
    overdue: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    if not has_permission(user, VIEW):
        return Order.objects.none()
    # The acceptance deadline's warning instant (sla): internal (B6), so provider staff only.
    warn_at = (
        warning_instant(owner_type=DEADLINE_OWNER, kind=DeadlineKind.ORDER_ACCEPTANCE)
        if getattr(user, "is_provider_staff", False)
        else Value(None, output_field=DateTimeField())
    )
    qs = (
        Order.objects.restrict(user)
        .select_related("organisation", "solution_architect", "project_manager", "order_contact")
        .prefetch_related("lines")
        .annotate(acceptance_warn_at=warn_at)
    )
    qs = narrowed(qs, state=state, organisation_id=organisation)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(reference__icontains=q))
    if overdue is not None:
        condition = overdue_q(now=now or timezone.now())
        qs = qs.filter(condition) if overdue else qs.exclude(condition)
    return qs


def with_details(qs: QuerySet) -> QuerySet:
    """The quote lines, accounts and timeline (with its actors) of each order, one query each."""
    return qs.prefetch_related(
        "accounts",
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("at", "pk")),
        Prefetch("quotes", queryset=Quote.objects.select_related("quoted_by").order_by("-number")),
    )


def quote_status(quote: Quote, *, today: dt.date | None = None) -> str:
    """H1: accepted, superseded (a later version was sent), expired (past its valid-until day in the
    provider's zone), or current (the one the customer may accept)."""
    if quote.accepted_at is not None:
        return "accepted"
    if quote.superseded_at is not None:
        return "superseded"
    today = today or timezone.now().astimezone(humanize.provider_zone()).date()
    return "expired" if quote.valid_until < today else "current"


def order_get(*, user: Any, pk: Any) -> Order:
    return get_or_not_found(with_details(order_list(user=user)), pk)


def order_pipeline(*, user: Any, organisation: int | None = None) -> list[dict[str, Any]]:
    """The order board: one column per state of the lifecycle, oldest first, with the overdue ones
    marked (H1), and for staff those due soon."""
    now = timezone.now()
    orders = list(
        order_list(user=user, organisation=organisation)
        .exclude(state=OrderState.CANCELLED)
        .order_by("created_at", "pk")
    )
    columns = []
    for state in PIPELINE:
        cards = [o for o in orders if o.state == state]
        for card in cards:
            card.is_overdue = is_overdue(card, now=now)
            card.is_due_soon = is_due_soon(card, now=now)
        columns.append({"state": state.value, "label": state.label, "orders": cards})
    return columns


def is_overdue(order: Order, *, now: dt.datetime) -> bool:
    return (
        order.state in AWAITING_ACCEPTANCE
        and order.acceptance_due_at is not None
        and order.acceptance_due_at < now
    )


def is_due_soon(order: Order, *, now: dt.datetime) -> bool:
    """Amber (due_soon_q, for one order of order_list): past the acceptance deadline's warning
    instant, not yet overdue. Never for a customer (the warning is internal)."""
    warn_at = getattr(order, "acceptance_warn_at", None)
    return (
        order.state in AWAITING_ACCEPTANCE
        and order.acceptance_due_at is not None
        and warn_at is not None
        and warn_at <= now <= order.acceptance_due_at
    )


def orders_awaiting_acceptance(*, user: Any) -> QuerySet:
    """The staff desk's panel: valid orders waiting for acceptance, earliest due first."""
    return (
        order_list(user=user)
        .filter(state__in=AWAITING_ACCEPTANCE, acceptance_due_at__isnull=False)
        .order_by("acceptance_due_at", "pk")
    )


def customer_open_orders(*, user: Any) -> QuerySet:
    """Open orders (not enabled or cancelled), those waiting on the customer first: a quote to
    accept, an order form whose validation found problems."""
    waiting = Case(
        When(state=OrderState.QUOTED, then=Value(0)),
        When(state=OrderState.RECEIVED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        order_list(user=user)
        .exclude(state__in=(OrderState.ENABLED, OrderState.CANCELLED))
        .annotate(waiting_on_customer=waiting)
        .order_by("waiting_on_customer", "-created_at", "pk")
    )
