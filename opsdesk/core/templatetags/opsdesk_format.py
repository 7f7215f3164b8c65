"""The one duration and date format of every page (core.humanize), as template filters loaded
everywhere (settings.TEMPLATES builtins): `{{ at|when }}`, `{{ at|when_short }}`, `{{ day|day }}`,
`{{ seconds|duration }}`, `{{ due|relative:now }}`."""

from __future__ import annotations

import datetime as dt

from django import template

from opsdesk.core import humanize

register = template.Library()


@register.filter
def when(value: dt.datetime | None) -> str:
    """Like "Wed 2 Dec 2026 16:47 GMT", in the provider's time zone."""
    return humanize.when(value) if value else ""


@register.filter
def when_short(value: dt.datetime | None) -> str:
    """Like "Wed 2 Dec 16:47 GMT" (this year's instants in tables and timelines)."""
    return humanize.when(value, year=False) if value else ""


@register.filter
def day(value: dt.date | None) -> str:
    """Like "Wed 2 Dec 2026"."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(humanize.provider_zone()).date()
    return humanize.day(value)


@register.filter
def duration(value: float | dt.timedelta | None) -> str:
    """Like "18 h 57 min" (a number of seconds or a timedelta)."""
    return "" if value is None else humanize.duration(value)


@register.filter
def relative(value: dt.datetime | None, now: dt.datetime) -> str:
    """Like "in 18 h 57 min" / "3 min overdue", from `now`."""
    return "" if value is None else humanize.relative((value - now).total_seconds())
