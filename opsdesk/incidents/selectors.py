"""Reads of incidents, always restricted to what the acting user may see (A4, C5): customers see
their own organisation's incidents and never an internal note or internal timeline entry."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, F, Q, QuerySet, Value, When

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import business_calendar
from opsdesk.core.api import COUNT_CAP
from opsdesk.core.errors import NotFound
from opsdesk.core.permissions import has_permission
from opsdesk.incidents.choices import OPEN_STATES, TRANSITIONS, IncidentState, SlaTarget
from opsdesk.incidents.models import (
    DiagnosticsChecklistItem,
    Incident,
    IncidentEvent,
    IncidentNote,
    IncidentSearch,
)
from opsdesk.incidents.search import (
    IdIn,
    IncidentsMatching,
    WordsStartWith,
    common_words,
    search_terms,
    share_matching,
)
from opsdesk.sla import deadlines
from opsdesk.sla.choices import DeadlineKind

#: The `state` filter value meaning "not resolved or closed".
OPEN = "open"

#: The queue's order: the columns of its indexes (Incident.Meta.indexes).
QUEUE_ORDER = ("next_target_at", "logged_at", "pk")

#: What an API list row and the incident page show of other objects. Each relation joined into the
#: page's query is one more join for PostgreSQL to plan, and planning time grows fast with their
#: number: at a million incidents a page with six joins took ~17 ms to plan against ~1 ms with three
#: (and 0.6 ms to run). So the queue's three (JOINED) are joined and the others are fetched by one
#: query each for the whole page (prefetch): a constant number of queries, whatever the page size.
JOINED = ("organisation", "service", "assignee")
RELATED = (*JOINED, "reported_by", "contact_to_reach", "sla_calendar")

#: The columns a queue row reads (the page's rows, annotate_queue and paused_remaining): the page's
#: query reads these instead of ~80 columns of four tables (the description, the SLA explanation,
#: users' password hashes…), and builds its model objects from them.
QUEUE_ROW_FIELDS = (
    "reference", "title", "priority", "state", "organisation__name", "service__reference",
    "assignee__full_name", "assignee__email", "logged_at", "telephone_follow_up_required",
    "escalation_offered", "next_target_at", "paused_at", "sla_calendar_id",
    "initial_response_due", "considered_response_due", "initial_response_at", "considered_response_at",
    "initial_warning_at", "considered_warning_at",
)  # fmt: skip


def is_breached(incident: Any, *, due: datetime, met_at: datetime | None, now: datetime) -> bool:
    """B6, the one definition of "breached": a target not met, of an open incident whose clock runs
    (not paused), whose due time has come. breached_q says the same of a queryset."""
    return met_at is None and incident.state in OPEN_STATES and incident.paused_at is None and now >= due


def breached_q(*, now: datetime, target: str | None = None) -> Q:
    """is_breached as a query condition: of `target` (initial | considered), or, by default, of the
    incident's next target (next_target_at, set only for an open incident's unmet targets)."""
    if target is None:
        return Q(state__in=sorted(OPEN_STATES), paused_at__isnull=True, next_target_at__lte=now)
    return Q(
        state__in=sorted(OPEN_STATES),
        paused_at__isnull=True,
        **{f"{target}_response_at__isnull": True, f"{target}_response_due__lte": now},
    )


def target_status(
    incident: Any, *, due: datetime, warning_at: datetime | None, met_at: datetime | None, now: datetime
) -> str:
    """Where a response target stands (B4, B6): met | late | stopped (closed unmet) | paused |
    breached (is_breached) | warning (past the warning instant) | running."""
    if met_at is not None:
        return "met" if met_at <= due else "late"
    if incident.state not in OPEN_STATES:
        return "stopped"
    if incident.paused_at is not None:
        return "paused"
    if is_breached(incident, due=due, met_at=met_at, now=now):
        return "breached"
    if warning_at is not None and now >= warning_at:
        return "warning"
    return "running"


def target_explanations(incident: Any) -> dict[str, list[str]]:
    """B3/B4: why each target of the incident is due when it is, from its deadline as it is now
    (sla.deadlines.deadline_explain), so the explanation always ends on the due time shown, after
    a pause, a priority change or a calendar change alike. By SlaTarget value."""
    found = deadlines.deadlines_of(owner_type="incident", owner_id=incident.pk)
    kinds = {
        SlaTarget.INITIAL: DeadlineKind.INITIAL_RESPONSE,
        SlaTarget.CONSIDERED: DeadlineKind.CONSIDERED_RESPONSE,
    }
    return {
        target.value: deadlines.deadline_explain(found[kind]) if kind in found else []
        for target, kind in kinds.items()
    }


def paused_remaining(incident: Any, calendar: Any = None, due: datetime | None = None) -> int | None:
    """B4: the business seconds left of the earliest unmet target (or of `due`) of a paused incident
    (what it will still have when the clock runs again), or None when its clock is not paused."""
    if incident.paused_at is None or incident.state not in OPEN_STATES:
        return None
    unmet = [due] if due is not None else [
        getattr(incident, f"{t.value}_response_due")
        for t in SlaTarget
        if getattr(incident, f"{t.value}_response_at") is None
    ]
    if not unmet:
        return None
    clock = business_calendar(calendar or incident.sla_calendar)
    return max(0, int(clock.business_time_between(incident.paused_at, min(unmet)).total_seconds()))


def annotate_queue(incidents: Sequence[Any], now: datetime) -> None:
    """The rows of a queue page: each one's next target (annotate_next_target), and for a paused
    one the time it has left (paused_remaining), its calendars read in one query for the page."""
    paused = [i for i in incidents if i.paused_at is not None]
    calendars = {c.pk: c for c in Calendar.objects.filter(pk__in={i.sla_calendar_id for i in paused})}
    for incident in incidents:
        annotate_next_target(incident, now)
        if incident.paused_at is not None:
            incident.remaining_seconds = paused_remaining(incident, calendars[incident.sla_calendar_id])


def annotate_next_target(incident: Any, now: datetime) -> Any:
    """A queue row's next target: its label, its warning instant and its status, "" while running
    (amber past the warning, red past due)."""
    incident.next_warning_at = None
    incident.sla_status = ""
    incident.next_label = ""
    if incident.paused_at is not None and incident.state in OPEN_STATES:
        incident.sla_status = "paused"
        return incident
    if incident.next_target_at is None:
        return incident
    for target in SlaTarget:
        if getattr(incident, f"{target.value}_response_at") is None:
            incident.next_warning_at = getattr(incident, f"{target.value}_warning_at")
            incident.next_label = target.label
            break
    status = target_status(
        incident, due=incident.next_target_at, warning_at=incident.next_warning_at, met_at=None, now=now
    )
    incident.sla_status = "" if status == "running" else status
    return incident


# --- what a user may do next (C4, C5, A4) ----------------------------------------------------------

MANAGE = "incidents.manage"
UPDATE = "incidents.update"

#: The steps of an incident, named like its action endpoints (POST /incidents/{id}/<step>; "note" is
#: …/notes, "call" …/calls, "await_customer" …/await-customer) and the page's action forms, with the
#: permission each needs: (a customer's, staff's). Customers resume, close and add notes on their own
#: incidents; the rest is staff work. The services check the same table (step_permission).
STEP_PERMISSIONS: dict[str, tuple[str, str]] = {
    "acknowledge": (MANAGE, MANAGE),
    "investigate": (MANAGE, MANAGE),
    "await_customer": (MANAGE, MANAGE),
    "resume": (UPDATE, MANAGE),
    "resolve": (MANAGE, MANAGE),
    "close": (UPDATE, MANAGE),
    "note": (UPDATE, MANAGE),
    "call": (MANAGE, MANAGE),
    "assign": (MANAGE, MANAGE),
    "priority": (MANAGE, MANAGE),
}
#: The lifecycle move each step makes (choices.TRANSITIONS says from which states).
STEP_MOVES: dict[str, str] = {
    "acknowledge": IncidentState.ACKNOWLEDGED,
    "investigate": IncidentState.INVESTIGATING,
    "await_customer": IncidentState.AWAITING_CUSTOMER,
    "resume": IncidentState.INVESTIGATING,
    "resolve": IncidentState.RESOLVED,
    "close": IncidentState.CLOSED,
}


def is_customer(user: Any) -> bool:
    return getattr(user, "role", None) == "customer"


def step_permission(user: Any, step: str) -> str:
    """The permission `user` needs for `step` (STEP_PERMISSIONS)."""
    customer, staff = STEP_PERMISSIONS[step]
    return customer if is_customer(user) else staff


def transition_refusal(from_state: str, to_state: str) -> str | None:
    """C4: why the lifecycle does not allow from_state → to_state (naming the way on), or None."""
    allowed = TRANSITIONS[from_state]
    if to_state in allowed:
        return None
    labels = dict(IncidentState.choices)
    options = ", ".join(labels[s] for s in allowed) or "none (it is closed)"
    return (
        f"An incident cannot move from {labels[from_state]} to {labels[to_state]}. "
        f"Allowed next states: {options}."
    )


def step_refusal(incident: Any, step: str) -> tuple[str, str] | None:
    """Why `step` cannot be taken on `incident` in its present state, as (field, message); None when
    it can. The services raise this (incidents.services._check_step); incident_allowed_actions
    lists the steps it allows (for every row of an API page: so the answer is kept per state)."""
    return _refusal_in(incident.state, step)


@functools.cache
def _refusal_in(state: str, step: str) -> tuple[str, str] | None:
    if step in STEP_MOVES and (message := transition_refusal(state, STEP_MOVES[step])):
        return ("state", message)
    if step == "resume" and state != IncidentState.AWAITING_CUSTOMER:
        return ("state", "Only an incident awaiting the customer can resume.")
    if step in ("note", "call", "assign") and state == IncidentState.CLOSED:
        return ("state", "The incident is closed; log a new one.")
    if step == "priority" and state not in OPEN_STATES:
        return ("priority", "The priority of a resolved or closed incident is final.")
    return None


def incident_allowed_actions(*, user: Any, incident: Incident) -> tuple[str, ...]:
    """What `user` may do next with `incident` (an incident they can see, from incident_get): the
    steps whose permission they hold and that its state allows, in STEP_PERMISSIONS' order. The
    same two facts the services check, so a listed step is taken and an unlisted one is refused.
    The incident page offers exactly these; the API returns them as `allowed_actions`."""
    return tuple(
        step
        for step in STEP_PERMISSIONS
        if has_permission(user, step_permission(user, step)) and step_refusal(incident, step) is None
    )


def sees_internal(user: Any) -> bool:
    """Internal notes and internal timeline entries are for provider staff only (C5)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_provider_staff)


