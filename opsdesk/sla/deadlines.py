"""Deadlines as data (architecture.md › sla): the one service that sets, pauses, resumes, meets,
closes and explains a due time of any domain, the one sweep that records warnings and breaches
(B6), and the one recomputation after a calendar change (B5) that covers every kind.

An owner (an incident, an RCA, an escalation level) keeps its own copies of the instants it shows
or sorts by; sla tells it when they move through the signals in sla.signals, which sla sends and
never imports a receiver of.

Instants are whole seconds (start, pauses, due times), so the bulk recomputation, which works in
integer epoch seconds, gives exactly what the scalar engine gives.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import BigIntegerField, Func, Q
from django.utils import timezone

from opsdesk.calendars.engine import (
    BusinessCalendar,
    add_business_days_bulk,
    add_business_seconds_bulk,
    business_seconds_between_bulk,
    response_due,
    response_due_bulk,
    response_target,
)
from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import business_calendar
from opsdesk.core import humanize
from opsdesk.core.audit import audit_record
from opsdesk.core.models import AuditAction
from opsdesk.core.writebehind import write_behind, write_behind_possible
from opsdesk.sla import signals
from opsdesk.sla.models import Deadline

UTC = dt.UTC
#: B5: deadlines recomputed per transaction.
RECOMPUTE_BATCH = 20_000
#: B6: the sweep reads at most this many due deadlines of each sort per query.
SWEEP_BATCH = 1_000


@dataclass(frozen=True)
class Rule:
    """How a deadline's due time follows from its start: `hours` of business time (with an
    optional `fallback` "by HH:MM next business day") or `business_days` (the start day's length ×
    n), both the B3 rule; or `working_days` (B7: n working days, add_business_days)."""

    hours: float | None = None
    fallback: dt.time | None = None
    business_days: int | None = None
    working_days: int | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.hours, self.business_days, self.working_days) if v is not None]
        if len(given) != 1:
            raise ValueError("A deadline rule is exactly one of hours, business_days, working_days.")


class Moved(NamedTuple):
    """One deadline moved by a recomputation, as its owner needs it (epoch seconds)."""

    owner_id: int
    kind: str
    due_at: int
    warn_at: int | None


@dataclass(frozen=True)
class MovedSet:
    """The deadlines of one owner type moved by one batch of a recomputation, as arrays (owner
    ids, kinds, due and warning instants as epoch seconds, -1 for no warning instant): an owner
    with many (incidents) writes its copies from the arrays, one with few iterates Moved rows."""

    owner_ids: np.ndarray
    kinds: np.ndarray
    due_at: np.ndarray
    warn_at: np.ndarray

    def __len__(self) -> int:
        return len(self.owner_ids)

    def __iter__(self):
        for owner_id, kind, due, warn in zip(
            self.owner_ids.tolist(),
            self.kinds.tolist(),
            self.due_at.tolist(),
            self.warn_at.tolist(),
            strict=True,
        ):
            yield Moved(owner_id, kind, due, None if warn < 0 else warn)


def _whole(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("A deadline instant needs a UTC offset.")
    return at.astimezone(UTC).replace(microsecond=0)


def _base_due(clock: BusinessCalendar, start: dt.datetime, rule: Rule) -> dt.datetime:
    if rule.working_days is not None:
        return clock.add_business_days(start, rule.working_days)
    return response_due(
        clock, start, hours=rule.hours, fallback=rule.fallback, business_days=rule.business_days
    )


def warning_instant(
    clock: BusinessCalendar, start: dt.datetime, due: dt.datetime, fraction: float
) -> dt.datetime:
    """B6: the instant at `fraction` of a deadline, in business time from its start to its due."""
    total = int(clock.business_time_between(start, due).total_seconds())
    return clock.add_business_time(start, dt.timedelta(seconds=math.floor(total * fraction)))


def _rule_of(deadline: Deadline) -> Rule:
    return Rule(
        hours=deadline.hours,
        fallback=deadline.fallback,
        business_days=deadline.business_days,
        working_days=deadline.working_days,
    )


def deadline_plan(
    *,
    calendar: Calendar,
    start: dt.datetime,
    rule: Rule,
    warning_fraction: float | None = None,
    paused_seconds: int = 0,
) -> Deadline:
    """A deadline computed but not stored (no owner yet): for an owner that needs its due time
    before it has an id. Store it with deadline_set(plan=...)."""
    start = _whole(start)
    clock = business_calendar(calendar)
    base = _base_due(clock, start, rule)
    warn = warning_instant(clock, start, base, warning_fraction) if warning_fraction is not None else None
    paused = dt.timedelta(seconds=paused_seconds)
    if paused_seconds:
        base = clock.add_business_time(base, paused)
        warn = clock.add_business_time(warn, paused) if warn is not None else None
    return Deadline(
        calendar=calendar,
        start_at=start,
        hours=rule.hours,
        fallback=rule.fallback,
        business_days=rule.business_days,
        working_days=rule.working_days,
        warning_fraction=warning_fraction,
        due_at=base.astimezone(UTC),
        warn_at=warn.astimezone(UTC) if warn is not None else None,
        paused_seconds=paused_seconds,
    )


def deadline_set(
    *,
    owner_type: str,
    owner_id: int,
    kind: str,
    plan: Deadline | None = None,
    calendar: Calendar | None = None,
    start: dt.datetime | None = None,
    rule: Rule | None = None,
    warning_fraction: float | None = None,
) -> Deadline:
    """Store the deadline of `kind` of an owner, from a plan (deadline_plan) or from its calendar,
    start and rule. Setting it again (a priority change) replaces the rule and due time and keeps
    what was recorded: pause state, warnings and breaches already sent."""
    if plan is None:
        assert calendar is not None and start is not None and rule is not None
        plan = deadline_plan(calendar=calendar, start=start, rule=rule, warning_fraction=warning_fraction)
    fields = {
        name: getattr(plan, name)
        for name in (
            "calendar",
            "start_at",
            "hours",
            "fallback",
            "business_days",
            "working_days",
            "warning_fraction",
            "due_at",
            "warn_at",
            "paused_seconds",
        )
    }
    deadline, _created = Deadline.objects.update_or_create(
        owner_type=owner_type, owner_id=owner_id, kind=kind, defaults=fields
    )
    return deadline


def deadlines_of(*, owner_type: str, owner_id: int) -> dict[str, Deadline]:
    """The deadlines of one owner by kind."""
    return {
        d.kind: d
        for d in Deadline.objects.filter(owner_type=owner_type, owner_id=owner_id).select_related("calendar")
    }


def _running(owner_type: str, owner_ids: Iterable[int]):
    return Deadline.objects.filter(
        owner_type=owner_type, owner_id__in=list(owner_ids), met_at__isnull=True, closed_at__isnull=True
    )


def deadline_pause(*, owner_type: str, owner_id: int, at: dt.datetime) -> int:
    """B4: the owner's running deadlines stop counting at `at` (waiting on the customer)."""
    return _running(owner_type, [owner_id]).filter(paused_at__isnull=True).update(paused_at=_whole(at))


