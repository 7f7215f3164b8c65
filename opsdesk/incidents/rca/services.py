"""Root-cause analyses (C6): services that open, request, write and submit an RCA and its action
plan; and the selectors that read them (including the overdue list of the staff dashboard).

The due date is an sla.Deadline (owner "rca", 10 working days on the organisation's calendar, B7),
recomputed by sla when that calendar changes; `due_at` on the report is its copy, kept in step by
rca.receivers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from opsdesk.calendars.services import business_calendar
from opsdesk.core import humanize
from opsdesk.core.errors import Conflict, NotFound, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.roles import Role
from opsdesk.core.services import lock_for_update, record_create, record_update
from opsdesk.core.tenancy import object_in_scope
from opsdesk.directory.models import User
from opsdesk.incidents.addresses import reply_address
from opsdesk.incidents.choices import EventKind, Priority
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.paging import stop_rca_pages
from opsdesk.incidents.rca.models import RCA_SECTIONS, RcaAction, RcaState, RootCauseAnalysis
from opsdesk.notifications.services import notification_enqueue
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import Rule, copies_write, deadline_meet, deadline_plan, deadline_set
from opsdesk.sla.models import Deadline
from opsdesk.sla.services import warning_fraction

#: C6/B7: "Standard lead time for an incident RCA report is 10 working days."
RCA_LEAD_TIME_WORKING_DAYS = 10

SECTION_NAMES = tuple(name for name, _label in RCA_SECTIONS)
#: The owner type of an RCA's deadline (sla.Deadline.owner_type).
DEADLINE_OWNER = "rca"


# --- helpers -----------------------------------------------------------------------------------


def _due_plan(*, incident: Incident, start: dt.datetime) -> Deadline:
    """B7: due 10 working days after `start` on the organisation's calendar (warned at the
    organisation's B6 fraction)."""
    organisation = incident.organisation
    return deadline_plan(
        calendar=organisation.calendar,
        start=start,
        rule=Rule(working_days=RCA_LEAD_TIME_WORKING_DAYS),
        warning_fraction=warning_fraction(organisation),
    )


def _create(*, actor: Any, plan: Deadline, **fields: Any) -> RootCauseAnalysis:
    rca = record_create(actor=actor, obj=RootCauseAnalysis(due_at=plan.due_at, **fields))
    deadline_set(owner_type=DEADLINE_OWNER, owner_id=rca.pk, kind=DeadlineKind.RCA_DUE, plan=plan)
    return rca


def rca_due_at_copy(*, moved: Any) -> int:
    """B5: the reports whose deadline a calendar change moved get the new due time (their copy),
    set-based (sla.deadlines.copies_write); the version moves so an ETag taken before no longer
    matches."""
    return copies_write(model=RootCauseAnalysis, moved=moved, fields={DeadlineKind.RCA_DUE: "due_at"})


def _notify(rca: RootCauseAnalysis, step: str, subject: str, *, actor: Any = None) -> None:
    """The organisation's service manager (CSDM) and the incident's assignee hear of every step;
    the reporting contact hears when the report is submitted."""
    incident = rca.incident
    recipients = []
    csdm = incident.organisation.csdm
    if csdm is not None and csdm.is_active:
        recipients.append(csdm.email)
    if incident.assignee_id and incident.assignee.is_active:
        recipients.append(incident.assignee.email)
    if step == "submitted" and incident.reported_by_id:
        recipients.append(incident.reported_by.email)
    if rca.requested_by_id and rca.requested_by.is_active:
        recipients.append(rca.requested_by.email)
    due = rca.due_at.astimezone(business_calendar(incident.organisation.calendar).zone)
    lines = [
        f"Incident: {incident}",
        f"Root-cause analysis due: {humanize.when(due, due.tzinfo)}",
        *(["Possibly chargeable (P2 on request)."] if rca.chargeable else []),
    ]
    notification_enqueue(
        event=f"rca.{step}",
        organisation=incident.organisation,
        recipients=recipients,
        subject=f"[{incident.reference or incident.pk}] {subject}",
        body="\n".join(lines),
        payload={"rca": rca.pk, "incident": incident.pk, "state": rca.state, "due_at": rca.due_at},
        dedup_key=f"rca:{rca.pk}:{step}",
        reply_to=reply_address(incident.pk),
    )
    _timeline(incident, actor=actor, detail=f"{subject}; due {humanize.when(due, due.tzinfo)}.")


