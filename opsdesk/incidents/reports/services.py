"""Writes of the SLA report's monthly roll-up (reports.models.SlaMonth): computing the rows of
(organisation, month) keys from the incidents, escalations and RCAs, refreshing the keys the
database triggers marked, and rebuilding everything.

A refresh computes with the same definitions as the live report (reports.figures), without `now`:
what is breached whatever the time is counted, and the due times still deciding a breach are kept
in `pending` for the report to count at its own `now`. The rows of a key are replaced in one
transaction with the deletion of the marks read, so a report reads either the old rows and the
marks (and refreshes again) or the new rows. Refreshes and rebuilds write one at a time (a
PostgreSQL advisory lock held by the writing transaction), so two readers refreshing the same keys
at once never insert the same row twice; the second finds the marks gone and reads.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Max, Min, Q, When
from django.utils import timezone

from opsdesk.incidents.escalations.models import Escalation
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.reports import figures
from opsdesk.incidents.reports.models import RollupMark, SlaMonth

#: Which organisations' rows of each month (first day): a set, or None for all of them.
Scope = dict[dt.date, set[int] | None]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UTC = dt.UTC


def epoch_us(value: dt.datetime) -> int:
    """Microseconds since the epoch: due times compared exactly, stored as JSON integers."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _where(scope: Scope, field: str, organisation: str) -> Q:
    where = Q(pk__in=[])
    for month, organisations in scope.items():
        start, end = figures.month_bounds(month)
        part = Q(**{f"{field}__gte": start, f"{field}__lt": end})
        if organisations is not None:
            part &= Q(**{f"{organisation}__in": sorted(organisations)})
        where |= part
    return where


def compute(scope: Scope) -> list[SlaMonth]:
    """The roll-up rows of `scope`, computed (not saved): 5 queries (7 on SQLite)."""
    computed_at = timezone.now()
    rows: dict[tuple[int, str, dt.date], SlaMonth] = {}

    def row(org_id: int, priority: str, month: Any) -> SlaMonth:
        key = (org_id, priority, figures.month_of(month))
        if key not in rows:
            rows[key] = SlaMonth(
                organisation_id=org_id, priority=priority, month=key[2], escalations={}, pending={},
                computed_at=computed_at,
            )  # fmt: skip
        return rows[key]

    incidents = Incident.objects.filter(_where(scope, "logged_at", "organisation_id"))
    for g in figures.incident_groups(incidents):
        r = row(g["organisation_id"], g["priority"], g["month"])
        r.logged = g["logged"]
        r.paused_seconds = int(g["paused"] or 0)
        for target in figures.TARGETS:
            setattr(r, f"{target}_met", g[f"{target}_met"])
            setattr(r, f"{target}_breached", g[f"{target}_breached"])
        for measure in ("respond", "resolve"):
            setattr(r, f"{measure}_count", g[f"{measure}_n"])
            setattr(r, f"{measure}_sum", int(g[f"{measure}_sum"] or 0))
            p90 = g.get(f"{measure}_p90")
            setattr(r, f"{measure}_p90", None if p90 is None else float(p90))
    running = incidents.filter(figures.pending("initial") | figures.pending("considered")).annotate(
        month=figures.by_month("logged_at"),
        initial=Case(When(figures.pending("initial"), then=F("initial_response_due"))),
        considered=Case(When(figures.pending("considered"), then=F("considered_response_due"))),
    )
    for org_id, priority, month, *dues in running.values_list(
        "organisation_id", "priority", "month", "initial", "considered"
    ):
        r = row(org_id, priority, month)
        for target, due in zip(figures.TARGETS, dues, strict=True):
            if due is not None:
                r.pending.setdefault(target, []).append(epoch_us(due))

    escalations = Escalation.objects.filter(_where(scope, "raised_at", "incident__organisation_id"))
    for g in figures.escalation_groups(escalations):
        r = row(g["incident__organisation_id"], g["incident__priority"], g["month"])
        r.escalations[str(g["level__level"])] = g["n"]
    rcas = RootCauseAnalysis.objects.filter(_where(scope, "due_at", "incident__organisation_id"))
    for g in figures.rca_groups(rcas):
        r = row(g["incident__organisation_id"], g["incident__priority"], g["month"])
        r.rca_due, r.rca_on_time, r.rca_late = g["due"], g["on_time"], g["late"]
    unsubmitted = rcas.filter(submitted_at__isnull=True).annotate(month=figures.by_month("due_at"))
    for org_id, priority, month, due in unsubmitted.values_list(
        "incident__organisation_id", "incident__priority", "month", "due_at"
    ):
        row(org_id, priority, month).pending.setdefault("rca", []).append(epoch_us(due))
    for r in rows.values():
        for kind, dues in r.pending.items():
            dues.sort()
            setattr(r, f"{kind}_pending", len(dues))
        if r.pending:
            r.pending_first = _instant(min(dues[0] for dues in r.pending.values()))
            r.pending_last = _instant(max(dues[-1] for dues in r.pending.values()))
    return list(rows.values())


