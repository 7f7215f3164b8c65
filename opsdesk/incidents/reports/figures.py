"""How the SLA report's figures are aggregated from incidents, escalations and RCAs: the
conditions (met, breached, still running), the grouped querysets and the 90th percentiles. Shared by
the live aggregation (selectors.sla_report_live, the reference) and the monthly roll-up
(services.compute), so that both count by the same definitions.

What is met and breached (B3, B6):

- a response target is **met** when the response was given at or before its due time;
- it is **breached** when the response was given after it, or not given and the due time passed
  while the clock ran: by now for a running incident, by the pause for a paused one (its due time
  moves on when it resumes, B4), by the resolution for a resolved or closed one;
- otherwise it is still running and counts in neither. Compliance is met ÷ (met + breached).

Only the running case depends on when the report is asked for (`now`); `breached(target)` without
`now` is the rest ("settled"), and `pending(target)` the responses whose due time decides the
running case. Likewise an RCA is late when submitted after its due time (settled) or not submitted
once due (pending until submitted).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from opsdesk.incidents.choices import OPEN_STATES
from opsdesk.incidents.reports.aggregates import Percentile, SecondsBetween, percentile_stream

#: The percentile of the times to respond and resolve.
PERCENTILE = 0.9
TARGETS = ("initial", "considered")
#: PostgreSQL settings for a big GROUP BY, inside its transaction: sort its rows in memory rather
#: than on disk, and no JIT compilation (~150 ms to compile for a query run once).
PG_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")
#: Elapsed seconds from logging to the initial response and to the resolution.
SECONDS = {
    "respond": SecondsBetween("initial_response_at", "logged_at"),
    "resolve": SecondsBetween("resolved_at", "logged_at"),
}


def provider_zone() -> ZoneInfo:
    """The provider's time zone (settings.TIME_ZONE): months begin at its midnight."""
    return timezone.get_default_timezone()


def shift(month: dt.date, by: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The instants from the provider's midnight starting month `first` to the one after `last`."""
    zone = provider_zone()
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(shift(last or first, 1), dt.time(), zone)
    return start, end


def month_of(value: dt.datetime) -> dt.date:
    """The provider's month (first day) of an instant, or of a month TruncMonth returned."""
    local = value.astimezone(provider_zone()) if timezone.is_aware(value) else value
    return dt.date(local.year, local.month, 1)


def by_month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=provider_zone())


def met(target: str) -> Q:
    return Q(**{f"{target}_response_at__lte": F(f"{target}_response_due")})


def pending(target: str) -> Q:
    """A response not given while the incident runs: breached once its due time passes."""
    return Q(
        state__in=sorted(OPEN_STATES),
        paused_at__isnull=True,
        **{f"{target}_response_at__isnull": True, f"{target}_response_due__isnull": False},
    )


def breached(target: str, now: dt.datetime | None = None) -> Q:
    """Breached at `now`; without `now`, breached whatever the time (the settled part)."""
    due, given = f"{target}_response_due", f"{target}_response_at"
    open_states = sorted(OPEN_STATES)
    unmet = Q(**{f"{given}__isnull": True})
    paused = Q(state__in=open_states, paused_at__isnull=False, **{f"{due}__lte": F("paused_at")})
    ended = ~Q(state__in=open_states) & Q(**{f"{due}__lte": Coalesce("resolved_at", "closed_at")})
    settled = Q(**{f"{given}__gt": F(due)}) | (unmet & (paused | ended))
    if now is None:
        return settled
    return settled | (pending(target) & Q(**{f"{due}__lte": now}))


def rca_late(now: dt.datetime | None = None) -> Q:
    """Submitted after its due time; with `now`, also not submitted and due by then."""
    late = Q(submitted_at__gt=F("due_at"))
    return late if now is None else late | Q(submitted_at__isnull=True, due_at__lte=now)


def incident_groups(qs: Any, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The incidents of `qs` grouped by organisation, priority and month logged: counts, sums,
    means and 90th percentiles (one query; on SQLite two more stream the percentiles' values).
    Breaches at `now`, or the settled ones without it."""
    postgres = connection.vendor == "postgresql"
    grouped = qs.annotate(
        month=by_month("logged_at"), respond=SECONDS["respond"], resolve=SECONDS["resolve"]
    ).values("organisation_id", "priority", "month")
    measures: dict[str, Any] = {
        "logged": Count("pk"),
        "paused": Sum("paused_seconds"),
        "respond_n": Count("respond"),
        "respond_sum": Sum("respond"),
        "respond_mean": Avg("respond"),
        "resolve_n": Count("resolve"),
        "resolve_sum": Sum("resolve"),
        "resolve_mean": Avg("resolve"),
    }
    for target in TARGETS:
        measures[f"{target}_met"] = Count("pk", filter=met(target))
        measures[f"{target}_breached"] = Count("pk", filter=breached(target, now))
    if postgres:
        measures["respond_p90"] = Percentile("respond", fraction=PERCENTILE)
        measures["resolve_p90"] = Percentile("resolve", fraction=PERCENTILE)
    groups = aggregate(grouped.annotate(**measures).order_by())
    if not postgres:
        _percentiles_streamed(groups, qs)
    return groups


def aggregate(qs: Any) -> list[dict[str, Any]]:
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
            base.annotate(month=by_month("logged_at"), value=SECONDS[measure])
            .filter(value__isnull=False)
            .order_by("organisation_id", "priority", "month", "value")
            .values_list("organisation_id", "priority", "month", "value")
        )
        found = percentile_stream(
            (((o, p, m), v) for o, p, m, v in values.iterator(chunk_size=2_000)), counts, PERCENTILE
        )
        for g in groups:
            g[f"{measure}_p90"] = found.get((g["organisation_id"], g["priority"], g["month"]))


def escalation_groups(qs: Any) -> Any:
    """Escalations of `qs` by organisation, priority, month raised and level."""
    return (
        qs.annotate(month=by_month("raised_at"))
        .values("incident__organisation_id", "incident__priority", "month", "level__level")
        .annotate(n=Count("pk"))
        .order_by()
    )


def rca_groups(qs: Any, now: dt.datetime | None = None) -> Any:
    """RCAs of `qs` by organisation, priority and month due: due, on time, late (at `now`, or the
    settled ones without it)."""
    return (
        qs.annotate(month=by_month("due_at"))
        .values("incident__organisation_id", "incident__priority", "month")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(submitted_at__lte=F("due_at"))),
            late=Count("pk", filter=rca_late(now)),
        )
        .order_by()
    )
