"""Changes at each level and state for tests and the tenancy walk, built through the services (so
each has its timeline, approvals and audit trail), on the two-tenant test world."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import business_calendar
from opsdesk.changes import services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import StandardChange
from opsdesk.directory import services as directory

LONDON = ZoneInfo("Europe/London")
#: The level-2 steps, in order, up to approval.
L2_PATH = [
    ChangeState.IDENTIFY,
    ChangeState.IMPACT_ASSESSMENT,
    ChangeState.ENGAGEMENT,
    ChangeState.PLANNING,
    ChangeState.APPROVAL,
]
DOCUMENTS = {
    "impact_assessment": "Brief failover of the ALB; level 2 confirmed.",
    "engaged": "Customer DBA, provider cloud engineering.",
    "statement_of_work": "Upgrade RDS 14 -> 16 in the agreed window.",
    "backout_plan": "Restore the pre-change snapshot.",
    "cost_impact": "None: within the managed service.",
    "test_plan": "Application smoke tests by the customer.",
}


def second_approver(world: dict[str, Any], tag: str) -> Any:
    """Another authorised change approver of tenant `tag` (a named contact and its portal user)."""
    key = f"approver2_{tag}"
    if key not in world:
        canary = world[f"org_{tag}"].name.split()[-1]
        contact = directory.contact_create(
            actor=world["admin"],
            organisation=world[f"org_{tag}"],
            name=f"Cara Approver {canary}",
            email=f"cab-{tag}@{canary.lower()}.test",
            is_change_approver=True,
        )
        world[f"approver2_contact_{tag}"] = contact
        world[key] = directory.user_create(
            actor=world["admin"],
            email=f"cab-user-{tag}@{canary.lower()}.test",
            full_name=f"Cara Approver {canary}",
            role="customer",
            password="test-password-123",
            contact=contact.pk,
        )
    return world[key]


def standard_change(world: dict[str, Any]) -> StandardChange:
    if "standard_change" not in world:
        world["standard_change"] = services.standard_change_create(
            actor=world["change_manager"],
            name="Add an IAM user to a group",
            runbook="# Steps\n\n1. Add the user.\n2. Confirm access.",
        )
    return world["standard_change"]


def rfc(world: dict[str, Any], tag: str = "a", *, level: int = 2, by: Any = None, **extra: Any) -> Any:
    """A request for change submitted by the tenant's change approver (customer_<tag>) unless `by`."""
    actor = by or world[f"customer_{tag}"]
    values: dict[str, Any] = {
        "organisation": world[f"org_{tag}"].pk,
        "level": level,
        "title": f"Upgrade the database {world[f'org_{tag}'].name.split()[-1]}",
        "description": "Upgrade RDS PostgreSQL from 14 to 16.",
        "impact_statement": "Up to 5 minutes of read-only mode.",
        "services": [world[f"service_{tag}"].pk],
        "lead_contact": world[f"contact_{tag}"].pk,
    }
    if level == 1:
        values["standard_change"] = standard_change(world).pk
    if level == 3:
        values.update(emergency_reason="incident", incident_id=4242)
    values.update(extra)
    return services.change_create(actor=actor, **values)


def advance(world: dict[str, Any], change: Any, to: str) -> Any:
    """A level-2 change brought through D4 to `to` (at most approval), documented as it goes."""
    change = services.change_update(actor=world["engineer"], change=change, **DOCUMENTS)
    for state in L2_PATH:
        change = services.change_transition(actor=world["engineer"], change=change, to_state=state)
        if state == to:
            break
    return change


def working_hours(days: int = 7, *, hour: int = 10, hours: int = 2) -> tuple[dt.datetime, dt.datetime]:
    """A window inside the uk calendar's core hours (Mon–Fri 09:00–17:00 Europe/London) at least
    `days` ahead, on a weekday that is no bank holiday."""
    day = timezone.now().astimezone(LONDON).date() + dt.timedelta(days=days)
    closed = business_calendar(Calendar.objects.get(name="uk")).closed_dates
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
    return start, start + dt.timedelta(hours=hours)


def schedule(
    world: dict[str, Any], change: Any, window: tuple[dt.datetime, dt.datetime] | None = None, **extra: Any
) -> Any:
    """The change's window agreed by an engineer (in core hours a week ahead unless `window`)."""
    starts_at, ends_at = window or working_hours()
    return services.change_schedule(
        actor=world["engineer"], change=change, starts_at=starts_at, ends_at=ends_at, **extra
    )


def change_at(
    world: dict[str, Any], tag: str, state: str, by: Any = None, *, scheduled: bool = False
) -> Any:
    """A level-2 change of tenant `tag` in `state`, as the services bring one there (submitted by
    the tenant's change approver unless `by`); past approval it has an agreed window (in `scheduled`
    only when asked)."""
    change = rfc(world, tag, by=by)
    if state == ChangeState.CONFIRM_NEED:
        return change
    if state in L2_PATH:
        return advance(world, change, state)
    change = advance(world, change, ChangeState.APPROVAL)
    if state == ChangeState.CONSULTATION:
        return services.change_reject(actor=world["service_desk"], change=change, reason="Needs a window.")
    change = services.change_approve(actor=world["service_desk"], change=change)
    change = services.change_approve(actor=second_approver(world, tag), change=change)
    if state == ChangeState.SCHEDULED and not scheduled:
        return change
    change = schedule(world, change)
    if state == ChangeState.SCHEDULED:
        return change
    change = services.change_transition(
        actor=world["engineer"], change=change, to_state=ChangeState.IMPLEMENTATION
    )
    if state == ChangeState.IMPLEMENTATION:
        return change
    change = services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.TESTING)
    if state == ChangeState.TESTING:
        return change
    change = services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.CLOSED)
    if state == ChangeState.CLOSED:
        return change
    return services.change_review(actor=world["engineer"], change=change, notes="Went to plan.")