def deadline_resume(*, owner_type: str, owner_id: int, at: dt.datetime) -> int:
    """B4: the business time paused since paused_at moves each paused deadline (and its warning)
    forward; returns the business seconds paused (the longest, when deadlines differ)."""
    at = _whole(at)
    longest = 0
    for deadline in (
        _running(owner_type, [owner_id]).filter(paused_at__isnull=False).select_related("calendar")
    ):
        clock = business_calendar(deadline.calendar)
        paused = max(0, int(clock.business_time_between(deadline.paused_at, at).total_seconds()))
        longest = max(longest, paused)
        changes: dict[str, Any] = {"paused_at": None, "paused_seconds": deadline.paused_seconds + paused}
        if paused:
            delta = dt.timedelta(seconds=paused)
            changes["due_at"] = clock.add_business_time(deadline.due_at, delta).astimezone(UTC)
            if deadline.warn_at is not None:
                changes["warn_at"] = clock.add_business_time(deadline.warn_at, delta).astimezone(UTC)
        Deadline.objects.filter(pk=deadline.pk).update(**changes)
    return longest


def deadline_meet(*, owner_type: str, owner_id: int, kind: str, at: dt.datetime) -> bool:
    """The deadline is met at `at` (an acknowledgement, a considered response, a submitted report):
    it stops running; it keeps its due time. False when it was not running."""
    return bool(_running(owner_type, [owner_id]).filter(kind=kind).update(met_at=_whole(at), paused_at=None))