def incident_list(
    *,
    user: Any,
    filters: dict[str, Any] | None = None,
    related: Sequence[str] = RELATED,
    fields: Sequence[str] | None = None,
) -> QuerySet:
    """The incidents `user` may see, filtered; ordered like the staff queue: the earliest unmet
    target first (none last), then the oldest; with the `related` objects the caller shows, and
    only the `fields` it reads when given (QUEUE_ROW_FIELDS). A page costs a constant number of
    queries."""
    filters = dict(filters or {})
    if not has_permission(user, "incidents.view"):
        return Incident.objects.none()
    qs = (
        Incident.objects.restrict(user)
        .select_related(*(r for r in related if r in JOINED))
        .prefetch_related(*(r for r in related if r not in JOINED))
    )
    state = filters.get("state")
    if state == OPEN:
        qs = qs.filter(state__in=sorted(OPEN_STATES))
    elif state:
        qs = qs.filter(state=state)
    if filters.get("priority"):
        qs = qs.filter(priority=filters["priority"])
    if filters.get("organisation"):
        qs = qs.filter(organisation_id=filters["organisation"])
    if filters.get("service"):
        qs = qs.filter(service_id=filters["service"])
    if filters.get("assignee"):
        qs = qs.filter(assignee_id=filters["assignee"])
    if filters.get("created_by"):
        qs = qs.filter(created_by_id=filters["created_by"])
    if filters.get("q"):
        qs = _search(qs, filters["q"], state=state)
    if fields is not None:
        qs = qs.only(*fields)
    return qs.order_by(F(QUEUE_ORDER[0]).asc(nulls_last=True), *QUEUE_ORDER[1:])


