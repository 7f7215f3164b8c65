"""Response targets (B3) from the SLA policy (data) and the calendar engine (code)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from opsdesk.calendars.engine import BusinessCalendar, OutsideWindow, TargetExplanation, response_target
from opsdesk.calendars.models import Calendar
from opsdesk.calendars.selectors import calendar_by_name
from opsdesk.calendars.services import business_calendar
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import check_window
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import record_create
from opsdesk.sla.choices import Clock, Priority, TargetKind
from opsdesk.sla.deadlines import Rule, deadline_plan
from opsdesk.sla.models import Deadline, SlaPolicy, SlaTarget

ALWAYS_OPEN_CALENDAR = "24x7"


@dataclass(frozen=True)
class IncidentTargets:
    priority: str
    calendar: Calendar
    clock: BusinessCalendar
    initial_response_due: dt.datetime
    considered_response_due: dt.datetime
    initial_explanation: TargetExplanation
    considered_explanation: TargetExplanation


def check_priority(priority: Any, *, field: str = "priority") -> str:
    if priority not in Priority.values:
        raise ValidationFailed.field(
            field, f"Unknown priority '{priority}'. Use one of {', '.join(Priority.values)}."
        )
    return priority


def default_policy() -> SlaPolicy:
    policy = SlaPolicy.objects.filter(is_default=True).first()
    if policy is None:
        raise ValidationFailed.field("sla_policy", "No default SLA policy is defined.")
    return policy


def policy_for(organisation: Any | None) -> SlaPolicy:
    if organisation is not None and organisation.sla_policy_id:
        return organisation.sla_policy
    return default_policy()


def target_row(policy: SlaPolicy, priority: str) -> SlaTarget:
    check_priority(priority)
    row = next((t for t in policy.targets.all() if t.priority == priority), None)
    if row is None:
        raise ValidationFailed.field("priority", f"The SLA policy '{policy}' has no target for {priority}.")
    return row


def warning_fraction(organisation: Any | None) -> float:
    return policy_for(organisation).warning_fraction


def _clock(row: SlaTarget, business: Calendar) -> Calendar:
    return calendar_by_name(ALWAYS_OPEN_CALENDAR) if row.clock == Clock.ALWAYS else business


def _targets(policy: SlaPolicy, priority: str, logged_at: dt.datetime, business: Calendar) -> IncidentTargets:
    if logged_at.tzinfo is None or logged_at.utcoffset() is None:
        raise ValidationFailed.field(
            "logged_at", "A timestamp needs a UTC offset, e.g. 2026-12-01T16:30:00+00:00."
        )
    check_window(logged_at, field="logged_at")
    row = target_row(policy, priority)
    calendar = _clock(row, business)
    clock = business_calendar(calendar)
    results = {}
    for kind in TargetKind.values:
        hours, fallback, days = row.rule(kind)
        try:
            results[kind] = response_target(
                clock, logged_at, hours=hours, fallback=fallback, business_days=days
            )
        except OutsideWindow as exc:  # a target beyond the engine's years, from a rule's huge amount
            raise ValidationFailed.field("logged_at", str(exc))
    return IncidentTargets(
        priority=priority,
        calendar=calendar,
        clock=clock,
        initial_response_due=results[TargetKind.INITIAL].due,
        considered_response_due=results[TargetKind.CONSIDERED].due,
        initial_explanation=results[TargetKind.INITIAL].explanation,
        considered_explanation=results[TargetKind.CONSIDERED].explanation,
    )


def incident_targets(*, organisation: Any, priority: str, logged_at: dt.datetime) -> IncidentTargets:
    """B3 targets of an incident of `organisation` logged at `logged_at`."""
    return _targets(policy_for(organisation), priority, logged_at, organisation.calendar)


def response_deadline_plans(
    *, organisation: Any, priority: str, logged_at: dt.datetime, paused_seconds: int = 0
) -> tuple[IncidentTargets, dict[str, Deadline]]:
    """B3/B6: an incident's targets (with their explanations) and its initial and considered
    response deadlines, planned but not stored (by TargetKind), warned at the policy's fraction
    and moved by the business time already paused (B4)."""
    policy = policy_for(organisation)
    targets = _targets(policy, priority, logged_at, organisation.calendar)
    row = target_row(policy, priority)
    plans = {}
    for kind in TargetKind.values:
        hours, fallback, days = row.rule(kind)
        plans[kind] = deadline_plan(
            calendar=targets.calendar,
            start=logged_at,
            rule=Rule(hours=hours, fallback=fallback, business_days=days),
            warning_fraction=policy.warning_fraction,
            paused_seconds=paused_seconds,
        )
    return targets, plans


def targets_on_calendar(
    *, priority: str, logged_at: dt.datetime, calendar: str = "uk", policy: SlaPolicy | None = None
) -> IncidentTargets:
    """ "When is this due?" for a calendar by name (the `opsdesk sla targets` command and its API, L5)."""
    check_priority(priority)
    return _targets(policy or default_policy(), priority, logged_at, calendar_by_name(calendar))


def parse_instant(value: str, *, field: str = "logged_at") -> dt.datetime:
    """A client's ISO 8601 instant: with a UTC offset and inside 1970–2100 (core.limits)."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ValidationFailed.field(field, f"'{value}' is not an ISO 8601 timestamp.")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationFailed.field(field, f"'{value}' has no UTC offset, e.g. 2026-12-01T16:30:00+00:00.")
    return check_window(parsed, field=field, shown=value.strip())


def targets_as_dict(targets: IncidentTargets, logged_at: dt.datetime) -> dict[str, str]:
    """The exact shape of sla-examples.md: times in ISO 8601 with the calendar's UTC offset."""
    zone = targets.clock.zone
    return {
        "priority": targets.priority,
        "logged_at": logged_at.astimezone(zone).isoformat(),
        "calendar": targets.calendar.name,
        "initial_response_due": targets.initial_response_due.astimezone(zone).isoformat(),
        "considered_response_due": targets.considered_response_due.astimezone(zone).isoformat(),
    }


def policy_create(
    *,
    actor: Any,
    name: str,
    description: str = "",
    warning_fraction: float = 0.8,
    targets: list[dict[str, Any]],
) -> SlaPolicy:
    """A provider-defined policy (B3): one target row per priority P1–P4."""
    require_permission(actor, "sla.manage")
    priorities = [t.get("priority") for t in targets]
    if sorted(priorities) != sorted(Priority.values):
        raise ValidationFailed.field(
            "targets", f"Give exactly one target for each of {', '.join(Priority.values)}."
        )
    with transaction.atomic():
        policy = record_create(
            actor=actor, obj=SlaPolicy(name=name, description=description, warning_fraction=warning_fraction)
        )
        for i, data in enumerate(targets):
            try:
                record_create(actor=actor, obj=SlaTarget(policy=policy, **data))
            except ValidationFailed as exc:
                raise ValidationFailed(
                    exc.detail,
                    [{"field": f"targets.{i}.{e['field']}", "message": e["message"]} for e in exc.errors],
                )
        return policy
