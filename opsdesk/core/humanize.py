"""The one way pages, emails, feeds and explanations write a duration and an instant for people
(issue 9: "3 min overdue", "in 18 h 57 min", "25 h 51 min of business time"; "Wed 2 Dec 2026 16:47
GMT" in the provider's time zone). The API keeps ISO 8601; countdown.js writes the same duration
format in the browser.

Plain Python (Django only looked up for the provider's zone when none is given), so the calendar
engine can use it too.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def duration(seconds: float | dt.timedelta, *, up: bool = False) -> str:
    """A length of time in hours and minutes ("18 h 57 min", "3 min", "25 h"); under a minute,
    "under 1 min". Whole minutes are rounded down, or up with `up` (time left before a deadline)."""
    if isinstance(seconds, dt.timedelta):
        seconds = seconds.total_seconds()
    seconds = abs(seconds)
    minutes = math.ceil(seconds / 60) if up else math.floor(seconds / 60)
    if minutes == 0:
        return "under 1 min"
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def relative(seconds: float) -> str:
    """Time left before (positive) or past (negative) a deadline: "in 18 h 57 min", "3 min overdue"."""
    if seconds > 0:
        return f"in {duration(seconds, up=True)}"
    return f"{duration(seconds)} overdue"


def provider_zone() -> dt.tzinfo:
    """The provider's time zone (settings.TIME_ZONE), in which every page shows instants."""
    from django.conf import settings

    return ZoneInfo(settings.TIME_ZONE)


def when(at: dt.datetime | None, zone: dt.tzinfo | None = None, *, year: bool = True) -> str:
    """An instant as people read it, in the provider's zone: "Wed 2 Dec 2026 16:47 GMT" (without
    the year with year=False: "Wed 2 Dec 16:47 GMT"). Empty for no instant."""
    if at is None:
        return ""
    local = at.astimezone(zone or provider_zone())
    day = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    if year:
        day = f"{day} {local.year}"
    return f"{day} {local:%H:%M} {local.tzname()}"


def day(value: dt.date) -> str:
    """A date as people read it: "Wed 2 Dec 2026"."""
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"
