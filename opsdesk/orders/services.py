"""Writes of orders (H1, H2). Every step is one service: it checks the permission, locks the order
and compares the version the caller saw (If-Match), refuses a step the order's state does not allow
(naming the state), writes in one transaction, audits (L1) and adds the transition, with who and
when, to the order's timeline.

The acceptance deadline is an sla.Deadline (owner "order", 3 working days on the organisation's
calendar from the receipt of a valid order, H1/H2): explained, warned, breached and recomputed when
the calendar changes like every other due time; `acceptance_due_at` is the order's copy of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsdesk.core import humanize
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import lock_for_update, record_create, record_delete, record_update
from opsdesk.core.tenancy import object_in_scope
from opsdesk.directory import services as directory
from opsdesk.directory.choices import Environment, OnboardingState
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Service, User
from opsdesk.notifications.services import notification_enqueue
from opsdesk.orders.choices import (
    CURRENCIES,
    DEADLINE_OWNER,
    STEP_FROM,
    STEP_LABELS,
    OrderState,
    QuoteCategory,
)
from opsdesk.orders.models import Order, OrderEvent, OrderReferenceCounter, Quote, QuoteLine
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import Rule, copies_write, deadline_meet, deadline_set, deadlines_close
from opsdesk.sla.services import warning_fraction
from opsdesk.sla.signals import Postpone

VIEW = "orders.view"
MANAGE = "orders.manage"
ACCEPT_QUOTE = "orders.accept_quote"
ENQUIRE = "orders.enquire"

#: H1: "the Order Management team will process the order within 3 working days".
ACCEPTANCE_WORKING_DAYS = 3
MAX_QUOTE_LINES = 50
#: How long a quote may be accepted, unless the quote says otherwise (days, from the day it is sent).
QUOTE_VALID_DAYS = 30
#: The longest validity a quote may be given.
MAX_QUOTE_VALID_DAYS = 365
#: A requested start further ahead than this is taken for a typo (H2: incorrect data).
MAX_START_DAYS = 2 * 366
MAX_RUNBOOKS = 20
MONEY_MAX = Decimal("9999999999.99")
QUANTITY_MAX = Decimal("99999999.99")

PURCHASE_ORDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]{2,49}$")
SERVICE_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")

#: The order form (H1: "order form completed by the customer"): what accept_quote and update_form take.
FORM_FIELDS = (
    "order_contact",
    "purchase_order",
    "billing_address",
    "service_name",
    "service_reference",
    "environment",
    "requested_start",
    "accounts",
)
EDITABLE = frozenset({"title", "description"})


# --- helpers -----------------------------------------------------------------------------------


def _label(state: str) -> str:
    return OrderState(state).label.lower()


def _check_step(order: Order, step: str) -> None:
    """An invalid transition is refused, naming the state the order is in and what it allows."""
    if order.state in STEP_FROM[step]:
        return
    allowed = sorted(_label(s) for s in STEP_FROM[step])
    raise Conflict(
        f"Cannot {STEP_LABELS[step]}: order {order} is {_label(order.state)}; "
        f"this step needs an order that is {' or '.join(allowed)}.",
        [{"field": "state", "message": f"The order is {_label(order.state)}."}],
    )


def _locked(actor: Any, order: Order, step: str, expected_version: int | None) -> Order:
    locked = lock_for_update(order, expected_version)
    _check_step(locked, step)
    return locked


def _event(
    order: Order, *, actor: Any, from_state: str, note: str = "", at: dt.datetime | None = None
) -> None:
    OrderEvent.objects.create(
        order=order,
        from_state=from_state,
        to_state=order.state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at or timezone.now(),
        note=note[:1000],
    )


def _move(
    actor: Any,
    order: Order,
    to_state: str,
    *,
    note: str = "",
    changes: Mapping[str, Any] | None = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> Order:
    """Record one transition of a locked order: the audited update and the timeline entry."""
    before = order.state
    updated = record_update(actor=actor, obj=order, changes={**(changes or {}), "state": to_state}, m2m=m2m)
    _event(updated, actor=actor, from_state=before, note=note)
    return updated


def _staff(value: Any, *, field: str) -> User:
    user = value if isinstance(value, User) else None
    if user is None and value not in (None, "") and str(value).isdigit():
        user = User.objects.filter(pk=int(value)).first()
    if user is None or not user.is_active or not user.is_provider_staff:
        raise ValidationFailed.field(field, f"Not an active member of provider staff: {value!r}.")
    return user


def _organisation(actor: Any, value: Any) -> Organisation:
    org = value if isinstance(value, Organisation) else None
    if org is None and str(value).isdigit():
        org = Organisation.objects.restrict(actor).filter(pk=int(value)).first()
    if org is None:
        raise ValidationFailed.field("organisation", f"Unknown organisation: {value!r}.")
    return org


def _money(value: Any, *, field: str, maximum: Decimal, positive: bool) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field(field, f"Not a number: {value!r}.")
    if not amount.is_finite():
        raise ValidationFailed.field(field, "Must be a finite number.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed.field(field, "At most 2 decimal places.")
    if positive and amount <= 0:
        raise ValidationFailed.field(field, "Must be greater than 0.")
    if amount < 0:
        raise ValidationFailed.field(field, "Must not be negative.")
    if amount > maximum:
        raise ValidationFailed.field(field, f"At most {maximum}.")
    return amount.quantize(Decimal("0.01"))


def _form_values(order: Order, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """The order form as given, with references resolved inside the order's organisation: an id that
    is not a contact or account of this organisation is refused at once (another tenant's is as
    unknown as a missing one). Whether the values are complete and correct is the validation
    report's business (H2), which lists every problem rather than the first."""
    unknown = sorted(set(form) - set(FORM_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"Not fields of the order form: {', '.join(unknown)}.",
            [{"field": name, "message": "Not a field of the order form."} for name in unknown],
        )
    changes: dict[str, Any] = {}
    m2m: dict[str, list] = {}
    for name, value in form.items():
        if name == "order_contact":
            if value in (None, ""):
                changes[name] = None
                continue
            contact = NamedContact.objects.filter(
                organisation=order.organisation_id, pk=int(value) if str(value).isdigit() else -1
            ).first()
            if contact is None:
                raise ValidationFailed.field(
                    "order_contact", f"Not a named contact of {order.organisation}: {value!r}."
                )
            changes[name] = contact
        elif name == "accounts":
            wanted = list(dict.fromkeys(value or []))
            ids = [int(a) for a in wanted if str(a).isdigit()]
            accounts = list(CloudAccount.objects.filter(organisation=order.organisation_id, pk__in=ids))
            found = {a.pk for a in accounts}
            missing = [str(a) for a in wanted if not str(a).isdigit() or int(a) not in found]
            if missing:
                raise ValidationFailed.field(
                    "accounts", f"Not cloud accounts of {order.organisation}: {', '.join(missing)}."
                )
            m2m["accounts"] = accounts
        elif name == "requested_start":
            changes[name] = value or None
        else:
            text = "" if value is None else str(value).strip()
            if "\x00" in text:
                raise ValidationFailed.field(name, "Null characters are not allowed.")
            changes[name] = text
    return changes, m2m


def validation_problems(order: Order, *, today: dt.date | None = None) -> list[dict[str, str]]:
    """H2: every missing or incorrect item of the order, each naming its field — a report, not the
    first error. An empty list is a valid order."""
    today = today or timezone.localdate()
    problems: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    contact = order.order_contact
    if contact is None:
        problem("order_contact", "An order contact is required.")
    else:
        if not contact.is_order_contact:
            problem("order_contact", f"{contact.name} is not flagged as an order contact.")
        if contact.retired_at is not None:
            problem("order_contact", f"{contact.name} is retired.")
        if not contact.email:
            problem("order_contact", f"{contact.name} has no email address.")
    if not order.purchase_order:
        problem("purchase_order", "A purchase order number is required.")
    elif not PURCHASE_ORDER_RE.match(order.purchase_order):
        problem("purchase_order", "3–50 letters, digits, '/', '_' or '-', starting with a letter or digit.")
    if not order.billing_address.strip():
        problem("billing_address", "A billing address is required.")
    if not order.service_name:
        problem("service_name", "The name of the service to build is required.")
    if not order.service_reference:
        problem("service_reference", "A service reference is required.")
    elif not SERVICE_REFERENCE_RE.match(order.service_reference):
        problem("service_reference", "Letters, digits, '.', '_', '/', '-' only.")
    elif Service.objects.filter(
        organisation=order.organisation_id, reference=order.service_reference
    ).exists():
        problem(
            "service_reference", f"{order.service_reference} is already a service of {order.organisation}."
        )
    if not order.environment:
        problem("environment", "The environment (production or non-production) is required.")
    elif order.environment not in Environment.values:
        problem("environment", f"Must be one of: {', '.join(Environment.values)}.")
    if order.requested_start is None:
        problem("requested_start", "A requested start date is required.")
    elif order.requested_start < today:
        problem("requested_start", f"{order.requested_start:%d %b %Y} is in the past.")
    elif order.requested_start > today + dt.timedelta(days=MAX_START_DAYS):
        problem("requested_start", f"{order.requested_start:%d %b %Y} is more than two years ahead.")
    accounts = list(order.accounts.all()) if order.pk else []
    if not accounts:
        problem("accounts", "At least one cloud account is required.")
    for account in accounts:
        if account.onboarding_state != OnboardingState.ONBOARDED:
            problem("accounts", f"Account {account.account_id} is not onboarded.")
    if not order.lines.exists():
        problem("lines", "The quote has no lines.")
    return problems


def _start_acceptance_clock(order: Order, *, at: dt.datetime) -> Order:
    """H1/H2: the valid order is received at `at`; it is due for acceptance 3 working days later."""
    org = order.organisation
    deadline = deadline_set(
        owner_type=DEADLINE_OWNER,
        owner_id=order.pk,
        kind=DeadlineKind.ORDER_ACCEPTANCE,
        calendar=org.calendar,
        start=at,
        rule=Rule(working_days=ACCEPTANCE_WORKING_DAYS),
        warning_fraction=warning_fraction(org),
    )
    Order.objects.filter(pk=order.pk).update(valid_received_at=at, acceptance_due_at=deadline.due_at)
    order.valid_received_at, order.acceptance_due_at = at, deadline.due_at
    return order


def order_due_copy(*, moved: Any) -> int:
    """B5: the orders whose acceptance deadline a calendar change moved get the new due time."""
    return copies_write(model=Order, moved=moved, fields={DeadlineKind.ORDER_ACCEPTANCE: "acceptance_due_at"})


def _next_reference(at: dt.datetime) -> str:
    """ORD-<year>-<6 digits>: the year's counter row, taken under lock and only incremented."""
    year = at.astimezone(humanize.provider_zone()).year
    OrderReferenceCounter.objects.get_or_create(year=year)
    counter = OrderReferenceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    if counter.last > 999_999:
        raise Conflict(f"The order numbers of {year} are used up.")
    OrderReferenceCounter.objects.filter(year=year).update(last=counter.last)
    return f"ORD-{year}-{counter.last:06d}"


# --- services ----------------------------------------------------------------------------------


def _enquirer(actor: Any, organisation: Any, contact: Any) -> tuple[Organisation, NamedContact | None]:
    """A customer enquires as their own named contact, for their own organisation (another
    organisation is as unknown as a missing one); staff name the organisation and, optionally, the
    named contact of it they record the enquiry for."""
    if getattr(actor, "is_provider_staff", False):
        if organisation in (None, ""):
            raise ValidationFailed.field("organisation", "Name the organisation the enquiry is for.")
        org = _organisation(actor, organisation)
        if contact in (None, ""):
            return org, None
        person = contact if isinstance(contact, NamedContact) else None
        if person is None and str(contact).isdigit() and len(str(contact)) < 19:
            person = NamedContact.objects.filter(pk=int(contact)).first()
        if person is None or person.organisation_id != org.pk:
            raise ValidationFailed.field("contact", f"Not a named contact of {org}: {contact!r}.")
    else:
        person = (
            NamedContact.objects.select_related("organisation").filter(pk=actor.contact_id).first()
            if getattr(actor, "contact_id", None)
            else None
        )
        if person is None:
            raise PermissionDenied("Only a named contact of the customer may raise an enquiry.")
        org = person.organisation
        if organisation not in (None, "", org.pk, org):
            raise ValidationFailed.field("organisation", f"Unknown organisation: {organisation!r}.")
        if contact not in (None, "", person.pk, person):
            raise ValidationFailed.field("contact", "A customer enquires as their own named contact.")
    if person.retired_at is not None:
        raise ValidationFailed.field("contact", f"{person.name} is no longer a named contact.")
    return org, person


def order_create(
    *,
    actor: Any,
    title: str,
    organisation: Any = None,
    description: str = "",
    contact: Any = None,
    **extra: Any,
) -> Order:
    """H1: an enquiry. A named contact raises it from the portal or the API; the account manager
    records one taken by phone or email (on behalf of a named contact, if given). The provider's
    order desk (the organisation's account manager and solutions architect) is told of a customer's
    enquiry through the outbox."""
    require_permission(actor, ENQUIRE)
    if extra:
        raise ValidationFailed.field(next(iter(extra)), "Not a field of an enquiry.")
    title = (title or "").strip()
    if not title or len(title) > 200 or "\x00" in title:
        raise ValidationFailed.field("title", "1–200 characters are required.")
    if "\x00" in (description or ""):
        raise ValidationFailed.field("description", "Null characters are not allowed.")
    org, person = _enquirer(actor, organisation, contact)
    with transaction.atomic():
        order = record_create(
            actor=actor,
            obj=Order(organisation=org, title=title, description=description or "", enquirer=person),
        )
        by = f" from {person.name}" if person is not None else ""
        _event(order, actor=actor, from_state="", note=f"Enquiry received{by}.")
        if not actor.is_provider_staff:
            _notify_enquiry(order)
    return order


def _order_desk(order: Order) -> list[str]:
    """The provider's people for an order: its solution architect and project manager, and the
    organisation's account manager (who takes enquiries) and solutions architect."""
    org = order.organisation
    people = [order.solution_architect, order.project_manager, org.account_manager, org.solutions_architect]
    return list(dict.fromkeys(p.email for p in people if p is not None and p.is_active and p.email))


def _notify_enquiry(order: Order) -> None:
    person = order.enquirer
    notification_enqueue(
        event="order.enquiry",
        organisation=order.organisation,
        recipients=_order_desk(order),
        subject=f"New enquiry from {order.organisation}: {order.title}",
        body="\n".join(
            [
                f"{person.name} of {order.organisation} raised an enquiry: {order.title}.",
                "",
                order.description,
                "",
                "Capture the requirements and assign a customer solution architect (H1).",
            ]
        ),
        payload={"order": order.pk, "state": order.state},
        dedup_key=f"order:{order.pk}:enquiry",
    )


def order_update(*, actor: Any, order: Order, expected_version: int | None = None, **changes: Any) -> Order:
    require_permission(actor, MANAGE)
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [
                {"field": n, "message": "This field is changed by a step of the order, not edited."}
                for n in unknown
            ],
        )
    with transaction.atomic():
        return record_update(actor=actor, obj=order, changes=changes, expected_version=expected_version)


