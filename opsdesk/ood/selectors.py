"""Reads of Operations on Demand. Every read takes the acting user: customers see the active
offerings of their organisation's plan and their own organisation's requests and engagements;
another tenant's record is as absent as a missing one (A4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.core.tenancy import UNRESTRICTED, organisation_scope
from opsdesk.directory.models import Organisation
from opsdesk.ood import rules
from opsdesk.ood.choices import OfferingState
from opsdesk.ood.models import (
    Engagement,
    EngagementAllocation,
    MonthClose,
    Offering,
    OfferingRate,
    OodRequest,
    RequestLine,
    StatementLine,
    TimeEntry,
)

VIEW = "ood.view"
CENTS = Decimal("0.01")


def offering_list(*, user: Any, state: str | None = None, q: str | None = None) -> QuerySet:
    """Staff see the whole catalogue; a customer only the active offerings on their plan (G1)."""
    require_permission(user, VIEW)
    qs = Offering.objects.prefetch_related("plans", "rates")
    scope = organisation_scope(user)
    if scope is not UNRESTRICTED:
        plans = Organisation.objects.filter(pk__in=sorted(scope)).values("service_plan")
        qs = qs.filter(state=OfferingState.ACTIVE, plans__in=plans).distinct()
    qs = narrowed(qs, state=state)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return qs


def offering_get(*, user: Any, pk: Any) -> Offering:
    return get_or_not_found(offering_list(user=user), pk)


def rate_in_force(offering: Offering, month: dt.date) -> OfferingRate | None:
    """G1: the rate a month is charged at (Offering.rate_in): the latest effective on or before
    its first day; earlier rates stay for earlier months."""
    return offering.rate_in(month)


def with_lines(qs: QuerySet) -> QuerySet:
    lines = RequestLine.objects.select_related("offering").prefetch_related("accounts", "approved_accounts")
    return qs.select_related("organisation", "contact", "submitting_account", "decided_by").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def ood_request_list(
    *, user: Any, state: str | None = None, organisation: int | None = None, q: str | None = None
) -> QuerySet:
    require_permission(user, VIEW)
    qs = narrowed(OodRequest.objects.restrict(user), state=state, organisation=organisation)
    if q:
        qs = qs.filter(Q(organisation__name__icontains=q) | Q(lines__offering__name__icontains=q)).distinct()
    return qs.select_related("organisation", "contact", "submitting_account")


def ood_request_get(*, user: Any, pk: Any) -> OodRequest:
    return get_or_not_found(with_lines(ood_request_list(user=user)), pk)


def engagement_list(
    *,
    user: Any,
    organisation: int | None = None,
    offering: int | None = None,
    recurrence: str | None = None,
    account: str | None = None,
) -> QuerySet:
    require_permission(user, VIEW)
    qs = narrowed(
        Engagement.objects.restrict(user),
        organisation=organisation,
        offering=offering,
        recurrence=recurrence,
        account__account_id=account,
    )
    allocations = EngagementAllocation.objects.order_by("from_month")
    return qs.select_related(
        "organisation", "offering", "account", "line__request", "started_by", "engineer"
    ).prefetch_related(
        Prefetch("allocations", queryset=allocations)
    )


def engagement_get(*, user: Any, pk: Any) -> Engagement:
    return get_or_not_found(engagement_list(user=user), pk)


def start_status(engagement: Engagement, *, now: dt.datetime) -> str:
    """Where the kick-off stands against the engagement-start deadline (issue 10): due | overdue |
    met | late (started after its due time)."""
    due = engagement.start_due_at
    if engagement.started_at is not None:
        return "late" if due is not None and engagement.started_at > due else "met"
    return "overdue" if engagement.start_overdue(now) else "due"


def allocation_in(engagement: Engagement, month: dt.date) -> int:
    """The blocks an engagement has in a month (G4); see Engagement.blocks_in."""
    return engagement.blocks_in(month)


# --- time and block billing (G6) ---------------------------------------------------------------

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(value: Any, *, field: str = "month", allow_future: bool = False) -> dt.date:
    """A month as "YYYY-MM" (or a date in it): its first day. A malformed month or, unless
    allowed, one after the current month is refused naming the field."""
    if isinstance(value, dt.date):
        first = value.replace(day=1)
    else:
        text = str(value or "").strip()
        match = _MONTH.fullmatch(text)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
            raise ValidationFailed.field(field, f"'{text[:20]}' is not a month (YYYY-MM, e.g. 2026-11).")
        first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if not allow_future and first > timezone.localdate().replace(day=1):
        raise ValidationFailed.field(field, f"{first:%Y-%m} is in the future.")
    return first


def time_entry_list(
    *,
    user: Any,
    engagement: int | None = None,
    organisation: int | None = None,
    month: str | None = None,
) -> QuerySet:
    require_permission(user, VIEW)
    qs = narrowed(TimeEntry.objects.restrict(user), engagement=engagement, organisation=organisation)
    if month:
        qs = qs.filter(month=parse_month(month, allow_future=True))
    return qs.select_related("engagement__offering", "account", "engineer", "organisation")


def time_entry_get(*, user: Any, pk: Any) -> TimeEntry:
    return get_or_not_found(time_entry_list(user=user), pk)


@dataclass
class MonthFigures:
    """One engagement-month (G6): what was allocated, used and billed, and at what rate."""

    engagement: Engagement
    month: dt.date
    allocated_blocks: int
    hours_used: Decimal
    billed_blocks: int
    overrun_hours: Decimal
    rate: Decimal | None
    currency: str
    amount: Decimal

    @property
    def allocated_hours(self) -> Decimal:
        return rules.BLOCK_HOURS * self.allocated_blocks

    @property
    def overrun(self) -> bool:
        return self.overrun_hours > 0

    @property
    def offering(self) -> str:
        return self.engagement.offering.name

    @property
    def account(self) -> str:
        return self.engagement.account.account_id

    @property
    def recurrence(self) -> str:
        return self.engagement.recurrence


def engagements_in_month(qs: QuerySet, month: dt.date) -> QuerySet:
    """Engagements serving some of `month`: started by its end, not ended before it."""
    after = rules.first_of_month_after(month, 1)
    return qs.filter(start_date__lt=after).filter(Q(end_month__isnull=True) | Q(end_month__gte=month))


def month_figures(
    *, user: Any, month: dt.date, organisation: int | None = None, engagement: int | None = None
) -> list[MonthFigures]:
    """G6: the figures of every engagement-month the user may see in `month` — the one place pages,
    API and statements read them. Hours come from one GROUP BY over the month's time entries; the
    engagements, their allocations and their offerings' rates are read in a fixed number of
    queries, however many engagements there are."""
    first = month.replace(day=1)
    rates = Prefetch("offering__rates", queryset=OfferingRate.objects.order_by("effective_from"))
    qs = engagements_in_month(engagement_list(user=user, organisation=organisation), first)
    qs = narrowed(qs, pk=engagement).prefetch_related(rates)
    engagements = list(qs.order_by("organisation__name", "offering__name", "account__account_id", "pk"))
    if not engagements:
        return []
    hours = dict(
        narrowed(
            TimeEntry.objects.restrict(user).filter(month=first),
            organisation=organisation,
            engagement=engagement,
        )
        .order_by()
        .values("engagement")
        .annotate(total=Sum("hours"))
        .values_list("engagement", "total")
    )
    out = []
    for item in engagements:
        allocated = item.blocks_in(first)
        used = hours.get(item.pk) or Decimal(0)
        billed = rules.bill(allocated, used)
        rate = rate_in_force(item.offering, first)
        out.append(
            MonthFigures(
                engagement=item,
                month=first,
                allocated_blocks=allocated,
                hours_used=billed.hours_used.quantize(CENTS),
                billed_blocks=billed.billed_blocks,
                overrun_hours=billed.overrun_hours.quantize(CENTS),
                rate=rate.rate if rate else None,
                currency=rate.currency if rate else "GBP",
                amount=(rate.rate * billed.billed_blocks if rate else Decimal(0)).quantize(CENTS),
            )
        )
    return out


@dataclass
class Statement:
    """G6: an organisation's month: one line per engagement-month, totals per currency; frozen
    (the lines stored at the close) once the month is closed."""

    organisation: Organisation
    month: dt.date
    lines: list[Any]
    close: MonthClose | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.close is not None

    @property
    def billed_blocks(self) -> int:
        return sum(line.billed_blocks for line in self.lines)

    @property
    def hours_used(self) -> Decimal:
        return sum((line.hours_used for line in self.lines), Decimal(0))


def statement(*, user: Any, organisation: Any, month: Any) -> Statement:
    """The statement of one organisation's month: the stored lines of a closed month, else the
    live figures (month_figures). Another tenant's organisation is not found."""
    require_permission(user, VIEW)
    first = parse_month(month)
    if not str(organisation).isdigit() or len(str(organisation)) > 18:
        raise ValidationFailed.field(
            "organisation", f"'{str(organisation)[:20]}' is not an organisation id."
        )
    org = statement_organisation(user=user, pk=int(organisation))
    close = MonthClose.objects.filter(organisation=org, month=first).select_related("closed_by").first()
    if close is not None:
        lines: list[Any] = list(
            StatementLine.objects.filter(close=close)
            .select_related("close")
            .order_by("offering", "account", "engagement_id")
        )
    else:
        lines = month_figures(user=user, month=first, organisation=org.pk)
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount
    return Statement(organisation=org, month=first, lines=lines, close=close, totals=totals)


def month_close_list(*, user: Any, organisation: int | None = None) -> QuerySet:
    require_permission(user, VIEW)
    return narrowed(MonthClose.objects.restrict(user), organisation=organisation).select_related(
        "organisation", "closed_by"
    )


def statement_organisations(*, user: Any) -> QuerySet:
    """The organisations whose statements the user may read (a customer: their own)."""
    require_permission(user, VIEW)
    return Organisation.objects.restrict(user).order_by("name")


def statement_organisation(*, user: Any, pk: Any) -> Organisation:
    return get_or_not_found(statement_organisations(user=user), pk)