def _instant(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def _write(scope: Scope) -> int:
    rows = compute(scope)
    SlaMonth.objects.filter(_where_rows(scope)).delete()
    SlaMonth.objects.bulk_create(rows, batch_size=2_000)
    return len(rows)


def _where_rows(scope: Scope) -> Q:
    where = Q(pk__in=[])
    for month, organisations in scope.items():
        part = Q(month=month)
        if organisations is not None:
            part &= Q(organisation_id__in=sorted(organisations))
        where |= part
    return where


def provider_months(utc_month: dt.date) -> list[dt.date]:
    """The provider's months that overlap a UTC month (one or two)."""
    start = dt.datetime(utc_month.year, utc_month.month, 1, tzinfo=_UTC)
    nxt = figures.shift(utc_month, 1)
    end = dt.datetime(nxt.year, nxt.month, 1, tzinfo=_UTC) - dt.timedelta(microseconds=1)
    return sorted({figures.month_of(start), figures.month_of(end)})


def _utc_month(value: dt.datetime) -> dt.date:
    utc = value.astimezone(_UTC)
    return dt.date(utc.year, utc.month, 1)


def _forget(marks: Iterable[tuple[int, int]]) -> None:
    """Deletes the marks read, unless marked again since (a newer generation)."""
    by_generation: dict[int, list[int]] = defaultdict(list)
    for pk, generation in marks:
        by_generation[generation].append(pk)
    for generation, pks in by_generation.items():
        RollupMark.objects.filter(pk__in=pks, generation=generation).delete()


def refresh_marked(
    *, first: dt.date | None = None, last: dt.date | None = None, organisations: set[int] | None = None
) -> int:
    """Recomputes the roll-up rows the triggers marked: those overlapping the provider's months
    `first`..`last` (all when not given) of `organisations` (all when None). One query when
    nothing is marked; otherwise one computation for all the marked keys. Returns the marks done."""
    marks = RollupMark.objects.all()
    if first is not None and last is not None:
        start, end = figures.month_bounds(first, last)
        marks = marks.filter(
            month__gte=_utc_month(start), month__lte=_utc_month(end - dt.timedelta(microseconds=1))
        )
    if organisations is not None:
        marks = marks.filter(organisation_id__in=sorted(organisations))
    return _refresh(marks)


def refresh_all_marked(*, batch: int = 2) -> int:
    """Refreshes every marked key, `batch` UTC months a transaction (the Huey task, the command)."""
    done = 0
    months = sorted(set(RollupMark.objects.values_list("month", flat=True)))
    for i in range(0, len(months), batch):
        done += _refresh(RollupMark.objects.filter(month__in=months[i : i + batch]))
    return done


#: The key of the advisory lock that lets one refresh or rebuild write at a time.
_LOCK = 0x51A_2011


def _serialised() -> None:
    """PostgreSQL: one refresh or rebuild at a time (a transaction-scoped advisory lock), so that
    two never write the same rows (a key's rows are deleted and inserted again); SQLite lets one
    writer in at a time by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])


def _refresh(marks: Any) -> int:
    """Recomputes the keys of `marks`: one query when there are none; otherwise, under the lock,
    the marks read again (another refresh may have done them meanwhile), computed and forgotten."""
    columns = ("pk", "organisation_id", "month", "generation")
    if not list(marks.values_list(*columns)):
        return 0
    with transaction.atomic():
        _serialised()
        read = list(marks.values_list(*columns))
        scope: dict[dt.date, set[int]] = defaultdict(set)
        for _pk, org_id, month, _generation in read:
            for provider_month in provider_months(month):
                scope[provider_month].add(org_id)
        if scope:
            _write(dict(scope))
            _forget((pk, generation) for pk, _org, _month, generation in read)
    return len(read)


def rebuild() -> int:
    """Recomputes the whole roll-up, month after month, in one transaction (reports keep reading
    the old rows until it commits), and forgets the marks read before it began. Returns the rows."""
    bounds = [
        Incident.objects.aggregate(first=Min("logged_at"), last=Max("logged_at")),
        Escalation.objects.aggregate(first=Min("raised_at"), last=Max("raised_at")),
        RootCauseAnalysis.objects.aggregate(first=Min("due_at"), last=Max("due_at")),
    ]
    firsts = [figures.month_of(b["first"]) for b in bounds if b["first"] is not None]
    lasts = [figures.month_of(b["last"]) for b in bounds if b["last"] is not None]
    written = 0
    with transaction.atomic():
        _serialised()
        read = list(RollupMark.objects.values_list("pk", "generation"))
        SlaMonth.objects.all().delete()
        if firsts:
            month, last = min(firsts), max(lasts)
            while month <= last:
                rows = compute({month: None})
                SlaMonth.objects.bulk_create(rows, batch_size=2_000)
                written += len(rows)
                month = figures.shift(month, 1)
        _forget(read)
    return written