def deadlines_close(*, owner_type: str, owner_ids: Iterable[int], at: dt.datetime) -> int:
    """The owners ended without meeting their running deadlines (an incident resolved or closed, an
    escalation moved up or closed): they stop running and are never warned or breached."""
    return _running(owner_type, owner_ids).update(closed_at=_whole(at), paused_at=None)


def deadline_explain(deadline: Deadline) -> list[str]:
    """Why the deadline is due when it is, step by step, on the calendar as it is now: the engine's
    explanation of the rule (TargetExplanation.steps), then the business time paused (B4), its last
    step always the stored due time. Instants in the provider's zone, in the one format of pages
    (core.humanize)."""
    clock = business_calendar(deadline.calendar)
    rule = _rule_of(deadline)
    zone = humanize.provider_zone()
    if rule.working_days is not None:
        due = clock.add_business_days(deadline.start_at, rule.working_days)
        days = "1 working day" if rule.working_days == 1 else f"{rule.working_days} working days"
        steps = [
            f"Started {humanize.when(deadline.start_at, zone)} on the {deadline.calendar} calendar.",
            f"{days.capitalize()} later, closed days not counted: due {humanize.when(due, zone)}.",
        ]
        periods = clock.closed_periods(deadline.start_at, due)
        if periods:
            listed = "; ".join(
                f"{humanize.when(p.start, zone)} to {humanize.when(p.end, zone)} ({p.reason})"
                for p in periods
            )
            steps.insert(1, f"Closed time not counted: {listed}.")
    else:
        target = response_target(
            clock,
            deadline.start_at,
            hours=rule.hours,
            fallback=rule.fallback,
            business_days=rule.business_days,
            display_zone=zone,
        )
        steps = list(target.explanation.steps)
    if deadline.paused_seconds:
        steps.append(
            f"Paused for {humanize.duration(deadline.paused_seconds)} of business time (waiting on the "
            f"customer): due {humanize.when(deadline.due_at, zone)}."
        )
    if deadline.paused_at is not None:
        steps.append(f"Paused since {humanize.when(deadline.paused_at, zone)}.")
    return steps


# --- warnings and breaches (B6) ------------------------------------------------------------------


def _due(kind: str, now: dt.datetime):
    """Running, unpaused deadlines whose warning (or due) instant has passed and is not yet recorded:
    one query on a partial index (Deadline.Meta.indexes: keyed by the start, which is before both)."""
    running = Q(met_at__isnull=True, closed_at__isnull=True, paused_at__isnull=True, start_at__lte=now)
    if kind == "warning":
        return Deadline.objects.filter(running, warned_at__isnull=True, warn_at__lte=now)
    return Deadline.objects.filter(running, breached_at__isnull=True, due_at__lte=now)


def deadlines_sweep(*, now: dt.datetime | None = None) -> int:
    """B6: record each warning and each breach of every kind once, and tell the owner (who records
    its events and notifies) in the same transaction. The state lives in the rows: a second run, or
    a concurrent worker (rows claimed with SKIP LOCKED on PostgreSQL), records nothing twice, and a
    run that died is finished by the next one. Returns how many were recorded."""
    now = _whole(now or timezone.now())
    recorded = 0
    for kind, field, instant, signal in (
        ("warning", "warned_at", "warn_at", signals.deadline_warned),
        ("breach", "breached_at", "due_at", signals.deadline_breached),
    ):
        while True:
            ids = list(_due(kind, now).order_by(instant, "pk").values_list("pk", flat=True)[:SWEEP_BATCH])
            done = 0
            for pk in ids:
                done += _record(pk, kind=kind, field=field, instant=instant, signal=signal, now=now)
            recorded += done
            if len(ids) < SWEEP_BATCH or not done:
                break
    return recorded


