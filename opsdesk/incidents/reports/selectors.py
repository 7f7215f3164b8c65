"""The SLA report of a monthly service review (issue 9, item 2): per organisation, priority and
month (in the provider's time zone), the incidents logged, their initial and considered responses
met and breached and the compliance, the business time paused, the mean and 90th percentile of the
time to respond and to resolve, the escalations raised by level and the RCAs due and on time.

`sla_report` reads the monthly roll-up (reports.models.SlaMonth): one row per organisation,
priority and month, refreshed first where the database triggers marked a change in the range asked
for (services.refresh_marked), so the report is never stale. Its figures equal those of
`sla_report_live`, which aggregates the incidents, escalations and RCAs themselves (GROUP BY
organisation, priority, month; the reference the tests compare with). The definitions of met,
breached and on time are in reports.figures.

Incidents count in the month they were logged, escalations in the month raised, RCAs in the month
they fall due (B7); an RCA is on time when submitted by its due time, late when submitted after it
or still not submitted once due. Times to respond and resolve are elapsed seconds from logging to
the initial response and to the resolution; the time paused is business time (B4). Means and 90th
percentiles are per row (organisation, priority, month), exact.

Queries: a report with nothing marked reads the marks, the rows (with the organisations' names),
the due-time lists of the rows whose running targets are partly due at `now`, and the escalation
levels: 4, however many organisations and months it covers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db.models import Case, F, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.limits import YEAR_MAX, YEAR_MIN
from opsdesk.core.tenancy import UNRESTRICTED, organisation_scope
from opsdesk.directory.models import Organisation
from opsdesk.incidents.choices import Priority
from opsdesk.incidents.escalations.models import Escalation, EscalationLevel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.reports import figures, services
from opsdesk.incidents.reports.figures import TARGETS, month_bounds, month_of, provider_zone
from opsdesk.incidents.reports.models import SlaMonth

#: The longest range one report covers: two years of monthly reviews.
MAX_MONTHS = 24
#: A report's default range: the last twelve months, this one included.
DEFAULT_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- the filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: months first..last (first days, inclusive), one organisation or all
    the user may see, one priority or all."""

    first: dt.date
    last: dt.date
    organisation: Organisation | None = None
    priority: str | None = None

    @property
    def months(self) -> list[dt.date]:
        return month_range(self.first, self.last)

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links to CSV and the API)."""
        params = {"from_month": f"{self.first:%Y-%m}", "to_month": f"{self.last:%Y-%m}"}
        if self.organisation is not None:
            params["organisation"] = str(self.organisation.pk)
        if self.priority:
            params["priority"] = self.priority
        return params


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


_shift = figures.shift


def current_month(now: dt.datetime | None = None) -> dt.date:
    local = (now or timezone.now()).astimezone(provider_zone())
    return dt.date(local.year, local.month, 1)


def parse_month(value: str, *, field: str) -> dt.date:
    """A month written YYYY-MM, or ValidationFailed naming `field` and saying why."""
    match = _MONTH.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValidationFailed.field(field, f"'{value}' is not a month: write it as YYYY-MM, e.g. 2026-03.")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValidationFailed.field(field, f"'{value}' is not a month: the month is 01 to 12.")
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationFailed.field(field, f"'{value}' is out of range: years {YEAR_MIN} to {YEAR_MAX}.")
    return dt.date(year, month, 1)


def report_filters(
    *,
    user: Any,
    from_month: str | None = None,
    to_month: str | None = None,
    organisation: int | str | None = None,
    priority: str | None = None,
    now: dt.datetime | None = None,
) -> ReportFilters:
    """Checks a report's filters as a client sent them: months YYYY-MM, not in the future, first
    before last, at most MAX_MONTHS; a priority P1–P4; an organisation the user may see (another
    tenant's is NotFound, like a missing one). A customer's report is their own organisation's."""
    this_month = current_month(now)
    last = parse_month(to_month, field="to_month") if to_month else this_month
    first = parse_month(from_month, field="from_month") if from_month else _shift(last, 1 - DEFAULT_MONTHS)
    for name, month in (("to_month", last), ("from_month", first)):
        if month > this_month:
            raise ValidationFailed.field(
                name,
                f"{month:%Y-%m} is in the future: a report covers months up to this one "
                f"({this_month:%Y-%m}).",
            )
    if first > last:
        raise ValidationFailed.field("from_month", f"{first:%Y-%m} is after to_month ({last:%Y-%m}).")
    count = len(month_range(first, last))
    if count > MAX_MONTHS:
        raise ValidationFailed.field(
            "to_month",
            f"The range {first:%Y-%m} to {last:%Y-%m} is {count} months: "
            f"a report covers at most {MAX_MONTHS}.",
        )
    if priority in ("", None):
        priority = None
    elif priority not in Priority.values:
        raise ValidationFailed.field(
            "priority", f"'{priority}' is not a priority: one of {', '.join(Priority.values)}."
        )
    org = _organisation(user, organisation)
    return ReportFilters(first=first, last=last, organisation=org, priority=priority)


def _organisation(user: Any, organisation: int | str | None) -> Organisation | None:
    scope = organisation_scope(user)
    if organisation in ("", None):
        if scope is UNRESTRICTED:
            return None
        if len(scope) == 1:  # a customer: their own organisation's report
            return Organisation.objects.get(pk=next(iter(scope)))
        raise NotFound("organisation: you are not linked to an organisation, so there is no report to show.")
    try:
        pk = int(organisation)
    except (TypeError, ValueError):
        raise ValidationFailed.field("organisation", f"'{organisation}' is not an organisation id.") from None
    found = Organisation.objects.restrict(user).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if found is None:
        message = f"no organisation with id {pk}."
        raise NotFound(f"organisation: {message}", [{"field": "organisation", "message": message}])
    return found


# --- the report -----------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def pct(met: int, breached: int) -> float | None:
    """Compliance in percent to one decimal (None when nothing was due); remembered, as the same
    few pairs recur across the thousands of rows of a report."""
    return round(100 * met / (met + breached), 1) if met + breached else None


@dataclass(slots=True)
class ReportRow:
    """The figures of one organisation, priority and month."""

    organisation_id: int
    organisation: str
    priority: str
    month: dt.date
    logged: int = 0
    initial_met: int = 0
    initial_breached: int = 0
    considered_met: int = 0
    considered_breached: int = 0
    paused_seconds: int = 0
    respond_mean: int | None = None
    respond_p90: int | None = None
    resolve_mean: int | None = None
    resolve_p90: int | None = None
    escalations: dict[int, int] = field(default_factory=dict)
    rca_due: int = 0
    rca_on_time: int = 0
    rca_late: int = 0

    @property
    def initial_compliance(self) -> float | None:
        return pct(self.initial_met, self.initial_breached)

    @property
    def considered_compliance(self) -> float | None:
        return pct(self.considered_met, self.considered_breached)

    @property
    def compliance(self) -> float | None:
        return pct(self.initial_met + self.considered_met, self.initial_breached + self.considered_breached)

    @property
    def breached(self) -> int:
        return self.initial_breached + self.considered_breached

    @property
    def escalation_total(self) -> int:
        return sum(self.escalations.values())


@dataclass
class Total:
    """Counts summed over rows (a month, a priority, an organisation): what the charts draw."""

    key: Any
    label: str
    logged: int = 0
    initial_met: int = 0
    initial_breached: int = 0
    considered_met: int = 0
    considered_breached: int = 0

    def add(self, row: ReportRow) -> None:
        self.logged += row.logged
        self.initial_met += row.initial_met
        self.initial_breached += row.initial_breached
        self.considered_met += row.considered_met
        self.considered_breached += row.considered_breached

    @property
    def met(self) -> int:
        return self.initial_met + self.considered_met

    @property
    def breached(self) -> int:
        return self.initial_breached + self.considered_breached

    @property
    def compliance(self) -> float | None:
        return pct(self.met, self.breached)


@dataclass
class SlaReport:
    filters: ReportFilters
    rows: list[ReportRow]
    #: The escalation levels above the service desk (C7), as (level, name).
    levels: list[tuple[int, str]]
    generated_at: dt.datetime

    @property
    def by_month(self) -> list[Total]:
        totals = {m: Total(m, f"{m:%b %Y}") for m in self.filters.months}
        for row in self.rows:
            totals[row.month].add(row)
        return list(totals.values())

    @property
    def by_priority(self) -> list[Total]:
        totals = {p.value: Total(p.value, p.value) for p in Priority}
        for row in self.rows:
            totals[row.priority].add(row)
        return [t for p, t in totals.items() if self.filters.priority in (None, p)]

    @property
    def by_organisation(self) -> list[Total]:
        """Organisations by breaches, most first (then by name)."""
        totals: dict[int, Total] = {}
        for row in self.rows:
            totals.setdefault(row.organisation_id, Total(row.organisation_id, row.organisation)).add(row)
        return sorted(totals.values(), key=lambda t: (-t.breached, t.label))

    @property
    def total(self) -> Total:
        total = Total(None, "All")
        for row in self.rows:
            total.add(row)
        return total


def _bounds(filters: ReportFilters) -> tuple[dt.datetime, dt.datetime]:
    return month_bounds(filters.first, filters.last)


def _order(r: ReportRow) -> tuple[dt.date, str, int, str]:
    """Rows by month, then organisation name (and id), then priority."""
    return (r.month, r.organisation, r.organisation_id, r.priority)


def _rows_of(rows: dict[tuple[int, str, dt.date], ReportRow], filters: ReportFilters, levels: Any, now: Any):
    return SlaReport(filters=filters, rows=sorted(rows.values(), key=_order), levels=levels, generated_at=now)


def _levels() -> list[tuple[int, str]]:
    return list(EscalationLevel.objects.filter(level__gte=2).order_by("level").values_list("level", "name"))


#: The roll-up's columns a report reads, in order.
_COLUMNS = (
    "organisation_id",
    "organisation__name",
    "priority",
    "month",
    "logged",
    "initial_met",
    "initial_breached",
    "considered_met",
    "considered_breached",
    "paused_seconds",
    "respond_count",
    "respond_sum",
    "respond_p90",
    "resolve_count",
    "resolve_sum",
    "resolve_p90",
    "escalations_text",
    "rca_due",
    "rca_on_time",
    "rca_late",
    "initial_due",
    "considered_due",
    "rca_due_now",
    "pk",
)


class _Count(Case):
    """A CASE whose value the database driver already gives as an int or None (both PostgreSQL and
    SQLite do): no per-row conversion in Python, which for 6,000 rows × 3 was ~15% of a report."""

    convert_value = staticmethod(Case._convert_value_noop)


def _due_now(kind: str, now: dt.datetime) -> Case:
    """How many of a row's pending due times of `kind` have passed at `now`: none before the first,
    all from the last; NULL between them, where the list is read (_count_due)."""
    count = f"{kind}_pending"
    return _Count(
        When(Q(**{count: 0}) | Q(pending_first__gt=now), then=Value(0)),
        When(pending_last__lte=now, then=F(count)),
        default=None,
        output_field=IntegerField(),
    )


def _count_due(lists: dict[int, dict[str, list[int]]], pk: int, kind: str, now_us: int) -> int:
    return sum(1 for due in lists[pk].get(kind, ()) if due <= now_us)


def sla_report(*, user: Any, filters: ReportFilters, now: dt.datetime | None = None) -> SlaReport:
    """The report `filters` ask for, of what `user` may see, from the monthly roll-up (refreshed
    first where marked): 4 queries when nothing in the range is marked (the marks, the rows, the
    due-time lists of the rows with some due at `now` and some not, the escalation levels)."""
    now = now or timezone.now()
    scope = organisation_scope(user)
    organisations = None if filters.organisation is None else {filters.organisation.pk}
    if scope is not UNRESTRICTED:
        organisations = set(scope) if organisations is None else organisations & set(scope)
    services.refresh_marked(first=filters.first, last=filters.last, organisations=organisations)
    qs = SlaMonth.objects.restrict(user).filter(month__gte=filters.first, month__lte=filters.last)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation.pk)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    found = qs.annotate(
        escalations_text=Cast("escalations", TextField()),
        initial_due=_due_now("initial", now),
        considered_due=_due_now("considered", now),
        rca_due_now=_due_now("rca", now),
    ).values_list(*_COLUMNS)
    lists = dict(qs.filter(pending_first__lte=now, pending_last__gt=now).values_list("pk", "pending"))
    now_us = services.epoch_us(now)
    rows: list[ReportRow] = []
    for (org_id, name, priority, month, logged, i_met, i_breached, c_met, c_breached, paused,
         respond_n, respond_sum, respond_p90, resolve_n, resolve_sum, resolve_p90,
         escalations, rca_due, rca_on_time, rca_late, i_due, c_due, r_due, pk) in found:  # fmt: skip
        if i_due is None:
            i_due = _count_due(lists, pk, "initial", now_us)
        if c_due is None:
            c_due = _count_due(lists, pk, "considered", now_us)
        if r_due is None:
            r_due = _count_due(lists, pk, "rca", now_us)
        rows.append(ReportRow(
            org_id,
            name,
            priority,
            month,
            logged,
            i_met,
            i_breached + i_due,
            c_met,
            c_breached + c_due,
            paused,
            round(respond_sum / respond_n) if respond_n else None,
            None if respond_p90 is None else round(respond_p90),
            round(resolve_sum / resolve_n) if resolve_n else None,
            None if resolve_p90 is None else round(resolve_p90),
            {int(level): n for level, n in json.loads(escalations).items()} if escalations != "{}" else {},
            rca_due,
            rca_on_time,
            rca_late + r_due,
        ))  # fmt: skip
    rows.sort(key=_order)
    return SlaReport(filters=filters, rows=rows, levels=_levels(), generated_at=now)