def _timeline(incident: Incident, *, actor: Any, detail: str) -> None:
    """A C5 timeline entry for an RCA step."""
    IncidentEvent.objects.create(
        incident=incident,
        kind=EventKind.RCA,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=timezone.now(),
        detail=detail[:5000],
        public=True,
    )


def _check_scope(actor: Any, obj: Any) -> None:
    if not object_in_scope(actor, obj):
        raise NotFound()


# --- services ----------------------------------------------------------------------------------


def rca_open_for_closed_p1(*, incident: Incident, actor: Any = None) -> RootCauseAnalysis | None:
    """C6: closing a P1 opens its RCA, due 10 working days after the closure on the organisation's
    calendar (B7). incident_close calls this inside its transaction, after setting closed_at
    (without one, now is the closure instant). Idempotent: an incident has one RCA, and a second
    call returns it. Not a P1: nothing to do, returns None. `actor` is recorded in the audit
    event (None: the system)."""
    if incident.priority != Priority.P1:
        return None
    existing = RootCauseAnalysis.objects.filter(incident_id=incident.pk).first()
    if existing is not None:
        return existing
    closed_at = incident.closed_at or timezone.now()
    with transaction.atomic():
        rca = _create(actor=actor, plan=_due_plan(incident=incident, start=closed_at), incident=incident)
        _notify(rca, "opened", "Root-cause analysis opened", actor=actor)
        return rca


def rca_request(*, actor: Any, incident: Incident, at: dt.datetime | None = None) -> RootCauseAnalysis:
    """C6: a P2 may get an RCA on request (by the customer or the provider), "considered and
    reviewed where appropriate and may be subject to professional service charges": it is flagged
    chargeable and due 10 working days after the request. A P1 gets its RCA when it closes; P3/P4
    get none."""
    require_permission(actor, "incidents.request_rca")
    _check_scope(actor, incident)
    if incident.priority == Priority.P1:
        raise ValidationFailed.field(
            "priority", "A P1 gets its root-cause analysis automatically when it is closed."
        )
    if incident.priority != Priority.P2:
        raise ValidationFailed.field(
            "priority",
            f"Only a P2 may have a root-cause analysis on request; {incident.reference or 'this incident'} "
            f"is {incident.priority}.",
        )
    at = at or timezone.now()
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if RootCauseAnalysis.objects.filter(incident=locked).exists():
            raise Conflict(
                "A root-cause analysis was already requested for this incident.",
                [{"field": "incident", "message": "This incident already has a root-cause analysis."}],
            )
        rca = _create(
            actor=actor,
            plan=_due_plan(incident=locked, start=at),
            incident=locked,
            chargeable=True,
            requested_by=actor,
        )
        _notify(rca, "requested", "Root-cause analysis requested (possibly chargeable)", actor=actor)
        return rca


def rca_update(
    *, actor: Any, rca: RootCauseAnalysis, expected_version: int | None = None, **changes: Any
) -> RootCauseAnalysis:
    """C6: write the sections of a draft (impact, timeline of events, assessment of monitoring and
    metrics, lessons learned, recommendations)."""
    require_permission(actor, "incidents.rca")
    unknown = sorted(set(changes) - set(SECTION_NAMES))
    if unknown:
        raise ValidationFailed.field(unknown[0], "This field cannot be changed here.")
    changes = {name: (value or "") for name, value in changes.items()}
    with transaction.atomic():
        current = lock_for_update(rca, expected_version)
        if current.state != RcaState.DRAFT:
            raise ValidationFailed.field(
                "state",
                f"A {current.get_state_display().lower()} root-cause analysis can no longer be edited.",
            )
        return record_update(actor=actor, obj=current, changes=changes, expected_version=expected_version)


def _owner(rca: RootCauseAnalysis, owner: Any) -> User | None:
    """An action is owned by provider staff or by a customer user of the organisation (RACI, K)."""
    if owner in (None, ""):
        return None
    pk = owner.pk if isinstance(owner, User) else owner
    person = User.objects.filter(pk=pk, is_active=True).first() if str(pk).isdigit() else None
    if person is not None and (
        person.is_provider_staff
        or (person.role == Role.CUSTOMER and person.customer_organisation_id == rca.incident.organisation_id)
    ):
        return person
    raise ValidationFailed.field("owner", "Must be an active provider user or a user of the customer.")


