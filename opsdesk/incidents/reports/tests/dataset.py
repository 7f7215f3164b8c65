"""A hand-built set of incidents, escalations and RCAs whose report is worked out by hand
(test_selectors.py): each row written with the exact instants that make a target met, breached or
still running, so the expected figures follow from the definitions in reports/selectors.py."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk.incidents.escalations.models import Escalation, EscalationCriterion, EscalationLevel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca.models import RootCauseAnalysis

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
#: The instant the report is asked for: mid-April 2026 (London summer time).
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=LONDON)
MIN = dt.timedelta(minutes=1)


def _incident(
    world: dict[str, Any],
    tag: str,
    *,
    priority: str,
    logged: dt.datetime,
    initial_due: int,
    considered_due: int,
    initial_at: int | None = None,
    considered_at: int | None = None,
    resolved: int | None = None,
    state: str | None = None,
    paused: int | None = None,
    paused_seconds: int = 0,
    title: str = "Report case",
) -> Incident:
    """An incident of org `tag` logged at `logged`; the other instants are minutes after it."""

    def at(minutes: int | None) -> dt.datetime | None:
        return None if minutes is None else logged + minutes * MIN

    org = world[f"org_{tag}"]
    state = state or ("resolved" if resolved is not None else "investigating" if initial_at else "new")
    return Incident.objects.create(
        organisation=org,
        service=world[f"service_{tag}"],
        title=title,
        description="Hand-built for the SLA report",
        priority=priority,
        logged_at=logged,
        sla_calendar=org.calendar,
        initial_response_due=at(initial_due),
        considered_response_due=at(considered_due),
        initial_warning_at=at(initial_due),
        considered_warning_at=at(considered_due),
        initial_response_at=at(initial_at),
        considered_response_at=at(considered_at),
        resolved_at=at(resolved),
        acknowledged_at=at(initial_at),
        state=state,
        paused_at=at(paused),
        paused_seconds=paused_seconds,
    )


def build(world: dict[str, Any]) -> dict[str, Any]:
    jan = dt.datetime(2026, 1, 10, 10, 0, tzinfo=LONDON)
    feb = dt.datetime(2026, 2, 2, 9, 0, tzinfo=LONDON)
    made: dict[str, Any] = {}
    # Org A, P1, January: i1 initial met (10 min) considered late; i2 initial late (20 min),
    # considered met, escalated to level 2 then 3; i3 never answered, both targets past.
    made["i1"] = _incident(
        world,
        "a",
        priority="P1",
        logged=jan,
        initial_due=15,
        considered_due=60,
        initial_at=10,
        considered_at=90,
        resolved=180,
    )
    made["i2"] = _incident(
        world,
        "a",
        priority="P1",
        logged=jan + dt.timedelta(days=10),
        initial_due=15,
        considered_due=60,
        initial_at=20,
        considered_at=50,
        resolved=300,
        paused_seconds=300,
    )
    made["i3"] = _incident(
        world, "a", priority="P1", logged=jan + dt.timedelta(days=15), initial_due=15, considered_due=60
    )
    # Org A, P3, February: i4 both met, resolved in a day; i5 initial met, then paused before its
    # considered target (so not breached though the due time has passed); i6 resolved before its
    # considered target without one (neither met nor breached).
    made["i4"] = _incident(
        world,
        "a",
        priority="P3",
        logged=feb,
        initial_due=60,
        considered_due=240,
        initial_at=30,
        considered_at=200,
        resolved=24 * 60,
    )
    made["i5"] = _incident(
        world,
        "a",
        priority="P3",
        logged=feb + dt.timedelta(days=1),
        initial_due=60,
        considered_due=240,
        initial_at=30,
        paused=120,
        state="awaiting_customer",
        paused_seconds=3600,
    )
    made["i6"] = _incident(
        world,
        "a",
        priority="P3",
        logged=feb + dt.timedelta(days=2),
        initial_due=60,
        considered_due=240,
        initial_at=10,
        resolved=120,
    )
    # Org A, P2: logged 23:30 UTC on 31 March, which is 00:30 on 1 April in London (BST): April.
    made["i7"] = _incident(
        world,
        "a",
        priority="P2",
        logged=dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
        initial_due=60,
        considered_due=120,
    )
    # Org B, P1, January: both met, responded in 5 minutes, resolved in 2 hours.
    made["i8"] = _incident(
        world,
        "b",
        priority="P1",
        logged=jan,
        initial_due=15,
        considered_due=60,
        initial_at=5,
        considered_at=40,
        resolved=120,
    )

    criterion = EscalationCriterion.objects.order_by("position", "id").first()
    level2, level3 = EscalationLevel.objects.get(level=2), EscalationLevel.objects.get(level=3)
    raised = made["i2"].logged_at + dt.timedelta(hours=1)
    first = Escalation.objects.create(
        incident=made["i2"],
        level=level2,
        criterion=criterion,
        raised_by_contact=world["contact_a"],
        raised_at=raised,
        state="escalated",
    )
    Escalation.objects.create(
        incident=made["i2"],
        level=level3,
        criterion=criterion,
        raised_by_contact=world["contact_a"],
        raised_at=raised + dt.timedelta(days=1),
        previous=first,
    )
    # RCAs of i1 (on time) and i2 (never submitted, past due): both due in February.
    RootCauseAnalysis.objects.create(
        incident=made["i1"],
        due_at=dt.datetime(2026, 2, 10, 17, 0, tzinfo=LONDON),
        submitted_at=dt.datetime(2026, 2, 9, 12, 0, tzinfo=LONDON),
        state="submitted",
    )
    RootCauseAnalysis.objects.create(
        incident=made["i2"], due_at=dt.datetime(2026, 2, 20, 17, 0, tzinfo=LONDON)
    )
    return made
