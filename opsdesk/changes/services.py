"""Writes of change management (D1–D5). Every service checks the permission, locks the change and
compares the version the caller saw (If-Match), refuses what the change's level and state do not
allow (naming them), writes in one transaction, audits (L1) and adds the transition, with who and
when, to the change's timeline.

Due times are sla deadlines (owner "change"): a level-1 change is implemented within 2 working days
of its submission (CHANGE_IMPLEMENTATION), a level-2 change reviewed and its delivery approach
agreed within 10 working days (CHANGE_REVIEW), both on the organisation's calendar, explained,
warned, breached and recomputed with it (B5) like every other due time; the change keeps copies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsdesk.calendars.services import business_calendar
from opsdesk.changes.choices import (
    FINAL_STATES,
    INITIAL_STATE,
    SCHEDULABLE,
    TRANSITIONS,
    UNDER_WAY,
    ApprovalSide,
    ChangeLevel,
    ChangeState,
    Decision,
    EmergencyReason,
    Urgency,
)
from opsdesk.changes.models import (
    ApprovalRule,
    ApprovedPipeline,
    Change,
    ChangeApproval,
    ChangeEvent,
    ChangeReferenceCounter,
    ChangeWindow,
    PriorityCall,
    StandardChange,
)
from opsdesk.core import humanize
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.limits import check_window
from opsdesk.core.permissions import require_permission
from opsdesk.core.roles import Role
from opsdesk.core.services import lock_for_update, record_create, record_delete, record_update
from opsdesk.core.tenancy import object_in_scope
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Service, User
from opsdesk.notifications.services import notification_enqueue
from opsdesk.schedule import selectors as schedule_selectors
from opsdesk.schedule import services as schedule
from opsdesk.schedule.choices import WindowKind, WindowPhase
from opsdesk.sla.choices import DeadlineKind, Priority
from opsdesk.sla.deadlines import Rule, copies_write, deadline_meet, deadline_set, deadlines_close
from opsdesk.sla.services import warning_fraction

VIEW = "changes.view"
SUBMIT = "changes.submit"
MANAGE = "changes.manage"
DECIDE = "changes.decide"
MANAGE_CATALOGUE = "changes.manage_catalogue"

#: The owner type of a change's deadlines (sla.Deadline.owner_type).
DEADLINE_OWNER = "change"
#: D3: level 1 "implemented within 2 working days"; level 2 "reviewed and delivery approach agreed
#: within 10 working days".
IMPLEMENTATION_WORKING_DAYS = 2
REVIEW_WORKING_DAYS = 10
MAX_CHECKLIST = 50

#: What PATCH may change; everything else moves with a step of the change.
EDITABLE = frozenset(
    {
        "title",
        "description",
        "documents",
        "urgency",
        "impact_statement",
        "lead_availability_in_hours",
        "lead_availability_out_of_hours",
        "test_plan",
        "requested_start",
        "requested_end",
        "impact_assessment",
        "engaged",
        "statement_of_work",
        "backout_plan",
        "cost_impact",
        "checklist",
        "vulnerability_reference",
    }
)
#: D4: what must be written before a level-2 change leaves a step (state -> fields).
STEP_NEEDS: dict[str, tuple[str, ...]] = {
    ChangeState.IMPACT_ASSESSMENT: ("impact_assessment",),
    ChangeState.ENGAGEMENT: ("engaged",),
    ChangeState.PLANNING: ("statement_of_work", "backout_plan", "cost_impact", "test_plan"),
}
FIELD_LABELS = {
    "impact_assessment": "an impact assessment",
    "engaged": "who is engaged",
    "statement_of_work": "a statement of work",
    "backout_plan": "a backout plan",
    "cost_impact": "the cost impact",
    "test_plan": "a test and validation plan",
}
PRIORITY_RANK = {Priority.P1: 1, Priority.P2: 2, Priority.P3: 3, Priority.P4: 4}


# --- helpers -----------------------------------------------------------------------------------


def state_label(state: str) -> str:
    return ChangeState(state).label.lower()


def _event(change: Change, *, actor: Any, from_state: str, note: str = "") -> None:
    ChangeEvent.objects.create(
        change=change,
        from_state=from_state,
        to_state=change.state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=timezone.now(),
        note=note[:1000],
    )


def _move(
    actor: Any, change: Change, to_state: str, *, note: str = "", changes: Mapping[str, Any] | None = None
) -> Change:
    before = change.state
    updated = record_update(actor=actor, obj=change, changes={**(changes or {}), "state": to_state})
    _event(updated, actor=actor, from_state=before, note=note)
    _schedule_sync(updated)
    return updated


# --- the schedule's copy (D6) --------------------------------------------------------------------

#: The source name of a change's window in the schedule (schedule.Window.source).
SCHEDULE_SOURCE = "changes.change"
_PHASES = {
    ChangeState.IMPLEMENTATION: WindowPhase.UNDER_WAY,
    ChangeState.TESTING: WindowPhase.UNDER_WAY,
    ChangeState.HALTED: WindowPhase.UNDER_WAY,
    ChangeState.CLOSED: WindowPhase.DONE,
    ChangeState.REVIEWED: WindowPhase.DONE,
    ChangeState.WITHDRAWN: WindowPhase.CANCELLED,
}


def window_phase(state: str) -> str:
    """The schedule's phase of a change's window: planned until implementation, under way while it
    is implemented, tested or halted (it still holds its slot), done once closed, cancelled once
    withdrawn."""
    return _PHASES.get(state, WindowPhase.PLANNED)


def _schedule_sync(change: Change) -> None:
    """D6: the schedule's copy of the agreed window follows the change in the same transaction:
    every service that moves the state, agrees a window or renames the change calls this."""
    if change.window_id is None:
        return
    window = ChangeWindow.objects.get(pk=change.window_id)
    schedule.window_put(
        source=SCHEDULE_SOURCE,
        source_id=change.pk,
        kind=WindowKind.CHANGE,
        organisation_id=change.organisation_id,
        title=change.title,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        phase=window_phase(change.state),
        state=ChangeState(change.state).label,
        service_ids=list(change.services.values_list("pk", flat=True)),
        reference=change.reference or "",
        description=change.description,
        url=reverse("changes:change_detail", args=[change.pk]),
    )


def _text(value: Any, field: str, *, required: bool = False, limit: int = 10_000) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise ValidationFailed.field(field, "Null characters are not allowed.")
    if required and not text:
        raise ValidationFailed.field(field, "This field is required.")
    if len(text) > limit:
        raise ValidationFailed.field(field, f"At most {limit} characters.")
    return text


def _organisation(actor: Any, value: Any) -> Organisation:
    org = value if isinstance(value, Organisation) else None
    if org is None and str(value).isdigit():
        org = Organisation.objects.restrict(actor).filter(pk=int(value)).first()
    if org is None:
        raise ValidationFailed.field("organisation", f"Unknown organisation: {value!r}.")
    return org


def _contact(org: Organisation, value: Any, field: str) -> NamedContact | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, NamedContact) else (int(value) if str(value).isdigit() else -1)
    contact = NamedContact.objects.filter(organisation=org, pk=pk, retired_at__isnull=True).first()
    if contact is None:
        raise ValidationFailed.field(field, f"Not a current named contact of {org}: {value!r}.")
    return contact


def _members(model: Any, org: Organisation, values: Iterable[Any], field: str, label: str) -> list:
    wanted = list(dict.fromkeys(values or []))
    ids = [int(v) for v in wanted if str(v).isdigit()]
    rows = list(model.objects.filter(organisation=org, pk__in=ids))
    found = {r.pk for r in rows}
    missing = [str(v) for v in wanted if not str(v).isdigit() or int(v) not in found]
    if missing:
        raise ValidationFailed.field(field, f"Not {label} of {org}: {', '.join(missing)}.")
    return rows


def _staff(value: Any, field: str) -> User | None:
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else None
    if user is None and str(value).isdigit():
        user = User.objects.filter(pk=int(value)).first()
    if user is None or not user.is_active or not user.is_provider_staff:
        raise ValidationFailed.field(field, f"Not an active member of provider staff: {value!r}.")
    return user


def _checklist(value: Any) -> list[dict[str, Any]]:
    rows = list(value or [])
    if len(rows) > MAX_CHECKLIST:
        raise ValidationFailed.field("checklist", f"At most {MAX_CHECKLIST} items.")
    cleaned = []
    for i, row in enumerate(rows):
        row = row if isinstance(row, Mapping) else row.dict()
        item = _text(row.get("item"), f"checklist.{i}.item", required=True, limit=300)
        cleaned.append({"item": item, "done": bool(row.get("done"))})
    return cleaned


def _window(start: dt.datetime | None, end: dt.datetime | None) -> None:
    for field, value in (("requested_start", start), ("requested_end", end)):
        if value is not None:
            check_window(value, field=field)
    if start is not None and end is not None and end <= start:
        raise ValidationFailed.field(
            "requested_end", f"The requested window ends ({end:%d %b %Y %H:%M}) before it starts."
        )


def _next_reference(at: dt.datetime) -> str:
    """CHG-<year>-<6 digits>: the year's counter row, taken under lock and only incremented."""
    year = at.astimezone(humanize.provider_zone()).year
    ChangeReferenceCounter.objects.get_or_create(year=year)
    counter = ChangeReferenceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    if counter.last > 999_999:
        raise Conflict(f"The change numbers of {year} are used up.")
    ChangeReferenceCounter.objects.filter(year=year).update(last=counter.last)
    return f"CHG-{year}-{counter.last:06d}"