def sla_report_live(*, user: Any, filters: ReportFilters, now: dt.datetime | None = None) -> SlaReport:
    """The same report aggregated from the incidents, escalations and RCAs themselves (the
    reference the roll-up is tested against; a fixed number of queries, but it reads every incident
    of the range)."""
    now = now or timezone.now()
    start, end = _bounds(filters)
    incidents = Incident.objects.restrict(user).filter(logged_at__gte=start, logged_at__lt=end)
    escalations = Escalation.objects.restrict(user).filter(raised_at__gte=start, raised_at__lt=end)
    rcas = RootCauseAnalysis.objects.restrict(user).filter(due_at__gte=start, due_at__lt=end)
    if filters.organisation is not None:
        incidents = incidents.filter(organisation_id=filters.organisation.pk)
        escalations = escalations.filter(incident__organisation_id=filters.organisation.pk)
        rcas = rcas.filter(incident__organisation_id=filters.organisation.pk)
    if filters.priority:
        incidents = incidents.filter(priority=filters.priority)
        escalations = escalations.filter(incident__priority=filters.priority)
        rcas = rcas.filter(incident__priority=filters.priority)

    rows: dict[tuple[int, str, dt.date], ReportRow] = {}

    def row(org_id: int, priority: str, month: dt.date) -> ReportRow:
        key = (org_id, priority, month)
        if key not in rows:
            rows[key] = ReportRow(organisation_id=org_id, organisation="", priority=priority, month=month)
        return rows[key]

    for g in figures.incident_groups(incidents, now):
        r = row(g["organisation_id"], g["priority"], month_of(g["month"]))
        r.logged = g["logged"]
        r.paused_seconds = int(g["paused"] or 0)
        for target in TARGETS:
            setattr(r, f"{target}_met", g[f"{target}_met"])
            setattr(r, f"{target}_breached", g[f"{target}_breached"])
        for measure in ("respond", "resolve"):
            for stat in ("mean", "p90"):
                value = g.get(f"{measure}_{stat}")
                setattr(r, f"{measure}_{stat}", None if value is None else round(float(value)))
    for g in figures.escalation_groups(escalations):
        r = row(g["incident__organisation_id"], g["incident__priority"], month_of(g["month"]))
        r.escalations[g["level__level"]] = g["n"]
    for g in figures.rca_groups(rcas, now):
        r = row(g["incident__organisation_id"], g["incident__priority"], month_of(g["month"]))
        r.rca_due, r.rca_on_time, r.rca_late = g["due"], g["on_time"], g["late"]

    names = dict(Organisation.objects.filter(pk__in={k[0] for k in rows}).values_list("pk", "name"))
    for r in rows.values():
        r.organisation = names.get(r.organisation_id, "")
    return _rows_of(rows, filters, _levels(), now)


def compliance_trend(*, user: Any, months: int = 6, now: dt.datetime | None = None) -> list[Total]:
    """The desk's small chart: compliance of all the organisations the user may see, by month, for
    the last `months` months (from the roll-up)."""
    now = now or timezone.now()
    last = current_month(now)
    filters = ReportFilters(first=_shift(last, 1 - months), last=last)
    return sla_report(user=user, filters=filters, now=now).by_month
