"""API shapes of deadlines (sla.selectors.deadline_list), served by the domains that own them
(GET /incidents/{id}/deadlines, /rcas/{id}/deadlines, /escalations/{id}/deadlines)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from ninja import Field, Schema

STAFF_ONLY = "Provider staff only (a B6 warning is internal); left out for customers."


class DeadlineRuleOut(Schema):
    """The rule the due time follows from its start: exactly one of hours (with an optional
    fallback "by HH:MM next business day"), business_days (B3) or working_days (B7)."""

    hours: float | None
    fallback: time | None
    business_days: int | None
    working_days: int | None


class DeadlineOut(Schema):
    kind: str = Field(..., description="initial_response, considered_response, rca_due, escalation_…")
    label: str
    calendar: str
    start_at: datetime
    rule: DeadlineRuleOut
    due_at: datetime = Field(..., description="The rule applied to start_at, plus the business time paused.")
    status: Literal["met", "late", "closed", "paused", "breached", "warning", "running"] = Field(
        ...,
        description="met / late (met after its due time); closed (its owner ended without meeting it); "
        "paused; breached (due time passed); warning (past the warning instant, staff only); running.",
    )
    paused: bool
    paused_at: datetime | None
    paused_seconds: int = Field(..., description="Business seconds paused so far (B4).")
    remaining_business_seconds: int | None = Field(
        ...,
        description="Business seconds left until due, negative once past it (counted from the pause "
        "while paused); empty once met or closed.",
    )
    met_at: datetime | None
    closed_at: datetime | None
    breached_at: datetime | None = Field(..., description="When the breach was recorded (B6).")
    warning_fraction: float | None = Field(None, description=STAFF_ONLY)
    warn_at: datetime | None = Field(None, description=STAFF_ONLY)
    warned_at: datetime | None = Field(None, description=STAFF_ONLY)
    explanation: list[str] = Field(
        ..., description="Why it is due when it is, step by step, on the calendar as it is now."
    )


class DeadlinesOut(Schema):
    at: datetime = Field(..., description="The instant status and remaining time are worked out at.")
    deadlines: list[DeadlineOut]