def _locked(change: Change, expected_version: int | None) -> Change:
    locked = lock_for_update(change, expected_version)
    if locked.state in FINAL_STATES:
        raise Conflict(
            f"Change {locked} is {state_label(locked.state)}: nothing more can be done to it.",
            [{"field": "state", "message": f"The change is {state_label(locked.state)}."}],
        )
    return locked


def _approver_contact(user: Any) -> NamedContact | None:
    if getattr(user, "role", None) != Role.CUSTOMER or not user.contact_id:
        return None
    return NamedContact.objects.filter(pk=user.contact_id).first()


def _check_customer_approver(
    contact: NamedContact | None, org: Organisation, *, field: str, who: str
) -> NamedContact:
    """D1/D5: only the customer's authorised change approvers submit RFCs and approve changes."""
    if contact is None or contact.organisation_id != org.pk:
        raise PermissionDenied(
            f"{who} is not a named contact of {org}.", [{"field": field, "message": "Not a named contact."}]
        )
    if contact.retired_at is not None or not contact.is_change_approver:
        raise PermissionDenied(
            f"{contact.name} is not an authorised change approver of {org}: only the customer's "
            "authorised change approvers (or the provider) may do this.",
            [{"field": field, "message": f"{contact.name} is not an authorised change approver."}],
        )
    return contact


# --- deadlines -----------------------------------------------------------------------------------


def _start_clock(change: Change, *, at: dt.datetime) -> None:
    """D3: level 1 implemented within 2 working days, level 2 reviewed within 10 (sla deadlines)."""
    org = change.organisation
    if change.level == ChangeLevel.STANDARD:
        kind, days, field = (
            DeadlineKind.CHANGE_IMPLEMENTATION,
            IMPLEMENTATION_WORKING_DAYS,
            "implementation_due_at",
        )
    elif change.level == ChangeLevel.PLANNED:
        kind, days, field = DeadlineKind.CHANGE_REVIEW, REVIEW_WORKING_DAYS, "review_due_at"
    else:
        return
    deadline = deadline_set(
        owner_type=DEADLINE_OWNER,
        owner_id=change.pk,
        kind=kind,
        calendar=org.calendar,
        start=at,
        rule=Rule(working_days=days),
        warning_fraction=warning_fraction(org),
    )
    Change.objects.filter(pk=change.pk).update(**{field: deadline.due_at})
    setattr(change, field, deadline.due_at)


def change_due_copy(*, moved: Any) -> int:
    """B5: the changes whose deadlines a calendar change moved get the new due times."""
    return copies_write(
        model=Change,
        moved=moved,
        fields={
            DeadlineKind.CHANGE_IMPLEMENTATION: "implementation_due_at",
            DeadlineKind.CHANGE_REVIEW: "review_due_at",
        },
    )


