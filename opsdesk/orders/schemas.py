"""API shapes of orders (H1, H2). Money is exact: decimals travel as strings ("7140.38")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from opsdesk.core.api import StateEventOut
from opsdesk.core.limits import Day
from opsdesk.orders.choices import OrderState, QuoteCategory
from opsdesk.orders.selectors import quote_status

States = Literal[tuple(OrderState.values)]  # type: ignore[valid-type]
Categories = Literal[tuple(QuoteCategory.values)]  # type: ignore[valid-type]


class OrderPersonOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.full_name or obj.email


class QuoteLineOut(Schema):
    category: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class QuoteVersionLineOut(Schema):
    category: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class QuoteOut(Schema):
    """One version of the quote (H1): kept when the order is re-quoted."""

    number: int
    currency: str
    total: Decimal
    lines: list[QuoteVersionLineOut]
    valid_until: dt.date = Field(..., description="The last day this version may be accepted.")
    quoted_by: str | None
    quoted_at: dt.datetime
    superseded_at: dt.datetime | None
    accepted_at: dt.datetime | None
    status: Literal["current", "expired", "superseded", "accepted"]

    @staticmethod
    def resolve_quoted_by(obj) -> str | None:
        return (obj.quoted_by.full_name or obj.quoted_by.email) if obj.quoted_by_id else None

    @staticmethod
    def resolve_status(obj) -> str:
        return quote_status(obj)


class OrderProblemOut(Schema):
    field: str
    message: str


class OrderEventOut(StateEventOut):
    pass


class OrderOut(Schema):
    id: int
    reference: str | None = Field(..., description="ORD-<year>-<6 digits>, given on acceptance.")
    organisation: int = Field(..., alias="organisation_id")
    organisation_name: str
    title: str
    description: str
    enquirer: int | None = Field(..., alias="enquirer_id", description="The named contact who enquired.")
    state: str
    state_label: str
    solution_architect: OrderPersonOut | None
    requirements: str
    is_complex: bool
    project_manager: OrderPersonOut | None
    currency: str
    quote_lines: list[QuoteLineOut]
    quote_total: Decimal
    quoted_at: dt.datetime | None
    quotes: list[QuoteOut] = Field(..., description="Every version of the quote, latest first.")
    order_contact: int | None = Field(..., alias="order_contact_id")
    purchase_order: str
    billing_address: str
    service_name: str
    service_reference: str
    environment: str
    requested_start: dt.date | None
    accounts: list[int]
    form_received_at: dt.datetime | None
    validation_problems: list[OrderProblemOut] = Field(
        ..., description="H2: every problem the last validation found."
    )
    validated_at: dt.datetime | None
    valid_received_at: dt.datetime | None
    acceptance_due_at: dt.datetime | None = Field(
        ..., description="3 working days after a valid order is received."
    )
    accepted_at: dt.datetime | None
    service: int | None = Field(..., alias="service_id")
    timeline: list[OrderEventOut]
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
    def resolve_quote_lines(obj) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_quote_total(obj) -> Decimal:
        return obj.quote_total

    @staticmethod
    def resolve_quotes(obj) -> list:
        return sorted(obj.quotes.all(), key=lambda q: -q.number)

    @staticmethod
    def resolve_accounts(obj) -> list[int]:
        return [a.pk for a in obj.accounts.all()]

    @staticmethod
    def resolve_timeline(obj) -> list:
        return list(obj.events.all())


class OrderFilter(Schema):
    state: str | None = None
    organisation: int | None = None
    q: str | None = Field(None, max_length=200)
    overdue: bool | None = Field(None, description="Waiting for acceptance past its deadline.")


class OrderIn(Schema):
    """An enquiry (H1). A customer's is for their own organisation, as their own named contact (leave
    both out); staff name the organisation and, optionally, the named contact it comes from."""

    organisation: int | None = None
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    contact: int | None = None


class OrderPatch(Schema):
    title: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=10_000)


class OrderCaptureIn(Schema):
    solution_architect: int
    requirements: str = Field("", max_length=10_000)
    is_complex: bool = False


class OrderProjectManagerIn(Schema):
    project_manager: int


class QuoteLineIn(Schema):
    category: Categories
    description: str = Field(..., min_length=1, max_length=300)
    quantity: Decimal = Field(..., gt=0, max_digits=10, decimal_places=2)
    unit_price: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)


class OrderQuoteIn(Schema):
    lines: list[QuoteLineIn] = Field(..., min_length=1, max_length=50)
    currency: Literal["GBP", "EUR", "USD"] = "GBP"
    valid_until: Day | None = Field(
        None, description="The last day the quote may be accepted; 30 days from today when left out."
    )


class OrderFormIn(Schema):
    """H1: the order form. Every field may be sent; what is missing or wrong is listed by validation."""

    quote: int | None = Field(
        None, ge=1, le=32767, description="The quote version accepted (the current one when left out)."
    )
    order_contact: int | None = None
    purchase_order: str = Field("", max_length=50)
    billing_address: str = Field("", max_length=1000)
    service_name: str = Field("", max_length=200)
    service_reference: str = Field("", max_length=50)
    environment: Literal["", "production", "non-production"] = ""
    requested_start: dt.date | None = None
    accounts: list[int] = Field(default_factory=list, max_length=100)


class OrderFormPatch(Schema):
    order_contact: int | None = None
    purchase_order: str = Field(None, max_length=50)
    billing_address: str = Field(None, max_length=1000)
    service_name: str = Field(None, max_length=200)
    service_reference: str = Field(None, max_length=50)
    environment: Literal["", "production", "non-production"] = None
    requested_start: dt.date | None = None
    accounts: list[int] = Field(None, max_length=100)


class OrderRunbookIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=100_000)


class OrderEnableIn(Schema):
    runbooks: list[OrderRunbookIn] = Field(..., min_length=1, max_length=20)


class OrderNoteIn(Schema):
    note: str = Field("", max_length=1000)


class OrderCancelIn(Schema):
    reason: str = Field(..., min_length=1, max_length=900)
