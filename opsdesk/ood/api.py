"""Operations on Demand endpoints (G1–G4, L3). Thin: parse, call one selector or service, answer.
Customers browse their plan's catalogue and submit and read their own requests and engagements;
catalogue staff keep offerings and rates; operations reviewers decide."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema

from opsdesk.core.api import ERRORS, created_with_etag
from opsdesk.core.crud import NO_DELETE, command, declare, late, routes
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import Day
from opsdesk.ood import pdf, rules, schemas, selectors, services
from opsdesk.ood.schemas import (
    ApproveIn,
    BillOut,
    DenyIn,
    EngagementAgreeStartIn,
    EngagementOut,
    EngagementStartIn,
    ModificationDecisionIn,
    ModificationOut,
    MonthCloseIn,
    MonthCloseOut,
    MonthFiguresOut,
    OfferingRateIn,
    OfferingRateOut,
    OodRequestOut,
    StartDateOut,
    StatementOut,
)
from opsdesk.sla.schemas import DeadlinesOut
from opsdesk.sla.selectors import deadline_list

router = Router(tags=["operations on demand"])
entity = partial(declare, selectors=selectors, services=services, schemas=schemas)


# --- the rules (G4, G6) ------------------------------------------------------------------------


class StartDateQuery(Schema):
    approved_on: Day


@router.get("/ood/start-date", response={200: StartDateOut, **ERRORS})
def ood_start_date(request: HttpRequest, query: Query[StartDateQuery]):
    """G4: the engagement start for an approval date, as `opsdesk ood start-date` answers."""
    return {"approved_on": query.approved_on, "start_date": rules.engagement_start(query.approved_on)}


class BillQuery(Schema):
    allocated: str
    hours: str


@router.get("/ood/bill", response={200: BillOut, **ERRORS})
def ood_bill(request: HttpRequest, query: Query[BillQuery]):
    """G6: billed blocks and overrun hours of one engagement-month, as `opsdesk ood bill` answers."""
    try:
        return rules.bill(query.allocated, query.hours).as_dict()
    except rules.RuleError as exc:
        raise ValidationFailed.field(exc.field, exc.message)


# --- catalogue (G1) ----------------------------------------------------------------------------

OFFERINGS = entity(
    "offering",
    "/ood/offerings",
    NO_DELETE,
    ordering=("name", "state", "updated_at"),
    reread=True,
    docs={"update": 'Edits and retirement: `{"state": "retired"}`.'},
)
routes(router, OFFERINGS, module=__name__)


@router.post("/ood/offerings/{offering_id}/rates", response={201: OfferingRateOut, **ERRORS})
def offering_rate_create(
    request: HttpRequest, response: HttpResponse, offering_id: int, payload: OfferingRateIn
):
    """A new rate per block from the first day of a month; earlier rates are kept."""
    offering = selectors.offering_get(user=request.auth, pk=offering_id)
    rate = services.offering_rate_create(actor=request.auth, offering=offering, **payload.dict())
    return created_with_etag(response, rate)


# --- requests (G2, G3) -------------------------------------------------------------------------

REQUESTS = entity(
    "ood_request",
    "/ood/requests",
    ("list", "create", "get"),
    id="request_id",
    wrap_list=selectors.with_lines,
    ordering=("created_at", "state", "decided_at"),
    docs={
        "create": "Submit a request (G2): every line's problem is named (`lines.N.field`); nothing "
        "starts before approval."
    },
)
routes(router, REQUESTS, module=__name__)

for action, payload, fields in (
    ("approve", ApproveIn, ("lines", "reason", "agreed_start", "agreed_with")),
    ("deny", DenyIn, ("reason",)),
):
    command(
        router,
        f"/ood/requests/{{request_id}}/{action}",
        name=f"ood_request_{action}",
        module=__name__,
        id="request_id",
        get=late(selectors, "ood_request_get"),
        service=late(services, f"ood_request_{action}"),
        target="request",
        out=OodRequestOut,
        payload=payload,
        fields=fields,
    )


# --- engagements (G4) --------------------------------------------------------------------------

ENGAGEMENTS = entity(
    "engagement",
    "/ood/engagements",
    ("list", "get"),
    ordering=("start_date", "created_at"),
)
routes(router, ENGAGEMENTS, module=__name__)

for action, payload, fields, doc in (
    (
        "start",
        EngagementStartIn,
        ("engineer",),
        "The kick-off (an engineer assigned, first contact made): meets the engagement-start deadline.",
    ),
    (
        "agree_start",
        EngagementAgreeStartIn,
        ("start_date", "agreed_with"),
        "A mutually agreed start date (G4) for an engagement not yet started; its start deadline moves.",
    ),
):
    command(
        router,
        f"/ood/engagements/{{engagement_id}}/{action.replace('_', '-')}",
        name=f"engagement_{action}",
        module=__name__,
        id="engagement_id",
        get=late(selectors, "engagement_get"),
        service=late(services, f"engagement_{action}"),
        target="engagement",
        out=EngagementOut,
        payload=payload,
        fields=fields,
        description=doc,
    )


@router.get(
    "/ood/engagements/{engagement_id}/deadlines", response={200: DeadlinesOut, **ERRORS}, exclude_unset=True
)
def engagement_deadlines(request: HttpRequest, engagement_id: int):
    """The engagement-start deadline (issue 10: started by the close of the first working day on or
    after the start date): where it stands, the business time left and why it is due when it is."""
    engagement = selectors.engagement_get(user=request.auth, pk=engagement_id)
    return deadline_list(user=request.auth, owner_type=services.DEADLINE_OWNER, owner_id=engagement.pk)


# --- time and block billing (G6) ---------------------------------------------------------------

TIME_ENTRIES = entity(
    "time_entry",
    "/ood/time-entries",
    ordering=("work_date", "created_at"),
    docs={
        "create": "Log time (G6): hours in quarter hours, counted in the work date's month; refused, "
        "naming the field, in the future, outside the engagement or in a closed month.",
        "update": "Corrections while the entry's month is open.",
        "delete": "Removal while the entry's month is open.",
    },
)
routes(router, TIME_ENTRIES, module=__name__)


class FiguresQuery(Schema):
    month: str | None = None
    organisation: int | None = None
    engagement: int | None = None


@router.get("/ood/usage", response={200: list[MonthFiguresOut], **ERRORS})
def ood_usage(request: HttpRequest, query: Query[FiguresQuery]):
    """G6: per engagement-month the allocation, hours used, billed blocks and overrun (the
    customer's balance); this month by default."""
    month = selectors.parse_month(query.month or timezone.localdate())
    return selectors.month_figures(
        user=request.auth, month=month, organisation=query.organisation, engagement=query.engagement
    )


class StatementQuery(Schema):
    organisation: str
    month: str
    format: str | None = None


@router.get(
    "/ood/statements",
    response={200: StatementOut, **ERRORS},
    description="Add `?format=pdf` for the statement as a PDF document (application/pdf).",
)
def ood_statement(request: HttpRequest, query: Query[StatementQuery]):
    """G6: an organisation's monthly statement at the rates in force that month; a closed month's
    lines are those stored at the close."""
    if query.format not in (None, "", "json", "pdf"):
        raise ValidationFailed.field("format", "Must be 'json' or 'pdf'.")
    found = selectors.statement(user=request.auth, organisation=query.organisation, month=query.month)
    if query.format == "pdf":
        response = HttpResponse(pdf.statement_pdf(found), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{pdf.filename(found)}"'
        return response
    return found


@router.post("/ood/month-closes", response={201: MonthCloseOut, **ERRORS})
def ood_month_close(request: HttpRequest, response: HttpResponse, payload: MonthCloseIn):
    """G6: billing staff close (invoice) an organisation's ended month; its figures never change."""
    selectors.statement(user=request.auth, organisation=payload.organisation, month=payload.month)
    close = services.month_close(actor=request.auth, organisation=payload.organisation, month=payload.month)
    return created_with_etag(response, close)


# --- modifications (G5) ------------------------------------------------------------------------

MODIFICATIONS = entity(
    "modification",
    "/ood/modifications",
    ("list", "create", "get"),
    ordering=("created_at", "state", "decided_at"),
    docs={
        "create": "Ask for a change of a monthly engagement (G5): new blocks a month, accounts added or "
        "removed, or its end, from a requested date (today or later). Every problem is named by its "
        "field; nothing changes before the review."
    },
)
routes(router, MODIFICATIONS, module=__name__)

for action, service, description in (
    (
        "approve",
        "modification_approve",
        "Approve (G5): effective on the G4 date from today, never earlier than requested.",
    ),
    ("scoping", "modification_require_scoping", "Require scoping with the CSDM (reason required)."),
    ("deny", "modification_deny", "Deny (reason required); the engagement is unchanged."),
):
    command(
        router,
        f"/ood/modifications/{{modification_id}}/{action}",
        name=f"modification_{action}",
        module=__name__,
        id="modification_id",
        get=late(selectors, "modification_get"),
        service=late(services, service),
        target="modification",
        out=ModificationOut,
        payload=ModificationDecisionIn,
        fields=("reason",),
        description=description,
    )
