"""Escalation (C7) and root-cause analysis (C6) endpoints. Thin: parse, call one selector or
service, answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from opsdesk.core.api import (
    CSV_NOTE,
    ERRORS,
    IF_MATCH_OPTIONAL,
    ListParams,
    created_with_etag,
    if_match_version,
    list_response,
    page_response_schema,
    updated_with_etag,
    with_etag,
)
from opsdesk.incidents import escalations, rca
from opsdesk.incidents.escalation_schemas import (
    EscalationCloseIn,
    EscalationCriterionOut,
    EscalationIn,
    EscalationLevelIn,
    EscalationLevelOut,
    EscalationOut,
    EscalationResponseIn,
    IncidentEscalationsOut,
    RcaActionIn,
    RcaActionOut,
    RcaActionPatch,
    RcaFilter,
    RcaOut,
    RcaPatch,
)

router = Router(tags=["escalations", "rca"])


# --- the matrix (C7) ---------------------------------------------------------------------------


@router.get("/escalation-matrix", response={200: list[EscalationLevelOut], **ERRORS}, tags=["escalations"])
def escalation_matrix(request: HttpRequest):
    return list(escalations.escalation_level_list())


@router.get(
    "/escalation-criteria", response={200: list[EscalationCriterionOut], **ERRORS}, tags=["escalations"]
)
def escalation_criteria(request: HttpRequest):
    return list(escalations.escalation_criterion_list())


# --- escalations (C7) --------------------------------------------------------------------------


@router.post(
    "/incidents/{incident_id}/escalations", response={201: EscalationOut, **ERRORS}, tags=["escalations"]
)
def escalation_raise(request: HttpRequest, response: HttpResponse, incident_id: int, payload: EscalationIn):
    """Escalate an incident (level 2), or move the escalation in force up a level."""
    incident = escalations.escalation_incident_get(user=request.auth, pk=incident_id)
    escalation = escalations.escalation_raise(actor=request.auth, incident=incident, **payload.dict())
    return created_with_etag(response, escalations.escalation_get(user=request.auth, pk=escalation.pk))


@router.get(
    "/incidents/{incident_id}/escalations",
    response={200: IncidentEscalationsOut, **ERRORS},
    tags=["escalations"],
)
def incident_escalation_list(request: HttpRequest, incident_id: int):
    incident = escalations.escalation_incident_get(user=request.auth, pk=incident_id)
    return escalations.incident_escalations(user=request.auth, incident=incident)


@router.get("/escalations/{escalation_id}", response={200: EscalationOut, **ERRORS}, tags=["escalations"])
def escalation_get(request: HttpRequest, response: HttpResponse, escalation_id: int):
    return with_etag(response, escalations.escalation_get(user=request.auth, pk=escalation_id))


@router.post(
    "/escalations/{escalation_id}/raise-level",
    response={201: EscalationOut, **ERRORS},
    tags=["escalations"],
    openapi_extra=IF_MATCH_OPTIONAL,
)
def escalation_raise_level(
    request: HttpRequest, response: HttpResponse, escalation_id: int, payload: EscalationLevelIn
):
    """Move the escalation up one level, when the criteria are met at its current level."""
    escalation = escalations.escalation_get(user=request.auth, pk=escalation_id)
    raised = escalations.escalation_raise_level(
        actor=request.auth,
        escalation=escalation,
        expected_version=if_match_version(request, escalation),
        **payload.dict(),
    )
    return created_with_etag(response, escalations.escalation_get(user=request.auth, pk=raised.pk))


@router.post(
    "/escalations/{escalation_id}/acknowledge",
    response={200: EscalationOut, **ERRORS},
    tags=["escalations"],
    openapi_extra=IF_MATCH_OPTIONAL,
)
def escalation_acknowledge(request: HttpRequest, response: HttpResponse, escalation_id: int):
    escalation = escalations.escalation_get(user=request.auth, pk=escalation_id)
    escalations.escalation_acknowledge(
        actor=request.auth, escalation=escalation, expected_version=if_match_version(request, escalation)
    )
    return with_etag(response, escalations.escalation_get(user=request.auth, pk=escalation_id))


@router.post(
    "/escalations/{escalation_id}/respond",
    response={200: EscalationOut, **ERRORS},
    tags=["escalations"],
    openapi_extra=IF_MATCH_OPTIONAL,
)
def escalation_respond(
    request: HttpRequest, response: HttpResponse, escalation_id: int, payload: EscalationResponseIn
):
    escalation = escalations.escalation_get(user=request.auth, pk=escalation_id)
    escalations.escalation_respond(
        actor=request.auth,
        escalation=escalation,
        response=payload.response,
        expected_version=if_match_version(request, escalation),
    )
    return with_etag(response, escalations.escalation_get(user=request.auth, pk=escalation_id))


@router.post(
    "/escalations/{escalation_id}/close",
    response={200: EscalationOut, **ERRORS},
    tags=["escalations"],
    openapi_extra=IF_MATCH_OPTIONAL,
)
def escalation_close(
    request: HttpRequest, response: HttpResponse, escalation_id: int, payload: EscalationCloseIn
):
    escalation = escalations.escalation_get(user=request.auth, pk=escalation_id)
    escalations.escalation_close(
        actor=request.auth,
        escalation=escalation,
        reason=payload.reason,
        expected_version=if_match_version(request, escalation),
    )
    return with_etag(response, escalations.escalation_get(user=request.auth, pk=escalation_id))


# --- root-cause analyses (C6) ------------------------------------------------------------------


@router.get("/rcas", response=page_response_schema(RcaOut), description=CSV_NOTE, tags=["rca"])
def rca_list(request: HttpRequest, filters: Query[RcaFilter], params: Query[ListParams]):
    qs = rca.rca_list(user=request.auth, **filters.dict())
    return list_response(
        request, qs, params, RcaOut, ordering=("due_at", "state", "created_at"), name="root-cause-analyses"
    )


@router.post("/incidents/{incident_id}/rca", response={201: RcaOut, **ERRORS}, tags=["rca"])
def rca_request(request: HttpRequest, response: HttpResponse, incident_id: int):
    """Request a root-cause analysis of a P2 (possibly chargeable)."""
    incident = escalations.escalation_incident_get(user=request.auth, pk=incident_id)
    created = rca.rca_request(actor=request.auth, incident=incident)
    return created_with_etag(response, rca.rca_get(user=request.auth, pk=created.pk))


@router.get("/rcas/{rca_id}", response={200: RcaOut, **ERRORS}, tags=["rca"])
def rca_get(request: HttpRequest, response: HttpResponse, rca_id: int):
    return with_etag(response, rca.rca_get(user=request.auth, pk=rca_id))


@router.patch("/rcas/{rca_id}", response={200: RcaOut, **ERRORS}, tags=["rca"])
def rca_update(request: HttpRequest, response: HttpResponse, rca_id: int, payload: RcaPatch):
    report = rca.rca_get(user=request.auth, pk=rca_id)
    return updated_with_etag(request, response, rca.rca_update, payload, reread=rca.rca_get, rca=report)


@router.post("/rcas/{rca_id}/actions", response={201: RcaActionOut, **ERRORS}, tags=["rca"])
def rca_action_add(request: HttpRequest, response: HttpResponse, rca_id: int, payload: RcaActionIn):
    report = rca.rca_get(user=request.auth, pk=rca_id)
    action = rca.rca_action_add(actor=request.auth, rca=report, **payload.dict())
    return created_with_etag(response, rca.rca_action_get(user=request.auth, pk=action.pk))


@router.patch("/rca-actions/{action_id}", response={200: RcaActionOut, **ERRORS}, tags=["rca"])
def rca_action_update(request: HttpRequest, response: HttpResponse, action_id: int, payload: RcaActionPatch):
    action = rca.rca_action_get(user=request.auth, pk=action_id)
    return updated_with_etag(
        request, response, rca.rca_action_update, payload, reread=rca.rca_action_get, action=action
    )


@router.post(
    "/rcas/{rca_id}/submit", response={200: RcaOut, **ERRORS}, tags=["rca"], openapi_extra=IF_MATCH_OPTIONAL
)
def rca_submit(request: HttpRequest, response: HttpResponse, rca_id: int):
    """Submit the report: every section written and at least one action."""
    report = rca.rca_get(user=request.auth, pk=rca_id)
    rca.rca_submit(actor=request.auth, rca=report, expected_version=if_match_version(request, report))
    return with_etag(response, rca.rca_get(user=request.auth, pk=rca_id))


@router.post(
    "/rcas/{rca_id}/accept", response={200: RcaOut, **ERRORS}, tags=["rca"], openapi_extra=IF_MATCH_OPTIONAL
)
def rca_accept(request: HttpRequest, response: HttpResponse, rca_id: int):
    report = rca.rca_get(user=request.auth, pk=rca_id)
    rca.rca_accept(actor=request.auth, rca=report, expected_version=if_match_version(request, report))
    return with_etag(response, rca.rca_get(user=request.auth, pk=rca_id))
