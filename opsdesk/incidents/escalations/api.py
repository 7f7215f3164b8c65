"""Escalation (C7) endpoints. Thin: parse, call one selector or
service, answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.core.api import (
    ERRORS,
    IF_MATCH_OPTIONAL,
    created_with_etag,
    if_match_version,
    with_etag,
)
from opsdesk.core.crud import steps
from opsdesk.incidents.escalations import selectors as escalation_selectors
from opsdesk.incidents.escalations import services as escalation_services
from opsdesk.incidents.escalations.schemas import (
    EscalationCloseIn,
    EscalationCriterionOut,
    EscalationIn,
    EscalationLevelIn,
    EscalationLevelOut,
    EscalationOut,
    EscalationResponseIn,
    IncidentEscalationsOut,
)
from opsdesk.sla.schemas import DeadlinesOut
from opsdesk.sla.selectors import deadline_list

router = Router(tags=["escalations"])


# --- the matrix (C7) ---------------------------------------------------------------------------


@router.get("/escalation-matrix", response={200: list[EscalationLevelOut], **ERRORS}, tags=["escalations"])
def escalation_matrix(request: HttpRequest):
    return list(escalation_selectors.escalation_level_list())


@router.get(
    "/escalation-criteria", response={200: list[EscalationCriterionOut], **ERRORS}, tags=["escalations"]
)
def escalation_criteria(request: HttpRequest):
    return list(escalation_selectors.escalation_criterion_list())


# --- escalations (C7) --------------------------------------------------------------------------


@router.post(
    "/incidents/{incident_id}/escalations", response={201: EscalationOut, **ERRORS}, tags=["escalations"]
)
def escalation_raise(request: HttpRequest, response: HttpResponse, incident_id: int, payload: EscalationIn):
    """Escalate an incident (level 2), or move the escalation in force up a level."""
    incident = escalation_selectors.escalation_incident_get(user=request.auth, pk=incident_id)
    escalation = escalation_services.escalation_raise(actor=request.auth, incident=incident, **payload.dict())
    return created_with_etag(
        response, escalation_selectors.escalation_get(user=request.auth, pk=escalation.pk)
    )


@router.get(
    "/incidents/{incident_id}/escalations",
    response={200: IncidentEscalationsOut, **ERRORS},
    tags=["escalations"],
)
def incident_escalation_list(request: HttpRequest, incident_id: int):
    incident = escalation_selectors.escalation_incident_get(user=request.auth, pk=incident_id)
    return escalation_selectors.incident_escalations(user=request.auth, incident=incident)


@router.get("/escalations/{escalation_id}", response={200: EscalationOut, **ERRORS}, tags=["escalations"])
def escalation_get(request: HttpRequest, response: HttpResponse, escalation_id: int):
    return with_etag(response, escalation_selectors.escalation_get(user=request.auth, pk=escalation_id))


@router.get(
    "/escalations/{escalation_id}/deadlines",
    response={200: DeadlinesOut, **ERRORS},
    tags=["escalations"],
    exclude_unset=True,
)
def escalation_deadlines(request: HttpRequest, escalation_id: int):
    """The level's acknowledgement and considered-response targets as deadlines (C7): where each
    stands, the business time left and why it is due when it is."""
    escalation = escalation_selectors.escalation_get(user=request.auth, pk=escalation_id)
    return deadline_list(
        user=request.auth, owner_type=escalation_services.DEADLINE_OWNER, owner_id=escalation.pk
    )


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
    escalation = escalation_selectors.escalation_get(user=request.auth, pk=escalation_id)
    raised = escalation_services.escalation_raise_level(
        actor=request.auth,
        escalation=escalation,
        expected_version=if_match_version(request, escalation),
        **payload.dict(),
    )
    return created_with_etag(response, escalation_selectors.escalation_get(user=request.auth, pk=raised.pk))


#: The steps of levels 2–4 on an escalation (C7): its service, then the escalation with its ETag.
_step = steps(
    router, "/escalations/{escalation_id}", "escalation", EscalationOut,
    module=__name__, selectors=escalation_selectors, services=escalation_services,
)
_step("acknowledge", "escalation_acknowledge")
_step("respond", "escalation_respond", EscalationResponseIn, "response")
_step("close", "escalation_close", EscalationCloseIn, "reason")
