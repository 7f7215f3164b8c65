"""API shapes of escalations (C7)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from opsdesk.directory.schemas import PersonRef
from opsdesk.incidents.escalations.models import EscalationState


class ContactRef(Schema):
    id: int
    name: str


class EscalationLevelOut(Schema):
    level: int
    name: str
    role: str
    description: str
    acknowledgement_hours: float | None = Field(None, description="Working hours; empty: no target.")
    considered_response_hours: float | None = Field(None, description="Working hours; empty: no target.")
    copied_levels: list[int]
    copy_service_manager: bool

    @staticmethod
    def resolve_copied_levels(obj) -> list[int]:
        return sorted((c.level for c in obj.copied.all()), reverse=True)


class EscalationCriterionOut(Schema):
    id: int
    code: str
    text: str


class EscalationOut(Schema):
    id: int
    incident_id: int
    level: int = Field(..., alias="level.level")
    level_name: str = Field(..., alias="level.name")
    state: EscalationState
    criterion: str = Field(..., alias="criterion.code")
    criterion_text: str = Field(..., alias="criterion.text")
    details: str
    grounds: str = Field(..., description="When moved up a level: why the criteria were met below.")
    previous_id: int | None
    raised_by: PersonRef | None = None
    raised_by_contact: ContactRef
    raised_at: datetime
    best_endeavours: bool = Field(..., description="Raised outside Mon–Fri 09:00–17:00 (UK).")
    acknowledgement_due: datetime | None
    considered_response_due: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: PersonRef | None = None
    considered_response_at: datetime | None
    responded_by: PersonRef | None = None
    response: str
    closed_at: datetime | None
    closure_reason: str
    version: int
    created_at: datetime
    updated_at: datetime


class IncidentEscalationsOut(Schema):
    incident_id: int
    escalation_offered: bool = Field(..., description="An SLA target was breached, so escalation is offered.")
    active_escalation_id: int | None
    results: list[EscalationOut]


class EscalationIn(Schema):
    criterion: str | None = Field(None, description="The code (or id) of one of the escalation criteria.")
    details: str = ""
    contact: int | None = Field(
        None, description="Staff: the named contact who asked. Customers escalate as themselves."
    )


class EscalationLevelIn(Schema):
    criterion: str | None = Field(None, description="The code (or id) of one of the escalation criteria.")
    details: str = ""
    contact: int | None = Field(None, description="Staff: the named contact who asked (default: the raiser).")


class EscalationResponseIn(Schema):
    response: str


class EscalationCloseIn(Schema):
    reason: str = ""