def order_delete(*, actor: Any, order: Order, expected_version: int | None = None) -> None:
    """Only an enquiry or a cancelled order goes; its reference, if it had one, is never given again."""
    require_permission(actor, MANAGE)
    with transaction.atomic():
        locked = lock_for_update(order, expected_version)
        if locked.state not in (OrderState.ENQUIRY, OrderState.CANCELLED):
            raise Conflict(
                f"Cannot delete order {locked}: it is {_label(locked.state)}; cancel it first.",
                [{"field": "state", "message": f"The order is {_label(locked.state)}."}],
            )
        locked.lines.all().delete()
        locked.events.all().delete()
        record_delete(actor=actor, obj=locked)


def order_capture_requirements(
    *,
    actor: Any,
    order: Order,
    solution_architect: Any,
    requirements: str = "",
    is_complex: bool = False,
    expected_version: int | None = None,
) -> Order:
    """H1: a customer solution architect is assigned to capture the requirements; whether the work
    is complex (project managed) is identified here."""
    require_permission(actor, MANAGE)
    architect = _staff(solution_architect, field="solution_architect")
    with transaction.atomic():
        locked = _locked(actor, order, "capture", expected_version)
        name = architect.full_name or architect.email
        return _move(
            actor,
            locked,
            OrderState.REQUIREMENTS,
            changes={
                "solution_architect": architect,
                "requirements": requirements,
                "is_complex": bool(is_complex),
            },
            note=f"Solution architect: {name}." + (" Complex: to be project managed." if is_complex else ""),
        )