# --- requests for change -------------------------------------------------------------------------


def change_create(
    *,
    actor: Any,
    organisation: Any,
    level: int,
    title: str,
    description: str = "",
    impact_statement: str = "",
    urgency: str = Urgency.MEDIUM,
    documents: str = "",
    lead_contact: Any = None,
    lead_availability_in_hours: str = "",
    lead_availability_out_of_hours: str = "",
    authoriser: Any = None,
    services: Iterable[Any] = (),
    accounts: Iterable[Any] = (),
    requested_start: dt.datetime | None = None,
    requested_end: dt.datetime | None = None,
    test_plan: str = "",
    standard_change: Any = None,
    provider_initiated: bool = False,
    customer_contacted_at: dt.datetime | None = None,
    customer_contact_note: str = "",
    emergency_reason: str = "",
    incident_id: int | None = None,
    vulnerability_reference: str = "",
    incident_owner: Any = None,
    confirmed_by_phone: bool = False,
) -> Change:
    """D1: a request for change, submitted by a customer's authorised change approver or by the
    provider, logged as P3 (D2) at its level (D3)."""
    require_permission(actor, SUBMIT)
    org = _organisation(actor, organisation)
    now = timezone.now()
    requester_contact = None
    if not actor.is_provider_staff:
        requester_contact = _check_customer_approver(
            _approver_contact(actor), org, field="requested_by", who=str(actor)
        )
        if provider_initiated:
            raise ValidationFailed.field("provider_initiated", "Only the provider initiates its own changes.")
    try:
        level = ChangeLevel(int(level))
    except (TypeError, ValueError):
        raise ValidationFailed.field("level", "Must be 1 (standard), 2 (planned) or 3 (emergency).")
    if urgency not in Urgency.values:
        raise ValidationFailed.field("urgency", f"Must be one of: {', '.join(Urgency.values)}.")
    title = _text(title, "title", required=True, limit=200)
    # D3: an emergency may be confirmed by phone and documented afterwards.
    later = level == ChangeLevel.EMERGENCY and confirmed_by_phone
    description = _text(description, "description", required=not later)
    impact_statement = _text(impact_statement, "impact_statement", required=not later)
    _window(requested_start, requested_end)
    if requested_start is not None and level != ChangeLevel.EMERGENCY and requested_start < now:
        raise ValidationFailed.field(
            "requested_start", f"The requested window starts in the past ({requested_start:%d %b %Y %H:%M})."
        )
    values: dict[str, Any] = {}
    if level == ChangeLevel.STANDARD:
        pk = standard_change.pk if isinstance(standard_change, StandardChange) else standard_change
        entry = StandardChange.objects.filter(pk=pk if str(pk).isdigit() else -1, is_active=True).first()
        if entry is None:
            raise ValidationFailed.field(
                "standard_change", "A level-1 change is one of the catalogue's active standard changes."
            )
        values["standard_change"] = entry
    elif standard_change not in (None, ""):
        raise ValidationFailed.field("standard_change", "Only a level-1 change comes from the catalogue.")
    if level == ChangeLevel.EMERGENCY:
        if emergency_reason not in EmergencyReason.values:
            raise ValidationFailed.field(
                "emergency_reason",
                "An emergency change is due to an ongoing incident or a security vulnerability: "
                f"one of {', '.join(EmergencyReason.values)}.",
            )
        if emergency_reason == EmergencyReason.INCIDENT and not incident_id:
            raise ValidationFailed.field(
                "incident_id", "An emergency change for an incident names the incident."
            )
        reference = _text(vulnerability_reference, "vulnerability_reference", limit=100)
        if emergency_reason != EmergencyReason.INCIDENT and not reference:
            raise ValidationFailed.field(
                "vulnerability_reference", "Name the vulnerability (e.g. CVE-2026-12345)."
            )
        values.update(
            emergency_reason=emergency_reason,
            incident_id=incident_id or None,
            vulnerability_reference=reference,
            incident_owner=_staff(incident_owner, "incident_owner"),
            confirmed_by_phone=bool(confirmed_by_phone),
        )
    elif emergency_reason or incident_id or confirmed_by_phone:
        field = (
            "emergency_reason"
            if emergency_reason
            else ("incident_id" if incident_id else "confirmed_by_phone")
        )
        raise ValidationFailed.field(field, "Only a level-3 (emergency) change has this.")
    if provider_initiated:
        # D1 note: a provider change with operational impact: the customer is contacted first.
        if customer_contacted_at is not None:
            check_window(customer_contacted_at, field="customer_contacted_at")
        if customer_contacted_at is None or customer_contacted_at > now:
            raise ValidationFailed.field(
                "customer_contacted_at",
                "A provider-initiated change with operational impact records when the customer was "
                "contacted, before it is raised.",
            )
        values.update(
            provider_initiated=True,
            customer_contacted_at=customer_contacted_at,
            customer_contact_note=_text(
                customer_contact_note, "customer_contact_note", required=True, limit=1000
            ),
        )
    lead = _contact(org, lead_contact, "lead_contact")
    nominated = _contact(org, authoriser, "authoriser")
    if nominated is not None:
        _check_customer_approver(nominated, org, field="authoriser", who=nominated.name)
    service_rows = _members(Service, org, services, "services", "services")
    account_rows = _members(CloudAccount, org, accounts, "accounts", "cloud accounts")
    with transaction.atomic():
        change = Change(
            organisation=org,
            reference=_next_reference(now),
            title=title,
            description=description,
            documents=_text(documents, "documents"),
            level=level,
            state=INITIAL_STATE[level],
            priority=Priority.P3,
            urgency=urgency,
            impact_statement=impact_statement,
            requested_by=actor,
            requester_contact=requester_contact,
            lead_contact=lead,
            lead_availability_in_hours=_text(
                lead_availability_in_hours, "lead_availability_in_hours", limit=200
            )
            or (lead.availability_in_hours if lead else ""),
            lead_availability_out_of_hours=_text(
                lead_availability_out_of_hours, "lead_availability_out_of_hours", limit=200
            )
            or (lead.availability_out_of_hours if lead else ""),
            authoriser=nominated,
            requested_start=requested_start,
            requested_end=requested_end,
            test_plan=_text(test_plan, "test_plan"),
            documented_at=None if later else now,
            **values,
        )
        record_create(actor=actor, obj=change, m2m={"services": service_rows, "accounts": account_rows})
        _event(change, actor=actor, from_state="", note=f"RFC logged as P3 ({ChangeLevel(level).label}).")
        _start_clock(change, at=now)
        if not object_in_scope(actor, change):
            raise NotFound()
    return change