def rca_action_add(
    *,
    actor: Any,
    rca: RootCauseAnalysis,
    description: str,
    owner: Any = None,
    due_date: dt.date | None = None,
    runbook_update: bool = False,
) -> RcaAction:
    """C6: one line of the action plan (including runbook updates)."""
    require_permission(actor, "incidents.rca")
    if not (description or "").strip():
        raise ValidationFailed.field("description", "Describe the action.")
    with transaction.atomic():
        action = RcaAction(
            rca=rca,
            description=description.strip(),
            owner=_owner(rca, owner),
            due_date=due_date,
            runbook_update=runbook_update,
        )
        return record_create(actor=actor, obj=action)


def rca_action_update(
    *,
    actor: Any,
    action: RcaAction,
    expected_version: int | None = None,
    done: bool | None = None,
    **changes: Any,
) -> RcaAction:
    """Change an action of the plan; `done` marks it done now (or not done)."""
    require_permission(actor, "incidents.rca")
    unknown = sorted(set(changes) - {"description", "owner", "due_date", "runbook_update"})
    if unknown:
        raise ValidationFailed.field(unknown[0], "This field cannot be changed.")
    if "description" in changes and not (changes["description"] or "").strip():
        raise ValidationFailed.field("description", "Describe the action.")
    if "owner" in changes:
        changes["owner"] = _owner(action.rca, changes["owner"])
    if "runbook_update" in changes and changes["runbook_update"] is None:
        changes.pop("runbook_update")
    if done is not None:
        changes["done_at"] = (action.done_at or timezone.now()) if done else None
    with transaction.atomic():
        return record_update(actor=actor, obj=action, changes=changes, expected_version=expected_version)


def rca_submit(
    *, actor: Any, rca: RootCauseAnalysis, expected_version: int | None = None, at: dt.datetime | None = None
) -> RootCauseAnalysis:
    """C6: a report is submitted only when every section is written and the action plan has at
    least one action; the error names each thing missing."""
    require_permission(actor, "incidents.rca")
    with transaction.atomic():
        current = lock_for_update(rca, expected_version)
        if current.state != RcaState.DRAFT:
            raise ValidationFailed.field(
                "state", f"This root-cause analysis is already {current.get_state_display().lower()}."
            )
        errors = [
            {"field": name, "message": f"{label} is empty."}
            for name, label in RCA_SECTIONS
            if not getattr(current, name).strip()
        ]
        if not current.actions.exists():
            errors.append({"field": "actions", "message": "The action plan has no actions."})
        if errors:
            raise ValidationFailed(
                "Cannot submit: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
            )
        submitted_at = at or timezone.now()
        updated = record_update(
            actor=actor,
            obj=current,
            changes={"state": RcaState.SUBMITTED, "submitted_at": submitted_at, "submitted_by": actor},
        )
        deadline_meet(
            owner_type=DEADLINE_OWNER, owner_id=updated.pk, kind=DeadlineKind.RCA_DUE, at=submitted_at
        )
        stop_rca_pages(updated, actor=actor)
        _notify(updated, "submitted", "Root-cause analysis submitted", actor=actor)
        return updated


def rca_accept(
    *,
    actor: Any,
    rca: RootCauseAnalysis,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> RootCauseAnalysis:
    """The customer (or staff on their behalf) accepts a submitted report."""
    require_permission(actor, "incidents.request_rca")
    _check_scope(actor, rca)
    with transaction.atomic():
        current = lock_for_update(rca, expected_version)
        if current.state != RcaState.SUBMITTED:
            raise ValidationFailed.field(
                "state",
                "Only a submitted report can be accepted; this one is "
                f"{current.get_state_display().lower()}.",
            )
        updated = record_update(
            actor=actor,
            obj=current,
            changes={"state": RcaState.ACCEPTED, "accepted_at": at or timezone.now(), "accepted_by": actor},
        )
        _notify(updated, "accepted", "Root-cause analysis accepted", actor=actor)
        return updated
