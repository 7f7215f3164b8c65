"""API shapes of root-cause analyses (C6)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from ninja import Field, FilterSchema, Schema

from opsdesk.core.limits import Day
from opsdesk.directory.schemas import PersonRef
from opsdesk.incidents.rca.models import RcaState


class RcaActionOut(Schema):
    id: int
    rca_id: int
    description: str
    owner: PersonRef | None = None
    due_date: date | None
    done_at: datetime | None
    runbook_update: bool
    version: int


class RcaOut(Schema):
    id: int
    incident_id: int
    organisation_id: int = Field(..., alias="incident.organisation_id")
    priority: str = Field(..., alias="incident.priority")
    due_at: datetime
    overdue: bool
    chargeable: bool = Field(..., description="P2 on request: possibly chargeable.")
    requested_by: PersonRef | None = None
    state: RcaState
    impact: str
    timeline_of_events: str
    monitoring_assessment: str = Field(..., description="Assessment of monitoring and metrics.")
    lessons_learned: str
    recommendations: str
    actions: list[RcaActionOut]
    submitted_at: datetime | None
    accepted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_actions(obj) -> list:
        return list(obj.actions.all())

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.state == RcaState.DRAFT and obj.due_at < timezone.now()


class RcaPatch(Schema):
    impact: str | None = None
    timeline_of_events: str | None = None
    monitoring_assessment: str | None = None
    lessons_learned: str | None = None
    recommendations: str | None = None


class RcaFilter(FilterSchema):
    overdue: bool | None = Field(None, description="Past due and not submitted (true), or not (false).")
    state: RcaState | None = None
    organisation: int | None = None


class RcaActionIn(Schema):
    description: str
    owner: int | None = None
    due_date: Day | None = None
    runbook_update: bool = False


class RcaActionPatch(Schema):
    description: str | None = None
    owner: int | None = None
    due_date: Day | None = None
    runbook_update: bool | None = None
    done: bool | None = Field(None, description="Mark the action done (true) or not done (false).")