def order_assign_project_manager(
    *, actor: Any, order: Order, project_manager: Any, expected_version: int | None = None
) -> Order:
    """H1: a complex order gets a project manager to co-ordinate build and deployment."""
    require_permission(actor, MANAGE)
    manager = _staff(project_manager, field="project_manager")
    with transaction.atomic():
        locked = _locked(actor, order, "assign_project_manager", expected_version)
        return _move(
            actor,
            locked,
            OrderState.PROJECT_MANAGEMENT,
            changes={"project_manager": manager, "is_complex": True},
            note=f"Project manager: {manager.full_name or manager.email}.",
        )


def _today() -> dt.date:
    """Today in the provider's zone: a quote is valid through the end of its last day there."""
    return timezone.now().astimezone(humanize.provider_zone()).date()


def _valid_until(value: Any, *, today: dt.date) -> dt.date:
    if value in (None, ""):
        return today + dt.timedelta(days=QUOTE_VALID_DAYS)
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed.field("valid_until", f"Not a date (YYYY-MM-DD): {value!r}.")
    if value < today:
        raise ValidationFailed.field("valid_until", f"{value:%d %b %Y} is in the past.")
    if value > today + dt.timedelta(days=MAX_QUOTE_VALID_DAYS):
        raise ValidationFailed.field(
            "valid_until", f"A quote is valid for at most {MAX_QUOTE_VALID_DAYS} days (until "
            f"{today + dt.timedelta(days=MAX_QUOTE_VALID_DAYS):%d %b %Y})."
        )
    return value


