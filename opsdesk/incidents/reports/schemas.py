"""The SLA report in the API (issue 9, item 2): its filters in, its rows and monthly totals out."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from opsdesk.core.limits import Id


class SlaReportQuery(Schema):
    from_month: str | None = Field(
        None,
        description="First month, YYYY-MM (default: eleven months before to_month).",
        examples=["2026-01"],
    )
    to_month: str | None = Field(
        None,
        description="Last month, YYYY-MM, not in the future (default: this month). At most 24 months.",
        examples=["2026-12"],
    )
    organisation: Id | None = Field(None, description="One organisation (a customer: only their own).")
    priority: str | None = Field(None, description="P1, P2, P3 or P4.")
    format: str | None = Field(None, description="`csv` for the rows as CSV.")


class EscalationLevelOut(Schema):
    level: int
    name: str


class SlaReportRowOut(Schema):
    organisation_id: int
    organisation: str
    priority: str
    month: str = Field(description="YYYY-MM, in the provider's time zone.")
    logged: int
    initial_met: int
    initial_breached: int
    initial_compliance: float | None = Field(description="Percent, met ÷ (met + breached); null if none due.")
    considered_met: int
    considered_breached: int
    considered_compliance: float | None
    compliance: float | None = Field(description="Both responses together, percent.")
    paused_seconds: int = Field(description="Business seconds paused awaiting the customer (B4).")
    respond_mean_seconds: int | None
    respond_p90_seconds: int | None
    resolve_mean_seconds: int | None
    resolve_p90_seconds: int | None
    escalations: dict[str, int] = Field(description='Escalations raised, by level ("2", "3", …).')
    rca_due: int
    rca_on_time: int
    rca_late: int


class SlaMonthOut(Schema):
    month: str
    logged: int
    met: int
    breached: int
    compliance: float | None


class SlaReportOut(Schema):
    from_month: str
    to_month: str
    organisation: int | None
    priority: str | None
    time_zone: str
    generated_at: dt.datetime
    levels: list[EscalationLevelOut]
    months: list[SlaMonthOut]
    rows: list[SlaReportRowOut]