def change_update(
    *, actor: Any, change: Change, expected_version: int | None = None, **changes: Any
) -> Change:
    """The RFC's details and the level-2 documents (impact assessment, statement of work, backout
    plan, cost impact, checklist). A level-3 change documented after the event is documented when
    its details and impact statement are written."""
    require_permission(actor, MANAGE)
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [{"field": n, "message": "Changed by a step of the change, not edited."} for n in unknown],
        )
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "checklist":
            cleaned[name] = _checklist(value)
        elif name in ("requested_start", "requested_end"):
            cleaned[name] = value
        elif name == "urgency":
            if value not in Urgency.values:
                raise ValidationFailed.field("urgency", f"Must be one of: {', '.join(Urgency.values)}.")
            cleaned[name] = value
        else:
            cleaned[name] = _text(
                value, name, required=name in ("title",), limit=200 if name == "title" else 10_000
            )
    with transaction.atomic():
        locked = _locked(change, expected_version)
        _window(
            cleaned.get("requested_start", locked.requested_start),
            cleaned.get("requested_end", locked.requested_end),
        )
        description = cleaned.get("description", locked.description)
        impact = cleaned.get("impact_statement", locked.impact_statement)
        if locked.documented_at is None and description and impact:
            cleaned["documented_at"] = timezone.now()
        updated = record_update(actor=actor, obj=locked, changes=cleaned)
        if "title" in cleaned or "description" in cleaned:
            _schedule_sync(updated)
        return updated


def change_transition(
    *, actor: Any, change: Change, to_state: str, note: str = "", expected_version: int | None = None
) -> Change:
    """D4: one step of the workflow, by hand. What a step needs is written before the change leaves
    it; approval is given through change_approve, a post-change review through change_review."""
    require_permission(actor, MANAGE)
    note = _text(note, "note", limit=900)
    if to_state not in ChangeState.values:
        raise ValidationFailed.field("to_state", f"Unknown state {to_state!r}.")
    with transaction.atomic():
        locked = _locked(change, expected_version)
        allowed = TRANSITIONS[locked.level].get(locked.state, ())
        if to_state not in allowed:
            hint = {
                ChangeState.APPROVAL: " It waits for approval (approve or reject).",
                ChangeState.CLOSED: " A post-change review is recorded with the review step.",
            }.get(locked.state, "")
            raise Conflict(
                f"Cannot move change {locked} from {state_label(locked.state)} to {state_label(to_state)}"
                f" at level {locked.level}."
                + (f" It may go to: {', '.join(state_label(s) for s in allowed)}." if allowed else "")
                + hint,
                [{"field": "to_state", "message": f"The change is {state_label(locked.state)}."}],
            )
        if to_state == ChangeState.REVIEWED:
            raise Conflict(
                "A post-change review is recorded with the review step, with its notes.",
                [{"field": "to_state", "message": "Use the review step."}],
            )
        missing = [f for f in STEP_NEEDS.get(locked.state, ()) if not getattr(locked, f).strip()]
        if (
            locked.state == ChangeState.CONSULTATION
            and to_state == ChangeState.APPROVAL
            and locked.level == ChangeLevel.PLANNED
        ):
            missing = [f for f in STEP_NEEDS[ChangeState.PLANNING] if not getattr(locked, f).strip()]
        if missing:
            raise ValidationFailed(
                f"Change {locked} cannot leave {state_label(locked.state)} without "
                + ", ".join(FIELD_LABELS[f] for f in missing)
                + ".",
                [{"field": f, "message": f"Write {FIELD_LABELS[f]} first."} for f in missing],
            )
        if locked.state == ChangeState.SCHEDULED and locked.window_id is None:
            raise ValidationFailed.field(
                "window",
                f"Change {locked} has no agreed window: agree the schedule with the customer first (D3, D6).",
            )
        extra: dict[str, Any] = {}
        now = timezone.now()
        if to_state == ChangeState.CLOSED:
            open_items = [row["item"] for row in locked.checklist if not row.get("done")]
            if open_items:
                raise ValidationFailed.field(
                    "checklist", f"Items of the checklist are not done: {'; '.join(open_items)}."
                )
            if locked.documented_at is None:
                raise ValidationFailed.field(
                    "description",
                    "An emergency change confirmed by phone is documented (details and impact "
                    "statement) before it is closed.",
                )
            extra["closed_at"] = now
        if to_state == ChangeState.APPROVAL and locked.state == ChangeState.CONSULTATION:
            note = note or f"Back for approval (round {locked.approval_round})."
        moved = _move(actor, locked, to_state, note=note, changes=extra)
        if to_state == ChangeState.CLOSED:
            deadline_meet(
                owner_type=DEADLINE_OWNER, owner_id=moved.pk, kind=DeadlineKind.CHANGE_IMPLEMENTATION, at=now
            )
            deadlines_close(owner_type=DEADLINE_OWNER, owner_ids=[moved.pk], at=now)
        return moved


def change_review(*, actor: Any, change: Change, notes: str, expected_version: int | None = None) -> Change:
    """D4: the learning points of a closed change (a post-change review where appropriate)."""
    require_permission(actor, MANAGE)
    notes = _text(notes, "notes", required=True)
    with transaction.atomic():
        locked = _locked(change, expected_version)
        if locked.state != ChangeState.CLOSED:
            raise Conflict(
                f"Change {locked} is {state_label(locked.state)}: a post-change review follows its closure.",
                [{"field": "state", "message": f"The change is {state_label(locked.state)}."}],
            )
        return _move(
            actor,
            locked,
            ChangeState.REVIEWED,
            note="Post-change review recorded.",
            changes={"review_notes": notes, "reviewed_at": timezone.now()},
        )