def _quote_lines(lines: Iterable[Any]) -> list[QuoteLine]:
    rows = [row if isinstance(row, Mapping) else row.dict() for row in (lines or [])]
    if not rows:
        raise ValidationFailed.field("lines", "A quote needs at least one line.")
    if len(rows) > MAX_QUOTE_LINES:
        raise ValidationFailed.field("lines", f"At most {MAX_QUOTE_LINES} lines.")
    cleaned = []
    for i, row in enumerate(rows):
        category = row.get("category")
        if category not in QuoteCategory.values:
            raise ValidationFailed.field(
                f"lines.{i}.category",
                f"Unknown category {category!r}; one of: {', '.join(QuoteCategory.values)}.",
            )
        description = str(row.get("description") or "").strip()
        if not description or len(description) > 300 or "\x00" in description:
            raise ValidationFailed.field(f"lines.{i}.description", "1–300 characters are required.")
        cleaned.append(
            QuoteLine(
                category=category,
                description=description,
                quantity=_money(
                    row.get("quantity"), field=f"lines.{i}.quantity", maximum=QUANTITY_MAX, positive=True
                ),
                unit_price=_money(
                    row.get("unit_price"), field=f"lines.{i}.unit_price", maximum=MONEY_MAX, positive=False
                ),
            )
        )
    return cleaned