def _record(pk: int, *, kind: str, field: str, instant: str, signal: Any, now: dt.datetime) -> int:
    try:
        with transaction.atomic():
            deadline = _due(kind, now).select_for_update(skip_locked=True).filter(pk=pk).first()
            if deadline is None:  # recorded, met, paused or moved since read, or another worker's
                return 0
            setattr(deadline, field, getattr(deadline, instant))
            Deadline.objects.filter(pk=pk).update(**{field: getattr(deadline, instant)})
            signal.send(sender=Deadline, deadline=deadline)
            return 1
    except signals.Postpone:  # its owner is busy: rolled back, the next run records it
        return 0


# --- recomputation after a calendar change (B5) ---------------------------------------------------


class Epoch(Func):
    """A timestamp as integer epoch seconds, in SQL (so bulk jobs read numbers, not datetimes)."""

    output_field = BigIntegerField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)"
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="unixepoch(%(expressions)s)")


_COLUMNS = (
    "pk",
    "owner_type",
    "owner_id",
    "kind",
    "start_epoch",
    "hours",
    "fallback",
    "business_days",
    "working_days",
    "warning_fraction",
    "paused_seconds",
    "due_epoch",
    "warn_epoch",
)

_NONE = -1  # a missing warning instant, in int64 arrays


@dataclass(frozen=True)
class _Updates:
    """Deadlines whose instants move, as arrays in step (epoch seconds; -1: no warning instant)."""

    pk: np.ndarray
    owner_type: np.ndarray
    owner_id: np.ndarray
    kind: np.ndarray
    due: np.ndarray
    warn: np.ndarray
    old_due: np.ndarray
    old_warn: np.ndarray

    def __len__(self) -> int:
        return len(self.pk)

    def __add__(self, other: _Updates) -> _Updates:
        return _Updates(
            *(np.concatenate([a, b]) for a, b in zip(self._arrays(), other._arrays(), strict=True))
        )

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self.pk,
            self.owner_type,
            self.owner_id,
            self.kind,
            self.due,
            self.warn,
            self.old_due,
            self.old_warn,
        )

    def take(self, index: np.ndarray) -> _Updates:
        return _Updates(*(a[index] for a in self._arrays()))


def _updates(rows: list[tuple], due: np.ndarray, warn: np.ndarray, old_due: np.ndarray, old_warn: np.ndarray):
    col = {name: i for i, name in enumerate(_COLUMNS)}
    return _Updates(
        pk=np.asarray([r[0] for r in rows], dtype=np.int64),
        owner_type=np.asarray([r[col["owner_type"]] for r in rows], dtype=object),
        owner_id=np.asarray([r[col["owner_id"]] for r in rows], dtype=np.int64),
        kind=np.asarray([r[col["kind"]] for r in rows], dtype=object),
        due=due,
        warn=warn,
        old_due=old_due,
        old_warn=old_warn,
    )


def _compute(clock: BusinessCalendar, rows: list[tuple]) -> _Updates:
    """The rows whose due or warning instant moves, with their new and old instants: the same
    arithmetic as deadline_plan, on arrays, per rule."""
    col = {name: i for i, name in enumerate(_COLUMNS)}
    start = np.asarray([r[col["start_epoch"]] for r in rows], dtype=np.int64)
    paused = np.asarray([r[col["paused_seconds"]] for r in rows], dtype=np.int64)
    old_due = np.asarray([r[col["due_epoch"]] for r in rows], dtype=np.int64)
    old_warn = np.asarray(
        [_NONE if r[col["warn_epoch"]] is None else r[col["warn_epoch"]] for r in rows], dtype=np.int64
    )
    due = old_due.copy()
    warn = old_warn.copy()
    groups: dict[tuple, list[int]] = {}
    rule = [col[n] for n in ("hours", "fallback", "business_days", "working_days", "warning_fraction")]
    for i, r in enumerate(rows):
        groups.setdefault(tuple(r[c] for c in rule), []).append(i)
    for (hours, fallback, business_days, working_days, fraction), indexes in groups.items():
        idx = np.asarray(indexes, dtype=np.int64)
        s = start[idx]
        if working_days is not None:
            base = add_business_days_bulk(clock, s, working_days)
        else:
            base = response_due_bulk(
                clock, s, hours=hours, fallback=fallback, business_days=business_days
            ).astype(np.int64)
        due[idx] = add_business_seconds_bulk(clock, base, paused[idx])
        if fraction is not None:
            total = business_seconds_between_bulk(clock, s, base)
            w = add_business_seconds_bulk(clock, s, np.floor(total * fraction).astype(np.int64))
            warn[idx] = add_business_seconds_bulk(clock, w, paused[idx])
    changed = np.flatnonzero((due != old_due) | (warn != old_warn))
    return _updates(
        [rows[i] for i in changed], due[changed], warn[changed], old_due[changed], old_warn[changed]
    )


