"""Reads of SLA policies: provider reference data (B3), readable by everyone signed in. And the
deadlines of an owner as an API shows them (deadline_list): where each stands and why it is due
when it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from opsdesk.calendars.services import business_calendar
from opsdesk.core.selectors import get_or_not_found
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import deadline_explain
from opsdesk.sla.models import Deadline, SlaPolicy

#: What of a deadline only provider staff see. A B6 warning is internal: it tells the people working
#: on the owner, while the customer hears of a breach (incidents.notifications.notify_sla).
INTERNAL_FIELDS = ("warning_fraction", "warn_at", "warned_at")


def sla_policy_list(*, user: Any) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return SlaPolicy.objects.none()
    return SlaPolicy.objects.prefetch_related("targets")


def sla_policy_get(*, user: Any, pk: Any) -> SlaPolicy:
    return get_or_not_found(sla_policy_list(user=user), pk)


def deadline_status(deadline: Deadline, *, now: dt.datetime, internal: bool = True) -> str:
    """Where a deadline stands (B4, B6): met | late (met after its due time) | closed (its owner
    ended without meeting it) | paused | breached (its due time has come) | warning (past its
    warning instant; `internal` only, else running) | running."""
    if deadline.met_at is not None:
        return "met" if deadline.met_at <= deadline.due_at else "late"
    if deadline.closed_at is not None:
        return "closed"
    if deadline.paused_at is not None:
        return "paused"
    if now >= deadline.due_at:
        return "breached"
    if internal and deadline.warn_at is not None and now >= deadline.warn_at:
        return "warning"
    return "running"


def warning_instant(*, owner_type: str, kind: str) -> Subquery:
    """Each owner's warning instant (B6) of its deadline of `kind`, as an expression to annotate the
    owners' own rows with (their primary key is the deadline's owner_id): one indexed lookup a row.
    Internal (INTERNAL_FIELDS): annotate it for provider staff only."""
    rows = Deadline.objects.filter(owner_type=owner_type, owner_id=OuterRef("pk"), kind=kind)
    return Subquery(rows.values("warn_at")[:1])


def deadline_remaining(deadline: Deadline, *, now: dt.datetime) -> int | None:
    """Business seconds left until the deadline is due, negative once past it: from now, or from
    the instant it was paused while its clock is stopped (B4); None once met or closed."""
    if not deadline.is_running:
        return None
    clock = business_calendar(deadline.calendar)
    since = deadline.paused_at or now
    return int(clock.business_time_between(since, deadline.due_at).total_seconds())


def deadline_list(
    *, user: Any, owner_type: str, owner_id: int, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The deadlines of one owner as of `now`, earliest due first, each with where it stands, the
    business time left and its explanation (sla.deadlines.deadline_explain, on the calendar as it
    is now).

    The caller has already fetched the owner through its own selector, which restricts it to what
    `user` may see (sla knows no owner, so no tenancy of one). INTERNAL_FIELDS are for provider
    staff: for anyone else they are left out, not sent empty."""
    now = now or timezone.now()
    internal = bool(getattr(user, "is_authenticated", False) and user.is_provider_staff)
    labels = dict(DeadlineKind.choices)
    rows = []
    deadlines = Deadline.objects.filter(owner_type=owner_type, owner_id=owner_id).select_related("calendar")
    for deadline in deadlines:
        row = {
            "kind": deadline.kind,
            "label": labels.get(deadline.kind, deadline.kind),
            "calendar": deadline.calendar.name,
            "start_at": deadline.start_at,
            "rule": {
                "hours": deadline.hours,
                "fallback": deadline.fallback,
                "business_days": deadline.business_days,
                "working_days": deadline.working_days,
            },
            "due_at": deadline.due_at,
            "status": deadline_status(deadline, now=now, internal=internal),
            "paused": deadline.paused_at is not None,
            "paused_at": deadline.paused_at,
            "paused_seconds": deadline.paused_seconds,
            "remaining_business_seconds": deadline_remaining(deadline, now=now),
            "met_at": deadline.met_at,
            "closed_at": deadline.closed_at,
            "breached_at": deadline.breached_at,
            "explanation": deadline_explain(deadline),
        }
        if internal:
            row.update({name: getattr(deadline, name) for name in INTERNAL_FIELDS})
        rows.append(row)
    return {"at": now, "deadlines": rows}
