"""The SLA report of a monthly service review (issue 9, item 2): per organisation, priority and
month (in the provider's time zone), the incidents logged, their initial and considered responses
met and breached and the compliance, the business time paused, the mean and 90th percentile of the
time to respond and to resolve, the escalations raised by level and the RCAs due and on time.

Every figure is aggregated in the database with GROUP BY organisation, priority, month, so the
number of queries is fixed: it does not grow with the organisations, months or incidents
(`sla_report`: one query for the incidents, one for the escalations, one for the RCAs, one for the
escalation levels and one for the organisations' names; on SQLite two more stream the values of
the percentiles). What is met and breached (B3, B6):

- a response target is **met** when the response was given at or before its due time;
- it is **breached** when the response was given after it, or not given and the due time passed
  while the clock ran: by now for a running incident, by the pause for a paused one (its due time
  moves on when it resumes, B4), by the resolution for a resolved or closed one;
- otherwise it is still running and counts in neither. Compliance is met ÷ (met + breached).

Incidents count in the month they were logged, escalations in the month raised, RCAs in the month
they fall due (B7); an RCA is on time when submitted by its due time, late when submitted after it
or still not submitted once due. Times to respond and resolve are elapsed seconds from logging to
the initial response and to the resolution; the time paused is business time (B4).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.limits import YEAR_MAX, YEAR_MIN
from opsdesk.core.tenancy import UNRESTRICTED, organisation_scope
from opsdesk.directory.models import Organisation
from opsdesk.incidents.choices import OPEN_STATES, Priority
from opsdesk.incidents.escalations.models import Escalation, EscalationLevel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.reports.aggregates import Percentile, SecondsBetween, percentile_stream

#: The longest range one report covers: two years of monthly reviews.
MAX_MONTHS = 24
#: A report's default range: the last twelve months, this one included.
DEFAULT_MONTHS = 12
#: The percentile of the times to respond and resolve.
PERCENTILE = 0.9
TARGETS = ("initial", "considered")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def provider_zone() -> ZoneInfo:
    """The provider's time zone (settings.TIME_ZONE): months begin at its midnight."""
    return timezone.get_default_timezone()


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


def _shift(month: dt.date, by: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


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


def _pct(met: int, breached: int) -> float | None:
    return round(100 * met / (met + breached), 1) if met + breached else None


@dataclass
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
        return _pct(self.initial_met, self.initial_breached)

    @property
    def considered_compliance(self) -> float | None:
        return _pct(self.considered_met, self.considered_breached)

    @property
    def compliance(self) -> float | None:
        return _pct(self.initial_met + self.considered_met, self.initial_breached + self.considered_breached)

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
        return _pct(self.met, self.breached)


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


def _met(target: str) -> Q:
    return Q(**{f"{target}_response_at__lte": F(f"{target}_response_due")})


def _breached(target: str, now: dt.datetime) -> Q:
    due, given = f"{target}_response_due", f"{target}_response_at"
    open_states = sorted(OPEN_STATES)
    unmet = Q(**{f"{given}__isnull": True})
    running = Q(state__in=open_states, paused_at__isnull=True, **{f"{due}__lte": now})
    paused = Q(state__in=open_states, paused_at__isnull=False, **{f"{due}__lte": F("paused_at")})
    ended = ~Q(state__in=open_states) & Q(**{f"{due}__lte": Coalesce("resolved_at", "closed_at")})
    return Q(**{f"{given}__gt": F(due)}) | (unmet & (running | paused | ended))


def _bounds(filters: ReportFilters) -> tuple[dt.datetime, dt.datetime]:
    zone = provider_zone()
    start = dt.datetime.combine(filters.first, dt.time(), zone)
    end = dt.datetime.combine(_shift(filters.last, 1), dt.time(), zone)
    return start, end


def _month(value: dt.datetime) -> dt.date:
    local = value.astimezone(provider_zone()) if timezone.is_aware(value) else value
    return dt.date(local.year, local.month, 1)


#: Elapsed seconds from logging to the initial response and to the resolution.
_SECONDS = {
    "respond": SecondsBetween("initial_response_at", "logged_at"),
    "resolve": SecondsBetween("resolved_at", "logged_at"),
}


def _incident_groups(user: Any, filters: ReportFilters, now: dt.datetime) -> tuple[Any, Any]:
    start, end = _bounds(filters)
    qs = Incident.objects.restrict(user).filter(logged_at__gte=start, logged_at__lt=end)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation.pk)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    grouped = qs.annotate(
        month=TruncMonth("logged_at", tzinfo=provider_zone()),
        respond=_SECONDS["respond"],
        resolve=_SECONDS["resolve"],
    ).values("organisation_id", "priority", "month")
    return grouped, qs