def order_quote(
    *,
    actor: Any,
    order: Order,
    lines: Iterable[Mapping[str, Any]],
    currency: str = "GBP",
    valid_until: Any = None,
    expected_version: int | None = None,
) -> Order:
    """H1: the quote, line by line (project management, licensing, network integration, services),
    in exact decimal money, valid until a date (30 days unless given). A revised quote is a new
    version: the earlier ones are kept, with their lines, totals, who and when, and marked
    superseded; only the latest may be accepted."""
    require_permission(actor, MANAGE)
    if currency not in CURRENCIES:
        raise ValidationFailed.field("currency", f"Must be one of: {', '.join(CURRENCIES)}.")
    cleaned = _quote_lines(lines)
    until = _valid_until(valid_until, today=_today())
    with transaction.atomic():
        locked = _locked(actor, order, "quote", expected_version)
        if locked.state == OrderState.REQUIREMENTS and locked.is_complex:
            raise Conflict(
                f"Cannot quote: order {locked} is complex and has no project manager yet; assign one first.",
                [{"field": "project_manager", "message": "A complex order needs a project manager first."}],
            )
        now = timezone.now()
        previous = Quote.objects.filter(order=locked).order_by("-number").first()
        if previous is not None and previous.superseded_at is None:
            record_update(actor=actor, obj=previous, changes={"superseded_at": now})
        for line in locked.lines.all():
            record_delete(actor=actor, obj=line)
        for line in cleaned:
            line.order = locked
            record_create(actor=actor, obj=line)
        total = sum((line.amount for line in cleaned), Decimal("0.00"))
        number = previous.number + 1 if previous is not None else 1
        record_create(
            actor=actor,
            obj=Quote(
                order=locked,
                number=number,
                currency=currency,
                total=total,
                lines=[
                    {
                        "category": line.category,
                        "description": line.description,
                        "quantity": str(line.quantity),
                        "unit_price": str(line.unit_price),
                        "amount": str(line.amount),
                    }
                    for line in cleaned
                ],
                valid_until=until,
                quoted_by=actor if getattr(actor, "is_authenticated", False) else None,
                quoted_at=now,
            ),
        )
        return _move(
            actor,
            locked,
            OrderState.QUOTED,
            changes={"currency": currency, "quoted_at": now},
            note=f"{'Revised quote' if previous else 'Quote'} v{number}: {currency} {total:,.2f} "
            f"in {len(cleaned)} line(s).",
        )


