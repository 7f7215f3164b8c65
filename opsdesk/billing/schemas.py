"""API shapes of billing reviews (issue 12 item 6, F4). Amounts are decimal strings, exact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from opsdesk.billing.choices import AlertState, ImportState
from opsdesk.core.limits import Id


class CostImportOut(Schema):
    id: int
    state: ImportState = Field(
        ..., description="queued (stored, waiting for a worker), running, done, or failed (see error)."
    )
    file_name: str
    size: int = Field(..., description="Bytes uploaded.")
    error_field: str = Field(..., description="When failed: the column (or `file`) at fault.")
    error: str = Field(..., description="When failed: why, the bad line named; nothing was imported.")
    started_at: datetime | None
    finished_at: datetime | None
    sha256: str
    imported_by_id: int | None
    rows: int = Field(..., description="Cost lines read from the file.")
    cost_lines: int = Field(..., description="Daily cost rows stored (per account, day, product, tags).")
    accounts: list[str]
    period_start: date | None
    period_end: date | None
    replaced: int = Field(..., description="Earlier daily costs of the same accounts and days replaced.")
    total: Decimal
    created_at: datetime


class ThresholdOut(Schema):
    id: int
    organisation_id: int
    account_id: int | None
    percent: Decimal | None
    amount: Decimal | None
    version: int
    created_at: datetime
    updated_at: datetime


class ThresholdIn(Schema):
    organisation: Id
    account: Id | None = Field(None, description="Without an account: the organisation's total.")
    percent: Decimal | None = Field(None, gt=0, lt=1_000_000, max_digits=9, decimal_places=2)
    amount: Decimal | None = Field(None, gt=0, lt=1_000_000_000, max_digits=14, decimal_places=2)


class ThresholdPatch(Schema):
    percent: Decimal | None = Field(None, gt=0, lt=1_000_000, max_digits=9, decimal_places=2)
    amount: Decimal | None = Field(None, gt=0, lt=1_000_000_000, max_digits=14, decimal_places=2)


class ThresholdFilter(FilterSchema):
    organisation: Id | None = None


class BillingAlertOut(Schema):
    id: int
    organisation_id: int
    account_id: int | None
    week_start: date
    previous: Decimal
    current: Decimal
    change: Decimal
    change_percent: Decimal | None
    crossed: str
    state: AlertState
    acknowledged_at: datetime | None
    version: int
    created_at: datetime


class BillingAlertFilter(FilterSchema):
    organisation: Id | None = None
    state: AlertState | None = None


class ReviewRowOut(Schema):
    account_id: str | None = Field(None, description="The AWS account id; null on the total.")
    account_name: str = ""
    previous: Decimal
    current: Decimal
    change: Decimal
    change_percent: Decimal | None


class WeekOut(Schema):
    week_start: date
    total: Decimal


class ReviewOut(Schema):
    organisation_id: int
    tag: str
    week_start: date = Field(..., description="Monday of the last complete week (Europe/London).")
    previous_week_start: date
    accounts: list[ReviewRowOut]
    total: ReviewRowOut
    trend: list[WeekOut] = Field(..., description="Weekly totals of the last 12 complete weeks.")