def change_withdraw(
    *, actor: Any, change: Change, reason: str, expected_version: int | None = None
) -> Change:
    require_permission(actor, MANAGE)
    reason = _text(reason, "reason", required=True, limit=900)
    with transaction.atomic():
        locked = _locked(change, expected_version)
        if locked.state == ChangeState.CLOSED:
            raise Conflict(f"Change {locked} is closed: it cannot be withdrawn.")
        moved = _move(actor, locked, ChangeState.WITHDRAWN, note=f"Withdrawn: {reason}")
        deadlines_close(owner_type=DEADLINE_OWNER, owner_ids=[moved.pk], at=timezone.now())
        return moved


def change_set_priority(
    *,
    actor: Any,
    change: Change,
    priority: str,
    caller: str = "",
    called_at: dt.datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Change:
    """D2: an engineer agrees the priority from the urgency and the impact statement; raising it
    above where it is needs the telephone contact recorded: who called, when, what was said."""
    require_permission(actor, MANAGE)
    if priority not in Priority.values:
        raise ValidationFailed.field("priority", f"Must be one of: {', '.join(Priority.values)}.")
    with transaction.atomic():
        locked = _locked(change, expected_version)
        if priority == locked.priority:
            raise ValidationFailed.field("priority", f"Change {locked} is already {priority}.")
        raising = PRIORITY_RANK[priority] < PRIORITY_RANK[locked.priority]
        if raising:
            caller = _text(caller, "caller", limit=200)
            note = _text(note, "note", limit=1000)
            if not caller or called_at is None or not note:
                missing = [
                    n for n, v in (("caller", caller), ("called_at", called_at), ("note", note)) if not v
                ]
                raise ValidationFailed(
                    f"Raising change {locked} to {priority} needs the telephone contact recorded "
                    "(who called, when, and what was said).",
                    [{"field": n, "message": "Required to raise the priority (D2)."} for n in missing],
                )
            check_window(called_at, field="called_at")
            if called_at > timezone.now():
                raise ValidationFailed.field("called_at", "The call is in the future.")
            PriorityCall.objects.create(
                change=locked,
                caller=caller,
                called_at=called_at,
                note=note,
                from_priority=locked.priority,
                to_priority=priority,
                recorded_by=actor,
            )
        before = locked.priority
        updated = record_update(actor=actor, obj=locked, changes={"priority": priority})
        _event(
            updated,
            actor=actor,
            from_state=updated.state,
            note=f"Priority {before} → {priority}" + (f" after a call from {caller}." if raising else "."),
        )
        return updated


# --- approvals (D5) --------------------------------------------------------------------------------


def approval_rules(level: int) -> dict[str, ApprovalRule]:
    return {rule.side: rule for rule in ApprovalRule.objects.filter(level=level)}


def _side_of(
    actor: Any, change: Change, rules: Mapping[str, ApprovalRule], on_behalf: NamedContact | None
) -> tuple[str, NamedContact | None]:
    """Whose decision the actor gives: a customer's change approver (themselves, or staff recording
    one's decision given by phone), the incident owner (level 3) or the provider."""
    org = change.organisation
    if not actor.is_provider_staff or on_behalf is not None:
        contact = on_behalf if on_behalf is not None else _approver_contact(actor)
        contact = _check_customer_approver(contact, org, field="contact", who=str(actor))
        if change.authoriser_id and contact.pk != change.authoriser_id:
            raise PermissionDenied(
                f"{contact.name} is not the change approver nominated on {change} "
                f"({change.authoriser.name}).",
                [{"field": "contact", "message": "Not the nominated change approver."}],
            )
        return ApprovalSide.CUSTOMER, contact
    if ApprovalSide.INCIDENT_OWNER in rules:
        if change.incident_owner_id and change.incident_owner_id != actor.pk:
            raise PermissionDenied(
                f"The incident owner of {change} ({change.incident_owner}) decides on this emergency change.",
                [{"field": "actor", "message": "Not the incident owner."}],
            )
        return ApprovalSide.INCIDENT_OWNER, None
    return ApprovalSide.PROVIDER, None


def _decide(
    *,
    actor: Any,
    change: Change,
    decision: str,
    reason: str,
    contact: Any,
    contacted: str,
    expected_version: int | None,
) -> Change:
    require_permission(actor, DECIDE)
    reason = _text(reason, "reason", required=decision == Decision.REJECTED, limit=900)
    contacted = _text(contacted, "contacted", limit=1000)
    with transaction.atomic():
        locked = _locked(change, expected_version)
        if locked.state != ChangeState.APPROVAL:
            raise Conflict(
                f"Change {locked} is {state_label(locked.state)}, not waiting for approval.",
                [{"field": "state", "message": f"The change is {state_label(locked.state)}."}],
            )
        rules = approval_rules(locked.level)
        on_behalf = None
        if contact not in (None, ""):
            if not actor.is_provider_staff:
                raise ValidationFailed.field(
                    "contact", "Only provider staff record a decision on a customer's behalf."
                )
            on_behalf = _contact(locked.organisation, contact, "contact")
            if on_behalf is None:
                raise ValidationFailed.field("contact", "Unknown contact.")
        side, decider = _side_of(actor, locked, rules, on_behalf)
        rule = rules.get(side)
        if rule is None or not rule.required:
            raise PermissionDenied(
                f"A level-{locked.level} change takes no {ApprovalSide(side).label.lower()} approval "
                f"(approval matrix: {'; '.join(r.description for r in rules.values())}).",
                [{"field": "side", "message": f"No {side} approval at level {locked.level}."}],
            )
        if on_behalf is None and side != ApprovalSide.CUSTOMER and actor.role not in rule.roles:
            raise PermissionDenied(
                f"The {ApprovalSide(side).label.lower()} decision on a level-{locked.level} change "
                "is given by: " + ", ".join(Role(r).label for r in rule.roles) + ".",
                [{"field": "actor", "message": f"A {actor.get_role_display()} does not approve this level."}],
            )
        if decider is None:
            own = locked.requested_by_id == actor.pk
        else:
            own = locked.requester_contact_id == decider.pk or (
                on_behalf is None and locked.requested_by_id == actor.pk
            )
        if decision == Decision.APPROVED and own:
            raise PermissionDenied(
                f"{decider.name if decider else actor} requested change {locked}: the requester can never "
                "approve their own change.",
                [{"field": "actor", "message": "The requester cannot approve their own change."}],
            )
        if locked.approvals.filter(round=locked.approval_round, side=side).exists():
            raise Conflict(
                f"The {ApprovalSide(side).label.lower()} decision on {locked} has already been given "
                "in this round.",
                [{"field": "side", "message": "Already decided."}],
            )
        if side == ApprovalSide.INCIDENT_OWNER and decision == Decision.APPROVED and not contacted:
            raise ValidationFailed.field(
                "contacted",
                "Record whom the incident owner contacted (the customer's incident contacts), or "
                "why no one was.",
            )
        now = timezone.now()
        ChangeApproval.objects.create(
            change=locked,
            round=locked.approval_round,
            side=side,
            decision=decision,
            actor=actor,
            contact=decider,
            reason=reason,
            contacted=contacted,
            at=now,
        )
        who = decider.name if decider else (actor.full_name or actor.email)
        label = ApprovalSide(side).label.lower()
        if decision == Decision.REJECTED:
            return _move(
                actor,
                locked,
                ChangeState.CONSULTATION,
                note=f"Rejected by the {label} ({who}): {reason}",
                changes={"approval_round": locked.approval_round + 1},
            )
        given = set(
            locked.approvals.filter(round=locked.approval_round, decision=Decision.APPROVED).values_list(
                "side", flat=True
            )
        )
        needed = {s for s, r in rules.items() if r.required}
        extra: dict[str, Any] = {}
        if side == ApprovalSide.INCIDENT_OWNER and not locked.incident_owner_id:
            extra["incident_owner"] = actor
        if not needed <= given:
            updated = record_update(actor=actor, obj=locked, changes=extra) if extra else locked
            waiting = ", ".join(ApprovalSide(s).label.lower() for s in sorted(needed - given))
            _event(
                updated,
                actor=actor,
                from_state=locked.state,
                note=f"Approved by the {label} ({who}); waiting for: {waiting}.",
            )
            return updated
        # D3: a level-2 change's schedule is agreed with the customer after approval.
        after_approval = (
            ChangeState.SCHEDULED if locked.level == ChangeLevel.PLANNED else ChangeState.IMPLEMENTATION
        )
        moved = _move(actor, locked, after_approval, note=f"Approved by the {label} ({who}).", changes=extra)
        if moved.level == ChangeLevel.PLANNED:
            deadline_meet(
                owner_type=DEADLINE_OWNER, owner_id=moved.pk, kind=DeadlineKind.CHANGE_REVIEW, at=now
            )
        if moved.level == ChangeLevel.STANDARD:
            _notify_confirmed(moved)
        return moved


def change_approve(
    *,
    actor: Any,
    change: Change,
    reason: str = "",
    contact: Any = None,
    contacted: str = "",
    expected_version: int | None = None,
) -> Change:
    """D5: one side's approval; once every side the matrix requires for the level has approved in
    this round, the change moves on: a level-2 change to have its schedule agreed (D3), the others
    to implementation."""
    return _decide(
        actor=actor,
        change=change,
        decision=Decision.APPROVED,
        reason=reason,
        contact=contact,
        contacted=contacted,
        expected_version=expected_version,
    )


def change_reject(
    *, actor: Any, change: Change, reason: str, contact: Any = None, expected_version: int | None = None
) -> Change:
    """D5: either side may reject, with a reason; the change goes back to consultation."""
    return _decide(
        actor=actor,
        change=change,
        decision=Decision.REJECTED,
        reason=reason,
        contact=contact,
        contacted="",
        expected_version=expected_version,
    )


def _notify_confirmed(change: Change) -> None:
    """D5 level 1: the customer is notified via the ticket (an email through the outbox)."""
    people = [c for c in (change.requester_contact, change.lead_contact, change.authoriser) if c is not None]
    recipients = sorted({c.email for c in people if c.email})
    lines = [
        f"Your standard change {change.reference} ({change.title}) has been confirmed by the service desk.",
        f"Standard change: {change.standard_change}",
        f"It will be implemented by {humanize.when(change.implementation_due_at, humanize.provider_zone())}.",
    ]
    notification_enqueue(
        event="change.confirmed",
        organisation=change.organisation,
        recipients=recipients,
        subject=f"Change {change.reference} confirmed",
        body="\n".join(lines),
        payload={"change": change.pk, "reference": change.reference, "state": change.state},
        dedup_key=f"change:{change.pk}:confirmed",
    )


# --- the catalogue and approved pipelines ----------------------------------------------------------


def standard_change_create(
    *, actor: Any, name: str, runbook: str, description: str = "", is_active: bool = True
) -> StandardChange:
    require_permission(actor, MANAGE_CATALOGUE)
    entry = StandardChange(
        name=_text(name, "name", required=True, limit=200),
        runbook=_text(runbook, "runbook", required=True, limit=100_000),
        description=_text(description, "description"),
        is_active=bool(is_active),
    )
    if StandardChange.objects.filter(name__iexact=entry.name).exists():
        raise ValidationFailed.field("name", f"The catalogue already has {entry.name!r}.")
    with transaction.atomic():
        return record_create(actor=actor, obj=entry)


def standard_change_update(
    *, actor: Any, standard_change: StandardChange, expected_version: int | None = None, **changes: Any
) -> StandardChange:
    require_permission(actor, MANAGE_CATALOGUE)
    unknown = sorted(set(changes) - {"name", "runbook", "description", "is_active"})
    if unknown:
        raise ValidationFailed.field(unknown[0], "Not a field of a standard change.")
    cleaned = {
        k: (bool(v) if k == "is_active" else _text(v, k, required=k in ("name", "runbook"), limit=100_000))
        for k, v in changes.items()
    }
    if (
        "name" in cleaned
        and StandardChange.objects.filter(name__iexact=cleaned["name"])
        .exclude(pk=standard_change.pk)
        .exists()
    ):
        raise ValidationFailed.field("name", f"The catalogue already has {cleaned['name']!r}.")
    with transaction.atomic():
        return record_update(
            actor=actor, obj=standard_change, changes=cleaned, expected_version=expected_version
        )


def standard_change_delete(
    *, actor: Any, standard_change: StandardChange, expected_version: int | None = None
) -> None:
    """Only an entry no change was made from; one in use is retired (is_active off) instead."""
    require_permission(actor, MANAGE_CATALOGUE)
    with transaction.atomic():
        if standard_change.changes.exists():
            raise ValidationFailed.field(
                "__all__", f"Changes were made from {standard_change}: make it inactive instead."
            )
        record_delete(actor=actor, obj=standard_change, expected_version=expected_version)


def pipeline_create(*, actor: Any, service: Any, name: str, note: str = "") -> ApprovedPipeline:
    """D3: deployments through this pipeline into the service need no RFC."""
    require_permission(actor, MANAGE)
    pk = service.pk if isinstance(service, Service) else service
    row = Service.objects.restrict(actor).filter(pk=pk if str(pk).isdigit() else -1).first()
    if row is None:
        raise ValidationFailed.field("service", f"Unknown service: {service!r}.")
    pipeline = ApprovedPipeline(
        service=row, name=_text(name, "name", required=True, limit=200), note=_text(note, "note", limit=1000)
    )
    if ApprovedPipeline.objects.filter(service=row, name=pipeline.name).exists():
        raise ValidationFailed.field("name", f"{row.reference} already has the pipeline {pipeline.name!r}.")
    with transaction.atomic():
        return record_create(actor=actor, obj=pipeline)


def pipeline_delete(*, actor: Any, pipeline: ApprovedPipeline, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        record_delete(actor=actor, obj=pipeline, expected_version=expected_version)


# --- windows, halting and chargeable work (D6) -----------------------------------------------------

#: The longest window one change may be given (a typo must not book a year).
WINDOW_MAX = dt.timedelta(days=31)


def _overlap_rows(windows: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "kind": w.kind,
            "reference": w.reference,
            "title": w.title,
            "starts_at": w.starts_at.isoformat(),
            "ends_at": w.ends_at.isoformat(),
        }
        for w in windows
    ]


def window_overlaps(
    *, change: Change, starts_at: dt.datetime, ends_at: dt.datetime
) -> list[dict[str, Any]]:
    """D6: the other changes on the change's services and the organisation's blackouts (and its
    organisation-wide windows) that a window [starts_at, ends_at) of the change runs into."""
    found = schedule_selectors.overlapping(
        organisation_id=change.organisation_id,
        starts_at=starts_at,
        ends_at=ends_at,
        service_ids=list(change.services.values_list("pk", flat=True)),
        exclude=(SCHEDULE_SOURCE, change.pk),
    )
    return _overlap_rows(found)


def out_of_hours(organisation: Organisation, starts_at: dt.datetime, ends_at: dt.datetime) -> dt.timedelta:
    """D6: how much of [starts_at, ends_at) falls outside the organisation's core hours: the window
    less its working time on the organisation's business calendar (weekends, nights and closed days
    such as bank holidays are outside)."""
    working = business_calendar(organisation.calendar).business_time_between(starts_at, ends_at)
    return max(ends_at - starts_at - working, dt.timedelta(0))


def _check_agreed_window(starts_at: Any, ends_at: Any, *, now: dt.datetime) -> None:
    zone = humanize.provider_zone()
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValidationFailed.field(field, "A date and time with its time zone is required.")
        check_window(value, field=field)
    if starts_at < now:
        raise ValidationFailed.field(
            "starts_at", f"The window starts in the past ({humanize.when(starts_at, zone)})."
        )
    if ends_at <= starts_at:
        raise ValidationFailed.field(
            "ends_at",
            f"The window ends ({humanize.when(ends_at, zone)}) before it starts "
            f"({humanize.when(starts_at, zone)}).",
        )
    if ends_at - starts_at > WINDOW_MAX:
        raise ValidationFailed.field("ends_at", f"A change window is at most {WINDOW_MAX.days} days long.")


def change_schedule(
    *,
    actor: Any,
    change: Change,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    agreed_with: Any = None,
    note: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Change:
    """D3/D6: the window agreed with the customer for the change. A level-2 change is scheduled
    after approval; a level-1 or -3 change may be; a halted change is rescheduled and goes back to
    `scheduled`. Rescheduling supersedes the window in force (with the reason) and never overwrites
    it. A window in the past or ending before it starts is refused naming the field, and nothing
    changes. Overlaps with other changes on the same services or with blackouts are flagged (kept
    on the window and shown), not refused; time outside the organisation's core hours makes the
    window chargeable. The schedule's copy follows in the same transaction."""
    require_permission(actor, MANAGE)
    now = timezone.now()
    _check_agreed_window(starts_at, ends_at, now=now)
    note = _text(note, "note", limit=1000)
    reason = _text(reason, "reason", limit=900)
    with transaction.atomic():
        locked = _locked(change, expected_version)
        halted = locked.state == ChangeState.HALTED
        if not halted and locked.state not in SCHEDULABLE[locked.level]:
            where = ", ".join(state_label(s) for s in ChangeState if s in SCHEDULABLE[locked.level])
            raise Conflict(
                f"Change {locked} is {state_label(locked.state)}: a level-{locked.level} change is "
                f"scheduled when it is {where} (or halted, to reschedule it).",
                [{"field": "state", "message": f"The change is {state_label(locked.state)}."}],
            )
        if locked.window_id is not None and not reason:
            raise ValidationFailed.field(
                "reason", f"Change {locked} already has an agreed window: say why it is rescheduled."
            )
        contact = _contact(locked.organisation, agreed_with, "agreed_with")
        if contact is None:  # the nominated approver, else the customer's approver who approved it
            approved = (
                locked.approvals.filter(side=ApprovalSide.CUSTOMER, decision=Decision.APPROVED)
                .select_related("contact")
                .order_by("-at", "-pk")
                .first()
            )
            approver = approved.contact if approved else None
            contact = locked.authoriser or approver or locked.requester_contact
        extra_hours = out_of_hours(locked.organisation, starts_at, ends_at)
        if locked.window_id is not None:
            ChangeWindow.objects.filter(pk=locked.window_id).update(
                superseded_at=now, superseded_reason=reason or "Rescheduled."
            )
        window = ChangeWindow(
            change=locked,
            starts_at=starts_at,
            ends_at=ends_at,
            agreed_by=actor,
            agreed_at=now,
            agreed_with=contact,
            note=note,
            overlaps=window_overlaps(change=locked, starts_at=starts_at, ends_at=ends_at),
            chargeable=extra_hours > dt.timedelta(0),
            out_of_hours=extra_hours,
        )
        window.full_clean(exclude=["change", "agreed_by", "agreed_with"])
        window.save()
        zone = ZoneInfo(locked.organisation.calendar.timezone)
        text = (
            f"{'Rescheduled' if locked.window_id else 'Window agreed'}: {humanize.when(starts_at, zone)} – "
            f"{humanize.when(ends_at, zone)}"
            + (f" with {contact.name}" if contact else "")
            + (f" ({reason})" if reason else "")
            + "."
        )
        if window.overlaps:
            text += f" Overlaps flagged: {', '.join(o['reference'] or o['title'] for o in window.overlaps)}."
        if window.chargeable:
            text += f" Chargeable: {humanize.duration(extra_hours)} outside core hours."
        changes = {"window": window}
        if halted:
            changes.update(halted_reason="", halted_at=None)
        if halted or locked.state == ChangeState.SCHEDULED:
            return _move(actor, locked, ChangeState.SCHEDULED, note=text, changes=changes)
        updated = record_update(actor=actor, obj=locked, changes=changes)
        _event(updated, actor=actor, from_state=locked.state, note=text)
        _schedule_sync(updated)
        return updated


def _halt(actor: Any, locked: Change, reason: str, *, at: dt.datetime) -> Change:
    moved = _move(
        actor,
        locked,
        ChangeState.HALTED,
        note=f"Halted: {reason}",
        changes={"halted_reason": reason, "halted_at": at},
    )
    _notify_halted(moved)
    return moved


def change_halt(*, actor: Any, change: Change, reason: str, expected_version: int | None = None) -> Change:
    """D6: an engineer reports that the implementation deviates from plan: it is halted, with the
    reason, and escalated; it is then rescheduled or withdrawn."""
    require_permission(actor, MANAGE)
    reason = _text(reason, "reason", required=True, limit=900)
    with transaction.atomic():
        locked = _locked(change, expected_version)
        if locked.state not in UNDER_WAY:
            raise Conflict(
                f"Change {locked} is {state_label(locked.state)}: only work being implemented or "
                "tested is halted.",
                [{"field": "state", "message": f"The change is {state_label(locked.state)}."}],
            )
        return _halt(actor, locked, f"Deviates from plan: {reason}", at=timezone.now())


def changes_sweep(*, now: dt.datetime | None = None) -> int:
    """D6: every change still being implemented or tested after its agreed window ended is halted
    and escalated. Each is claimed under lock and its state re-read, so two sweeps at once (or a
    sweep and an engineer) halt it once; a sweep that dies is finished by the next."""
    now = now or timezone.now()
    due = list(
        Change.objects.filter(state__in=UNDER_WAY, window__ends_at__lte=now)
        .order_by("window__ends_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    halted = 0
    for pk in due:
        with transaction.atomic():
            locked = Change.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None or locked.state not in UNDER_WAY or locked.window_id is None:
                continue
            window = ChangeWindow.objects.get(pk=locked.window_id)
            if window.ends_at > now:
                continue
            zone = ZoneInfo(locked.organisation.calendar.timezone)
            ended = humanize.when(window.ends_at, zone)
            _halt(None, locked, f"Ran past its window, which ended {ended}.", at=now)
            halted += 1
    return halted


def halt_recipients(change: Change) -> list[str]:
    """Who hears that a change was halted (D6): the change managers and the service desk (active
    staff), the organisation's CSDM and the change's lead contact."""
    staff = User.objects.filter(
        role__in=[Role.CHANGE_MANAGER, Role.SERVICE_DESK], is_active=True
    ).order_by("pk")
    emails = list(staff.values_list("email", flat=True))
    csdm = change.organisation.csdm
    if csdm is not None and csdm.is_active:
        emails.append(csdm.email)
    if change.lead_contact is not None:
        emails.append(change.lead_contact.email)
    return list(dict.fromkeys(e for e in emails if e))


def _notify_halted(change: Change) -> None:
    """D6: the escalation of a halted change, through the outbox, once per halt."""
    zone = ZoneInfo(change.organisation.calendar.timezone)
    window = change.window
    lines = [
        f"Change {change.reference} ({change.title}) for {change.organisation} has been halted.",
        f"Reason: {change.halted_reason}",
    ]
    if window is not None:
        starts, ends = humanize.when(window.starts_at, zone), humanize.when(window.ends_at, zone)
        lines.append(f"Agreed window: {starts} – {ends}")
    if change.lead_contact is not None:
        lines.append(
            f"Lead contact: {change.lead_contact.name} "
            f"(in hours: {change.lead_availability_in_hours or '—'}; "
            f"out of hours: {change.lead_availability_out_of_hours or '—'})"
        )
    lines.append("It is to be rescheduled (a new agreed window) or withdrawn.")
    notification_enqueue(
        event="change.halted",
        organisation=change.organisation,
        recipients=halt_recipients(change),
        subject=f"[{change.reference}] Change halted: {change.title}",
        body="\n".join(lines),
        payload={
            "change": change.pk,
            "reference": change.reference,
            "state": change.state,
            "reason": change.halted_reason,
        },
        dedup_key=f"change:{change.pk}:halted:{change.version}",
    )
