"""Times and records the maintenance tests and the tenancy walk build on."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from opsdesk.maintenance import services

LONDON = ZoneInfo("Europe/London")


def next_sunday_at(hour: int, *, after: dt.timedelta = dt.timedelta(days=1)) -> dt.datetime:
    """The first Sunday at `hour`:00 London time that is at least `after` from now."""
    earliest = timezone.now() + after
    day = earliest.astimezone(LONDON).date()
    while True:
        at = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
        if day.weekday() == 6 and at >= earliest:
            return at
        day += dt.timedelta(days=1)


def weekday_noon(days_ahead: int) -> dt.datetime:
    """Noon London time `days_ahead` days from today, moved on to a Monday–Friday."""
    day = timezone.now().astimezone(LONDON).date() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(12), tzinfo=LONDON)


def agreed_window(world: dict[str, Any], tag: str = "a"):
    return services.window_create(
        actor=world["admin"], organisation=world[f"org_{tag}"], weekday=6, start="02:00", end="06:00"
    )


def in_window_maintenance(world: dict[str, Any], tag: str = "a", **extra: Any):
    start = next_sunday_at(3)
    return services.provider_maintenance_create(
        actor=world["admin"],
        organisation=world[f"org_{tag}"],
        title=f"Patch {tag}",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        services=[world[f"service_{tag}"].pk],
        **extra,
    )


def customer_window(world: dict[str, Any], tag: str = "a", *, hours_ahead: int = 48, **extra: Any):
    start = timezone.now() + dt.timedelta(hours=hours_ahead)
    values = {"services": [world[f"service_{tag}"].pk], **extra}
    return services.customer_window_create(
        actor=world[f"customer_{tag}"],
        title=f"Power work {tag}",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
        **values,
    )
