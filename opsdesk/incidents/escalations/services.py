"""Escalations (C7): services that raise an incident into the escalation matrix, move it up a
level, acknowledge and answer it (the reads are in selectors.py).

The matrix and the criteria are data (EscalationLevel, EscalationCriterion, seeded by migration
0004); this module is the one place that applies them. Working-hour targets go through the
calendar engine on the `uk` calendar: escalations are handled Mon–Fri 09:00–17:00 Europe/London,
whatever the organisation's own calendar (C7). Each target is an sla.Deadline (owner
"escalation"), recomputed by sla when the calendar changes; `acknowledgement_due` and
`considered_response_due` on the escalation are its copies, kept in step by escalations.receivers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsdesk.calendars.engine import BusinessCalendar
from opsdesk.calendars.selectors import calendar_by_name
from opsdesk.calendars.services import business_calendar
from opsdesk.core import humanize
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.roles import Role
from opsdesk.core.services import lock_for_update, record_create, record_update
from opsdesk.core.tenancy import object_in_scope
from opsdesk.core.validation import reject_nul
from opsdesk.directory.models import NamedContact, User
from opsdesk.incidents.addresses import reply_address
from opsdesk.incidents.choices import EventKind, IncidentState
from opsdesk.incidents.escalations.models import (
    ACTIVE_ESCALATION_STATES,
    Escalation,
    EscalationCriterion,
    EscalationLevel,
    EscalationState,
)
from opsdesk.incidents.escalations.selectors import active_escalation, escalation_criterion_list
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.paging import (
    ESCALATION_ACKNOWLEDGED_CAUSES,
    page_escalation_raised,
    stop_escalation_pages,
)
from opsdesk.notifications.services import notification_enqueue
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import (
    Rule,
    copies_write,
    deadline_meet,
    deadline_plan,
    deadline_set,
    deadlines_close,
)
from opsdesk.sla.models import Deadline
from opsdesk.sla.services import warning_fraction

#: C7: "Escalations will be accepted and managed Mon–Fri 09:00–17:00" (UK time).
ESCALATION_CALENDAR = "uk"
#: C7: level 1 is the service desk's normal handling; an escalation enters the matrix here.
FIRST_ESCALATION_LEVEL = 2
#: The owner type of an escalation's deadlines (sla.Deadline.owner_type).
DEADLINE_OWNER = "escalation"
#: Each target: its deadline kind, the level's hours and the escalation's copy of the due time.
_TARGETS = (
    (DeadlineKind.ESCALATION_ACKNOWLEDGEMENT, "acknowledgement_hours", "acknowledgement_due"),
    (DeadlineKind.ESCALATION_RESPONSE, "considered_response_hours", "considered_response_due"),
)


def escalation_clock() -> BusinessCalendar:
    return business_calendar(calendar_by_name(ESCALATION_CALENDAR))


# --- helpers -----------------------------------------------------------------------------------


def _instant(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationFailed.field("at", "A timestamp needs a UTC offset.")
    return at


def _criterion(value: Any) -> EscalationCriterion | dict[str, str]:
    """An active criterion by instance, code or id; else the error entry naming the choices."""
    active = escalation_criterion_list()
    found = None
    if isinstance(value, EscalationCriterion):
        found = active.filter(pk=value.pk).first()
    elif isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        found = active.filter(pk=int(value)).first()
    elif isinstance(value, str) and value.strip():
        found = active.filter(code=value.strip()).first()
    if found is not None:
        return found
    # API clients send codes; the page's form names the criteria by their text (forms.EscalateForm).
    codes = ", ".join(active.values_list("code", flat=True))
    if value in (None, ""):
        return {"field": "criterion", "message": f"Give one of the escalation criteria: {codes}."}
    return {"field": "criterion", "message": f"Unknown escalation criterion '{value}'. Use one of: {codes}."}


def _contact(*, actor: Any, incident: Incident, contact: Any) -> NamedContact | dict[str, str]:
    """C7: "Escalations can only be raised by the customer contacts who are registered as named
    contacts against the order" — here the incident's service (A5) — and, as their flags allow
    (A3), only by an escalation contact. A customer user escalates as their own contact; staff
    escalating on a customer's behalf (e.g. after a telephone call) name that contact. An incident
    with no service (a proactive one, C3) may be escalated by any escalation contact of its
    organisation."""
    if actor.role == Role.CUSTOMER:
        own = NamedContact.objects.get(pk=actor.contact_id)
        if contact not in (None, "", own, own.pk, str(own.pk)):
            return {"field": "contact", "message": "A customer user escalates as their own named contact."}
        person = own
    else:
        if contact in (None, ""):
            return {"field": "contact", "message": "Name the contact who asked for the escalation."}
        pk = contact.pk if isinstance(contact, NamedContact) else contact
        person = (
            NamedContact.objects.filter(organisation_id=incident.organisation_id, pk=pk).first()
            if str(pk).isdigit()
            else None
        )
        if person is None:
            return {"field": "contact", "message": f"Not a named contact of {incident.organisation}."}
    if incident.service_id is not None:
        if not incident.service.contacts.filter(pk=person.pk).exists():
            return {
                "field": "contact",
                "message": f"{person} is not registered as a named contact on the service "
                f"{incident.service.reference}, so cannot escalate this incident.",
            }
    elif person.organisation_id != incident.organisation_id:
        return {"field": "contact", "message": f"Not a named contact of {incident.organisation}."}
    if not person.is_escalation_contact:
        return {"field": "contact", "message": f"{person} is not an escalation contact."}
    return person


def _raise(errors: list[dict[str, str]]) -> None:
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def _plans(level: EscalationLevel, at: dt.datetime, incident: Incident) -> dict[str, Deadline]:
    """C7 targets of a level in working hours on the escalation calendar, counted from the raise
    instant (from the next opening when raised outside hours, which is then best endeavours), as
    deadlines not yet stored; a level without a target has no deadline of that kind."""
    calendar = calendar_by_name(ESCALATION_CALENDAR)
    fraction = warning_fraction(incident.organisation)
    return {
        kind: deadline_plan(
            calendar=calendar, start=at, rule=Rule(hours=getattr(level, hours)), warning_fraction=fraction
        )
        for kind, hours, _copy in _TARGETS
        if getattr(level, hours)
    }


def escalation_due_copy(*, moved: Any) -> int:
    """B5: the escalations whose deadlines a calendar change moved get the new due times (their
    copies), set-based (sla.deadlines.copies_write); the version moves so an ETag taken before no
    longer matches."""
    return copies_write(model=Escalation, moved=moved, fields={kind: copy for kind, _hours, copy in _TARGETS})


def _check_scope(actor: Any, incident: Incident) -> None:
    if not object_in_scope(actor, incident):
        raise NotFound()


def _check_handler(actor: Any, escalation: Escalation) -> None:
    """C7: a level is handled by its role; a more senior level of the matrix may step in."""
    require_permission(actor, "incidents.manage_escalations")
    level = escalation.level
    allowed = set(EscalationLevel.objects.filter(level__gte=level.level).values_list("role", flat=True))
    if actor.role not in allowed:
        raise PermissionDenied(
            f"A level {level.level} escalation is handled by the {Role(level.role).label.lower()} "
            "or a more senior level of the escalation matrix."
        )


def _fmt(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return humanize.when(value, escalation_clock().zone)


def _recipients(escalation: Escalation) -> tuple[list[str], list[str], list[str]]:
    """(the level's people, those copied, the raising contact) as email addresses (C7)."""
    level = escalation.level
    handlers = list(
        User.objects.filter(role=level.role, is_active=True).order_by("pk").values_list("email", flat=True)
    )
    copied_roles = [c.role for c in level.copied.all()]
    copies = list(
        User.objects.filter(role__in=copied_roles, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
    csdm = escalation.incident.organisation.csdm
    if level.copy_service_manager and csdm is not None and csdm.is_active:
        copies.append(csdm.email)
    return handlers, copies, [escalation.raised_by_contact.email]


_STEP_SUBJECTS = {
    "raised": "Escalated to level {level}",
    "level_raised": "Escalated to level {level}",
    "acknowledged": "Level {level} escalation acknowledged",
    "responded": "Level {level} escalation: considered response",
    "closed": "Level {level} escalation closed",
}


def _notify(escalation: Escalation, step: str, *, actor: Any, at: dt.datetime) -> None:
    """C7: every step goes to the level's people and those the matrix copies (the levels listed
    and, where it says so, the organisation's service manager), and to the raising contact."""
    handlers, copies, contact = _recipients(escalation)
    level = escalation.level
    incident = escalation.incident
    copied = [f"level {c.level} ({c.name})" for c in level.copied.all()]
    if level.copy_service_manager:
        copied.append("service manager")
    lines = [
        f"Incident: {incident}",
        f"Level {level.level}: {level.name}",
        f"Criterion: {escalation.criterion.text}",
        f"Raised by: {escalation.raised_by_contact.name} at {_fmt(escalation.raised_at)}",
    ]
    if escalation.grounds:
        lines.append(f"Moved up because: {escalation.grounds}")
    if escalation.details:
        lines += ["", escalation.details, ""]
    if escalation.acknowledgement_due:
        lines.append(f"Acknowledgement due: {_fmt(escalation.acknowledgement_due)}")
    if escalation.considered_response_due:
        lines.append(f"Considered response due: {_fmt(escalation.considered_response_due)}")
    if escalation.best_endeavours:
        lines.append(
            "Raised outside Mon–Fri 09:00–17:00: handled on a best-endeavours basis until the next "
            "working day."
        )
    if step == "responded":
        lines += ["", "Considered response:", escalation.response]
    if escalation.closure_reason:
        lines.append(f"Closed: {escalation.closure_reason}")
    lines.append(f"Copied: {', '.join(copied) or 'nobody'}")
    notification_enqueue(
        event=f"escalation.{step}",
        organisation=incident.organisation,
        recipients=[*handlers, *copies, *contact],
        subject=f"[{incident.reference or incident.pk}] {_STEP_SUBJECTS[step].format(level=level.level)}",
        body="\n".join(lines),
        payload={
            "escalation": escalation.pk,
            "incident": incident.pk,
            "level": level.level,
            "state": escalation.state,
            "criterion": escalation.criterion.code,
            "best_endeavours": escalation.best_endeavours,
            "acknowledgement_due": escalation.acknowledgement_due,
            "considered_response_due": escalation.considered_response_due,
        },
        dedup_key=f"escalation:{escalation.pk}:{step}",
        reply_to=reply_address(incident.pk),
    )
    summary = _STEP_SUBJECTS[step].format(level=level.level)
    _timeline(
        incident,
        actor=actor,
        at=at,
        detail=f"{summary} ({level.name}): {escalation.criterion.text}."
        + (" Best endeavours (outside Mon–Fri 09:00–17:00)." if escalation.best_endeavours else ""),
    )


def _timeline(incident: Incident, *, actor: Any, at: dt.datetime, detail: str) -> None:
    """A C5 timeline entry for an escalation step."""
    IncidentEvent.objects.create(
        incident=incident,
        kind=EventKind.ESCALATION,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
        detail=detail[:5000],
        public=True,
    )


def _criteria_met_at(escalation: Escalation, at: dt.datetime) -> str | None:
    """Why the criteria are met at the escalation's current level, or None when they are not yet.

    C7: "A level moves up only when the criteria are met at the current level" (the seed: "Escalate
    to level 3 if escalation criteria met at level 2"). Read as: the current level has had its
    chance and the customer still has a criterion against its handling, which is the case when
    - its considered response is overdue (the target passed without one: "agreed plan or
      timescales at a specific escalation level are not met"), or
    - its acknowledgement is overdue, or
    - it has given its considered response and the customer, giving a criterion, is not satisfied
      with that handling.
    While the level is still within its targets and has not answered, there is no handling at that
    level to be dissatisfied with yet, so the escalation stays where it is.
    """
    if escalation.state == EscalationState.RESPONDED:
        return f"the customer is not satisfied with level {escalation.level.level}'s considered response"
    due = escalation.considered_response_due
    if due is not None and escalation.considered_response_at is None and at > due:
        return f"level {escalation.level.level}'s considered response was due by {_fmt(due)} and not given"
    due = escalation.acknowledgement_due
    if due is not None and escalation.acknowledged_at is None and at > due:
        return f"level {escalation.level.level}'s acknowledgement was due by {_fmt(due)} and not given"
    return None


# --- services ----------------------------------------------------------------------------------


def escalation_raise(
    *,
    actor: Any,
    incident: Incident,
    criterion: Any,
    details: str = "",
    contact: Any = None,
    at: dt.datetime | None = None,
) -> Escalation:
    """C7: a named contact escalates an incident, giving one of the criteria. It enters the matrix
    at level 2 (level 1 is the service desk's normal handling) with the level's acknowledgement and
    considered-response targets in working hours; raised outside Mon–Fri 09:00–17:00 it is
    accepted and marked best endeavours. When the incident already has an escalation in force,
    raising again is a request to move that one up: see escalation_raise_level."""
    require_permission(actor, "incidents.escalate")
    _check_scope(actor, incident)
    reject_nul(details=details)
    at = _instant(at)
    with transaction.atomic():
        # One raise at a time per incident: the second waits and then sees the first. Only the
        # incident row is locked (its service and CSDM may be empty: outer joins).
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("organisation__csdm", "service")
            .get(pk=incident.pk)
        )
        found = _criterion(criterion)
        person = _contact(actor=actor, incident=incident, contact=contact)
        errors = [e for e in (found, person) if isinstance(e, dict)]
        if incident.state == IncidentState.CLOSED:
            errors.append({"field": "incident", "message": f"{incident} is closed; it cannot be escalated."})
        _raise(errors)
        current = active_escalation(incident)
        if current is not None:
            return _move_up(
                actor=actor, escalation=current, criterion=found, details=details, contact=person, at=at
            )
        level = EscalationLevel.objects.filter(level=FIRST_ESCALATION_LEVEL).first()
        if level is None:
            raise ValidationFailed.field(
                "level", f"The escalation matrix has no level {FIRST_ESCALATION_LEVEL}."
            )
        return _open(
            actor=actor,
            at=at,
            event="raised",
            level=level,
            incident=incident,
            criterion=found,
            details=details or "",
            raised_by_contact=person,
        )


def _open(*, actor: Any, at: dt.datetime, event: str, level: Any, **fields: Any) -> Escalation:
    """A new escalation at `level` (raised, or the next level up): its targets by the engine (C7),
    stored with its audit event, and the level's people notified."""
    plans = _plans(level, at, fields["incident"])
    escalation = Escalation(
        level=level,
        raised_by=actor,
        raised_at=at,
        best_endeavours=not escalation_clock().is_open(at),
        **{copy: plans[kind].due_at if kind in plans else None for kind, _hours, copy in _TARGETS},
        **fields,
    )
    record_create(actor=actor, obj=escalation)
    for kind, plan in plans.items():
        deadline_set(owner_type=DEADLINE_OWNER, owner_id=escalation.pk, kind=kind, plan=plan)
    _notify(escalation, event, actor=actor, at=at)
    page_escalation_raised(escalation)
    return escalation


def escalation_raise_level(
    *,
    actor: Any,
    escalation: Escalation,
    criterion: Any,
    details: str = "",
    contact: Any = None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Escalation:
    """C7: move an escalation in force up ONE level; level 4 is the top (error on "level").

    "A level moves up only when the criteria are met at the current level" (C7; the seed's "escalate
    to level 3 if escalation criteria met at level 2"). A criterion is always required, and it must
    be one *against the current level's handling*, which exists only once that level has had its
    chance: its considered-response (or acknowledgement) target has passed without one, or it has
    given its considered response and the customer is still not satisfied. While the level is within
    its targets and has not answered, the request is refused (error on "criterion", saying until
    when the level has). See _criteria_met_at.

    The current row is marked `escalated` and a new row at the next level, linked to it by
    `previous`, carries that level's targets from now. A customer raises as their own contact; staff
    act for the contact named (by default the one who raised the escalation). Returns the new row."""
    require_permission(actor, "incidents.escalate")
    _check_scope(actor, escalation.incident)
    reject_nul(details=details)
    at = _instant(at)
    with transaction.atomic():
        # Only the incident row is locked (its service and CSDM may be empty: outer joins).
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("organisation__csdm", "service")
            .get(pk=escalation.incident_id)
        )
        if contact is None and actor.role != Role.CUSTOMER:
            contact = escalation.raised_by_contact_id
        found = _criterion(criterion)
        person = _contact(actor=actor, incident=incident, contact=contact)
        _raise([e for e in (found, person) if isinstance(e, dict)])
        return _move_up(
            actor=actor,
            escalation=escalation,
            criterion=found,
            details=details,
            contact=person,
            at=at,
            expected_version=expected_version,
        )


def _move_up(
    *,
    actor: Any,
    escalation: Escalation,
    criterion: EscalationCriterion,
    details: str,
    contact: NamedContact,
    at: dt.datetime,
    expected_version: int | None = None,
) -> Escalation:
    current = lock_for_update(escalation, expected_version)
    if current.state not in ACTIVE_ESCALATION_STATES:
        raise ValidationFailed.field(
            "escalation",
            f"This escalation is {current.get_state_display().lower()}; it is no longer in force.",
        )
    level = current.level
    following = EscalationLevel.objects.filter(level=level.level + 1).first()
    if following is None:
        raise ValidationFailed.field(
            "level", f"Level {level.level} ({level.name}) is the top of the escalation matrix."
        )
    grounds = _criteria_met_at(current, at)
    if grounds is None:
        due = current.considered_response_due or current.acknowledgement_due
        raise ValidationFailed.field(
            "criterion",
            f"The escalation criteria are not met at level {level.level} yet: it has until {_fmt(due)} to "
            "give its considered response. Escalate again if that is missed, or if you are not "
            "satisfied with the response.",
        )
    record_update(actor=actor, obj=current, changes={"state": EscalationState.ESCALATED, "closed_at": at})
    deadlines_close(owner_type=DEADLINE_OWNER, owner_ids=[current.pk], at=at)
    stop_escalation_pages(current, reason=f"Escalated to level {following.level}.", actor=actor)
    return _open(
        actor=actor,
        at=at,
        event="level_raised",
        level=following,
        incident=current.incident,
        criterion=criterion,
        details=details or "",
        grounds=grounds[:300],
        previous=current,
        raised_by_contact=contact,
    )


def escalation_acknowledge(
    *, actor: Any, escalation: Escalation, at: dt.datetime | None = None, expected_version: int | None = None
) -> Escalation:
    """C7: the level's people acknowledge the escalation (level 2: within 1 working hour).
    `expected_version` (an If-Match) is compared with the row under lock: 412 when it moved on."""
    _check_handler(actor, escalation)
    at = _instant(at)
    with transaction.atomic():
        current = lock_for_update(escalation, expected_version)
        if current.state != EscalationState.OPEN:
            raise ValidationFailed.field(
                "state",
                "Only an open escalation can be acknowledged; this one is "
                f"{current.get_state_display().lower()}.",
            )
        updated = record_update(
            actor=actor,
            obj=current,
            changes={"state": EscalationState.ACKNOWLEDGED, "acknowledged_at": at, "acknowledged_by": actor},
        )
        deadline_meet(
            owner_type=DEADLINE_OWNER,
            owner_id=updated.pk,
            kind=DeadlineKind.ESCALATION_ACKNOWLEDGEMENT,
            at=at,
        )
        stop_escalation_pages(
            updated,
            reason="The escalation was acknowledged.",
            causes=ESCALATION_ACKNOWLEDGED_CAUSES,
            actor=actor,
        )
        _notify(updated, "acknowledged", actor=actor, at=at)
        return updated


def escalation_respond(
    *,
    actor: Any,
    escalation: Escalation,
    response: str,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Escalation:
    """C7: the level's considered response (level 2: 2, level 3: 3, level 4: 4 working hours). A
    response without an acknowledgement first acknowledges too."""
    _check_handler(actor, escalation)
    reject_nul(response=response)
    at = _instant(at)
    if not (response or "").strip():
        raise ValidationFailed.field("response", "Write the considered response.")
    with transaction.atomic():
        current = lock_for_update(escalation, expected_version)
        if current.state not in (EscalationState.OPEN, EscalationState.ACKNOWLEDGED):
            raise ValidationFailed.field(
                "state",
                f"Only an open or acknowledged escalation can be answered; this one is "
                f"{current.get_state_display().lower()}.",
            )
        changes: dict[str, Any] = {
            "state": EscalationState.RESPONDED,
            "considered_response_at": at,
            "responded_by": actor,
            "response": response.strip(),
        }
        if current.acknowledged_at is None:
            changes.update(acknowledged_at=at, acknowledged_by=actor)
        updated = record_update(actor=actor, obj=current, changes=changes)
        for kind, _hours, _copy in _TARGETS:  # a response without an acknowledgement meets both
            deadline_meet(owner_type=DEADLINE_OWNER, owner_id=updated.pk, kind=kind, at=at)
        stop_escalation_pages(updated, reason="The escalation's considered response was given.", actor=actor)
        _notify(updated, "responded", actor=actor, at=at)
        return updated


def escalation_close(
    *,
    actor: Any,
    escalation: Escalation,
    reason: str = "",
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Escalation:
    """The escalation is resolved to the customer's satisfaction (or overtaken by events)."""
    _check_handler(actor, escalation)
    return _close(
        actor=actor, escalation=escalation, reason=reason, at=_instant(at), expected_version=expected_version
    )


def escalations_close_for_incident(*, incident: Incident, actor: Any = None) -> Escalation | None:
    """For incident_close (C4): the escalation in force, if any, closes with its incident. Call
    inside the closing transaction."""
    current = active_escalation(incident)
    if current is None:
        return None
    return _close(actor=actor, escalation=current, reason="The incident was closed.", at=timezone.now())


def _close(
    *, actor: Any, escalation: Escalation, reason: str, at: dt.datetime, expected_version: int | None = None
) -> Escalation:
    reject_nul(reason=reason)
    with transaction.atomic():
        current = lock_for_update(escalation, expected_version)
        if current.state not in ACTIVE_ESCALATION_STATES:
            raise ValidationFailed.field(
                "state", f"This escalation is already {current.get_state_display().lower()}."
            )
        updated = record_update(
            actor=actor,
            obj=current,
            changes={
                "state": EscalationState.CLOSED,
                "closed_at": at,
                "closure_reason": (reason or "").strip()[:500],
            },
        )
        deadlines_close(owner_type=DEADLINE_OWNER, owner_ids=[updated.pk], at=at)
        stop_escalation_pages(updated, reason="The escalation was closed.", actor=actor)
        _notify(updated, "closed", actor=actor, at=at)
        return updated
