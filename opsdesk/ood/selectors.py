"""Reads of Operations on Demand. Every read takes the acting user: customers see the active
offerings of their organisation's plan and their own organisation's requests and engagements;
another tenant's record is as absent as a missing one (A4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
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
    Modification,
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


def engagement_page_get(*, user: Any, pk: Any) -> Engagement:
    """One engagement as its page shows it, with only what the page displays: its organisation,
    offering, account and request line (joined), its allocations with the modifications that set
    them and its offering's rates (one query each), and the kick-off's people (one query, only when
    it has started). Fewer joins than engagement_list on purpose: PostgreSQL plans a query of eight
    tables in several milliseconds, far longer than it takes to run it."""
    require_permission(user, VIEW)
    allocations = EngagementAllocation.objects.select_related("modification").order_by("from_month")
    rates = OfferingRate.objects.order_by("effective_from")
    qs = (
        Engagement.objects.restrict(user)
        .select_related("organisation", "offering", "account", "line__request")
        .prefetch_related(
            Prefetch("allocations", queryset=allocations), Prefetch("offering__rates", queryset=rates)
        )
    )
    engagement = get_or_not_found(qs, pk)
    people = {engagement.started_by_id, engagement.engineer_id} - {None}
    if people:
        users = Engagement._meta.get_field("started_by").related_model.objects.in_bulk(people)
        engagement.started_by = users.get(engagement.started_by_id)
        engagement.engineer = users.get(engagement.engineer_id)
    return engagement


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


def engagement_time_entries(*, user: Any, engagement: Engagement, limit: int = 50) -> list[dict[str, Any]]:
    """The engagement page's latest time entries, newest first: what the page shows of each (work
    date, hours, description and the engineer's name), as plain values."""
    require_permission(user, VIEW)
    qs = TimeEntry.objects.restrict(user).filter(engagement=engagement.pk)
    fields = ("pk", "work_date", "hours", "description")
    return list(qs.values(*fields, engineer_name=F("engineer__full_name"))[:limit])


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
    return [_figures(item, first, hours.get(item.pk) or Decimal(0)) for item in engagements]


def _figures(item: Engagement, first: dt.date, used: Decimal) -> MonthFigures:
    """One engagement-month's figures from its hours used (its allocations and its offering's
    rates prefetched)."""
    billed = rules.bill(item.blocks_in(first), used)
    rate = rate_in_force(item.offering, first)
    return MonthFigures(
        engagement=item,
        month=first,
        allocated_blocks=billed.allocated_blocks,
        hours_used=billed.hours_used.quantize(CENTS),
        billed_blocks=billed.billed_blocks,
        overrun_hours=billed.overrun_hours.quantize(CENTS),
        rate=rate.rate if rate else None,
        currency=rate.currency if rate else "GBP",
        amount=(rate.rate * billed.billed_blocks if rate else Decimal(0)).quantize(CENTS),
    )


def serves(engagement: Engagement, month: dt.date) -> bool:
    """The engagement serves some of `month` (engagements_in_month, for one loaded engagement)."""
    first = month.replace(day=1)
    return engagement.start_date < rules.first_of_month_after(first, 1) and (
        engagement.end_month is None or engagement.end_month >= first
    )


@dataclass
class Statement:
    """G6: an organisation's month: one line per engagement-month, totals per currency; frozen
    (the lines stored at the close) once the month is closed."""

    organisation: Organisation | OrganisationRef
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


@dataclass
class StatementFigures:
    """One live line of a statement: the figures of MonthFigures for one engagement-month, read
    as plain values (statements of every organisation are built without model instances)."""

    engagement_id: int
    offering: str
    account: str
    recurrence: str
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


#: The columns of a stored statement line, in StatementFigures' order (its month aside).
STORED = (
    "engagement_id",
    "offering",
    "account",
    "recurrence",
    "allocated_blocks",
    "hours_used",
    "billed_blocks",
    "overrun_hours",
    "rate",
    "currency",
    "amount",
)