def _tell_owners(updates: _Updates) -> None:
    for owner_type in sorted(set(updates.owner_type.tolist())):
        mine = updates.owner_type == owner_type
        moved = MovedSet(updates.owner_id[mine], updates.kind[mine], updates.due[mine], updates.warn[mine])
        signals.deadlines_moved.send(sender=Deadline, owner_type=owner_type, moved=moved)


def copies_write(*, model: Any, moved: MovedSet, fields: dict[str, str]) -> int:
    """B5, for an owner that keeps copies of its deadlines' due times (an RCA's due_at, an
    escalation's targets): the moved deadlines of one batch written into the owner's `fields` (kind
    → field) set-based, one UPDATE per kind whatever the number of owners (PostgreSQL joins
    arrays on id, SQLite runs one prepared UPDATE for all rows). The version moves, so an ETag
    taken before no longer matches. Runs inside the recomputation's batch transaction, before the
    deadlines are written (deadlines_moved). Returns how many owner rows were written."""
    if not len(moved):
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    version, updated_at = (quote(model._meta.get_field(name).column) for name in ("version", "updated_at"))
    now = timezone.now()
    pg = connection.vendor == "postgresql"
    written = 0
    with connection.cursor() as cursor:
        for kind, field in fields.items():
            mine = moved.kinds == kind
            if not mine.any():
                continue
            ids, dues = moved.owner_ids[mine].tolist(), moved.due_at[mine].tolist()
            column = quote(model._meta.get_field(field).column)
            due = "to_timestamp(v.due)" if pg else "datetime(v.due, 'unixepoch')"
            sets = f"{column} = {due}, {version} = t.{version} + 1, {updated_at} = %s"
            if pg:
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, due) "
                    f"WHERE t.{pk} = v.id",
                    [now, ids, dues],
                )
                written += cursor.rowcount
            else:
                stamp = connection.ops.adapt_datetimefield_value(now)
                cursor.executemany(
                    f"UPDATE {table} AS t SET {sets} FROM (SELECT %s AS id, %s AS due) AS v "
                    f"WHERE t.{pk} = v.id",
                    [(stamp, i, d) for i, d in zip(ids, dues, strict=True)],
                )
                written += len(ids)
    return written


