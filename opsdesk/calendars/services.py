"""Calendars in the database turned into engine calendars, and the writes that change them (B1, B5).

Every write that changes when a calendar is open bumps the calendar's version. Engine calendars
are cached per (id, version), so every process sees a change as soon as it reads the row again;
the cache holds the CALENDAR_CACHE_SIZE most recently used calendars (each engine calendar keeps
a bounded span table, see engine.KEPT_YEARS_MAX), so neither many calendars nor many changes grow it.
The open targets on a changed calendar are recomputed after commit by a task; a periodic sweep
re-runs any recomputation that a dead worker left undone (recomputed_version < version).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import F

from opsdesk.calendars.engine import WINDOW_LAST_YEAR, BusinessCalendar, OutsideWindow
from opsdesk.calendars.models import Calendar, Closure, ClosureSource, WorkingHours
from opsdesk.calendars.selectors import calendar_by_name
from opsdesk.calendars.tasks import recompute_calendar_targets
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import check_window
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import record_create, record_delete, record_update

HOLIDAY_YEARS = range(2015, 2046)
#: How many engine calendars a process keeps (least recently used dropped first).
CALENDAR_CACHE_SIZE = 32
_cache: OrderedDict[tuple[int, int, dt.datetime], BusinessCalendar] = OrderedDict()
_cache_lock = threading.Lock()


@functools.lru_cache(maxsize=32)
def _holidays(country: str, subdivision: str) -> dict[dt.date, str]:
    if not country:
        return {}
    import holidays

    return dict(
        holidays.country_holidays(country, subdiv=subdivision or None, years=list(HOLIDAY_YEARS)).items()
    )


def business_calendar(calendar: Calendar) -> BusinessCalendar:
    """The engine calendar of a database calendar, cached until the calendar's version changes.
    The key holds `updated_at` too: a calendar created in a transaction that rolled back may leave
    its id and version 1 to the next one (SQLite reuses ids), which must not get the old rules."""
    key = (calendar.pk, calendar.version, calendar.updated_at)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    if calendar.always_open:
        built = BusinessCalendar(calendar.timezone, {}, (), always_open=True)
    else:
        weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for row in WorkingHours.objects.filter(calendar=calendar).order_by("weekday", "start"):
            weekly.setdefault(row.weekday, []).append((row.start, row.end))
        closed = dict(_holidays(calendar.holiday_country, calendar.holiday_subdivision))
        for closure in Closure.objects.filter(calendar=calendar):
            closed[closure.date] = closure.reason or "closed"
        built = BusinessCalendar(calendar.timezone, weekly, closed)
    with _cache_lock:
        for stale in [k for k in _cache if k[0] == calendar.pk]:
            del _cache[stale]
        _cache[key] = built
        while len(_cache) > CALENDAR_CACHE_SIZE:
            _cache.popitem(last=False)
    return built


#: The most working days one question may add: about 38 years, far beyond any deadline of the
#: contract (the longest is 10), and small enough that a typo cannot ask for centuries of spans.
WORKING_DAYS_MAX = 10_000


def add_working_days(*, calendar: Calendar | str, start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` on a calendar (a Calendar or its name): `start`
    itself never counts; weekends and the calendar's closed days are skipped (C6, D3, E2, H2). The
    one way a domain turns "N working days" into a due date (RCA, change levels, maintenance notice,
    order acceptance) and what `opsdesk calendar add-working-days` answers. Raises ValidationFailed
    naming calendar, start or days."""
    if isinstance(start, dt.datetime) or not isinstance(start, dt.date):
        raise ValidationFailed.field("start", f"Expected a date, got {start!r}.")
    check_window(start, field="start")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= WORKING_DAYS_MAX:
        raise ValidationFailed.field(
            "days", f"'{days}' is not a number of working days from 0 to {WORKING_DAYS_MAX:,}."
        )
    if isinstance(calendar, str):
        calendar = calendar_by_name(calendar)
    try:
        return business_calendar(calendar).add_working_days(start, days)
    except OutsideWindow:  # start is inside 1970–2100, so the answer lies too far ahead
        raise ValidationFailed.field(
            "days", f"{days:,} working days after {start:%Y-%m-%d} lie beyond {WINDOW_LAST_YEAR}, the last"
            " year the calendars cover."
        )


def _changed(calendar: Calendar) -> Calendar:
    """Bump the version (invalidating caches) and, once the change commits, have the task send
    calendar_changed (calendars.signals) so the deadlines on the calendar are recomputed (B5)."""
    Calendar.objects.filter(pk=calendar.pk).update(version=F("version") + 1)
    calendar.refresh_from_db()
    transaction.on_commit(lambda: recompute_calendar_targets(calendar.pk))
    return calendar


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field("timezone", f"Unknown time zone '{name}' (expected e.g. Europe/London).")


def _spans(weekly_hours: Mapping[int, Sequence[tuple[dt.time, dt.time]]]) -> list[WorkingHours]:
    rows = []
    for weekday, spans in weekly_hours.items():
        if not 0 <= int(weekday) <= 6:
            raise ValidationFailed.field(
                "weekly_hours", f"Weekday {weekday} is not 0 (Monday) to 6 (Sunday)."
            )
        for start, end in spans:
            rows.append(WorkingHours(weekday=int(weekday), start=start, end=end))
    try:
        BusinessCalendar("UTC", {r.weekday: [] for r in rows} | _group(rows))
    except ValueError as exc:
        raise ValidationFailed.field("weekly_hours", str(exc))
    return rows


def _group(rows: list[WorkingHours]) -> dict[int, list[tuple[dt.time, dt.time]]]:
    grouped: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for r in rows:
        grouped.setdefault(r.weekday, []).append((r.start, r.end))
    return grouped


