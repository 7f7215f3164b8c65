"""Status page endpoints (C8, E4, L3). GET /status is public; the rest need "statuspage.manage".
Thin: parse, call one selector or service, answer. Provider-wide maintenance is written under
/api/v1/maintenance/provider (no organisation) and read here from the schedule."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.core.api import ERRORS, created_with_etag
from opsdesk.core.crud import NO_DELETE, declare, one_of, routes
from opsdesk.statuspage import schemas, selectors, services
from opsdesk.statuspage.choices import StatusIncidentState
from opsdesk.statuspage.schemas import (
    StatusSummaryOut,
    StatusUpdateIn,
    StatusUpdateOut,
)

router = Router(tags=["status"])
entity = partial(declare, selectors=selectors, services=services, schemas=schemas)

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


INCIDENTS = entity(
    "status_incident",
    "/status/incidents",
    NO_DELETE,
    id="incident_id",
    check_filters=one_of("state", INCIDENT_FILTER_STATES),
    wrap_list=lambda qs: selectors.with_timeline(qs, authors=True),
    ordering=("started_at", "resolved_at", "impact", "title", "updated_at"),
    reread=True,
    target="incident",
)
routes(router, INCIDENTS, module=__name__)


@router.post("/status/incidents/{incident_id}/updates", response={201: StatusUpdateOut, **ERRORS})
def status_incident_post_update(
    request: HttpRequest, response: HttpResponse, incident_id: int, payload: StatusUpdateIn
):
    """Post a timeline entry; a new state here is how an incident moves (forward only)."""
    incident = selectors.status_incident_get(user=request.auth, pk=incident_id)
    update = services.status_incident_post_update(actor=request.auth, incident=incident, **payload.dict())
    return created_with_etag(response, update)
