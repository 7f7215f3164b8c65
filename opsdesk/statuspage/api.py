"""Status page endpoints (C8, E4, L3). GET /status is public; the rest need "statuspage.manage".
Thin: parse, call one selector or service, answer."""

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
from opsdesk.core.errors import ValidationFailed
from opsdesk.statuspage import selectors, services
from opsdesk.statuspage.choices import StatusIncidentState
from opsdesk.statuspage.schemas import (
    StatusIncidentFilter,
    StatusIncidentIn,
    StatusIncidentOut,
    StatusIncidentPatch,
    StatusMaintenanceFilter,
    StatusMaintenanceIn,
    StatusMaintenanceOut,
    StatusMaintenancePatch,
    StatusSummaryOut,
    StatusUpdateIn,
    StatusUpdateOut,
)

router = Router(tags=["status"])

INCIDENT_FILTER_STATES = ("ongoing", *StatusIncidentState.values)


# --- public (C8) -------------------------------------------------------------------------------


@router.get("/status", response={200: StatusSummaryOut}, auth=None)
def status_summary(request: HttpRequest):
    """The public status: overall banner, ongoing incidents, maintenance, the last 14 days. No login."""
    summary = selectors.public_status_summary()
    return {
        "status": {"indicator": summary.overall.indicator, "description": summary.overall.description},
        "incidents": summary.ongoing,
        "maintenance": summary.maintenance,
        "recent": summary.recent,
        "generated_at": summary.generated_at,
    }


# --- incidents (staff) -------------------------------------------------------------------------


@router.get("/status/incidents", response=page_response_schema(StatusIncidentOut), description=CSV_NOTE)
def status_incident_list(
    request: HttpRequest, filters: Query[StatusIncidentFilter], params: Query[ListParams]
):
    if filters.state and filters.state not in INCIDENT_FILTER_STATES:
        raise ValidationFailed.field("state", f"Must be one of: {', '.join(INCIDENT_FILTER_STATES)}.")
    qs = selectors.status_incident_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        selectors.with_timeline(qs, authors=True),
        params,
        StatusIncidentOut,
        ordering=("started_at", "resolved_at", "impact", "title", "updated_at"),
        name="status-incidents",
    )


@router.post("/status/incidents", response={201: StatusIncidentOut, **ERRORS})
def status_incident_create(request: HttpRequest, response: HttpResponse, payload: StatusIncidentIn):
    return created_with_etag(response, services.status_incident_create(actor=request.auth, **payload.dict()))


@router.get("/status/incidents/{incident_id}", response={200: StatusIncidentOut, **ERRORS})
def status_incident_get(request: HttpRequest, response: HttpResponse, incident_id: int):
    return with_etag(response, selectors.status_incident_get(user=request.auth, pk=incident_id))


@router.patch("/status/incidents/{incident_id}", response={200: StatusIncidentOut, **ERRORS})
def status_incident_update(
    request: HttpRequest, response: HttpResponse, incident_id: int, payload: StatusIncidentPatch
):
    incident = selectors.status_incident_get(user=request.auth, pk=incident_id)
    return updated_with_etag(
        request,
        response,
        services.status_incident_update,
        payload,
        reread=selectors.status_incident_get,
        incident=incident,
    )


@router.post("/status/incidents/{incident_id}/updates", response={201: StatusUpdateOut, **ERRORS})
def status_incident_post_update(
    request: HttpRequest, response: HttpResponse, incident_id: int, payload: StatusUpdateIn
):
    """Post a timeline entry; a new state here is how an incident moves (forward only)."""
    incident = selectors.status_incident_get(user=request.auth, pk=incident_id)
    update = services.status_incident_post_update(actor=request.auth, incident=incident, **payload.dict())
    return created_with_etag(response, update)


# --- maintenance (staff, E4) -------------------------------------------------------------------


@router.get("/status/maintenance", response=page_response_schema(StatusMaintenanceOut), description=CSV_NOTE)
def status_maintenance_list(
    request: HttpRequest, filters: Query[StatusMaintenanceFilter], params: Query[ListParams]
):
    qs = selectors.status_maintenance_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        qs,
        params,
        StatusMaintenanceOut,
        ordering=("starts_at", "ends_at", "state", "title", "updated_at"),
        name="status-maintenance",
    )


@router.post("/status/maintenance", response={201: StatusMaintenanceOut, **ERRORS})
def status_maintenance_create(request: HttpRequest, response: HttpResponse, payload: StatusMaintenanceIn):
    return created_with_etag(
        response, services.status_maintenance_create(actor=request.auth, **payload.dict())
    )


@router.get("/status/maintenance/{maintenance_id}", response={200: StatusMaintenanceOut, **ERRORS})
def status_maintenance_get(request: HttpRequest, response: HttpResponse, maintenance_id: int):
    return with_etag(response, selectors.status_maintenance_get(user=request.auth, pk=maintenance_id))


@router.patch("/status/maintenance/{maintenance_id}", response={200: StatusMaintenanceOut, **ERRORS})
def status_maintenance_update(
    request: HttpRequest, response: HttpResponse, maintenance_id: int, payload: StatusMaintenancePatch
):
    """Edits and state moves; `{"state": "cancelled"}` cancels."""
    maintenance = selectors.status_maintenance_get(user=request.auth, pk=maintenance_id)
    return updated_with_etag(
        request, response, services.status_maintenance_update, payload, maintenance=maintenance
    )
