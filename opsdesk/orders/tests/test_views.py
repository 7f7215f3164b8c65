"""The order pages (L4): list with overdue highlighting, board, detail with timeline, step forms,
the staff desk panel, tenancy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.orders.choices import DEADLINE_OWNER, OrderState
from opsdesk.orders.models import Order
from opsdesk.orders.tests.conftest import client_for
from opsdesk.orders.tests.factory import good_form, order_at
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.models import Deadline

pytestmark = pytest.mark.django_db


def _overdue(world):
    order = order_at(world, "a", OrderState.VALIDATED, title="Overdue order")
    Order.objects.filter(pk=order.pk).update(acceptance_due_at=timezone.now() - dt.timedelta(hours=1))
    return order


def test_the_list_highlights_overdue_orders_and_filters(world, manager):
    late = _overdue(world)
    order_at(world, "b", OrderState.ENQUIRY, title="Fresh enquiry")
    staff = client_for(manager)
    page = staff.get(reverse("orders:order_list")).content.decode()
    assert "Overdue order" in page and "Fresh enquiry" in page and 'data-testid="overdue"' in page
    page = staff.get(reverse("orders:order_list") + "?overdue=1").content.decode()
    assert "Overdue order" in page and "Fresh enquiry" not in page
    page = staff.get(reverse("orders:order_list") + "?state=enquiry").content.decode()
    assert "Overdue order" not in page and "Fresh enquiry" in page
    desk = staff.get(reverse("web:home")).content.decode()
    assert 'data-testid="orders-awaiting-acceptance"' in desk and "1 overdue" in desk
    assert reverse("orders:order_detail", args=[late.pk]) in desk


def test_the_board_has_a_column_per_state_and_marks_overdue(world, manager):
    _overdue(world)
    order_at(world, "a", OrderState.QUOTED, title="Quoted one")
    page = client_for(manager).get(reverse("orders:order_board")).content.decode()
    for state in (
        "enquiry",
        "requirements",
        "quoted",
        "received",
        "validated",
        "accepted",
        "build",
        "enabled",
    ):
        assert f'data-state="{state}"' in page
    assert "order-card overdue" in page and "Quoted one" in page
    assert 'name="viewport"' in page  # the board stacks its columns at phone width (orders.css)


def test_the_detail_shows_quote_problems_timeline_and_allowed_steps(world, manager):
    order = order_at(world, "a", OrderState.QUOTED)
    staff = client_for(manager)
    page = staff.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert "7140.38" in page and "Requirements capture" in page
    assert reverse("orders:order_quote", args=[order.pk]) in page  # a revised quote
    assert reverse("orders:order_accept", args=[order.pk]) not in page
    customer_page = (
        client_for(world["customer_a"]).get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    )
    assert reverse("orders:order_accept_quote", args=[order.pk]) in customer_page
    assert reverse("orders:order_cancel", args=[order.pk]) not in customer_page


def test_the_steps_through_the_pages(world, manager):
    staff = client_for(manager)
    r = staff.post(
        reverse("orders:order_create"), {"organisation": world["org_a"].pk, "title": "Pages order"}
    )
    order = Order.objects.get(title="Pages order")
    assert r.status_code == 302
    r = staff.post(
        reverse("orders:order_capture", args=[order.pk]),
        {
            "solution_architect": world["solutions_architect"].pk,
            "requirements": "x",
            "version": order.version,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    order.refresh_from_db()
    r = staff.post(
        reverse("orders:order_quote", args=[order.pk]),
        {
            "version": order.version,
            "currency": "GBP",
            "line0_category": "project_management",
            "line0_description": "PM",
            "line0_quantity": "2",
            "line0_unit_price": "500.50",
            "line3_category": "services",
            "line3_description": "Run",
            "line3_quantity": "1",
            "line3_unit_price": "99.99",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    order.refresh_from_db()
    assert str(order.quote_total) == "1100.99"
    form = good_form(world, "a")
    r = client_for(world["customer_a"]).post(
        reverse("orders:order_accept_quote", args=[order.pk]),
        {
            **form,
            "accounts": [str(a) for a in form["accounts"]],
            "requested_start": form["requested_start"].isoformat(),
            "version": order.version,
        },
    )
    assert r.status_code == 302
    order.refresh_from_db()
    r = staff.post(reverse("orders:order_accept", args=[order.pk]), {"version": order.version})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.ACCEPTED and order.reference
    page = staff.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert order.reference in page and "Accepted as" in page


def test_a_step_page_shows_the_services_errors_and_changes_nothing(world, manager):
    order = order_at(world, "a", OrderState.QUOTED)
    client_for(world["customer_a"]).post(
        reverse("orders:order_accept_quote", args=[order.pk]),
        {"purchase_order": "PO-9", "version": order.version},
    )
    order.refresh_from_db()
    r = client_for(manager).post(reverse("orders:order_accept", args=[order.pk]), {"version": order.version})
    page = r.content.decode()
    assert (
        r.status_code == 200
        and "cannot be accepted" in page
        and "Billing address: A billing address is required." in page
    )
    assert Order.objects.get(pk=order.pk).state == OrderState.RECEIVED
    # a step the state does not allow names the state
    r = client_for(manager).post(
        reverse("orders:order_start_build", args=[order.pk]), {"version": order.version}
    )
    assert "is order form received" in r.content.decode()


def test_another_tenants_order_is_404_and_customers_cannot_run_staff_steps(world):
    theirs = order_at(world, "b", OrderState.QUOTED)
    mine = order_at(world, "a", OrderState.QUOTED)
    customer = client_for(world["customer_a"])
    assert customer.get(reverse("orders:order_detail", args=[theirs.pk])).status_code == 404
    assert customer.get(reverse("orders:order_accept_quote", args=[theirs.pk])).status_code == 404
    assert customer.get(reverse("orders:order_cancel", args=[mine.pk])).status_code == 403
    listing = customer.get(reverse("orders:order_list")).content.decode()
    assert mine.title in listing and theirs.title not in listing
    board = customer.get(reverse("orders:order_board")).content.decode()
    assert theirs.title not in board


def test_the_customer_home_lists_their_open_orders_quote_first(world):
    order_at(world, "a", OrderState.ENQUIRY, title="Early enquiry")
    order_at(world, "a", OrderState.QUOTED, title="Quote waiting")
    order_at(world, "b", OrderState.QUOTED, title="Other tenant quote")
    page = client_for(world["customer_a"]).get(reverse("web:home")).content.decode()
    assert 'data-testid="your-orders"' in page and "Quote to accept" in page
    assert page.index("Quote waiting") < page.index("Early enquiry")
    assert "Other tenant quote" not in page


def _due_soon(world, tag="a", title="Due soon order"):
    """A valid order past its acceptance deadline's warning instant, two hours before it is due."""
    order = order_at(world, tag, OrderState.VALIDATED, title=title)
    now = timezone.now()
    deadline = Deadline.objects.get(
        owner_type=DEADLINE_OWNER, owner_id=order.pk, kind=DeadlineKind.ORDER_ACCEPTANCE
    )
    assert deadline.warn_at < deadline.due_at  # the policy's warning fraction of the 3 working days
    Deadline.objects.filter(pk=deadline.pk).update(
        warn_at=now - dt.timedelta(hours=1), due_at=now + dt.timedelta(hours=2)
    )
    Order.objects.filter(pk=order.pk).update(acceptance_due_at=now + dt.timedelta(hours=2))
    return order


