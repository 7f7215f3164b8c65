"""API shapes of Operations on Demand (G1–G4): <Entity>In for creates, <Entity>Patch for updates,
<Entity>Out. Money is a decimal string with its currency; blocks are whole numbers the services
check (a fractional or zero value is refused naming its line)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, FilterSchema, Schema

from opsdesk.core.limits import Day, Id
from opsdesk.directory.schemas import PersonRef
from opsdesk.ood import selectors
from opsdesk.ood.choices import (
    DEFAULT_CURRENCY,
    EngagementStatus,
    ModificationState,
    OfferingState,
    Recurrence,
    RequestState,
)

StartStatus = Literal["due", "overdue", "met", "late"]


class OfferingRateOut(Schema):
    id: int
    rate: Decimal
    currency: str
    effective_from: dt.date


class OfferingOut(Schema):
    id: int
    name: str
    description: str
    state: OfferingState
    plans: list[str]
    regions: list[str] = Field(..., description="AWS regions it is limited to; empty: every region.")
    rate: OfferingRateOut | None = Field(None, description="The rate per block in force this month.")
    rates: list[OfferingRateOut] = Field(..., description="Every rate, newest first (history kept).")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_plans(obj) -> list[str]:
        return sorted(p.code for p in obj.plans.all())

    @staticmethod
    def resolve_rate(obj):
        from django.utils import timezone

        return selectors.rate_in_force(obj, timezone.localdate())

    @staticmethod
    def resolve_rates(obj) -> list:
        return sorted(obj.rates.all(), key=lambda r: r.effective_from, reverse=True)


class OfferingIn(Schema):
    name: str
    description: str = ""
    plans: list[str] = Field(..., description="Service plan codes, e.g. ['advanced', 'accelerate'].")
    state: OfferingState = OfferingState.ACTIVE
    regions: list[str] = []
    rate: Decimal | None = Field(None, description="The first rate per block, if any.")
    currency: str = DEFAULT_CURRENCY
    effective_from: Day | None = Field(None, description="First day of a month; default this month.")


class OfferingPatch(Schema):
    name: str | None = None
    description: str | None = None
    plans: list[str] | None = None
    state: OfferingState | None = None
    regions: list[str] | None = None


class OfferingFilter(FilterSchema):
    state: OfferingState | None = None
    q: str | None = None


class OfferingRateIn(Schema):
    rate: Decimal
    currency: str = DEFAULT_CURRENCY
    effective_from: Day


class RequestLineIn(Schema):
    offering: Id
    blocks: Decimal = Field(..., description="Whole blocks of 20 hours a month, 1 or more.")
    accounts: list[str] = Field(..., description="The 12-digit ids of the receiving accounts.")
    recurrence: Recurrence


class OodRequestIn(Schema):
    submitting_account: str = Field(..., description="The 12-digit id of the account submitting.")
    lines: list[RequestLineIn]
    organisation: Id | None = Field(None, description="Staff only: the organisation requested for.")
    contact: Id | None = Field(None, description="Staff only: the named contact acted for.")
    notes: str = ""


class RequestLineOut(Schema):
    position: int
    offering_id: int
    offering: str = Field(..., alias="offering.name")
    blocks: int
    recurrence: Recurrence
    accounts: list[str]
    approved_blocks: int | None
    approved_accounts: list[str]
    decision_reason: str

    @staticmethod
    def resolve_accounts(obj) -> list[str]:
        return [a.account_id for a in obj.accounts.all()]

    @staticmethod
    def resolve_approved_accounts(obj) -> list[str]:
        return [a.account_id for a in obj.approved_accounts.all()]


class OodRequestOut(Schema):
    id: int
    reference: str
    organisation_id: int
    organisation: str = Field(..., alias="organisation.name")
    contact: PersonRef = Field(..., alias="contact")
    submitting_account: str = Field(..., alias="submitting_account.account_id")
    state: RequestState
    notes: str
    lines: list[RequestLineOut]
    decided_at: dt.datetime | None
    decision_reason: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_contact(obj) -> dict:
        return {"id": obj.contact.pk, "full_name": obj.contact.name}

    @staticmethod
    def resolve_lines(obj) -> list:
        return sorted(obj.lines.all(), key=lambda line: line.position)


class OodRequestFilter(FilterSchema):
    state: RequestState | None = None
    organisation: int | None = None
    q: str | None = None


class LineDecisionIn(Schema):
    line: int = Field(..., description="The line's position (1, 2, …).")
    blocks: Decimal | None = Field(None, description="Fewer blocks than requested; default all.")
    accounts: list[str] | None = Field(None, description="Fewer accounts than requested; default all.")
    declined: bool = False
    reason: str = ""


class ApproveIn(Schema):
    lines: list[LineDecisionIn] = Field([], description="Lines approved in part; the others in full.")
    reason: str = ""
    agreed_start: Day | None = Field(None, description="A mutually agreed start date (G4).")
    agreed_with: str = Field("", description="Who agreed the start date.")


class DenyIn(Schema):
    reason: str


class EngagementStartIn(Schema):
    engineer: Id | None = Field(None, description="The engineer assigned (user id); else the caller.")


class EngagementAgreeStartIn(Schema):
    start_date: Day = Field(..., description="The mutually agreed start date (G4).")
    agreed_with: str = Field(..., description="Who agreed it.")


class AllocationOut(Schema):
    from_month: dt.date
    blocks: int
    modification_id: int | None = Field(None, description="The modification (G5) that set it, if any.")


class EngagementOut(Schema):
    id: int
    organisation_id: int
    request_id: int = Field(..., alias="line.request_id")
    offering_id: int
    offering: str = Field(..., alias="offering.name")
    account: str = Field(..., alias="account.account_id")
    recurrence: Recurrence
    start_date: dt.date
    end_month: dt.date | None
    agreed_start: bool
    agreed_with: str
    approved_on: dt.date
    status: EngagementStatus
    start_due_at: dt.datetime | None = Field(
        None,
        description="When the provider must have started it (kick-off): the close of the first working "
        "day on or after the start date; its sla deadline is explained at …/deadlines.",
    )
    started_at: dt.datetime | None = Field(None, description="The kick-off, when recorded.")
    started_by: PersonRef | None = None
    engineer: PersonRef | None = Field(None, description="The engineer assigned at kick-off.")
    start_status: StartStatus = Field(
        ..., description="due (not started, not yet late) | overdue | met | late (started after its due)."
    )
    blocks_this_month: int
    allocations: list[AllocationOut]
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_status(obj) -> str:
        from django.utils import timezone

        return obj.status_on(timezone.localdate())

    @staticmethod
    def resolve_start_status(obj) -> str:
        from django.utils import timezone

        return selectors.start_status(obj, now=timezone.now())

    @staticmethod
    def resolve_blocks_this_month(obj) -> int:
        from django.utils import timezone

        return selectors.allocation_in(obj, timezone.localdate())

    @staticmethod
    def resolve_allocations(obj) -> list:
        return list(obj.allocations.all())


class EngagementFilter(FilterSchema):
    organisation: int | None = None
    offering: int | None = None
    recurrence: Recurrence | None = None
    account: str | None = None


class StartDateOut(Schema):
    approved_on: dt.date
    start_date: dt.date


class BillOut(Schema):
    allocated_blocks: int
    hours_used: str
    billed_blocks: int
    overrun_hours: str


class TimeEntryIn(Schema):
    engagement: Id
    work_date: Day = Field(..., description="The date the work was done; usage counts in its month.")
    hours: Decimal = Field(..., description="Hours in quarter hours (0.25 steps), more than 0.")
    description: str
    account: str | None = Field(None, description="The engagement's account id (default: it).")


class TimeEntryPatch(Schema):
    work_date: Day | None = None
    hours: Decimal | None = None
    description: str | None = None


class TimeEntryOut(Schema):
    id: int
    organisation_id: int
    engagement_id: int
    offering: str = Field(..., alias="engagement.offering.name")
    account: str = Field(..., alias="account.account_id")
    engineer: str | None = None
    work_date: dt.date
    month: str
    hours: Decimal
    description: str
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_engineer(obj) -> str | None:
        return obj.engineer.full_name if obj.engineer_id else None

    @staticmethod
    def resolve_month(obj) -> str:
        return f"{obj.month:%Y-%m}"


class TimeEntryFilter(FilterSchema):
    engagement: int | None = None
    organisation: int | None = None
    month: str | None = Field(None, description="YYYY-MM")


class MonthFiguresOut(Schema):
    engagement_id: int
    offering: str
    account: str
    recurrence: Recurrence
    month: str
    allocated_blocks: int
    allocated_hours: Decimal
    hours_used: Decimal
    billed_blocks: int
    overrun_hours: Decimal
    overrun: bool = Field(..., description="Hours past the allocation: flagged for review, not billed.")
    rate: Decimal | None
    currency: str
    amount: Decimal

    @staticmethod
    def resolve_engagement_id(obj) -> int:
        return obj.engagement_id if hasattr(obj, "engagement_id") else obj.engagement.pk

    @staticmethod
    def resolve_month(obj) -> str:
        return f"{obj.month:%Y-%m}" if hasattr(obj, "month") else f"{obj.close.month:%Y-%m}"

    @staticmethod
    def resolve_allocated_hours(obj) -> Decimal:
        from opsdesk.ood.rules import BLOCK_HOURS

        return BLOCK_HOURS * obj.allocated_blocks

    @staticmethod
    def resolve_overrun(obj) -> bool:
        return obj.overrun_hours > 0


class StatementTotalOut(Schema):
    currency: str
    amount: Decimal


class StatementOut(Schema):
    organisation_id: int
    organisation: str
    month: str
    closed: bool
    closed_at: dt.datetime | None
    lines: list[MonthFiguresOut]
    billed_blocks: int
    hours_used: Decimal
    totals: list[StatementTotalOut]

    @staticmethod
    def resolve_organisation_id(obj) -> int:
        return obj.organisation.pk

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_month(obj) -> str:
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_closed_at(obj):
        return obj.close.closed_at if obj.close else None

    @staticmethod
    def resolve_totals(obj) -> list:
        return [{"currency": c, "amount": a} for c, a in sorted(obj.totals.items())]


class MonthCloseIn(Schema):
    organisation: Id
    month: str = Field(..., description="YYYY-MM, a month that has ended.")


class MonthCloseOut(Schema):
    id: int
    organisation_id: int
    month: str
    closed_at: dt.datetime
    closed_by: str | None = None

    @staticmethod
    def resolve_month(obj) -> str:
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_closed_by(obj) -> str | None:
        return obj.closed_by.full_name if obj.closed_by_id else None


# --- modifications (G5) ------------------------------------------------------------------------


class ModificationIn(Schema):
    engagement: Id = Field(..., description="The monthly engagement to change.")
    requested_date: Day = Field(..., description="The effective date asked for (today or later).")
    blocks: Decimal | None = Field(None, description="New whole blocks a month (1 or more); omit: unchanged.")
    end: bool = Field(False, description="End the engagement (its end month is set, never deleted).")
    add_accounts: list[str] = Field([], description="12-digit ids to add: each a new engagement on the line.")
    remove_accounts: list[str] = Field([], description="12-digit ids whose engagements on the line end.")
    follows: Id | None = Field(None, description="The modification sent to scoping this one carries out.")
    contact: Id | None = Field(None, description="Staff only: the named contact acted for.")
    notes: str = ""


class ModificationOut(Schema):
    id: int
    reference: str
    organisation_id: int
    engagement_id: int
    offering: str = Field(..., alias="engagement.offering.name")
    account: str = Field(..., alias="engagement.account.account_id")
    contact: PersonRef = Field(..., alias="contact")
    follows_id: int | None
    followed_by: list[int]
    requested_date: dt.date
    blocks: int | None
    end: bool
    add_accounts: list[str]
    remove_accounts: list[str]
    notes: str
    state: ModificationState
    effective_month: dt.date | None = Field(..., description="Once approved: the first day it applies from.")
    decided_at: dt.datetime | None
    decision_reason: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_contact(obj) -> dict:
        return {"id": obj.contact.pk, "full_name": obj.contact.name}

    @staticmethod
    def resolve_followed_by(obj) -> list[int]:
        return sorted(m.pk for m in obj.followed_by.all())

    @staticmethod
    def resolve_add_accounts(obj) -> list[str]:
        return [a.account_id for a in obj.add_accounts.all()]

    @staticmethod
    def resolve_remove_accounts(obj) -> list[str]:
        return [a.account_id for a in obj.remove_accounts.all()]


class ModificationFilter(FilterSchema):
    state: ModificationState | None = None
    organisation: int | None = None
    engagement: int | None = None


class ModificationDecisionIn(Schema):
    reason: str = ""
