"""H1/H2: each step of the order lifecycle, the validation report, the reference, the acceptance
deadline and bad input."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, PreconditionFailed, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.directory.models import Runbook, Service
from opsdesk.notifications.models import Notification
from opsdesk.orders import services
from opsdesk.orders.choices import OrderState
from opsdesk.orders.models import Order, OrderReferenceCounter
from opsdesk.orders.tests.factory import LINES, LINES_TOTAL, good_form, order_at, order_contact
from opsdesk.sla.models import Deadline

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _reload(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_the_whole_lifecycle_records_who_and_when_for_every_transition(world, manager):
    order = order_at(world, "a", OrderState.ENABLED, complex_=True)
    events = list(order.events.order_by("at", "pk"))
    assert [(e.from_state, e.to_state) for e in events] == [
        ("", "enquiry"),
        ("enquiry", "requirements"),
        ("requirements", "project_management"),
        ("project_management", "quoted"),
        ("quoted", "received"),
        ("received", "validated"),
        ("validated", "accepted"),
        ("accepted", "build"),
        ("build", "enabled"),
    ]
    assert all(e.actor == world["admin"] and e.at is not None for e in events)
    order = _reload(order)
    assert order.solution_architect == world["solutions_architect"]
    assert order.project_manager == world["csdm"]
    # every transition is in the audit log too (L1), with the state before and after
    states = [
        (e.before or {}).get("state")
        for e in AuditEvent.objects.filter(
            object_type="orders.order", object_id=str(order.pk), action="update"
        )
    ]
    assert "build" in states and "quoted" in states


def test_enablement_records_the_service_and_its_runbooks_in_the_directory(world):
    order = _reload(order_at(world, "a", OrderState.ENABLED))
    service = Service.objects.get(pk=order.service_id)
    assert service.organisation == world["org_a"]
    assert service.reference == "EKS-A-01" and service.environment == "production"
    assert list(service.accounts.all()) == [world["account_a"]]
    assert list(service.contacts.all()) == [order_contact(world, "a")]
    assert list(Runbook.objects.filter(service=service).values_list("title", flat=True)) == [
        "Restart a node group"
    ]
    assert AuditEvent.objects.filter(
        object_type="directory.service", object_id=str(service.pk), action="create"
    ).exists()


def test_quote_lines_are_exact_decimal_money_in_gbp_by_default(world):
    order = _reload(order_at(world, "a", OrderState.QUOTED))
    assert order.currency == "GBP"
    assert order.quote_total == LINES_TOTAL
    assert [line.amount for line in order.lines.all()] == [
        Decimal("3250.00"),
        Decimal("239.88"),
        Decimal("1250.50"),
        Decimal("2400.00"),
    ]
    assert {line.category for line in order.lines.all()} == {
        "project_management",
        "licensing",
        "network_integration",
        "services",
    }


def test_a_revised_quote_replaces_the_lines(world):
    order = order_at(world, "a", OrderState.QUOTED)
    order = services.order_quote(
        actor=world["admin"], order=order, lines=[{**LINES[3], "unit_price": "2200.10"}], currency="EUR"
    )
    order = _reload(order)
    assert order.currency == "EUR" and order.quote_total == Decimal("2200.10")
    assert order.events.last().note.startswith("Revised quote v2: EUR 2,200.10")


def test_a_complex_order_needs_a_project_manager_before_its_quote(world):
    order = services.order_create(actor=world["admin"], organisation=world["org_a"], title="Landing zone")
    order = services.order_capture_requirements(
        actor=world["admin"], order=order, solution_architect=world["solutions_architect"], is_complex=True
    )
    with pytest.raises(Conflict, match="complex and has no project manager"):
        services.order_quote(actor=world["admin"], order=order, lines=LINES)
    assert _reload(order).state == OrderState.REQUIREMENTS


def test_a_simple_order_is_quoted_straight_from_requirements_capture(world):
    order = order_at(world, "a", OrderState.QUOTED)
    assert order.project_manager is None
    assert [e.to_state for e in order.events.all()][-1] == "quoted"


@pytest.mark.parametrize(
    "step,kwargs",
    [
        ("order_start_build", {}),
        ("order_accept", {}),
        ("order_validate", {}),
        ("order_assign_project_manager", {"project_manager": None}),
    ],
)
def test_invalid_transitions_are_refused_naming_the_state(world, step, kwargs):
    order = order_at(world, "a", OrderState.QUOTED)
    if "project_manager" in kwargs:
        kwargs = {"project_manager": world["csdm"]}
    before = _reload(order).version
    with pytest.raises(Conflict) as caught:
        getattr(services, step)(actor=world["admin"], order=order, **kwargs)
    assert "the order" in caught.value.detail.lower() or "order" in caught.value.detail
    assert "is quoted" in caught.value.detail
    assert _reload(order).version == before and _reload(order).state == OrderState.QUOTED


def test_a_finished_order_takes_no_step(world):
    order = order_at(world, "a", OrderState.ENQUIRY)
    order = services.order_cancel(actor=world["admin"], order=order, reason="Customer went elsewhere")
    with pytest.raises(Conflict, match="is cancelled"):
        services.order_capture_requirements(
            actor=world["admin"], order=order, solution_architect=world["csdm"]
        )
    with pytest.raises(Conflict, match="is cancelled"):
        services.order_cancel(actor=world["admin"], order=order, reason="again")


def test_validation_lists_every_problem_not_the_first(world):
    org = world["org_a"]
    from opsdesk.directory import services as directory

    not_flagged = directory.contact_create(
        actor=world["admin"], organisation=org, name="Nora Noflag", email="n@x.test"
    )
    offboarding = directory.account_create(
        actor=world["admin"], organisation=org, account_id="111111111199", onboarding_state="onboarding"
    )
    order = order_at(world, "a", OrderState.QUOTED)
    order = services.order_accept_quote(
        actor=world["customer_a"],
        order=order,
        order_contact=not_flagged.pk,
        purchase_order="P",
        billing_address="",
        service_name="",
        service_reference=world["service_a"].reference,
        environment="",
        requested_start=timezone.localdate() - dt.timedelta(days=1),
        accounts=[offboarding.pk],
    )
    order = services.order_validate(actor=world["admin"], order=order)
    order = _reload(order)
    assert order.state == OrderState.RECEIVED
    fields = [p["field"] for p in order.validation_problems]
    assert fields == [
        "order_contact",
        "purchase_order",
        "billing_address",
        "service_name",
        "service_reference",
        "environment",
        "requested_start",
        "accounts",
    ]
    messages = " ".join(p["message"] for p in order.validation_problems)
    assert "Nora Noflag is not flagged as an order contact" in messages
    assert "already a service of" in messages and "111111111199 is not onboarded" in messages
    assert "is in the past" in messages
    # no deadline before the order is valid (H2: the clock counts from a valid order)
    assert not Deadline.objects.filter(owner_type="order", owner_id=order.pk).exists()
    assert order.acceptance_due_at is None


def test_accepting_an_order_with_problems_is_refused_listing_them_and_nothing_changes(world):
    order = order_at(world, "a", OrderState.QUOTED)
    order = services.order_accept_quote(actor=world["customer_a"], order=order, purchase_order="PO-1")
    before = (_reload(order).version, AuditEvent.objects.count(), OrderReferenceCounter.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.order_accept(actor=world["admin"], order=order)
    fields = {e["field"] for e in caught.value.errors}
    assert fields == {
        "order_contact",
        "billing_address",
        "service_name",
        "service_reference",
        "environment",
        "requested_start",
        "accounts",
    }
    assert "cannot be accepted: validation found 7 problem(s)" in caught.value.detail
    assert (
        _reload(order).version,
        AuditEvent.objects.count(),
        OrderReferenceCounter.objects.count(),
    ) == before
    assert _reload(order).reference is None


def test_correcting_the_form_then_validating_starts_the_clock_from_the_corrected_order(world):
    order = order_at(world, "a", OrderState.QUOTED)
    order = services.order_accept_quote(actor=world["customer_a"], order=order, purchase_order="PO-1")
    order = services.order_validate(actor=world["admin"], order=order)
    assert _reload(order).validation_problems
    form = good_form(world, "a")
    order = services.order_update_form(actor=world["customer_a"], order=order, **form)
    corrected_at = _reload(order).form_received_at
    order = services.order_validate(actor=world["admin"], order=order)
    order = _reload(order)
    assert order.state == OrderState.VALIDATED and order.validation_problems == []
    assert order.valid_received_at == corrected_at
    deadline = Deadline.objects.get(owner_type="order", owner_id=order.pk, kind="order_acceptance")
    assert deadline.working_days == 3 and deadline.due_at == order.acceptance_due_at


REFERENCE = re.compile(r"^ORD-\d{4}-\d{6}$")


def test_acceptance_gives_a_unique_reference_and_emails_the_order_contact(world):
    first = _reload(order_at(world, "a", OrderState.ACCEPTED))
    second = _reload(order_at(world, "b", OrderState.ACCEPTED))
    year = timezone.now().astimezone(LONDON).year
    assert REFERENCE.match(first.reference) and first.reference == f"ORD-{year}-000001"
    assert second.reference == f"ORD-{year}-000002"
    mail = Notification.objects.get(event="order.accepted", organisation=world["org_a"], channel="email")
    assert mail.recipient == order_contact(world, "a").email
    assert first.reference in mail.subject and first.reference in mail.body
    deadline = Deadline.objects.get(owner_type="order", owner_id=first.pk)
    assert deadline.met_at is not None


def test_a_reference_is_never_reused_after_cancel_and_delete(world):
    first = _reload(order_at(world, "a", OrderState.ACCEPTED))
    services.order_cancel(actor=world["admin"], order=first, reason="Duplicate")
    services.order_delete(actor=world["admin"], order=_reload(first))
    assert not Order.objects.filter(pk=first.pk).exists()
    second = _reload(order_at(world, "a", OrderState.ACCEPTED, service_reference="EKS-A-02"))
    assert second.reference != first.reference
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_an_accepted_order_is_not_deleted(world):
    order = order_at(world, "a", OrderState.ACCEPTED)
    with pytest.raises(Conflict, match="is accepted; cancel it first"):
        services.order_delete(actor=world["admin"], order=order)


def _validated_at(world, when: dt.datetime) -> Order:
    order = order_at(world, "a", OrderState.RECEIVED)
    Order.objects.filter(pk=order.pk).update(form_received_at=when)
    return _reload(services.order_validate(actor=world["admin"], order=_reload(order)))


def test_the_acceptance_deadline_is_3_working_days_across_a_weekend_and_a_bank_holiday(world):
    # Thursday 27 August 2026, 11:00 London; Monday 31 August is the summer bank holiday:
    # Friday 28 is day 1, Tuesday 1 September day 2, Wednesday 2 September day 3.
    received = dt.datetime(2026, 8, 27, 11, 0, tzinfo=LONDON)
    order = _validated_at(world, received)
    assert order.acceptance_due_at == dt.datetime(2026, 9, 2, 11, 0, tzinfo=LONDON)
    deadline = Deadline.objects.get(owner_type="order", owner_id=order.pk)
    from opsdesk.sla.deadlines import deadline_explain

    explanation = " ".join(deadline_explain(deadline))
    assert "3 working days" in explanation and "bank holiday" in explanation.lower()


def test_the_acceptance_deadline_over_christmas(world):
    # Thursday 24 December 2026 10:00: 25 Dec (Fri), the weekend and 28 Dec (Boxing Day substitute)
    # are closed: 29, 30, 31 December are the three working days.
    order = _validated_at(world, dt.datetime(2026, 12, 24, 10, 0, tzinfo=LONDON))
    assert order.acceptance_due_at == dt.datetime(2026, 12, 31, 10, 0, tzinfo=LONDON)


def test_the_deadline_is_recomputed_when_the_calendar_changes(world, django_capture_on_commit_callbacks):
    from opsdesk.calendars import services as calendars

    order = _validated_at(world, dt.datetime(2030, 3, 5, 10, 0, tzinfo=LONDON))  # a Tuesday
    assert order.acceptance_due_at == dt.datetime(2030, 3, 8, 10, 0, tzinfo=LONDON)
    calendar = world["org_a"].calendar
    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(
            actor=world["admin"], calendar=calendar, date=dt.date(2030, 3, 6), reason="Move"
        )
    assert _reload(order).version > order.version
    assert _reload(order).acceptance_due_at == dt.datetime(2030, 3, 11, 10, 0, tzinfo=LONDON)


def test_a_customer_accepts_their_quote_but_runs_no_other_step(world):
    order = order_at(world, "a", OrderState.QUOTED)
    with pytest.raises(PermissionDenied):
        services.order_validate(actor=world["customer_a"], order=order)
    with pytest.raises(PermissionDenied):
        services.order_quote(actor=world["customer_a"], order=order, lines=LINES)
    order = services.order_accept_quote(actor=world["customer_a"], order=order, **good_form(world, "a"))
    assert order.events.last().actor == world["customer_a"]


def test_a_stale_version_is_refused(world):
    order = order_at(world, "a", OrderState.ENQUIRY)
    with pytest.raises(PreconditionFailed):
        services.order_capture_requirements(
            actor=world["admin"],
            order=order,
            solution_architect=world["csdm"],
            expected_version=order.version - 1,
        )


@pytest.mark.parametrize(
    "line,field,message",
    [
        ({"quantity": "0"}, "lines.0.quantity", "greater than 0"),
        ({"quantity": "-1"}, "lines.0.quantity", "greater than 0"),
        ({"quantity": "1.234"}, "lines.0.quantity", "2 decimal places"),
        ({"quantity": "two"}, "lines.0.quantity", "Not a number"),
        ({"quantity": "Infinity"}, "lines.0.quantity", "finite"),
        ({"quantity": "100000000"}, "lines.0.quantity", "At most"),
        ({"quantity": None}, "lines.0.quantity", "Not a number"),
        ({"unit_price": "-0.01"}, "lines.0.unit_price", "negative"),
        ({"unit_price": "1.001"}, "lines.0.unit_price", "2 decimal places"),
        ({"unit_price": "abc"}, "lines.0.unit_price", "Not a number"),
        ({"unit_price": "NaN"}, "lines.0.unit_price", "finite"),
        ({"unit_price": "1e20"}, "lines.0.unit_price", "At most"),
        ({"category": "catering"}, "lines.0.category", "Unknown category"),
        ({"description": ""}, "lines.0.description", "required"),
    ],
)
def test_bad_quote_lines_are_refused_naming_the_field_and_nothing_changes(world, line, field, message):
    order = order_at(world, "a", OrderState.REQUIREMENTS)
    before = (_reload(order).version, order.lines.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.order_quote(actor=world["admin"], order=order, lines=[{**LINES[0], **line}])
    assert caught.value.errors[0]["field"] == field and message in caught.value.errors[0]["message"]
    assert (_reload(order).version, order.lines.count(), AuditEvent.objects.count()) == before


def test_other_bad_input_names_the_problem(world):
    order = order_at(world, "a", OrderState.QUOTED)
    with pytest.raises(ValidationFailed, match="currency"):
        services.order_quote(actor=world["admin"], order=order, lines=LINES, currency="ABC")
    with pytest.raises(ValidationFailed, match="at least one line"):
        services.order_quote(actor=world["admin"], order=order, lines=[])
    # another organisation's contact or account is not accepted on the order form
    with pytest.raises(ValidationFailed, match="Not a named contact"):
        services.order_accept_quote(actor=world["admin"], order=order, order_contact=world["contact_b"].pk)
    with pytest.raises(ValidationFailed, match="Not cloud accounts"):
        services.order_accept_quote(actor=world["admin"], order=order, accounts=[world["account_b"].pk])
    with pytest.raises(ValidationFailed, match="Not fields of the order form"):
        services.order_accept_quote(actor=world["admin"], order=order, state="accepted")
    assert _reload(order).state == OrderState.QUOTED
    built = order_at(world, "a", OrderState.BUILD, service_reference="EKS-A-09")
    with pytest.raises(ValidationFailed, match="At least one runbook"):
        services.order_enable(actor=world["admin"], order=built, runbooks=[])
    with pytest.raises(ValidationFailed, match="reason is required"):
        services.order_cancel(actor=world["admin"], order=built, reason=" ")
    with pytest.raises(ValidationFailed, match="Not an active member of provider staff"):
        services.order_capture_requirements(
            actor=world["admin"],
            order=order_at(world, "a", OrderState.ENQUIRY),
            solution_architect=world["customer_a"].pk,
        )


def test_the_sweep_warns_and_breaches_an_order_deadline_like_any_other(world):
    from opsdesk.sla.deadlines import deadlines_sweep
    from opsdesk.sla.selectors import deadline_list

    order = _validated_at(world, dt.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON))  # due Fri 4 Dec 10:00
    assert order.acceptance_due_at == dt.datetime(2026, 12, 4, 10, 0, tzinfo=LONDON)
    deadlines_sweep(now=dt.datetime(2026, 12, 4, 10, 1, tzinfo=LONDON))
    deadline = Deadline.objects.get(owner_type="order", owner_id=order.pk)
    assert deadline.warned_at is not None and deadline.breached_at == deadline.due_at
    shown = deadline_list(
        user=world["customer_a"], owner_type="order", owner_id=order.pk,
        now=dt.datetime(2026, 12, 4, 10, 1, tzinfo=LONDON),
    )["deadlines"][0]
    assert shown["status"] == "breached" and shown["label"] == "Order acceptance"
    # accepting it late meets it late
    services.order_accept(actor=world["admin"], order=order)
    assert Deadline.objects.get(pk=deadline.pk).met_at is not None