def sla_report(*, user: Any, filters: ReportFilters, now: dt.datetime | None = None) -> SlaReport:
    """The report `filters` ask for, of what `user` may see, in a fixed number of queries."""
    now = now or timezone.now()
    postgres = connection.vendor == "postgresql"
    grouped, base = _incident_groups(user, filters, now)
    measures: dict[str, Any] = {
        "logged": Count("pk"),
        "paused": Sum("paused_seconds"),
        "respond_n": Count("respond"),
        "respond_mean": Avg("respond"),
        "resolve_n": Count("resolve"),
        "resolve_mean": Avg("resolve"),
    }
    for target in TARGETS:
        measures[f"{target}_met"] = Count("pk", filter=_met(target))
        measures[f"{target}_breached"] = Count("pk", filter=_breached(target, now))
    if postgres:
        measures["respond_p90"] = Percentile("respond", fraction=PERCENTILE)
        measures["resolve_p90"] = Percentile("resolve", fraction=PERCENTILE)
    groups = _aggregate(grouped.annotate(**measures).order_by())
    if not postgres:
        _percentiles_streamed(groups, base)

    rows: dict[tuple[int, str, dt.date], ReportRow] = {}

    def row(org_id: int, priority: str, month: dt.date) -> ReportRow:
        key = (org_id, priority, month)
        if key not in rows:
            rows[key] = ReportRow(organisation_id=org_id, organisation="", priority=priority, month=month)
        return rows[key]

    for g in groups:
        r = row(g["organisation_id"], g["priority"], _month(g["month"]))
        r.logged = g["logged"]
        r.paused_seconds = int(g["paused"] or 0)
        for target in TARGETS:
            setattr(r, f"{target}_met", g[f"{target}_met"])
            setattr(r, f"{target}_breached", g[f"{target}_breached"])
        for measure in ("respond", "resolve"):
            for stat in ("mean", "p90"):
                value = g.get(f"{measure}_{stat}")
                setattr(r, f"{measure}_{stat}", None if value is None else round(float(value)))

    for g in _escalation_groups(user, filters):
        r = row(g["incident__organisation_id"], g["incident__priority"], _month(g["month"]))
        r.escalations[g["level__level"]] = g["n"]
    for g in _rca_groups(user, filters, now):
        r = row(g["incident__organisation_id"], g["incident__priority"], _month(g["month"]))
        r.rca_due, r.rca_on_time, r.rca_late = g["due"], g["on_time"], g["late"]

    names = dict(Organisation.objects.filter(pk__in={k[0] for k in rows}).values_list("pk", "name"))
    for r in rows.values():
        r.organisation = names.get(r.organisation_id, "")
    levels = list(EscalationLevel.objects.filter(level__gte=2).order_by("level").values_list("level", "name"))
    ordered = sorted(rows.values(), key=lambda r: (r.month, r.organisation, r.organisation_id, r.priority))
    return SlaReport(filters=filters, rows=ordered, levels=levels, generated_at=now)


