"""A slow, obviously-correct reference for the calendar engine (B2, B3).

It reads only the calendar's configuration (zone, weekly hours, closed dates) and walks time one
minute at a time in UTC, asking of each minute "is the local wall-clock time inside an opening span
of a working, non-closed local date?". Every instant handled here must be a whole minute, and the
calendar's spans must avoid the hours in which its zone changes clocks (wall-clock comparison and
localisation disagree about times that do not exist or exist twice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from opsdesk.calendars.engine import BusinessCalendar

MINUTE = timedelta(minutes=1)
MAX_STEPS = 200_000


def _check(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    assert t.second == 0 and t.microsecond == 0, f"the reference works in whole minutes, got {t}"
    return t


def is_open(cal: BusinessCalendar, t: datetime) -> bool:
    """Is the minute starting at t open?"""
    if cal.always_open:
        return True
    local = t.astimezone(cal.zone)
    if local.date() in cal.closed_dates:
        return False
    wall = local.time()
    for start, end in cal.weekly_hours[local.weekday()]:
        if start <= wall and (end == time(0) or wall < end):
            return True
    return False


def is_business_date(cal: BusinessCalendar, day: date) -> bool:
    return day not in cal.closed_dates and bool(cal.weekly_hours[day.weekday()])


def next_opening(cal: BusinessCalendar, t: datetime) -> datetime:
    x = _check(t)
    for _ in range(MAX_STEPS):
        if is_open(cal, x):
            return x
        x += MINUTE
    raise AssertionError("no opening found")


def add(cal: BusinessCalendar, t: datetime, minutes: int) -> datetime:
    """t + minutes of business time: the first instant at which that many open minutes have passed
    (so an addition that uses up the last minute before a closing ends at the closing)."""
    x = _check(t)
    if minutes == 0:
        return x
    left = minutes
    for _ in range(MAX_STEPS):
        if is_open(cal, x):
            left -= 1
        x += MINUTE
        if left == 0:
            return x
    raise AssertionError("too many steps")


def subtract(cal: BusinessCalendar, t: datetime, minutes: int) -> datetime:
    """t - minutes of business time, stepping backwards: the latest instant that far before t."""
    x = _check(t)
    left = minutes
    for _ in range(MAX_STEPS):
        if left == 0:
            return x
        x -= MINUTE
        if is_open(cal, x):
            left -= 1
    raise AssertionError("too many steps")


def between(cal: BusinessCalendar, a: datetime, b: datetime) -> int:
    """Open minutes in [a, b), negative when b < a."""
    a, b = _check(a), _check(b)
    if b < a:
        return -between(cal, b, a)
    count, x = 0, a
    while x < b:
        count += is_open(cal, x)
        x += MINUTE
    return count


def _local_day_bounds(cal: BusinessCalendar, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=cal.zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.zone).astimezone(UTC)
    return start, end


def day_opening(cal: BusinessCalendar, day: date) -> datetime:
    start, end = _local_day_bounds(cal, day)
    x = start
    while x < end:
        if is_open(cal, x):
            return x
        x += MINUTE
    raise AssertionError(f"{day} is not a business day")


def day_close(cal: BusinessCalendar, t: datetime) -> datetime:
    """The end of the last open minute of the local date of the business day containing t (or the
    next to open)."""
    s = next_opening(cal, t)
    day = s.astimezone(cal.zone).date()
    start, end = _local_day_bounds(cal, day)
    x = end - MINUTE
    while x >= start:
        if is_open(cal, x):
            return x + MINUTE
        x -= MINUTE
    raise AssertionError("unreachable")


def day_length_minutes(cal: BusinessCalendar, day: date) -> int:
    start, end = _local_day_bounds(cal, day)
    return between(cal, start, end)


def next_business_date(cal: BusinessCalendar, day: date, n: int = 1) -> date:
    """The n-th business date after `day` (before it when n < 0)."""
    step = timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        day += step
        while not is_business_date(cal, day):
            day += step
    return day


def next_business_day_at(cal: BusinessCalendar, t: datetime, at: time) -> datetime:
    day = next_opening(cal, t).astimezone(cal.zone).date()
    return datetime.combine(next_business_date(cal, day), at, tzinfo=cal.zone).astimezone(UTC)


def add_business_days(cal: BusinessCalendar, t: datetime, n: int) -> datetime:
    """Keep the business time elapsed in the start day; from an opening, the n-th day's closing."""
    if n == 0:
        return _check(t)
    s = next_opening(cal, t)
    day = s.astimezone(cal.zone).date()
    elapsed = between(cal, day_opening(cal, day), s)
    if elapsed == 0 and n > 0:
        last = next_business_date(cal, day, n - 1)
        return day_close(cal, day_opening(cal, last))
    target = next_business_date(cal, day, n)
    opening = day_opening(cal, target)
    return add(cal, opening, min(elapsed, day_length_minutes(cal, target)))


def response_due(
    cal: BusinessCalendar,
    logged_at: datetime,
    *,
    hours: float | None = None,
    fallback: time | None = None,
    business_days: int | None = None,
) -> datetime:
    """B3, word for word from product.md."""
    if cal.always_open:
        amount = timedelta(days=business_days) if business_days is not None else timedelta(hours=hours)
        return _check(logged_at) + amount
    s = next_opening(cal, logged_at)
    if business_days is not None:
        one_day = day_length_minutes(cal, s.astimezone(cal.zone).date())
        return add(cal, s, business_days * one_day)
    c = add(cal, s, round(hours * 60))
    if c <= day_close(cal, s) or fallback is None:
        return c
    return next_business_day_at(cal, s, fallback)