def _check_holiday_source(country: str, subdivision: str) -> None:
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationFailed.field(
            "holiday_country", f"No holidays known for '{country}' (e.g. GB, IE, US)."
        )
    if subdivision and subdivision not in supported[country]:
        raise ValidationFailed.field(
            "holiday_subdivision",
            f"'{subdivision}' is not a subdivision of {country} (e.g. {supported[country][0]}).",
        )


def calendar_create(
    *,
    actor: Any,
    name: str,
    timezone: str = "Europe/London",
    description: str = "",
    always_open: bool = False,
    weekly_hours: Mapping[int, Sequence[tuple[dt.time, dt.time]]] | None = None,
    holiday_country: str = "",
    holiday_subdivision: str = "",
) -> Calendar:
    require_permission(actor, "calendars.manage")
    _check_timezone(timezone)
    rows = _spans(weekly_hours or {}) if not always_open else []
    if not always_open and not rows:
        raise ValidationFailed.field(
            "weekly_hours", "A calendar that is not always open needs working hours."
        )
    if holiday_country:
        _check_holiday_source(holiday_country, holiday_subdivision)
    with transaction.atomic():
        calendar = record_create(
            actor=actor,
            obj=Calendar(
                name=name,
                timezone=timezone,
                description=description,
                always_open=always_open,
                holiday_country=holiday_country,
                holiday_subdivision=holiday_subdivision,
            ),
        )
        for row in rows:
            row.calendar = calendar
            record_create(actor=actor, obj=row)
        return calendar


def working_hours_set(
    *, actor: Any, calendar: Calendar, weekly_hours: Mapping[int, Sequence[tuple[dt.time, dt.time]]]
) -> Calendar:
    """Replace the weekly hours (B5: open targets on the calendar are recomputed)."""
    require_permission(actor, "calendars.manage")
    if calendar.always_open:
        raise ValidationFailed.field("weekly_hours", "A 24x7 calendar has no working hours.")
    rows = _spans(weekly_hours)
    if not rows:
        raise ValidationFailed.field(
            "weekly_hours", "A calendar that is not always open needs working hours."
        )
    with transaction.atomic():
        for old in WorkingHours.objects.filter(calendar=calendar):
            record_delete(actor=actor, obj=old)
        for row in rows:
            row.calendar = calendar
            record_create(actor=actor, obj=row)
        return _changed(calendar)


def closure_add(
    *, actor: Any, calendar: Calendar, date: dt.date, reason: str = "", source: str = ClosureSource.MANUAL
) -> Closure:
    require_permission(actor, "calendars.manage")
    if calendar.always_open:
        raise ValidationFailed.field("calendar", "A 24x7 calendar cannot close.")
    check_window(date, field="date")
    if Closure.objects.filter(calendar=calendar, date=date).exists():
        raise ValidationFailed.field("date", f"{calendar} is already closed on {date:%Y-%m-%d}.")
    with transaction.atomic():
        closure = record_create(
            actor=actor, obj=Closure(calendar=calendar, date=date, reason=reason, source=source)
        )
        _changed(calendar)
        return closure


def closure_remove(*, actor: Any, closure: Closure) -> None:
    require_permission(actor, "calendars.manage")
    with transaction.atomic():
        calendar = closure.calendar
        record_delete(actor=actor, obj=closure)
        _changed(calendar)


def closures_import_ics(*, actor: Any, calendar: Calendar, content: bytes) -> list[Closure]:
    """Closed days from an iCalendar file: every all-day VEVENT (multi-day events close each day).
    Days already closed are skipped; a file that cannot be read is refused as a whole."""
    require_permission(actor, "calendars.manage")
    if calendar.always_open:
        raise ValidationFailed.field("calendar", "A 24x7 calendar cannot close.")
    import icalendar

    try:
        parsed = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError) as exc:
        raise ValidationFailed.field("file", f"Not a readable iCalendar file: {exc}")
    wanted: dict[dt.date, str] = {}
    for event in parsed.walk("VEVENT"):
        start = event.get("DTSTART")
        if start is None:
            continue
        timed = isinstance(start.dt, dt.datetime)
        first = start.dt.date() if timed else start.dt
        check_window(first, field="file")
        end = event.get("DTEND")
        end = end.dt if end is not None else None
        if isinstance(end, dt.datetime):  # a timed event closes every day it touches
            final = end.date()
        elif isinstance(end, dt.date) and not timed and end > first:  # an all-day DTEND is exclusive
            final = end - dt.timedelta(days=1)
        else:
            final = first
        check_window(final, field="file")
        summary = str(event.get("SUMMARY", "")).strip()[:200]
        day = first
        while day <= final and len(wanted) <= 3660:
            wanted.setdefault(day, summary)
            day += dt.timedelta(days=1)
    if not wanted:
        raise ValidationFailed.field("file", "The file has no events to import.")
    existing = set(
        Closure.objects.filter(calendar=calendar, date__in=list(wanted)).values_list("date", flat=True)
    )
    with transaction.atomic():
        created = [
            record_create(
                actor=actor,
                obj=Closure(
                    calendar=calendar, date=day, reason=reason or "imported", source=ClosureSource.ICALENDAR
                ),
            )
            for day, reason in sorted(wanted.items())
            if day not in existing
        ]
        if created:
            _changed(calendar)
        return created


def calendar_update(
    *, actor: Any, calendar: Calendar, expected_version: int | None = None, **changes: Any
) -> Calendar:
    require_permission(actor, "calendars.manage")
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    with transaction.atomic():
        updated = record_update(actor=actor, obj=calendar, changes=changes, expected_version=expected_version)
        return _changed(updated)