def _check_quote(order: Order, wanted: Any) -> Quote:
    """The version the customer accepts must be the current one and still valid (H1)."""
    current = Quote.objects.filter(order=order).order_by("-number").first()
    if current is None:
        raise Conflict(f"Order {order} has no quote to accept.", [{"field": "quote", "message": "No quote."}])
    if wanted not in (None, ""):
        if not str(wanted).isdigit() or len(str(wanted)) > 5:
            raise ValidationFailed.field("quote", f"Not a quote version number: {wanted!r}.")
        number = int(wanted)
        if number != current.number:
            known = Quote.objects.filter(order=order, number=number).first()
            if known is None:
                raise ValidationFailed.field("quote", f"Order {order} has no quote version {number}.")
            message = (
                f"Quote v{number} was superseded by v{current.number} on "
                f"{humanize.when(current.quoted_at, humanize.provider_zone())}; accept the current quote."
            )
            raise Conflict(f"Cannot accept: {message}", [{"field": "quote", "message": message}])
    if current.valid_until < _today():
        message = (
            f"Quote v{current.number} expired on {current.valid_until:%d %b %Y}; ask for a new quote."
        )
        raise Conflict(f"Cannot accept: {message}", [{"field": "quote", "message": message}])
    return current


def _form_step(
    *,
    actor: Any,
    order: Order,
    step: str,
    expected_version: int | None,
    form: Mapping[str, Any],
    note: str,
    quote: Any = None,
) -> Order:
    require_permission(actor, ACCEPT_QUOTE)
    with transaction.atomic():
        locked = _locked(actor, order, step, expected_version)
        accepted = _check_quote(locked, quote) if step == "accept_quote" else None
        changes, m2m = _form_values(locked, form)
        now = timezone.now()
        changes["form_received_at"] = now
        changes["validation_problems"] = []
        changes["validated_at"] = None
        if accepted is not None:
            record_update(
                actor=actor,
                obj=accepted,
                changes={
                    "accepted_at": now,
                    "accepted_by": actor if getattr(actor, "is_authenticated", False) else None,
                },
            )
            note = (
                f"Quote v{accepted.number} ({accepted.currency} {accepted.total:,.2f}) accepted "
                "and order form completed."
            )
        moved = _move(actor, locked, OrderState.RECEIVED, changes=changes, m2m=m2m, note=note)
        if not object_in_scope(actor, moved):
            raise NotFound()
        return moved


def order_accept_quote(
    *, actor: Any, order: Order, quote: Any = None, expected_version: int | None = None, **form: Any
) -> Order:
    """H1: the customer (or staff on their behalf) accepts the quote and completes the order form.
    `quote` names the version accepted (the current one when not given): a superseded or expired
    quote is refused, naming the version that replaced it or the day it expired. The form is checked
    by the data validation that follows (H2)."""
    return _form_step(
        actor=actor,
        order=order,
        step="accept_quote",
        expected_version=expected_version,
        form=form,
        note="Quote accepted and order form completed.",
        quote=quote,
    )


