"""API shapes of change management (D1–D5)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from opsdesk.changes.choices import ChangeState, EmergencyReason, Urgency
from opsdesk.core.api import StateEventOut
from opsdesk.core.limits import Id, Instant
from opsdesk.sla.choices import Priority

States = Literal[tuple(ChangeState.values)]  # type: ignore[valid-type]
Urgencies = Literal[tuple(Urgency.values)]  # type: ignore[valid-type]
Reasons = Literal[tuple(["", *EmergencyReason.values])]  # type: ignore[valid-type]
Priorities = Literal[tuple(Priority.values)]  # type: ignore[valid-type]


class ChangeEventOut(StateEventOut):
    pass


class ChangeApprovalOut(Schema):
    round: int
    side: str
    decision: str
    actor: str | None
    contact: int | None = Field(..., alias="contact_id")
    reason: str
    contacted: str
    at: dt.datetime

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return (obj.actor.full_name or obj.actor.email) if obj.actor_id else None


class PriorityCallOut(Schema):
    caller: str
    called_at: dt.datetime
    note: str
    from_priority: str
    to_priority: str


class ChecklistItem(Schema):
    item: str = Field(..., min_length=1, max_length=300)
    done: bool = False


class OverlapOut(Schema):
    kind: str
    reference: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class ChangeWindowOut(Schema):
    """D6: an agreed window; superseded ones are the change's rescheduling history."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    agreed_by: str | None
    agreed_at: dt.datetime
    agreed_with: int | None = Field(..., alias="agreed_with_id")
    note: str
    overlaps: list[OverlapOut] = Field(
        ..., description="Other changes on its services and blackouts it overlapped when agreed (flagged)."
    )
    chargeable: bool = Field(..., description="Some of the window falls outside the core hours.")
    out_of_hours_minutes: int
    superseded_at: dt.datetime | None
    superseded_reason: str

    @staticmethod
    def resolve_agreed_by(obj) -> str | None:
        return (obj.agreed_by.full_name or obj.agreed_by.email) if obj.agreed_by_id else None

    @staticmethod
    def resolve_out_of_hours_minutes(obj) -> int:
        return int(obj.out_of_hours.total_seconds() // 60)


class ChangeOut(Schema):
    id: int
    reference: str | None = Field(..., description="CHG-<year>-<6 digits>.")
    organisation: int = Field(..., alias="organisation_id")
    organisation_name: str
    title: str
    description: str
    documents: str
    level: int
    state: str
    state_label: str
    priority: str
    urgency: str
    impact_statement: str
    requested_by: str | None
    requester_contact: int | None = Field(..., alias="requester_contact_id")
    lead_contact: int | None = Field(..., alias="lead_contact_id")
    lead_availability_in_hours: str
    lead_availability_out_of_hours: str
    authoriser: int | None = Field(..., alias="authoriser_id", description="The nominated change approver.")
    services: list[int]
    accounts: list[int]
    requested_start: dt.datetime | None
    requested_end: dt.datetime | None
    test_plan: str
    provider_initiated: bool
    customer_contacted_at: dt.datetime | None
    customer_contact_note: str
    standard_change: int | None = Field(..., alias="standard_change_id")
    implementation_due_at: dt.datetime | None = Field(
        ..., description="Level 1: 2 working days after submission."
    )
    review_due_at: dt.datetime | None = Field(..., description="Level 2: 10 working days after submission.")
    impact_assessment: str
    engaged: str
    statement_of_work: str
    backout_plan: str
    cost_impact: str
    checklist: list[ChecklistItem]
    emergency_reason: str
    incident_id: int | None
    vulnerability_reference: str
    incident_owner: int | None = Field(..., alias="incident_owner_id")
    confirmed_by_phone: bool
    documented_at: dt.datetime | None
    review_notes: str
    reviewed_at: dt.datetime | None
    closed_at: dt.datetime | None
    approval_round: int
    window: ChangeWindowOut | None = Field(..., description="D6: the agreed window in force.")
    windows: list[ChangeWindowOut] = Field(..., description="Every agreed window, superseded ones too.")
    chargeable: bool = Field(..., description="D6: work in the agreed window falls outside core hours.")
    overlaps_flagged: bool = Field(..., description="D6: the window overlapped other work when agreed.")
    halted_reason: str
    halted_at: dt.datetime | None
    approvals: list[ChangeApprovalOut]
    priority_calls: list[PriorityCallOut]
    timeline: list[ChangeEventOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_requested_by(obj) -> str | None:
        return (obj.requested_by.full_name or obj.requested_by.email) if obj.requested_by_id else None

    @staticmethod
    def resolve_services(obj) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_accounts(obj) -> list[int]:
        return [a.pk for a in obj.accounts.all()]

    @staticmethod
    def resolve_window(obj):
        return obj.window if obj.window_id else None

    @staticmethod
    def resolve_windows(obj) -> list:
        return list(obj.windows.all())

    @staticmethod
    def resolve_chargeable(obj) -> bool:
        return bool(obj.window_id and obj.window.chargeable)

    @staticmethod
    def resolve_overlaps_flagged(obj) -> bool:
        return bool(obj.window_id and obj.window.overlaps)

    @staticmethod
    def resolve_approvals(obj) -> list:
        return list(obj.approvals.all())

    @staticmethod
    def resolve_priority_calls(obj) -> list:
        return list(obj.priority_calls.all())

    @staticmethod
    def resolve_timeline(obj) -> list:
        return list(obj.events.all())


class ChangeFilter(Schema):
    state: str | None = None
    level: int | None = Field(None, ge=1, le=3)
    organisation: int | None = None
    priority: str | None = None
    service: int | None = None
    q: str | None = Field(None, max_length=200)


class ChangeIn(Schema):
    """D1: a request for change. Level 1 names a standard change; level 3 an emergency reason with
    its incident or vulnerability; a provider-initiated change when the customer was contacted."""

    organisation: int
    level: Literal[1, 2, 3]
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    impact_statement: str = Field("", max_length=10_000)
    urgency: Urgencies = "medium"
    documents: str = Field("", max_length=10_000)
    lead_contact: int | None = None
    lead_availability_in_hours: str = Field("", max_length=200)
    lead_availability_out_of_hours: str = Field("", max_length=200)
    authoriser: int | None = None
    services: list[int] = Field(default_factory=list, max_length=100)
    accounts: list[int] = Field(default_factory=list, max_length=100)
    requested_start: Instant | None = None
    requested_end: Instant | None = None
    test_plan: str = Field("", max_length=10_000)
    standard_change: int | None = None
    provider_initiated: bool = False
    customer_contacted_at: Instant | None = None
    customer_contact_note: str = Field("", max_length=1000)
    emergency_reason: Reasons = ""
    incident_id: Id | None = None
    vulnerability_reference: str = Field("", max_length=100)
    incident_owner: int | None = None
    confirmed_by_phone: bool = False


class ChangePatch(Schema):
    title: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=10_000)
    documents: str = Field(None, max_length=10_000)
    urgency: Urgencies = None
    impact_statement: str = Field(None, max_length=10_000)
    lead_availability_in_hours: str = Field(None, max_length=200)
    lead_availability_out_of_hours: str = Field(None, max_length=200)
    test_plan: str = Field(None, max_length=10_000)
    requested_start: Instant | None = None
    requested_end: Instant | None = None
    impact_assessment: str = Field(None, max_length=10_000)
    engaged: str = Field(None, max_length=10_000)
    statement_of_work: str = Field(None, max_length=10_000)
    backout_plan: str = Field(None, max_length=10_000)
    cost_impact: str = Field(None, max_length=2000)
    checklist: list[ChecklistItem] = Field(None, max_length=50)
    vulnerability_reference: str = Field(None, max_length=100)


class ChangeTransitionIn(Schema):
    to_state: States
    note: str = Field("", max_length=900)


class ChangeApproveIn(Schema):
    reason: str = Field("", max_length=900)
    contact: int | None = Field(
        None, description="Staff recording a customer approver's decision given by phone: the contact."
    )
    contacted: str = Field("", max_length=1000, description="Level 3: whom the incident owner contacted.")


class ChangeRejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=900)
    contact: int | None = None