@dataclass(frozen=True)
class OrganisationRef:
    """What a statement shows of its organisation (read without a model instance)."""

    pk: int
    name: str

    def __str__(self) -> str:
        return self.name


def month_statements(*, user: Any, month: Any, organisation: int | None = None) -> list[Statement]:
    """G6: the statements of one month of every organisation the user may read (or of one): a
    closed month's stored lines, else the live figures, at each offering's rate in force that
    month. A fixed number of queries (organisations, closes, stored lines, engagements with their
    allocation, rates, one GROUP BY of the month's hours), however many organisations and
    engagements there are; the figures are month_figures' (rules.bill on the same inputs)."""
    require_permission(user, VIEW)
    first = parse_month(month)
    readable = narrowed(statement_organisations(user=user), pk=organisation)
    orgs = [OrganisationRef(pk, name) for pk, name in readable.values_list("pk", "name")]
    if not orgs:
        return []
    one = {"organisation": organisation} if organisation is not None else {}
    found = narrowed(MonthClose.objects.restrict(user), **one).filter(month=first)
    closes = {c.organisation_id: c for c in found}
    lines: dict[int, list[Any]] = {o.pk: [] for o in orgs}
    if closes:
        org_of = {c.pk: c.organisation_id for c in closes.values()}
        stored = (
            StatementLine.objects.filter(close__in=list(closes.values()))
            .order_by("offering", "account", "engagement_id")
            .values_list("close_id", *STORED)
        )
        for close_id, *values in stored:
            lines[org_of[close_id]].append(StatementFigures(*values[:4], first, *values[4:]))
    allocation = EngagementAllocation.objects.filter(engagement=OuterRef("pk"), from_month__lte=first)
    allocation = allocation.order_by("-from_month")
    live = engagements_in_month(narrowed(Engagement.objects.restrict(user), **one), first).exclude(
        organisation__in=list(closes)
    )
    # Engagement.blocks_in in the query: the latest allocation on or before the month's first day
    # (engagements_in_month already keeps only the month's engagements).
    rows = list(
        live.order_by()
        .annotate(blocks=Subquery(allocation.values("blocks")[:1]))
        .values_list(
            "pk", "organisation_id", "offering_id", "offering__name", "account__account_id", "recurrence",
            "blocks",
        )
    )
    if rows:
        # Offering.rate_in once per offering: the rates in force by then, the latest winning.
        rates = {
            offering_id: (rate, currency)
            for offering_id, rate, currency in OfferingRate.objects.filter(effective_from__lte=first)
            .order_by("offering_id", "effective_from")
            .values_list("offering_id", "rate", "currency")
        }
        hours = dict(
            narrowed(TimeEntry.objects.restrict(user), **one)
            .filter(month=first)
            .order_by()
            .values("engagement")
            .annotate(total=Sum("hours"))
            .values_list("engagement", "total")
        )
        live_lines = []
        for pk, org_id, offering_id, offering, account, recurrence, blocks in rows:
            if org_id not in lines:
                continue
            billed = rules.bill(blocks or 0, hours.get(pk) or Decimal(0))
            rate, currency = rates.get(offering_id, (None, "GBP"))
            line = StatementFigures(
                engagement_id=pk,
                offering=offering,
                account=account,
                recurrence=recurrence,
                month=first,
                allocated_blocks=billed.allocated_blocks,
                hours_used=billed.hours_used.quantize(CENTS),
                billed_blocks=billed.billed_blocks,
                overrun_hours=billed.overrun_hours.quantize(CENTS),
                rate=rate,
                currency=currency or "GBP",
                amount=(rate * billed.billed_blocks if rate is not None else Decimal(0)).quantize(CENTS),
            )
            live_lines.append((org_id, line))
        live_lines.sort(key=lambda x: (x[1].offering, x[1].account, x[1].engagement_id))
        for org_id, line in live_lines:
            lines[org_id].append(line)
    out = []
    for org in orgs:
        totals: dict[str, Decimal] = {}
        for line in lines[org.pk]:
            totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount
        close = closes.get(org.pk)
        out.append(Statement(organisation=org, month=first, lines=lines[org.pk], close=close, totals=totals))
    return out