#: PostgreSQL settings for the one big GROUP BY, inside its transaction: sort its rows in memory
#: rather than on disk, and no JIT compilation (~150 ms to compile for a query run once).
PG_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


def _aggregate(qs: Any) -> list[dict[str, Any]]:
    if connection.vendor != "postgresql":
        return list(qs)
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in PG_SETTINGS:
            cursor.execute(setting)
        return list(qs)


def _percentiles_streamed(groups: list[dict[str, Any]], base: Any) -> None:
    """SQLite: the 90th percentiles from the values streamed in order (aggregates.percentile_stream),
    one query per measure whatever the number of groups."""
    for measure in ("respond", "resolve"):
        counts = {(g["organisation_id"], g["priority"], g["month"]): g[f"{measure}_n"] for g in groups}
        values = (
            base.annotate(month=TruncMonth("logged_at", tzinfo=provider_zone()), value=_SECONDS[measure])
            .filter(value__isnull=False)
            .order_by("organisation_id", "priority", "month", "value")
            .values_list("organisation_id", "priority", "month", "value")
        )
        found = percentile_stream(
            (((o, p, m), v) for o, p, m, v in values.iterator(chunk_size=2_000)), counts, PERCENTILE
        )
        for g in groups:
            g[f"{measure}_p90"] = found.get((g["organisation_id"], g["priority"], g["month"]))


def _escalation_groups(user: Any, filters: ReportFilters) -> Any:
    start, end = _bounds(filters)
    qs = Escalation.objects.restrict(user).filter(raised_at__gte=start, raised_at__lt=end)
    if filters.organisation is not None:
        qs = qs.filter(incident__organisation_id=filters.organisation.pk)
    if filters.priority:
        qs = qs.filter(incident__priority=filters.priority)
    return (
        qs.annotate(month=TruncMonth("raised_at", tzinfo=provider_zone()))
        .values("incident__organisation_id", "incident__priority", "month", "level__level")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _rca_groups(user: Any, filters: ReportFilters, now: dt.datetime) -> Any:
    start, end = _bounds(filters)
    qs = RootCauseAnalysis.objects.restrict(user).filter(due_at__gte=start, due_at__lt=end)
    if filters.organisation is not None:
        qs = qs.filter(incident__organisation_id=filters.organisation.pk)
    if filters.priority:
        qs = qs.filter(incident__priority=filters.priority)
    late = Q(submitted_at__gt=F("due_at")) | Q(submitted_at__isnull=True, due_at__lte=now)
    return (
        qs.annotate(month=TruncMonth("due_at", tzinfo=provider_zone()))
        .values("incident__organisation_id", "incident__priority", "month")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(submitted_at__lte=F("due_at"))),
            late=Count("pk", filter=late),
        )
        .order_by()
    )


def compliance_trend(*, user: Any, months: int = 6, now: dt.datetime | None = None) -> list[Total]:
    """The desk's small chart: compliance of all the organisations the user may see, by month, for
    the last `months` months (one query)."""
    now = now or timezone.now()
    last = current_month(now)
    filters = ReportFilters(first=_shift(last, 1 - months), last=last)
    _, qs = _incident_groups(user, filters, now)
    measures: dict[str, Any] = {"logged": Count("pk")}
    for target in TARGETS:
        measures[f"{target}_met"] = Count("pk", filter=_met(target))
        measures[f"{target}_breached"] = Count("pk", filter=_breached(target, now))
    by_month = (
        qs.annotate(month=TruncMonth("logged_at", tzinfo=provider_zone()))
        .values("month")
        .annotate(**measures)
        .order_by()
    )
    totals = {m: Total(m, f"{m:%b %Y}") for m in filters.months}
    for g in by_month:
        t = totals[_month(g["month"])]
        t.logged = g["logged"]
        for target in TARGETS:
            setattr(t, f"{target}_met", g[f"{target}_met"])
            setattr(t, f"{target}_breached", g[f"{target}_breached"])
    return list(totals.values())