def order_update_form(*, actor: Any, order: Order, expected_version: int | None = None, **form: Any) -> Order:
    """H2: the order form corrected after validation found problems; a new receipt of the order."""
    if not form:
        raise ValidationFailed.field(
            "__all__", "Nothing to correct: give at least one field of the order form."
        )
    return _form_step(
        actor=actor,
        order=order,
        step="update_form",
        expected_version=expected_version,
        form=form,
        note="Order form corrected: " + ", ".join(sorted(form)) + ".",
    )


def order_validate(*, actor: Any, order: Order, expected_version: int | None = None) -> Order:
    """H2: data validation. The report (every problem) is kept on the order; a valid order is
    received as of its last form and its 3-working-day acceptance clock starts then."""
    require_permission(actor, MANAGE)
    with transaction.atomic():
        locked = _locked(actor, order, "validate", expected_version)
        problems = validation_problems(locked)
        now = timezone.now()
        if problems:
            updated = record_update(
                actor=actor, obj=locked, changes={"validation_problems": problems, "validated_at": now}
            )
            _event(
                updated,
                actor=actor,
                from_state=locked.state,
                note=f"Validation found {len(problems)} problem(s).",
            )
            return updated
        moved = _move(
            actor,
            locked,
            OrderState.VALIDATED,
            changes={"validation_problems": [], "validated_at": now},
            note="Validation passed.",
        )
        return _start_acceptance_clock(moved, at=moved.form_received_at or now)


def order_accept(*, actor: Any, order: Order, expected_version: int | None = None) -> Order:
    """H1: accepted with a unique order reference, emailed to the order contact. An order with
    validation problems is refused with every problem listed; nothing changes."""
    require_permission(actor, MANAGE)
    with transaction.atomic():
        locked = _locked(actor, order, "accept", expected_version)
        problems = validation_problems(locked)
        if problems:
            raise ValidationFailed(
                f"Order {locked} cannot be accepted: validation found {len(problems)} problem(s): "
                + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                problems,
            )
        now = timezone.now()
        if locked.state == OrderState.RECEIVED:
            locked = _move(
                actor,
                locked,
                OrderState.VALIDATED,
                changes={"validation_problems": [], "validated_at": now},
                note="Validation passed.",
            )
            _start_acceptance_clock(locked, at=locked.form_received_at or now)
        reference = _next_reference(now)
        accepted = _move(
            actor,
            locked,
            OrderState.ACCEPTED,
            changes={"reference": reference, "accepted_at": now},
            note=f"Accepted as {reference}.",
        )
        deadline_meet(
            owner_type=DEADLINE_OWNER, owner_id=accepted.pk, kind=DeadlineKind.ORDER_ACCEPTANCE, at=now
        )
        _notify_accepted(accepted)
    return accepted


def _notify_accepted(order: Order) -> None:
    """H1: the order acceptance email, with the reference, to the order contact (through the outbox)."""
    contact = order.order_contact
    zone = humanize.provider_zone()
    lines = [
        f"Dear {contact.name},",
        "",
        f'Your order "{order.title}" has been accepted. Your order reference is {order.reference};',
        "please quote it in any correspondence about this order.",
        "",
        f"Service: {order.service_name} ({order.service_reference}), {order.get_environment_display()}",
        f"Quote total: {order.currency} {order.quote_total:,.2f}",
        f"Accepted: {humanize.when(order.accepted_at, zone)}",
    ]
    notification_enqueue(
        event="order.accepted",
        organisation=order.organisation,
        recipients=[contact.email],
        subject=f"Order {order.reference} accepted",
        body="\n".join(lines),
        payload={"order": order.pk, "reference": order.reference, "state": order.state},
        dedup_key=f"order:{order.pk}:accepted",
    )