def incidents_of(*, user: Any, organisation: Any = None, service: Any = None) -> QuerySet:
    """The incidents of one organisation or service that `user` may see (a customer only their own
    organisation's), as its page lists them: open ones first, by their next target like the queue
    (paused ones, which have none, after the running ones), then the others, most recent first."""
    filters = {
        "organisation": getattr(organisation, "pk", organisation),
        "service": getattr(service, "pk", service),
    }
    qs = incident_list(user=user, filters={k: v for k, v in filters.items() if v}, related=JOINED)
    is_open = Case(When(state__in=sorted(OPEN_STATES), then=Value(0)), default=Value(1))
    return qs.order_by(is_open, F("next_target_at").asc(nulls_last=True), "-logged_at", "-pk")


#: A search matching at most this many incidents is resolved to ids first (see _search).
SEARCH_ID_LIMIT = 5_000
#: The same among the open incidents only: as many as a capped count tells apart, so that a
#: common word's look costs a thousand rows, not five, and its ids alone answer the count. Past
#: it the first page walks the queue's order, cheap there: the open incidents are a small part of
#: all (at a million incidents with 50,000 open, a word in 2 % of them costs ~1,250 checks).
OPEN_SEARCH_ID_LIMIT = COUNT_CAP
#: A search that statistics say at least this share of all incidents match is counted by walking
#: too: 1,001 matches then take at most ~7,000 primary-key lookups (~1.7 µs each at a million
#: incidents), cheaper than the index's list of every match (~0.07 µs per matching incident).
DENSE_SHARE = 0.15