class ChangePriorityIn(Schema):
    priority: Priorities
    caller: str = Field("", max_length=200, description="D2: who telephoned the service desk.")
    called_at: Instant | None = None
    note: str = Field("", max_length=1000)


class ChangeScheduleIn(Schema):
    """D6: the window agreed with the customer; on a change that has one, the reason it moves."""

    starts_at: Instant
    ends_at: Instant
    agreed_with: Id | None = Field(None, description="The customer's contact it was agreed with.")
    note: str = Field("", max_length=1000)
    reason: str = Field("", max_length=900, description="Why it is rescheduled (required when it is).")


class ChangeHaltIn(Schema):
    reason: str = Field(..., min_length=1, max_length=900, description="How the work deviates from plan.")


class ChangeReviewIn(Schema):
    notes: str = Field(..., min_length=1, max_length=10_000)


class ChangeWithdrawIn(Schema):
    reason: str = Field(..., min_length=1, max_length=900)


class StandardChangeOut(Schema):
    id: int
    name: str
    description: str
    runbook: str
    is_active: bool
    version: int


class StandardChangeFilter(Schema):
    is_active: bool | None = None
    q: str | None = Field(None, max_length=200)


class StandardChangeIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    runbook: str = Field(..., min_length=1, max_length=100_000)
    description: str = Field("", max_length=10_000)
    is_active: bool = True


class StandardChangePatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    runbook: str = Field(None, min_length=1, max_length=100_000)
    description: str = Field(None, max_length=10_000)
    is_active: bool = None


class PipelineOut(Schema):
    id: int
    service: int = Field(..., alias="service_id")
    service_reference: str
    name: str
    note: str
    version: int

    @staticmethod
    def resolve_service_reference(obj) -> str:
        return obj.service.reference


class PipelineFilter(Schema):
    service: int | None = None
    organisation: int | None = None


class PipelineIn(Schema):
    service: int
    name: str = Field(..., min_length=1, max_length=200)
    note: str = Field("", max_length=1000)


class ApprovalRuleOut(Schema):
    id: int
    level: int
    side: str
    required: bool
    roles: list[str]
    description: str


class ApprovalRuleFilter(Schema):
    level: int | None = Field(None, ge=1, le=3)
