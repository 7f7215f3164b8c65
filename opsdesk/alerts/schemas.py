"""API shapes of alerts (issue 12)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, FilterSchema, Schema

from opsdesk.alerts.choices import AlarmState, AlertSource, AlertState, Priority, SecuritySeverity
from opsdesk.core.limits import Id


class AlertOut(Schema):
    id: int
    source: AlertSource
    account_id: str
    region: str
    name: str = Field(..., description="The alarm name (CloudWatch) or the webhook's identity.")
    organisation_id: int | None
    service_id: int | None
    state: AlertState
    last_state: AlarmState
    last_reason: str
    summary: str
    resource: str
    namespace: str
    metric: str
    priority: Priority
    priority_reason: str = Field(..., description="Which rule gave the priority; a C2 clamp says why.")
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    incident_id: int | None = Field(None, description="The incident raised for it (/incidents/<id>/).")
    suppressed_by_window_id: int | None = Field(None, description="The customer maintenance window (E3).")
    not_raised_reason: str
    version: int
    created_at: datetime
    updated_at: datetime


class AlertFilter(FilterSchema):
    state: AlertState | None = None
    organisation: Id | None = None
    source: AlertSource | None = None


class SecurityEventOut(Schema):
    id: int
    event_id: str
    kind: str
    severity: SecuritySeverity
    account_id: str
    region: str
    organisation_id: int | None
    actor: str
    resource: str
    event_source: str
    event_name: str
    error_code: str
    event_time: datetime
    route: str = Field(description="paged, below_threshold, no_rota; empty until routed (F2).")
    routed: str
    page_id: int | None
    page_state: str | None = Field(None, description="The security rota page: open, acknowledged, stopped.")
    incident_id: int | None
    version: int
    created_at: datetime


class SecurityEventFilter(FilterSchema):
    kind: str | None = Field(None, max_length=50)
    severity: SecuritySeverity | None = None
    organisation: Id | None = None


class PriorityRuleOut(Schema):
    id: int
    organisation_id: int
    service_id: int | None
    alarm_pattern: str
    namespace: str
    priority: Priority
    version: int
    created_at: datetime
    updated_at: datetime


class PriorityRuleIn(Schema):
    organisation: Id
    service: Id | None = None
    alarm_pattern: str = Field("", max_length=255, description="Shell-style pattern of alarm names.")
    namespace: str = Field("", max_length=255)
    priority: Priority


class PriorityRuleFilter(FilterSchema):
    organisation: Id | None = None