def test_an_order_past_its_warning_instant_is_due_soon_in_amber_for_staff(world, manager):
    _overdue(world)
    soon = _due_soon(world)
    calm = order_at(world, "b", OrderState.VALIDATED, title="Calm order")  # warning days away
    staff = client_for(manager)
    page = staff.get(reverse("orders:order_list")).content.decode()
    titles = ("Overdue order", "Due soon order", "Calm order")
    rows = {title: page.split(title)[1].split("</tr>")[0] for title in titles}
    assert 'data-testid="due-soon"' in rows["Due soon order"] and 'badge-warn' in rows["Due soon order"]
    assert 'data-testid="overdue"' in rows["Overdue order"] and "due-soon" not in rows["Overdue order"]
    assert "due-soon" not in rows["Calm order"] and 'data-testid="overdue"' not in rows["Calm order"]
    desk = staff.get(reverse("web:home")).content.decode()
    assert "1 overdue" in desk and 'data-testid="orders-due-soon">1 due soon' in desk
    assert desk.count('data-testid="order-due-soon-row"') == 1
    board = staff.get(reverse("orders:order_board")).content.decode()
    assert "order-card due-soon" in board and "order-card overdue" in board
    assert board.count("order-card due-soon") == 1

    # Past its due time the same order is overdue (red), no longer due soon.
    Order.objects.filter(pk=soon.pk).update(acceptance_due_at=timezone.now() - dt.timedelta(minutes=1))
    page = staff.get(reverse("orders:order_list")).content.decode()
    assert 'data-testid="due-soon"' not in page and page.count('data-testid="overdue"') == 2
    assert calm.pk  # still waiting, neither


def test_a_customer_is_not_shown_the_internal_warning(world):
    _due_soon(world)
    customer = client_for(world["customer_a"])
    page = customer.get(reverse("orders:order_list")).content.decode()
    assert "Due soon order" in page and "due-soon" not in page and "Due soon</span>" not in page