def statement(*, user: Any, organisation: Any, month: Any) -> Statement:
    """The statement of one organisation's month (month_statements): the stored lines of a closed
    month, else the live figures. Another tenant's organisation is not found."""
    require_permission(user, VIEW)
    first = parse_month(month)
    if not str(organisation).isdigit() or len(str(organisation)) > 18:
        raise ValidationFailed.field(
            "organisation", f"'{str(organisation)[:20]}' is not an organisation id."
        )
    org = statement_organisation(user=user, pk=int(organisation))
    (found,) = month_statements(user=user, month=first, organisation=org.pk)
    found.organisation = org
    return found


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


# --- modifications (G5) ------------------------------------------------------------------------


def modification_list(
    *,
    user: Any,
    state: str | None = None,
    organisation: int | None = None,
    engagement: int | None = None,
) -> QuerySet:
    """The modifications the user may see (a customer: their organisation's), newest first."""
    require_permission(user, VIEW)
    qs = narrowed(
        Modification.objects.restrict(user), state=state, organisation=organisation, engagement=engagement
    )
    return qs.select_related(
        "organisation", "contact", "engagement__offering", "engagement__account", "follows", "decided_by"
    ).prefetch_related("add_accounts", "remove_accounts", "followed_by")


def modification_get(*, user: Any, pk: Any) -> Modification:
    return get_or_not_found(modification_list(user=user), pk)


def engagement_modifications(*, user: Any, engagement: Engagement, limit: int = 50) -> list[Modification]:
    """The engagement page's latest modifications, newest first, with the accounts each adds or
    removes (the page shows nothing else of them: the engagement is the page's own)."""
    require_permission(user, VIEW)
    qs = Modification.objects.restrict(user).filter(engagement=engagement.pk)
    return list(qs.prefetch_related("add_accounts", "remove_accounts")[:limit])


#: The longest allocation history shown month by month (ten years); older months stay in the rows.
HISTORY_MONTHS = 120


@dataclass
class AllocationMonth:
    """One month of an engagement's allocation history (G5): the blocks in force, and the
    allocation row that set them when it starts that month."""

    month: dt.date
    blocks: int
    change: EngagementAllocation | None = None

    @property
    def changed(self) -> bool:
        return self.change is not None


def allocation_history(engagement: Engagement, *, today: dt.date | None = None) -> list[AllocationMonth]:
    """The engagement's blocks month by month, newest first: from its start month to its end month,
    or while it runs to this month or its latest allocation's month, whichever is later (at most
    HISTORY_MONTHS of them). One query, the allocation rows with the modifications that set them,
    or none when they are prefetched so (engagement_page_get)."""
    prefetched = getattr(engagement, "_prefetched_objects_cache", {}).get("allocations")
    if prefetched is None:
        prefetched = engagement.allocations.select_related("modification")
    rows = sorted(prefetched, key=lambda a: a.from_month)
    this_month = (today or timezone.localdate()).replace(day=1)
    last = engagement.end_month or max([this_month, *(a.from_month for a in rows)])
    first = max(engagement.start_month, rules.first_of_month_after(last, 1 - HISTORY_MONTHS))
    by_month = {a.from_month: a for a in rows}
    months = []
    month, blocks = first, 0
    for row in rows:
        if row.from_month <= first:
            blocks = row.blocks
    while month <= last:
        change = by_month.get(month)
        if change is not None:
            blocks = change.blocks
        months.append(AllocationMonth(month=month, blocks=blocks, change=change))
        month = rules.first_of_month_after(month, 1)
    return list(reversed(months))

# --- the burn-down of an engagement-month (G6, issue 10 item 8) ---------------------------------