def _search(qs: QuerySet, q: str, *, state: str | None) -> QuerySet:
    """Incidents of `qs` whose words start with each word of `q` (see incidents.search).

    The database cannot estimate a prefix match, so the plan is chosen here. A search matching
    few incidents (the usual one: a reference, a host, a rare word) is resolved to their ids, and
    the page is then read by id. A common one stays a condition that the first page checks row by
    row while walking the queue's index (it soon has 25 rows), and that a count answers from the
    text index — or, when it is very common, by walking too (IncidentsMatching).

    Which one it is, one look at the text index tells: the ids, up to SEARCH_ID_LIMIT + 1
    (OPEN_SEARCH_ID_LIMIT + 1 in the open queue), scoped like the state filter. The open incidents
    have an index of their own, so that look is cheap there, and a word common in history but rare
    among open incidents is rare in the open queue. Across all incidents the look costs as much as
    the word is common, so it is skipped for what
    PostgreSQL's statistics of the words already know to be very common."""
    terms = search_terms(q)
    if not terms:
        return qs
    open_only = state == OPEN or state in OPEN_STATES
    scope = IncidentSearch.objects.all()
    if open_only:
        scope = scope.filter(is_open=True)
    elif state in IncidentState.values:
        scope = scope.filter(is_open=False)
    common = common_words(terms, using=qs.db) or []
    # Hints (search._tsquery) cost an index lookup each, cheap among the open incidents only; and
    # there the estimate needs them most: the state filter on both sides is counted twice.
    hints = [found[0] if found else None for found in common] if open_only else []
    matches = scope.filter(WordsStartWith(F("document"), terms, hints))
    if not open_only and common and share_matching(common) >= DENSE_SHARE:
        return qs.filter(IncidentsMatching(matches, terms, walk_along=QUEUE_ORDER, walk_counts=True))
    limit = OPEN_SEARCH_ID_LIMIT if open_only else SEARCH_ID_LIMIT
    ids = list(matches.values_list("incident_id", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return qs.filter(IdIn(ids))
    # The ids just read stand in for all matches in a capped count's first pass (core.counting):
    # as many as the cap can tell apart, since each costs the planner an estimate.
    return qs.filter(IncidentsMatching(matches, terms, walk_along=QUEUE_ORDER, known=ids[: COUNT_CAP + 1]))


def incident_get(*, user: Any, pk: Any) -> Incident:
    try:
        return incident_list(user=user).get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def incident_notes(*, user: Any, incident: Incident) -> QuerySet:
    """Notes of an incident the caller already fetched through incident_get."""
    qs = IncidentNote.objects.restrict(user).filter(incident=incident).select_related("author")
    if not sees_internal(user):
        qs = qs.filter(public=True)
    return qs.order_by("created_at", "pk")


def incident_events(*, user: Any, incident: Incident) -> QuerySet:
    qs = IncidentEvent.objects.restrict(user).filter(incident=incident).select_related("actor")
    if not sees_internal(user):
        qs = qs.filter(public=True)
    return qs.order_by("at", "pk")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an incident's timeline (C5): a note or an event, in time order."""

    at: datetime
    kind: str
    actor: str
    public: bool
    detail: str = ""
    body: str = ""
    from_state: str = ""
    to_state: str = ""
    note_id: int | None = None
    event_id: int | None = None
    attachment_id: int | None = None  # an attachment (incidents/attachments) listed in the timeline
    #: A note's files, listed with it: (attachment id, file name) each (incidents/attachments).
    attachments: tuple[tuple[int, str], ...] = ()


def _actor(user: Any) -> str:
    return str(user) if user is not None else "opsdesk"


def incident_timeline(*, user: Any, incident: Incident) -> list[TimelineEntry]:
    """Notes and events merged in time order; internal ones only for provider staff (C5). An event
    whose text is a note posted with it (the resolution summary, kept on the event for the email)
    shows without it: the note stands for it, so the text appears once."""
    entries = [
        TimelineEntry(
            at=n.created_at,
            kind="note",
            actor=_actor(n.author),
            public=n.public,
            body=n.body,
            note_id=n.pk,
        )
        for n in incident_notes(user=user, incident=incident)
    ]
    posted = {(n.at, n.body.strip()) for n in entries}
    entries += [
        TimelineEntry(
            at=e.at,
            kind=e.kind,
            actor=_actor(e.actor),
            public=e.public,
            detail="" if (e.at, e.detail.strip()) in posted else e.detail,
            from_state=e.from_state,
            to_state=e.to_state,
            event_id=e.pk,
        )
        for e in incident_events(user=user, incident=incident)
        # The note itself stands for its "note added" event.
        if e.kind != "note"
    ]
    return sorted(entries, key=lambda e: (e.at, e.event_id is None, e.note_id or e.event_id or 0))


def checklist_list(*, user: Any = None, include_inactive: bool = False) -> QuerySet:
    """C1: the diagnostics checklist is provider-wide reference data, readable by everyone who may
    log an incident; inactive items only matter to the staff who edit it."""
    qs = DiagnosticsChecklistItem.objects.all()
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("position", "pk")


def checklist_item_get(*, user: Any, pk: Any) -> DiagnosticsChecklistItem:
    try:
        return DiagnosticsChecklistItem.objects.get(pk=pk)
    except (DiagnosticsChecklistItem.DoesNotExist, ValueError, TypeError):
        raise NotFound()
