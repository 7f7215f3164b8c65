"""Times and records the maintenance tests and the tenancy walk build on."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from opsdesk.maintenance import services
from opsdesk.maintenance.demo import health_event

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


def event_for(world: dict[str, Any], tag: str = "a", **extra: Any) -> dict:
    """An AWS Health scheduled change (RDS) on tenant `tag`'s management account, a fortnight ahead."""
    start = timezone.now() + dt.timedelta(days=14)
    values: dict[str, Any] = {
        "account": world[f"account_{tag}"].account_id,
        "service": "RDS",
        "code": "AWS_RDS_MAINTENANCE_SCHEDULED",
        "category": "scheduledChange",
        "start": start,
        "end": start + dt.timedelta(hours=2),
        "status": "upcoming",
        "description": "Amazon RDS will apply operating-system updates to your DB instance.",
        "entities": ("db-orders",),
        "suffix": f"T{tag.upper()}",
        **extra,
    }
    return health_event(**values)


def notice(world: dict[str, Any], tag: str = "a", *, step: str = "new", **extra: Any):
    """A notice of tenant `tag`, taken to `step` (new, assessed, contacted) by staff."""
    admin = world["admin"]
    made, _created = services.health_event_receive(actor=admin, event=event_for(world, tag, **extra))
    if step in ("assessed", "contacted"):
        made = services.health_notice_assess(
            actor=admin, health_notice=made, impact_level="medium", impact_assessment="Failover of the DB."
        )
    if step == "contacted":
        made = services.health_notice_contact(
            actor=admin, health_notice=made, contact=world[f"contact_{tag}"], method="phone", note="Agreed."
        )
    return made