@dataclass
class BurnDown:
    """One engagement-month's hours day by day against its allocation, and the month end projected
    from the pace so far (hours so far / elapsed days × days in the month)."""

    engagement: Engagement
    month: dt.date
    days_in_month: int
    elapsed_days: int
    allocated_hours: Decimal
    #: (day of the month, hours logged that day, hours used by its end) for every elapsed day.
    days: list[tuple[int, Decimal, Decimal]]

    @property
    def used(self) -> Decimal:
        return self.days[-1][2] if self.days else Decimal("0.00")

    @property
    def projected(self) -> Decimal:
        if not self.elapsed_days:
            return Decimal("0.00")
        return (self.used / self.elapsed_days * self.days_in_month).quantize(CENTS)

    @property
    def complete(self) -> bool:
        """The month is over: the projection is what was used."""
        return self.elapsed_days == self.days_in_month

    @property
    def projected_overrun(self) -> Decimal:
        return max(Decimal("0.00"), self.projected - self.allocated_hours)

    @property
    def logged_days(self) -> list[tuple[int, Decimal, Decimal]]:
        return [d for d in self.days if d[1]]


def _daily_hours(user: Any, engagement: Engagement, months: list[dt.date]) -> dict[dt.date, Decimal]:
    """The engagement's hours summed by work date in these months (first days): one query."""
    return dict(
        TimeEntry.objects.restrict(user)
        .filter(engagement=engagement.pk, month__in=sorted(set(months)))
        .order_by()
        .values("work_date")
        .annotate(total=Sum("hours"))
        .values_list("work_date", "total")
    )


def burn_down(
    *,
    user: Any,
    engagement: Engagement,
    month: Any,
    today: dt.date | None = None,
    daily: dict[dt.date, Decimal] | None = None,
) -> BurnDown:
    """The burn-down of `engagement` in `month` (YYYY-MM; not after the current month): one query,
    the month's hours summed by work date (none when `daily` gives them). A past month has all its
    days elapsed; the current month those up to today."""
    require_permission(user, VIEW)
    today = today or timezone.localdate()
    first = parse_month(month)
    after = rules.first_of_month_after(first, 1)
    days_in_month = (after - first).days
    elapsed = days_in_month if first < today.replace(day=1) else min(today.day, days_in_month)
    if first > today:
        elapsed = 0
    if daily is None:
        daily = _daily_hours(user, engagement, [first])
    days, used = [], Decimal("0.00")
    for n in range(1, elapsed + 1):
        hours = daily.get(first.replace(day=n)) or Decimal("0.00")
        used += hours
        days.append((n, hours.quantize(CENTS), used.quantize(CENTS)))
    return BurnDown(
        engagement=engagement,
        month=first,
        days_in_month=days_in_month,
        elapsed_days=elapsed,
        allocated_hours=rules.BLOCK_HOURS * engagement.blocks_in(first),
        days=days,
    )


@dataclass
class EngagementUsage:
    """What the engagement page shows of its hours: the burn-down of the month asked for, and this
    month's figures (None when the engagement does not serve this month)."""

    burn: BurnDown
    figures: MonthFigures | None


def engagement_usage(
    *, user: Any, engagement: Engagement, month: Any, today: dt.date | None = None
) -> EngagementUsage:
    """The engagement page's burn-down of `month` (refused as burn_down refuses it) and this month's
    figures (month_figures' for this engagement), from one query: the hours by work date of both
    months. The engagement comes with its allocations and offering rates (engagement_page_get)."""
    require_permission(user, VIEW)
    today = today or timezone.localdate()
    first, this_month = parse_month(month), today.replace(day=1)
    daily = _daily_hours(user, engagement, [first, this_month])
    burn = burn_down(
        user=user,
        engagement=engagement,
        month=first,
        today=today,
        daily={day: hours for day, hours in daily.items() if day.replace(day=1) == first},
    )
    figures = None
    if serves(engagement, this_month):
        used = sum((h for day, h in daily.items() if day.replace(day=1) == this_month), Decimal(0))
        figures = _figures(engagement, this_month, used)
    return EngagementUsage(burn=burn, figures=figures)
