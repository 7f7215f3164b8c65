"""Writes of incidents (C1–C5) and of their SLA clock (B3–B6).

Every service is keyword-only, validates before it writes, writes in one transaction, audits the
change (L1), adds to the incident's timeline and puts notifications in the outbox in the same
transaction (L2), so a rollback leaves no trace and a crash loses nothing.

The response targets are sla deadlines (owner "incident", one per target): sla sets, pauses,
resumes, meets, sweeps (B6) and recomputes them (B5); the incident keeps copies of their instants
(the queue sorts by next_target_at), kept in step here and by incidents.receivers. SLA instants are
whole seconds (logged_at, pauses, targets), as deadlines are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opsdesk.calendars.engine import BusinessCalendar
from opsdesk.calendars.services import business_calendar
from opsdesk.core import humanize
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import AuditAction
from opsdesk.core.permissions import has_permission, require_permission
from opsdesk.core.services import lock_for_update, record_create, record_update
from opsdesk.core.validation import reject_nul, validate_instance
from opsdesk.directory.choices import Environment
from opsdesk.directory.models import NamedContact, Organisation, Service, User
from opsdesk.incidents import notifications, paging, selectors, signals
from opsdesk.incidents.choices import (
    OPEN_STATES,
    PRODUCTION_ONLY_PRIORITIES,
    EventKind,
    IncidentState,
    Priority,
    SlaEventKind,
    SlaTarget,
    Source,
)
from opsdesk.incidents.models import (
    DiagnosticsChecklistItem,
    Incident,
    IncidentEvent,
    IncidentNote,
    IncidentSearch,
    SlaEvent,
)
from opsdesk.incidents.search import search_document
from opsdesk.sla import deadlines
from opsdesk.sla import services as sla
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.models import Deadline
from opsdesk.sla.signals import Postpone

#: C4/C5: a public note by staff at least this long (ignoring surrounding space) is a considered
#: response; "ok", "looking" and the like are not.
SUBSTANTIVE_NOTE_CHARS = 20
#: The owner type of an incident's deadlines (sla.Deadline.owner_type).
DEADLINE_OWNER = "incident"

_TARGETS = (SlaTarget.INITIAL, SlaTarget.CONSIDERED)
#: The deadline kind of each target, and back.
_KIND = {
    SlaTarget.INITIAL: DeadlineKind.INITIAL_RESPONSE,
    SlaTarget.CONSIDERED: DeadlineKind.CONSIDERED_RESPONSE,
}
_TARGET = {kind: target for target, kind in _KIND.items()}


# --- helpers ---------------------------------------------------------------------------------


def _instant(at: datetime | None) -> datetime:
    """Now (or `at`), to the whole second: every SLA instant is whole seconds (see module doc)."""
    value = at or timezone.now()
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed.field("at", "A timestamp needs a UTC offset.")
    return value.astimezone(UTC).replace(microsecond=0)


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _fmt(at: datetime | None) -> str:
    """An instant in a timeline entry: the one format of pages (core.humanize), never ISO."""
    return humanize.when(at) if at is not None else "—"


def _errors(errors: list[dict[str, str]]) -> None:
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def _clock(incident: Incident) -> BusinessCalendar:
    return business_calendar(incident.sla_calendar)


def _next_target(state: str, values: dict[str, Any]) -> datetime | None:
    """The earliest unmet target of an open incident whose clock runs (the staff queue's sort key),
    else None: while paused (B4) no due time is fixed (it moves by the paused time on resuming), so
    a paused incident sorts after the running ones and shows its remaining time instead."""
    if state not in OPEN_STATES or values.get("paused_at") is not None:
        return None
    unmet = [values[f"{t}_response_due"] for t in _TARGETS if values[f"{t}_response_at"] is None]
    return min(unmet, default=None)


def _fields(incident: Incident, changes: dict[str, Any]) -> dict[str, Any]:
    names = [f"{t}_response_due" for t in _TARGETS] + [f"{t}_response_at" for t in _TARGETS] + ["paused_at"]
    return {n: changes.get(n, getattr(incident, n)) for n in names}


def _with_next_target(incident: Incident, changes: dict[str, Any]) -> dict[str, Any]:
    state = changes.get("state", incident.state)
    changes["next_target_at"] = _next_target(state, _fields(incident, changes))
    return changes


def _event(
    incident: Incident,
    *,
    kind: str,
    actor: Any,
    at: datetime,
    from_state: str = "",
    to_state: str = "",
    detail: str = "",
    public: bool = True,
    notify: bool = False,
) -> IncidentEvent:
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
        from_state=from_state,
        to_state=to_state,
        detail=detail[:5000],
        public=public,
    )
    if notify and public:
        notifications.notify_event(incident, event)
    return event


def _reload(incident: Incident) -> Incident:
    """The incident with what notifications and callers read, in one query."""
    return Incident.objects.select_related(
        "organisation__calendar",
        "organisation__csdm",
        "service",
        "reported_by",
        "contact_to_reach",
        "assignee",
        "sla_calendar",
    ).get(pk=incident.pk)


def _lock(incident: Incident, expected_version: int | None = None) -> Incident:
    """The incident row, locked; with `expected_version` (an action's If-Match), 412 unless the
    locked row is still that version, so of two actions sent with one ETag only the first acts."""
    return lock_for_update(incident, expected_version)


_is_customer = selectors.is_customer


def _check_transition(incident: Incident, to_state: str) -> None:
    """C4: one table of allowed moves (choices.TRANSITIONS); anything else names from, to and the way on."""
    message = selectors.transition_refusal(incident.state, to_state)
    if message:
        raise ValidationFailed.field("state", message)


def _require_step(actor: Any, step: str) -> None:
    """The permission `step` needs from `actor` (selectors.STEP_PERMISSIONS), else 403."""
    require_permission(actor, selectors.step_permission(actor, step))


def _check_step(incident: Incident, step: str) -> None:
    """The state rule of `step` (selectors.step_refusal, which incident_allowed_actions reads too)."""
    refusal = selectors.step_refusal(incident, step)
    if refusal:
        raise ValidationFailed.field(*refusal)


# --- targets (B3, B6) ------------------------------------------------------------------------


def _target_fields(
    *, organisation: Organisation, priority: str, logged_at: datetime, paused_seconds: int = 0
) -> tuple[dict[str, Any], dict[str, Deadline]]:
    """The stored SLA fields of an incident logged at `logged_at` (copies of its deadlines: targets,
    warning instants, the calendar the clock runs on, and the explanation steps shown on the
    incident page), and the deadlines themselves, planned (sla), to store with _set_deadlines."""
    targets, plans = sla.response_deadline_plans(
        organisation=organisation, priority=priority, logged_at=logged_at, paused_seconds=paused_seconds
    )
    fields: dict[str, Any] = {"sla_calendar": targets.calendar}
    for t in _TARGETS:
        fields[f"{t}_response_due"] = plans[t].due_at
        fields[f"{t}_warning_at"] = plans[t].warn_at
    fields["explanation"] = {
        "calendar": targets.calendar.name,
        "warning_fraction": plans[SlaTarget.INITIAL].warning_fraction,
        "initial": list(targets.initial_explanation.steps),
        "considered": list(targets.considered_explanation.steps),
    }
    return fields, plans


def _set_deadlines(incident: Incident, plans: dict[str, Deadline], targets: Sequence[str] = _TARGETS) -> None:
    for t in targets:
        deadlines.deadline_set(owner_type=DEADLINE_OWNER, owner_id=incident.pk, kind=_KIND[t], plan=plans[t])


def _meet(incident: Incident, target: str, at: datetime) -> None:
    deadlines.deadline_meet(owner_type=DEADLINE_OWNER, owner_id=incident.pk, kind=_KIND[target], at=at)


REQUIRED = "This field is required."


def _required_text(errors: list[dict[str, str]], **texts: str | None) -> list[str]:
    """The texts stripped, in order; an error naming each one left empty."""
    stripped = []
    for field, value in texts.items():
        value = (value or "").strip()
        if not value:
            errors.append({"field": field, "message": REQUIRED})
        stripped.append(value)
    return stripped


def _check_priority(priority: Any, errors: list[dict[str, str]]) -> bool:
    if priority in Priority.values:
        return True
    if priority in (None, ""):
        errors.append({"field": "priority", "message": REQUIRED})
    else:
        errors.append(
            {
                "field": "priority",
                "message": f"Unknown priority '{priority}'. Use one of {', '.join(Priority.values)}.",
            }
        )
    return False


def _check_production(priority: str, service: Service | None, errors: list[dict[str, str]]) -> None:
    """C2: P1 and P2 only on production services."""
    if (
        priority in PRODUCTION_ONLY_PRIORITIES
        and service is not None
        and service.environment != Environment.PRODUCTION
    ):
        errors.append(
            {
                "field": "priority",
                "message": f"P1 and P2 are only for production services; {service.reference} is "
                f"{service.get_environment_display().lower()}. Log it as P3 or P4.",
            }
        )


def _insert(*, actor: Any, incident: Incident) -> Incident:
    """Insert, give the reference INC-<id> and audit the complete row."""
    validate_instance(incident, exclude=["reference"])
    incident.save()
    incident.reference = f"INC-{incident.pk:06d}"
    Incident.objects.filter(pk=incident.pk).update(reference=incident.reference)
    IncidentSearch.objects.create(
        incident=incident,
        document=search_document(incident.reference, incident.title, incident.description),
        is_open=incident.is_open,
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=incident)
    return incident


# --- logging (C1, C2, C3) --------------------------------------------------------------------


def active_checklist() -> list[DiagnosticsChecklistItem]:
    return list(DiagnosticsChecklistItem.objects.filter(active=True).order_by("position", "pk"))


def _check_diagnostics(confirmed: Any, errors: list[dict[str, str]]) -> list[int]:
    """C1: every active checklist item must be confirmed."""
    if not isinstance(confirmed, list | tuple) or not all(isinstance(i, int) for i in confirmed):
        errors.append({"field": "diagnostics_confirmed", "message": "Must be a list of checklist item ids."})
        return []
    ids = sorted(set(confirmed))
    items = active_checklist()
    active_ids = {i.pk for i in items}
    unknown = [i for i in ids if i not in active_ids]
    missing = [i.text for i in items if i.pk not in ids]
    if unknown:
        errors.append(
            {
                "field": "diagnostics_confirmed",
                "message": f"Not an active checklist item: {', '.join(map(str, unknown))}.",
            }
        )
    elif missing:
        errors.append(
            {
                "field": "diagnostics_confirmed",
                "message": "Confirm every diagnostics check before logging; not confirmed: "
                + "; ".join(missing)
                + ".",
            }
        )
    return ids


def _resolve_contact(value: Any, organisation: Organisation | None) -> NamedContact | None:
    if value is None:
        return None
    if isinstance(value, NamedContact):
        contact = value
    elif str(value).isdigit():
        contact = NamedContact.objects.select_related("organisation").filter(pk=int(value)).first()
    else:
        contact = None
    if contact is None or (organisation is not None and contact.organisation_id != organisation.pk):
        return None
    return contact


def incident_log(
    *,
    actor: Any,
    description: str,
    title: str,
    priority: str,
    diagnostics_confirmed: Sequence[int],
    service_reference: str | None = None,
    service: Service | None = None,
    reported_by: NamedContact | int | None = None,
    logged_at: datetime | None = None,
) -> Incident:
    """C1 reactive logging by a named contact: a customer user logs as their own contact; provider
    staff log on behalf of the named contact given in `reported_by`. Every problem with the input is
    reported at once, each naming its field; nothing is stored unless all is well.

    C2: P1/P2 only on production services, and a P1/P2 reported by a customer needs a telephone
    follow-up until a call is recorded.
    """
    require_permission(actor, "incidents.log")
    reject_nul(title=title, description=description, service_reference=service_reference)
    errors: list[dict[str, str]] = []
    customer = _is_customer(actor)

    # Who reports, and so for which organisation.
    organisation: Organisation | None = service.organisation if service is not None else None
    reporter: NamedContact | None = None
    if customer:
        reporter = NamedContact.objects.select_related("organisation").get(pk=actor.contact_id)
        if reported_by is not None and str(getattr(reported_by, "pk", reported_by)) != str(reporter.pk):
            errors.append(
                {
                    "field": "reported_by",
                    "message": "A customer logs incidents as their own named contact, not on behalf of "
                    "another: leave it out to log as yourself.",
                }
            )
        if organisation is not None and organisation.pk != reporter.organisation_id:
            raise ValidationFailed.field("service_reference", "No such service.")
        organisation = reporter.organisation
    elif reported_by is None:
        errors.append(
            {
                "field": "reported_by",
                "message": "Staff log incidents on behalf of a named contact: give the contact.",
            }
        )
    else:
        reporter = _resolve_contact(reported_by, organisation)
        if reporter is None:
            where = f" of {organisation}" if organisation is not None else ""
            errors.append({"field": "reported_by", "message": f"Not a named contact{where}."})
        else:
            organisation = reporter.organisation

    title, description = _required_text(errors, title=title, description=description)

    if service is None:
        (reference,) = _required_text(errors, service_reference=service_reference)
        if reference and organisation is not None:
            service = Service.objects.filter(organisation=organisation, reference__iexact=reference).first()
            if service is None:
                elsewhere = Service.objects.filter(reference__iexact=reference).exists()
                whose = f"{organisation.name}, the reporting contact's organisation,"
                message = (
                    f"{whose} has no service '{reference}': choose one of its services."
                    if elsewhere
                    else f"{organisation.name} has no service with the reference '{reference}'."
                )
                errors.append({"field": "service_reference", "message": message})
    valid_priority = _check_priority(priority, errors)
    if valid_priority:
        _check_production(priority, service, errors)
    confirmed = _check_diagnostics(list(diagnostics_confirmed or []), errors)
    _errors(errors)
    assert organisation is not None and reporter is not None and service is not None

    who = "by the customer" if customer else f"by the service desk on behalf of {reporter}"
    return _store_new(
        actor=actor,
        detail=f"Logged {who} as {priority} on {service.reference}.",
        organisation=organisation,
        service=service,
        title=title,
        description=description,
        priority=priority,
        source=Source.CUSTOMER if customer else Source.STAFF,
        reported_by=reporter,
        telephone_follow_up_required=priority in PRODUCTION_ONLY_PRIORITIES,
        diagnostics_confirmed=confirmed,
        logged_at=_instant(logged_at),
    )


def _store_new(*, actor: Any, detail: str, **fields: Any) -> Incident:
    """A new incident however it came in (C1 logged, C3 raised): its targets stored (B3) with the
    queue's sort key, the "logged" timeline event and the notification, in one transaction."""
    targets, plans = _target_fields(
        organisation=fields["organisation"], priority=fields["priority"], logged_at=fields["logged_at"]
    )
    incident = Incident(created_by=actor, state=IncidentState.NEW, **fields, **targets)
    incident.next_target_at = _next_target(incident.state, _fields(incident, {}))
    with transaction.atomic():
        _insert(actor=actor, incident=incident)
        _set_deadlines(incident, plans)
        _event(
            incident,
            kind=EventKind.LOGGED,
            actor=actor,
            at=incident.logged_at,
            to_state=IncidentState.NEW,
            detail=detail,
        )
        incident = _reload(incident)
        notifications.notify_logged(incident)
        paging.page_new_incident(incident)
    return incident


def contact_to_reach(*, organisation: Organisation, at: datetime) -> NamedContact:
    """C3: the technical contact in hours when the organisation's calendar is open at `at`, else the
    out-of-hours technical contact (the first by name)."""
    open_now = business_calendar(organisation.calendar).is_open(at)
    flag = "is_technical_in_hours" if open_now else "is_technical_out_of_hours"
    contact = (
        NamedContact.objects.filter(organisation=organisation, **{flag: True}).order_by("name", "pk").first()
    )
    if contact is None:
        which = "in hours" if open_now else "out of hours"
        raise ValidationFailed.field(
            "contact_to_reach",
            f"{organisation} has no technical contact ({which}) to reach; flag one on a named contact.",
        )
    return contact


def incident_raise_proactive(
    *,
    actor: Any,
    organisation: Organisation,
    title: str,
    description: str,
    priority: str,
    service: Service | None = None,
    source: str = Source.STAFF,
    at: datetime | None = None,
) -> Incident:
    """C3: a proactive incident raised by the provider (by hand, from the API or from an alarm, F3),
    24x7. The contact to reach is the organisation's technical contact for that moment. `actor` may
    be None for the alarm intake (recorded as "system")."""
    if actor is not None:
        require_permission(actor, "incidents.manage")
    reject_nul(title=title, description=description)
    errors: list[dict[str, str]] = []
    title, description = _required_text(errors, title=title, description=description)
    if source not in (Source.STAFF, Source.API, Source.ALARM):
        errors.append({"field": "source", "message": "Must be one of: staff, api, alarm."})
    if service is not None and service.organisation_id != organisation.pk:
        errors.append({"field": "service", "message": f"Not a service of {organisation}."})
    if _check_priority(priority, errors):
        _check_production(priority, service, errors)
    logged = _instant(at)
    reach = None
    try:
        reach = contact_to_reach(organisation=organisation, at=logged)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    _errors(errors)
    return _store_new(
        actor=actor,
        detail=f"Raised proactively ({source}) as {priority}; contact to reach: {reach}.",
        organisation=organisation,
        service=service,
        title=title,
        description=description,
        priority=priority,
        source=source,
        contact_to_reach=reach,
        logged_at=logged,
    )


# --- lifecycle (C4) --------------------------------------------------------------------------


def _response_detail(label: str, due: datetime, at: datetime) -> str:
    if at <= due:
        return f"{label} met (due {_fmt(due)})."
    return f"{label} made after its target (due {_fmt(due)})."


def _move(
    *,
    actor: Any,
    current: Incident,
    to_state: str,
    at: datetime,
    changes: dict[str, Any] | None = None,
    kind: str = EventKind.STATE_CHANGED,
    detail: str = "",
) -> Incident:
    """Apply one allowed move to the locked row `current`: state, timestamps, next target; audit,
    timeline, notification."""
    _check_transition(current, to_state)
    changes = _with_next_target(current, {"state": to_state, **(changes or {})})
    from_state = current.state
    updated = record_update(actor=actor, obj=current, changes=changes)
    if updated.is_open != (from_state in OPEN_STATES):
        IncidentSearch.objects.filter(incident_id=updated.pk).update(is_open=updated.is_open)
        if not updated.is_open:  # resolved or closed: its unmet targets no longer run
            deadlines.deadlines_close(owner_type=DEADLINE_OWNER, owner_ids=[updated.pk], at=at)
    if not updated.is_open:  # resolved, or closed after that: nobody needs calling about it
        paging.stop_incident_pages(updated, actor=actor)
    _event(
        updated,
        kind=kind,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
        notify=True,
    )
    return updated


def _unpause(incident: Incident, at: datetime) -> tuple[dict[str, Any], int]:
    """B4: the business time paused since paused_at moves every unmet target (and its warning
    instant) forward (sla.deadlines.deadline_resume); met targets stay where they were. Returns the
    incident's changes: the copies of its deadlines' new instants."""
    if incident.paused_at is None:
        return {}, 0
    clock = _clock(incident)
    paused = max(0, _seconds(clock.business_time_between(incident.paused_at, at)))
    changes: dict[str, Any] = {"paused_at": None, "paused_seconds": incident.paused_seconds + paused}
    deadlines.deadline_resume(owner_type=DEADLINE_OWNER, owner_id=incident.pk, at=at)
    current = deadlines.deadlines_of(owner_type=DEADLINE_OWNER, owner_id=incident.pk)
    for t in _TARGETS:
        deadline = current.get(_KIND[t])
        if getattr(incident, f"{t}_response_at") is None and deadline is not None:
            changes[f"{t}_response_due"] = deadline.due_at
            changes[f"{t}_warning_at"] = deadline.warn_at
    return changes, paused


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    parts = [f"{hours} h"] if hours else []
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def incident_acknowledge(
    *, actor: Any, incident: Incident, at: datetime | None = None, expected_version: int | None = None
) -> Incident:
    """C4: new → acknowledged, the initial response (B3)."""
    _require_step(actor, "acknowledge")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        changes: dict[str, Any] = {"acknowledged_at": now}
        detail = ""
        if current.initial_response_at is None:
            changes["initial_response_at"] = now
            detail = _response_detail("Initial response", current.initial_response_due, now)
            _meet(current, SlaTarget.INITIAL, now)
            paging.stop_response_pages(current, target=SlaTarget.INITIAL, actor=actor)
        return _move(
            actor=actor,
            current=current,
            to_state=IncidentState.ACKNOWLEDGED,
            at=now,
            changes=changes,
            kind=EventKind.ACKNOWLEDGED,
            detail=detail,
        )


def incident_start_investigating(
    *,
    actor: Any,
    incident: Incident,
    note: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """C4: acknowledged → investigating. A public `note` goes to the customer and, if substantive,
    is the considered response; the move alone does not meet it."""
    _require_step(actor, "investigate")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        if current.state == IncidentState.AWAITING_CUSTOMER:
            updated = incident_resume(actor=actor, incident=current, at=now)
        else:
            updated = _move(actor=actor, current=current, to_state=IncidentState.INVESTIGATING, at=now)
        if note.strip():
            _note(actor=actor, incident=updated, body=note, public=True, at=now)
        return _reload(updated)


def incident_await_customer(
    *,
    actor: Any,
    incident: Incident,
    note: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """C4/B4: waiting on the customer pauses the SLA clock. `note` says what is needed from them, as
    a public note; a question is not the considered response (the pause covers the wait for it)."""
    _require_step(actor, "await_customer")
    reject_nul(note=note)
    if not (note or "").strip():
        raise ValidationFailed.field("note", "Say what you need from the customer.")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        _check_step(current, "await_customer")
        _note(actor=actor, incident=current, body=note, public=True, at=now, response=False)
        current = _lock(incident)
        deadlines.deadline_pause(owner_type=DEADLINE_OWNER, owner_id=current.pk, at=now)
        updated = _move(
            actor=actor,
            current=current,
            to_state=IncidentState.AWAITING_CUSTOMER,
            at=now,
            changes={"paused_at": now},
            kind=EventKind.PAUSED,
            detail="Waiting on the customer: the SLA clock is paused until they answer.",
        )
        return _reload(updated)


def incident_resume(
    *, actor: Any, incident: Incident, at: datetime | None = None, expected_version: int | None = None
) -> Incident:
    """C4/B4: awaiting customer → investigating, when the customer has answered. The paused business
    time moves every unmet target forward. Staff call it, and a customer's public note calls it."""
    _require_step(actor, "resume")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        _check_step(current, "resume")
        changes, paused = _unpause(current, now)
        updated = _move(
            actor=actor,
            current=current,
            to_state=IncidentState.INVESTIGATING,
            at=now,
            changes=changes,
            kind=EventKind.RESUMED,
            detail=f"SLA clock resumed after {_duration(paused)} of business time paused.",
        )
        return _reload(updated)


#: The brief's name for the same step (the customer replied).
incident_customer_replied = incident_resume


def incident_resolve(
    *,
    actor: Any,
    incident: Incident,
    summary: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """C4: → resolved, with a public resolution summary (which is also the considered response if
    none was made yet). Resolving while awaiting the customer ends the pause first."""
    _require_step(actor, "resolve")
    if not (summary or "").strip():
        raise ValidationFailed.field("summary", "Say how the incident was resolved.")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        _check_step(current, "resolve")
        changes, _paused = _unpause(current, now)
        if changes:
            current = record_update(actor=actor, obj=current, changes=_with_next_target(current, changes))
        _note(actor=actor, incident=current, body=summary, public=True, at=now, response=True)
        current = _lock(incident)
        updated = _move(
            actor=actor,
            current=current,
            to_state=IncidentState.RESOLVED,
            at=now,
            changes={"resolved_at": now},
            detail=summary.strip(),
        )
        return _reload(updated)


def incident_close(
    *,
    actor: Any,
    incident: Incident,
    customer_confirmed: bool,
    reason: str = "",
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """C4: resolved → closed, only with the customer's confirmation that service is resumed: a
    customer user confirming, or staff recording it on their behalf with a reason."""
    customer = _is_customer(actor)
    _require_step(actor, "close")
    reason = (reason or "").strip()
    errors = []
    if not customer_confirmed:
        errors.append(
            {
                "field": "customer_confirmed",
                "message": "Closing needs the customer's confirmation that service is resumed.",
            }
        )
    if not customer and not reason:
        errors.append(
            {
                "field": "reason",
                "message": "Staff recording the customer's confirmation on their behalf give a reason.",
            }
        )
    reject_nul(reason=reason)
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        _check_step(current, "close")
        _errors(errors)
        who = "by the customer" if customer else f"by {actor} on the customer's behalf"
        detail = f"Closed; service resumption confirmed {who}." + (f" {reason}" if reason else "")
        updated = _move(
            actor=actor,
            current=current,
            to_state=IncidentState.CLOSED,
            at=now,
            changes={"closed_at": now, "customer_confirmed_at": now, "closure_reason": reason},
            kind=EventKind.CLOSED,
            detail=detail,
        )
        # C6: closing a P1 opens its RCA; C7: an escalation still in force ends with the incident.
        # Sent inside this transaction: what the receivers write commits with the closure or not at all.
        signals.incident_closed.send(sender=Incident, incident=updated, actor=actor)
        return _reload(updated)


# --- notes, calls, assignment, priority (C2, C5) ----------------------------------------------


def _note(
    *, actor: Any, incident: Incident, body: str, public: bool, at: datetime, response: bool | None = None
) -> IncidentNote:
    """Add a note; a public one by staff may be the considered response (C4): `response` True says
    it is (a resolution summary), False that it is not (a question to the customer), None decides
    by whether it is substantive."""
    note = record_create(
        actor=actor,
        obj=IncidentNote(incident=incident, author=actor, body=body.strip(), public=public),
        public=public,
    )
    # A note is timed like the timeline events it sits among (`at`, normally now).
    IncidentNote.objects.filter(pk=note.pk).update(created_at=at)
    note.created_at = at
    _event(
        incident,
        kind=EventKind.NOTE,
        actor=actor,
        at=at,
        public=public,
        detail=("Public" if public else "Internal") + " note added.",
    )
    if response is None:
        response = len(note.body) >= SUBSTANTIVE_NOTE_CHARS
    if public and actor is not None and not _is_customer(actor):
        email_reply_clear(incident=incident, at=at)
    if public and response and not _is_customer(actor):
        current = _lock(incident)
        if current.considered_response_at is None and current.state not in (
            IncidentState.NEW,
            IncidentState.CLOSED,
        ):
            changes = _with_next_target(current, {"considered_response_at": at})
            updated = record_update(actor=actor, obj=current, changes=changes)
            _meet(updated, SlaTarget.CONSIDERED, at)
            paging.stop_response_pages(updated, target=SlaTarget.CONSIDERED, actor=actor)
            _event(
                updated,
                kind=EventKind.RESPONSE_MET,
                actor=actor,
                at=at,
                detail=_response_detail("Considered response", current.considered_response_due, at),
            )
            if updated.state == IncidentState.ACKNOWLEDGED:
                _move(
                    actor=actor,
                    current=_lock(updated),
                    to_state=IncidentState.INVESTIGATING,
                    at=at,
                )
    if public:
        notifications.notify_note(_reload(incident), note)
    return note


def incident_add_note(
    *,
    actor: Any,
    incident: Incident,
    body: str,
    public: bool = True,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> IncidentNote:
    """C5: a public or internal note. Customers add public notes only (on their own incidents, which
    the selector that fetched `incident` guarantees). The first substantive public note by staff is
    the considered response and moves acknowledged → investigating; a customer's note while the
    incident awaits them resumes the clock."""
    customer = _is_customer(actor)
    _require_step(actor, "note")
    if customer and not public:
        raise ValidationFailed.field("public", "Customers add public notes only.")
    reject_nul(body=body)
    if not (body or "").strip():
        raise ValidationFailed.field("body", REQUIRED)
    _check_step(incident, "note")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        note = _note(actor=actor, incident=current, body=body, public=public, at=now)
        if customer and current.state == IncidentState.AWAITING_CUSTOMER:
            incident_resume(actor=actor, incident=current, at=now)
        return note


def incident_record_call(
    *,
    actor: Any,
    incident: Incident,
    summary: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """C2: a telephone call with the customer; clears "telephone follow-up required"."""
    _require_step(actor, "call")
    reject_nul(summary=summary)
    if not (summary or "").strip():
        raise ValidationFailed.field("summary", "Summarise the call.")
    now = _instant(at)
    with transaction.atomic():
        current = _lock(incident, expected_version)
        _check_step(current, "call")
        updated = record_update(
            actor=actor,
            obj=current,
            changes={"telephone_follow_up_required": False, "telephone_call_recorded_at": now},
        )
        _event(updated, kind=EventKind.CALL_RECORDED, actor=actor, at=now, detail=summary.strip())
        return _reload(updated)


def incident_assign(
    *, actor: Any, incident: Incident, assignee: User | int | None, expected_version: int | None = None
) -> Incident:
    _require_step(actor, "assign")
    person = assignee
    if assignee is not None and not isinstance(assignee, User):
        person = User.objects.filter(pk=assignee).first() if str(assignee).isdigit() else None
    if person is not None and not (person.is_active and has_permission(person, "incidents.manage")):
        raise ValidationFailed.field("assignee", "Must be an active member of staff who works incidents.")
    if assignee is not None and person is None:
        raise ValidationFailed.field("assignee", "No such user.")
    _check_step(incident, "assign")
    now = _instant(None)
    with transaction.atomic():
        updated = record_update(
            actor=actor, obj=incident, changes={"assignee": person}, expected_version=expected_version
        )
        _event(
            updated,
            kind=EventKind.ASSIGNED,
            actor=actor,
            at=now,
            detail=f"Assigned to {person}." if person else "Unassigned.",
        )
        return _reload(updated)


def incident_change_priority(
    *, actor: Any, incident: Incident, priority: str, expected_version: int | None = None, reason: str = ""
) -> Incident:
    """C2 is checked again, and the unmet targets are recomputed from logged_at under the new
    priority (with the business time already paused re-applied, B4)."""
    _require_step(actor, "priority")
    errors: list[dict[str, str]] = []
    if _check_priority(priority, errors):
        _check_production(priority, incident.service, errors)
    _errors(errors)
    now = _instant(None)
    with transaction.atomic():
        current = lock_for_update(incident, expected_version)
        _check_step(current, "priority")
        previous = current.priority
        fields, plans = _target_fields(
            organisation=current.organisation,
            priority=priority,
            logged_at=current.logged_at,
            paused_seconds=current.paused_seconds,
        )
        changes: dict[str, Any] = {
            "priority": priority,
            "sla_calendar": fields["sla_calendar"],
            "explanation": fields["explanation"],
        }
        unmet = [t for t in _TARGETS if getattr(current, f"{t}_response_at") is None]
        for t in unmet:
            for name in (f"{t}_response_due", f"{t}_warning_at"):
                changes[name] = fields[name]
        _set_deadlines(current, plans, unmet)
        if (
            priority in PRODUCTION_ONLY_PRIORITIES
            and current.source == Source.CUSTOMER
            and current.telephone_call_recorded_at is None
        ):
            changes["telephone_follow_up_required"] = True
        updated = record_update(actor=actor, obj=current, changes=_with_next_target(current, changes))
        detail = f"Priority changed from {previous} to {priority}." + (
            f" {reason.strip()}" if reason.strip() else ""
        )
        _event(updated, kind=EventKind.PRIORITY_CHANGED, actor=actor, at=now, detail=detail, notify=True)
        paging.page_priority_raised(updated, previous=previous, actor=actor)
        return _reload(updated)


# --- the diagnostics checklist (C1) -----------------------------------------------------------


def checklist_item_create(
    *, actor: Any, text: str, position: int | None = None, active: bool = True
) -> DiagnosticsChecklistItem:
    require_permission(actor, "incidents.edit_checklist")
    if position is None:
        last = (
            DiagnosticsChecklistItem.objects.order_by("-position").values_list("position", flat=True).first()
        )
        position = (last or 0) + 10
    item = DiagnosticsChecklistItem(text=(text or "").strip(), position=position, active=active)
    with transaction.atomic():
        return record_create(actor=actor, obj=item)


def checklist_item_update(
    *, actor: Any, item: DiagnosticsChecklistItem, expected_version: int | None = None, **changes: Any
) -> DiagnosticsChecklistItem:
    require_permission(actor, "incidents.edit_checklist")
    unknown = set(changes) - {"text", "position", "active"}
    if unknown:
        raise ValidationFailed.field(sorted(unknown)[0], "This field cannot be changed.")
    if isinstance(changes.get("text"), str):
        changes["text"] = changes["text"].strip()
    with transaction.atomic():
        return record_update(actor=actor, obj=item, changes=changes, expected_version=expected_version)


# --- warnings and breaches (B6) ----------------------------------------------------------------


def sla_sweep(now: datetime | None = None) -> int:
    """B6: record each warning (at 80 % of a target) and breach (at the target) once, notify once,
    and offer escalation on a breach (C7). The sweep is sla's, for deadlines of every kind
    (sla.deadlines.deadlines_sweep); what an incident records is incident_sla_event_record, called
    through sla's seam. Returns how many were recorded."""
    return deadlines.deadlines_sweep(now=now)


def incident_sla_event_record(*, deadline: Deadline, kind: str) -> bool:
    """B6 for one of an incident's deadlines, inside the sweep's transaction: the SlaEvent (once: a
    unique constraint), the timeline entry, the notification, and on a breach the escalation offer
    (C7). Nothing for an incident no longer open or paused (the deadline says so first)."""
    if deadline.kind == DeadlineKind.EMAIL_REPLY:
        return _email_reply_event_record(deadline=deadline, kind=kind)
    target = _TARGET[deadline.kind]
    # The sweep holds the deadline's lock; waiting here for an incident whose agent waits for the
    # deadline would deadlock, so a busy incident is left to the next run (sla.signals.Postpone).
    incident = Incident.objects.select_for_update(skip_locked=True).filter(pk=deadline.owner_id).first()
    if incident is None and Incident.objects.filter(pk=deadline.owner_id).exists():
        raise Postpone()
    if (
        incident is None
        or incident.state not in OPEN_STATES
        or incident.paused_at is not None
        or getattr(incident, f"{target}_response_at") is not None
    ):
        return False
    at = deadline.warn_at if kind == SlaEventKind.WARNING else deadline.due_at
    try:
        with transaction.atomic():
            sla_event = SlaEvent.objects.create(incident=incident, target=target, kind=kind, at=at)
    except IntegrityError:
        return False
    label = SlaTarget(target).label.lower()
    if kind == SlaEventKind.BREACH:
        record_update(actor=None, obj=incident, changes={"escalation_offered": True})
        detail = f"The {label} target ({_fmt(at)}) was breached; escalation is offered."
        kind_event = EventKind.BREACH
    else:
        detail = f"The {label} target is close: warning at {_fmt(at)}."
        kind_event = EventKind.WARNING
    _event(incident, kind=kind_event, actor=None, at=at, detail=detail, public=kind == SlaEventKind.BREACH)
    notifications.notify_sla(_reload(incident), sla_event)
    paging.page_sla_event(incident, target=target, kind=kind, detail=detail)
    return True


# --- the 8-working-hour email reply (C7) ----------------------------------------------------

#: C7: "an email not answered within 8 working hours" is an escalation criterion.
EMAIL_REPLY_RULE = deadlines.Rule(hours=8)


def email_reply_await(*, incident: Incident, at: datetime) -> bool:
    """A customer's email arrived on `incident` at `at`: unless one is already waiting, it waits for
    a public reply from now, with an email_reply deadline 8 working hours later on the
    organisation's calendar (swept like every deadline: warned, breached). False if already waiting."""
    at = _instant(at)
    if not Incident.objects.filter(pk=incident.pk, awaiting_reply_since__isnull=True).update(
        awaiting_reply_since=at
    ):
        return False
    # A new wait is a new deadline: what the last one recorded (met, warned) does not carry over.
    Deadline.objects.filter(
        owner_type=DEADLINE_OWNER, owner_id=incident.pk, kind=DeadlineKind.EMAIL_REPLY
    ).delete()
    deadlines.deadline_set(
        owner_type=DEADLINE_OWNER,
        owner_id=incident.pk,
        kind=DeadlineKind.EMAIL_REPLY,
        calendar=incident.organisation.calendar,
        start=at,
        rule=EMAIL_REPLY_RULE,
        warning_fraction=sla.warning_fraction(incident.organisation),
    )
    incident.awaiting_reply_since = at
    return True


def email_reply_clear(*, incident: Incident, at: datetime) -> bool:
    """Staff posted a public note (a reply reaches the contact): the email is answered."""
    if not Incident.objects.filter(pk=incident.pk, awaiting_reply_since__isnull=False).update(
        awaiting_reply_since=None
    ):
        return False
    incident.awaiting_reply_since = None
    deadlines.deadline_meet(
        owner_type=DEADLINE_OWNER, owner_id=incident.pk, kind=DeadlineKind.EMAIL_REPLY, at=at
    )
    return True


def _email_reply_event_record(*, deadline: Deadline, kind: str) -> bool:
    """B6/C7 for the email reply deadline: a timeline entry (a breach is public and offers
    escalation: the C7 criterion "an email not answered within 8 working hours" is met)."""
    incident = Incident.objects.select_for_update(skip_locked=True).filter(pk=deadline.owner_id).first()
    if incident is None and Incident.objects.filter(pk=deadline.owner_id).exists():
        raise Postpone()
    if incident is None or incident.state not in OPEN_STATES or incident.awaiting_reply_since is None:
        return False
    if kind == SlaEventKind.BREACH:
        record_update(actor=None, obj=incident, changes={"escalation_offered": True})
        detail = (
            f"The customer's email of {_fmt(incident.awaiting_reply_since)} has not been answered within "
            "8 working hours; escalation is offered."
        )
        _event(incident, kind=EventKind.BREACH, actor=None, at=deadline.due_at, detail=detail, public=True)
    else:
        detail = f"The customer's email is due a reply by {_fmt(deadline.due_at)}."
        _event(incident, kind=EventKind.WARNING, actor=None, at=deadline.warn_at, detail=detail, public=False)
    return True


# --- recomputation after a calendar change (B5) ----------------------------------------------------


def incident_targets_copy(*, moved: deadlines.MovedSet) -> int:
    """B5: the incidents whose deadlines a calendar change moved (sla.deadlines.deadlines_recompute)
    get the new instants in their copies, and a next_target_at to match, in one set-based UPDATE
    per batch: PostgreSQL joins arrays (unnest) on id; SQLite runs one prepared UPDATE for all
    rows. The version moves, so an ETag taken before no longer matches. Runs inside sla's batch
    transaction, before sla writes the deadlines (owners are locked first, as in the services
    here). Returns how many incidents were written."""
    if not len(moved):
        return 0
    owners, index = np.unique(moved.owner_ids, return_inverse=True)
    initial = moved.kinds == _KIND[SlaTarget.INITIAL]
    # The email_reply deadline (C7) moves too, but has no copy on the incident.
    considered = moved.kinds == _KIND[SlaTarget.CONSIDERED]
    # Per incident: initial due, considered due, initial warning, considered warning; -1: unmoved.
    values = np.full((4, len(owners)), -1, dtype=np.int64)
    sources = ((initial, moved.due_at), (considered, moved.due_at))
    sources += ((initial, moved.warn_at), (considered, moved.warn_at))
    for row, (mask, source) in enumerate(sources):
        values[row, index[mask]] = source[mask]
    table = connection.ops.quote_name(Incident._meta.db_table)
    names = ("initial_response_due", "considered_response_due", "initial_warning_at", "considered_warning_at")
    column = {
        name: connection.ops.quote_name(Incident._meta.get_field(name).column)
        for name in (*names, "initial_response_at", "considered_response_at", "next_target_at", "state")
        + ("paused_at", "version", "updated_at")
    }
    now = timezone.now()
    pg = connection.vendor == "postgresql"
    instant = "to_timestamp({})" if pg else "datetime({}, 'unixepoch')"
    new = {
        name: f"CASE WHEN {alias} < 0 THEN t.{column[name]} ELSE {instant.format(alias)} END"
        for name, alias in zip(names, ("v.i_due", "v.c_due", "v.i_warn", "v.c_warn"), strict=True)
    }
    # The earliest unmet target of an open incident (as _next_target), from the new instants.
    initial_due = (
        f"CASE WHEN t.{column['initial_response_at']} IS NULL THEN {new['initial_response_due']} END"
    )
    considered_due = (
        f"CASE WHEN t.{column['considered_response_at']} IS NULL THEN {new['considered_response_due']} END"
    )
    states = ", ".join(f"'{state}'" for state in sorted(OPEN_STATES))
    next_target = (
        f"CASE WHEN t.{column['state']} NOT IN ({states}) OR t.{column['paused_at']} IS NOT NULL THEN NULL "
        f"WHEN ({initial_due}) IS NULL THEN {considered_due} "
        f"WHEN ({considered_due}) IS NULL THEN {initial_due} "
        f"WHEN ({initial_due}) < ({considered_due}) THEN {initial_due} ELSE {considered_due} END"
    )
    sets = ", ".join(f"{column[name]} = {new[name]}" for name in names)
    sets += f", {column['next_target_at']} = {next_target}"
    sets += f", {column['version']} = t.{column['version']} + 1, {column['updated_at']} = %s"
    with connection.cursor() as cursor:
        if pg:
            sql = (
                f"UPDATE {table} AS t SET {sets} FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], "
                "%s::bigint[], %s::bigint[]) AS v(id, i_due, c_due, i_warn, c_warn) WHERE t.id = v.id"
            )
            cursor.execute(sql, [now, owners.tolist(), *(row.tolist() for row in values)])
            return cursor.rowcount
        stamp = connection.ops.adapt_datetimefield_value(now)
        sql = (
            f"UPDATE {table} AS t SET {sets} FROM (SELECT %s AS id, %s AS i_due, %s AS c_due, "
            "%s AS i_warn, %s AS c_warn) AS v WHERE t.id = v.id"
        )
        cursor.executemany(
            sql, [(stamp, *row) for row in zip(owners.tolist(), *(r.tolist() for r in values), strict=True)]
        )
        return len(owners)
