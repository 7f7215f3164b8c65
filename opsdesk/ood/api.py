"""Operations on Demand endpoints (G1–G4, L3). Thin: parse, call one selector or service, answer.
Customers browse their plan's catalogue and submit and read their own requests and engagements;
catalogue staff keep offerings and rates; operations reviewers decide."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from opsdesk.core.api import ERRORS, created_with_etag
from opsdesk.core.crud import NO_DELETE, command, declare, late, routes
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import Day
from opsdesk.ood import rules, schemas, selectors, services
from opsdesk.ood.schemas import (
    ApproveIn,
    BillOut,
    DenyIn,
    OfferingRateIn,
    OfferingRateOut,
    OodRequestOut,
    StartDateOut,
)

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