def _write(updates: _Updates) -> set[int]:
    """One set-based UPDATE per batch, each row written only if its due and warning instants are
    still those read and it still runs (compare-and-set instead of row locks, so agents are never
    blocked by a recomputation). Returns the ids written."""
    table = connection.ops.quote_name(Deadline._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = (
                f"UPDATE {table} AS t SET due_at = to_timestamp(v.due), "
                "warn_at = CASE WHEN v.warn < 0 THEN NULL ELSE to_timestamp(v.warn) END "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
                "AS v(id, due, warn, old_due, old_warn) "
                "WHERE t.id = v.id AND t.met_at IS NULL AND t.closed_at IS NULL "
                "AND t.due_at = to_timestamp(v.old_due) "
                "AND COALESCE(t.warn_at, 'epoch') = CASE WHEN v.old_warn < 0 THEN 'epoch' "
                "ELSE to_timestamp(v.old_warn) END RETURNING t.id"
            )
            arrays = (updates.pk, updates.due, updates.warn, updates.old_due, updates.old_warn)
            cursor.execute(sql, [a.tolist() for a in arrays])
            return {row[0] for row in cursor.fetchall()}
        # SQLite: the batch's transaction holds the database's write lock, so nothing changed
        # between the read and this write.
        sql = (
            f"UPDATE {table} SET due_at = datetime(%s, 'unixepoch'), "
            "warn_at = CASE WHEN %s < 0 THEN NULL ELSE datetime(%s, 'unixepoch') END WHERE id = %s"
        )
        pks = updates.pk.tolist()
        cursor.executemany(
            sql,
            list(zip(updates.due.tolist(), updates.warn.tolist(), updates.warn.tolist(), pks, strict=True)),
        )
        return set(pks)


def deadlines_recompute(*, calendar: Calendar, actor: Any = None, batch_size: int = RECOMPUTE_BATCH) -> int:
    """B5: recompute the due and warning instants of every running deadline of every kind on
    `calendar` after it changed (a closure added or removed, hours changed), with the business time
    already paused re-applied; met and closed deadlines keep theirs. Returns how many moved.

    Set-based: each batch of running deadlines is read as numbers (epoch seconds computed in SQL),
    computed with numpy through the engine's bulk paths, its owners told (deadlines_moved, so they
    write their copies set-based first: owners before deadlines, the order of the owners' own
    services) and written back with one UPDATE; one transaction per batch. On PostgreSQL outside a
    transaction the writes run behind the reads (core.writebehind: batch k is written on a second
    connection while batch k + 1 is read and computed). Rows that changed
    meanwhile are read again and written again; an owner whose deadline stopped running meanwhile
    is told its true instants. One audit event records the recomputation (L1), not one per row."""
    clock = business_calendar(calendar)
    base = (
        Deadline.objects.filter(calendar=calendar)
        .annotate(start_epoch=Epoch("start_at"), due_epoch=Epoch("due_at"), warn_epoch=Epoch("warn_at"))
        .order_by("pk")
    )
    running = base.filter(met_at__isnull=True, closed_at__isnull=True)

    def read(after: int) -> tuple[list[tuple], _Updates | None]:
        rows = list(running.filter(pk__gt=after).values_list(*_COLUMNS)[:batch_size])
        return rows, (_compute(clock, rows) if rows else None)

    def write(updates: _Updates) -> tuple[_Updates, set[int]]:
        with transaction.atomic():
            _tell_owners(updates)
            return updates, _write(updates)

    written_batches: list[tuple[_Updates, set[int]]] = []
    if write_behind_possible():
        # PostgreSQL, outside a transaction: batch k is written (owners, then deadlines) by a
        # worker while batch k + 1 is read and computed here; the compare-and-set in _write keeps
        # that safe.
        def computed():
            after = 0
            while True:
                rows, updates = read(after)
                if updates is not None and len(updates):
                    yield updates
                if len(rows) < batch_size:
                    return
                after = rows[-1][0]

        written_batches = write_behind(computed(), write)
    else:
        after = 0
        while True:
            with transaction.atomic():  # read and write in one transaction per batch
                rows, updates = read(after)
                if updates is not None and len(updates):
                    written_batches.append(write(updates))
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
    moved = 0
    retry: list[int] = []
    for updates, written in written_batches:
        moved += len(written)
        retry.extend(pk for pk in updates.pk.tolist() if pk not in written)
    for _attempt in range(5):
        if not retry:
            break
        with transaction.atomic():
            rows = list(running.filter(pk__in=retry).values_list(*_COLUMNS))
            updates = _compute(clock, rows) if rows else _updates([], *([np.zeros(0, np.int64)] * 4))
            # Stopped meanwhile (met or closed): the owner is told the deadline's true instants.
            stopped = list(
                base.filter(pk__in=retry).exclude(pk__in=[r[0] for r in rows]).values_list(*_COLUMNS)
            )
            if stopped:
                due = np.asarray([r[_COLUMNS.index("due_epoch")] for r in stopped], dtype=np.int64)
                warn = np.asarray(
                    [
                        _NONE if r[_COLUMNS.index("warn_epoch")] is None else r[_COLUMNS.index("warn_epoch")]
                        for r in stopped
                    ],
                    dtype=np.int64,
                )
                _tell_owners(_updates(stopped, due, warn, due, warn))
            if len(updates):
                _tell_owners(updates)
            written = _write(updates) if len(updates) else set()
            moved += len(written)
            retry = [pk for pk in updates.pk.tolist() if pk not in written]
    if moved:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=calendar,
                before=None,
                after={"deadlines_recomputed": moved, "calendar_version": calendar.version},
                note="deadlines recomputed after calendar change",
            )
    return moved
