"""Root-cause analysis (C6) endpoints. Thin: parse, call one selector or
service, answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from opsdesk.core.api import (
    CSV_NOTE,
    ERRORS,
    ListParams,
    created_with_etag,
    list_response,
    page_response_schema,
    updated_with_etag,
    with_etag,
)
from opsdesk.core.crud import steps
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.schemas import (
    RcaActionIn,
    RcaActionOut,
    RcaActionPatch,
    RcaFilter,
    RcaOut,
    RcaPatch,
)
from opsdesk.incidents.selectors import incident_get
from opsdesk.sla.schemas import DeadlinesOut
from opsdesk.sla.selectors import deadline_list

router = Router(tags=["rca"])


@router.get("/rcas", response=page_response_schema(RcaOut), description=CSV_NOTE)
def rca_list(request: HttpRequest, filters: Query[RcaFilter], params: Query[ListParams]):
    qs = rca_selectors.rca_list(user=request.auth, **filters.dict())
    return list_response(
        request, qs, params, RcaOut, ordering=("due_at", "state", "created_at"), name="root-cause-analyses"
    )


@router.post("/incidents/{incident_id}/rca", response={201: RcaOut, **ERRORS})
def rca_request(request: HttpRequest, response: HttpResponse, incident_id: int):
    """Request a root-cause analysis of a P2 (possibly chargeable)."""
    incident = incident_get(user=request.auth, pk=incident_id)
    created = rca_services.rca_request(actor=request.auth, incident=incident)
    return created_with_etag(response, rca_selectors.rca_get(user=request.auth, pk=created.pk))


@router.get("/rcas/{rca_id}", response={200: RcaOut, **ERRORS})
def rca_get(request: HttpRequest, response: HttpResponse, rca_id: int):
    return with_etag(response, rca_selectors.rca_get(user=request.auth, pk=rca_id))


@router.get("/rcas/{rca_id}/deadlines", response={200: DeadlinesOut, **ERRORS}, exclude_unset=True)
def rca_deadlines(request: HttpRequest, rca_id: int):
    """The report's due date as a deadline (C6/B7): where it stands, the business time left and why
    it is due when it is."""
    report = rca_selectors.rca_get(user=request.auth, pk=rca_id)
    return deadline_list(user=request.auth, owner_type=rca_services.DEADLINE_OWNER, owner_id=report.pk)


@router.patch("/rcas/{rca_id}", response={200: RcaOut, **ERRORS})
def rca_update(request: HttpRequest, response: HttpResponse, rca_id: int, payload: RcaPatch):
    report = rca_selectors.rca_get(user=request.auth, pk=rca_id)
    return updated_with_etag(
        request, response, rca_services.rca_update, payload, reread=rca_selectors.rca_get, rca=report
    )


@router.post("/rcas/{rca_id}/actions", response={201: RcaActionOut, **ERRORS})
def rca_action_add(request: HttpRequest, response: HttpResponse, rca_id: int, payload: RcaActionIn):
    report = rca_selectors.rca_get(user=request.auth, pk=rca_id)
    action = rca_services.rca_action_add(actor=request.auth, rca=report, **payload.dict())
    return created_with_etag(response, rca_selectors.rca_action_get(user=request.auth, pk=action.pk))


@router.patch("/rca-actions/{action_id}", response={200: RcaActionOut, **ERRORS})
def rca_action_update(request: HttpRequest, response: HttpResponse, action_id: int, payload: RcaActionPatch):
    action = rca_selectors.rca_action_get(user=request.auth, pk=action_id)
    return updated_with_etag(
        request,
        response,
        rca_services.rca_action_update,
        payload,
        reread=rca_selectors.rca_action_get,
        action=action,
    )


#: The steps of the report (C6): its service, then the report with its ETag.
_step = steps(
    router, "/rcas/{rca_id}", "rca", RcaOut, module=__name__, selectors=rca_selectors, services=rca_services
)
_step("submit", "rca_submit", description="Submit the report: every section written and at least one action.")
_step("accept", "rca_accept")