def order_acceptance_deadline_event(*, deadline: Any, kind: str) -> bool:
    """B6 for an order's acceptance deadline (H1: 3 working days from a valid order), inside the
    sweep's transaction: a warning or a breach of an order still waiting for acceptance goes on its
    timeline and is sent, once (the outbox's dedup key), to the provider's order desk: the order's
    solution architect and project manager, the organisation's account manager and solutions
    architect. `kind` is "warning" or "breach"."""
    # The sweep holds the deadline's lock; an order whose step holds the order's lock and waits for
    # the deadline would deadlock, so a busy order is left to the next run (sla.signals.Postpone).
    order = Order.objects.select_for_update(skip_locked=True).filter(pk=deadline.owner_id).first()
    if order is None:
        if Order.objects.filter(pk=deadline.owner_id).exists():
            raise Postpone()
        return False
    if order.state not in (OrderState.RECEIVED, OrderState.VALIDATED):
        return False
    zone = humanize.provider_zone()
    due = humanize.when(deadline.due_at, zone)
    if kind == "breach":
        subject = f"Order acceptance overdue: {order.title} ({order.organisation})"
        note = f"Acceptance deadline breached: the order was due for acceptance by {due}."
    else:
        subject = f"Order acceptance due soon: {order.title} ({order.organisation})"
        note = f"Acceptance deadline warning: the order is due for acceptance by {due}."
    at = deadline.warn_at if kind == "warning" else deadline.due_at
    _event(order, actor=None, from_state=order.state, note=note, at=at)
    lines = [
        note,
        "",
        f"Order: {order.title} for {order.organisation}",
        f"Valid order received: {humanize.when(order.valid_received_at, zone) or '—'}",
        "H1: a valid order is accepted within 3 working days of its receipt.",
    ]
    notification_enqueue(
        event=f"order.acceptance_{kind}",
        organisation=order.organisation,
        recipients=_order_desk(order),
        subject=subject,
        body="\n".join(lines),
        payload={"order": order.pk, "kind": kind, "due_at": deadline.due_at.isoformat()},
        dedup_key=f"order:{order.pk}:acceptance:{kind}",
    )
    return True


def order_start_build(
    *, actor: Any, order: Order, note: str = "", expected_version: int | None = None
) -> Order:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        locked = _locked(actor, order, "start_build", expected_version)
        return _move(actor, locked, OrderState.BUILD, note=note or "Build started.")


def order_enable(
    *, actor: Any, order: Order, runbooks: Iterable[Mapping[str, Any]], expected_version: int | None = None
) -> Order:
    """H1/A5: service enablement records the service, its accounts and contact, and the runbooks
    agreed at build in the directory, through the directory's own services."""
    require_permission(actor, MANAGE)
    books = [
        {"title": str(r.get("title") or "").strip(), "body": str(r.get("body") or "").strip()}
        for r in (r if isinstance(r, Mapping) else r.dict() for r in (runbooks or []))
    ]
    if not books:
        raise ValidationFailed.field("runbooks", "At least one runbook agreed at build is required.")
    if len(books) > MAX_RUNBOOKS:
        raise ValidationFailed.field("runbooks", f"At most {MAX_RUNBOOKS} runbooks.")
    for i, book in enumerate(books):
        if not book["title"]:
            raise ValidationFailed.field(f"runbooks.{i}.title", "A runbook needs a title.")
        if not book["body"]:
            raise ValidationFailed.field(f"runbooks.{i}.body", "A runbook needs a body.")
    titles = [b["title"].casefold() for b in books]
    if len(set(titles)) != len(titles):
        raise ValidationFailed.field("runbooks", "Two runbooks have the same title.")
    with transaction.atomic():
        locked = _locked(actor, order, "enable", expected_version)
        service = directory.service_create(
            actor=actor,
            organisation=locked.organisation,
            reference=locked.service_reference,
            name=locked.service_name,
            environment=locked.environment,
            description=f"Enabled by order {locked.reference}.",
            accounts=[a.pk for a in locked.accounts.all()],
            contacts=[locked.order_contact_id] if locked.order_contact_id else [],
        )
        for book in books:
            directory.runbook_create(actor=actor, service=service, title=book["title"], body=book["body"])
        return _move(
            actor,
            locked,
            OrderState.ENABLED,
            changes={"service": service},
            note=f"Service {service.reference} enabled with {len(books)} runbook(s).",
        )


def order_cancel(*, actor: Any, order: Order, reason: str, expected_version: int | None = None) -> Order:
    require_permission(actor, MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "A reason is required to cancel an order.")
    with transaction.atomic():
        locked = _locked(actor, order, "cancel", expected_version)
        cancelled = _move(actor, locked, OrderState.CANCELLED, note=f"Cancelled: {reason}")
        deadlines_close(owner_type=DEADLINE_OWNER, owner_ids=[cancelled.pk], at=timezone.now())
        return cancelled
