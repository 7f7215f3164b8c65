"""API shapes of on-call (issue 9 item 1)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import FilterSchema, Schema

from opsdesk.core.limits import Day, Id, Instant, WallTime
from opsdesk.directory.schemas import UserRef
from opsdesk.oncall.choices import AckVia, Handover, PageCause, PageState, StepAction


class TeamOut(Schema):
    id: int
    name: str
    description: str
    members: list[UserRef]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_members(obj) -> list:
        return list(obj.members.all())


class TeamIn(Schema):
    name: str
    description: str = ""
    members: list[Id] = []


class TeamPatch(Schema):
    name: str | None = None
    description: str | None = None
    members: list[Id] | None = None


class TeamFilter(FilterSchema):
    q: str | None = None


class RotaOut(Schema):
    id: int
    team_id: int
    name: str
    handover: Handover
    handover_time: WallTime
    starts_on: date
    ends_on: date | None
    participants: list[int]
    version: int
    created_at: datetime
    updated_at: datetime


class RotaIn(Schema):
    team: Id
    name: str
    handover: Handover = Handover.WEEKLY
    handover_time: WallTime
    starts_on: Day
    ends_on: Day | None = None
    participants: list[Id]


class RotaPatch(Schema):
    team: Id | None = None
    name: str | None = None
    handover: Handover | None = None
    handover_time: WallTime | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    participants: list[Id] | None = None


class RotaFilter(FilterSchema):
    q: str | None = None
    team: Id | None = None


class RotaOverrideOut(Schema):
    id: int
    rota_id: int
    user: UserRef
    starts_at: datetime
    ends_at: datetime
    reason: str
    version: int
    created_at: datetime
    updated_at: datetime


class RotaOverrideIn(Schema):
    rota: Id
    user: Id
    starts_at: Instant
    ends_at: Instant
    reason: str = ""


class RotaOverridePatch(Schema):
    user: Id | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    reason: str | None = None


class RotaOverrideFilter(FilterSchema):
    q: str | None = None
    rota: Id | None = None


class PolicyStep(Schema):
    action: StepAction
    rota: int | None = None
    user: int | None = None
    team: int | None = None
    minutes: int | None = None


class EscalationPolicyOut(Schema):
    id: int
    name: str
    team_id: int
    steps: list[PolicyStep]
    repeat_count: int
    is_default: bool
    is_security: bool
    version: int
    created_at: datetime
    updated_at: datetime


class EscalationPolicyIn(Schema):
    name: str
    team: Id
    steps: list[PolicyStep]
    repeat_count: int = 0
    is_default: bool = False
    is_security: bool = False


class EscalationPolicyPatch(Schema):
    name: str | None = None
    team: Id | None = None
    steps: list[PolicyStep] | None = None
    repeat_count: int | None = None
    is_default: bool | None = None
    is_security: bool | None = None


class EscalationPolicyFilter(FilterSchema):
    q: str | None = None


class PageRecipientOut(Schema):
    user: UserRef
    cycle: int
    step: int
    notified_at: datetime
    fallback: bool


class PageOut(Schema):
    id: int
    cause: PageCause
    title: str
    body: str
    priority: str
    incident_id: int | None
    organisation_id: int | None
    state: PageState
    raised_at: datetime
    next_step_at: datetime | None
    flagged: bool
    flag_reason: str
    acknowledged_at: datetime | None
    acknowledged_by: UserRef | None
    acknowledged_via: AckVia | None
    stopped_at: datetime | None
    stop_reason: str
    recipients: list[PageRecipientOut]
    version: int

    @staticmethod
    def resolve_acknowledged_via(obj) -> str | None:
        return obj.acknowledged_via or None

    @staticmethod
    def resolve_recipients(obj) -> list:
        return list(obj.recipients.all())  # prefetched, in order, by selectors.page_list


class PageFilter(FilterSchema):
    q: str | None = None
    state: PageState | None = None
    mine: bool | None = None


class ShiftOut(Schema):
    user: UserRef
    starts_at: datetime
    ends_at: datetime
    override: bool


class OnCallOut(Schema):
    rota_id: int
    rota: str
    team: str
    now: ShiftOut | None
    next: ShiftOut | None


class SpanOut(Schema):
    starts_at: datetime
    ends_at: datetime


class RotaScheduleOut(Schema):
    rota_id: int
    start: datetime
    end: datetime
    shifts: list[ShiftOut]
    gaps: list[SpanOut]
    overlapping_overrides: list[list[int]]
