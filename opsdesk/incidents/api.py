"""Incident endpoints (C1–C5, B3–B6, L3). Thin: parse, call one selector or service, answer.

Lifecycle steps are commands (POST …/acknowledge, …/close): If-Match is optional, and when sent the
step acts only on that version (412 otherwise, compared under lock in the service, so of several
steps sent with one ETag one acts). Assignment and priority change fields, so they need If-Match
like every update. Permission is checked before the precondition: who may not act gets 403."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from opsdesk.core.api import (
    CSV_NOTE,
    ERRORS,
    IF_MATCH_OPTIONAL,
    ListParams,
    expected_version,
    if_match_version,
    list_response,
    page_response_schema,
)
from opsdesk.core.crud import Crud, late, routes, steps
from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.directory import selectors as directory
from opsdesk.incidents import selectors, services
from opsdesk.incidents.attachments import selectors as attachment_selectors
from opsdesk.incidents.choices import IncidentState, Priority
from opsdesk.incidents.models import Incident
from opsdesk.incidents.schemas import (
    AssignIn,
    AwaitCustomerIn,
    CallIn,
    ChecklistItemIn,
    ChecklistItemOut,
    ChecklistItemPatch,
    CloseIn,
    IncidentDetailOut,
    IncidentFilter,
    IncidentIn,
    IncidentOut,
    InvestigateIn,
    NoteIn,
    NoteOut,
    PriorityIn,
    ProactiveIncidentIn,
    ResolveIn,
)
from opsdesk.sla import selectors as sla_selectors
from opsdesk.sla.schemas import DeadlinesOut

router = Router(tags=["incidents"])

DETAIL = {200: IncidentDetailOut, **ERRORS}


def _detail(request: HttpRequest, response: HttpResponse, incident: Incident, status: int = 200):
    """The incident as the caller may see it, with its targets and timeline, and its ETag."""
    incident = selectors.incident_get(user=request.auth, pk=incident.pk)
    entries = selectors.incident_timeline(user=request.auth, incident=incident)
    incident.timeline = attachment_selectors.attachment_timeline(
        user=request.auth, incident=incident, entries=entries
    )
    response["ETag"] = incident.etag
    return Status(status, incident) if status != 200 else incident


#: ?ordering keys; next_target_at is the queue's whole order (selectors.QUEUE_ORDER), either way.
INCIDENT_ORDERING = {
    "next_target_at": selectors.QUEUE_ORDER[:-1],
    **{key: (key,) for key in ("logged_at", "priority", "state", "reference", "updated_at")},
}


def _get(request: HttpRequest, incident_id: int) -> Incident:
    return selectors.incident_get(user=request.auth, pk=incident_id)


# --- incidents -------------------------------------------------------------------------------


@router.get("/incidents", response=page_response_schema(IncidentOut), description=CSV_NOTE)
def incident_list(request: HttpRequest, filters: Query[IncidentFilter], params: Query[ListParams]):
    require_permission(request.auth, "incidents.view")
    values = filters.dict()
    if values.get("state") and values["state"] not in (selectors.OPEN, *IncidentState.values):
        raise ValidationFailed.field("state", f"Must be 'open' or one of: {', '.join(IncidentState.values)}.")
    if values.get("priority") and values["priority"] not in Priority.values:
        raise ValidationFailed.field("priority", f"Must be one of: {', '.join(Priority.values)}.")
    qs = selectors.incident_list(user=request.auth, filters=values)
    return list_response(
        request,
        qs,
        params,
        IncidentOut,
        ordering=INCIDENT_ORDERING,
        name="incidents",
    )


@router.post("/incidents", response={201: IncidentDetailOut, **ERRORS})
def incident_log(request: HttpRequest, response: HttpResponse, payload: IncidentIn):
    """C1: a customer logs as their own named contact (`reported_by` left out or their own; another
    contact is refused, 422); staff log on behalf of `reported_by`, a contact of the organisation."""
    incident = services.incident_log(actor=request.auth, **payload.dict())
    return _detail(request, response, incident, status=201)


@router.post("/incidents/proactive", response={201: IncidentDetailOut, **ERRORS})
def incident_raise_proactive(request: HttpRequest, response: HttpResponse, payload: ProactiveIncidentIn):
    """C3: a proactive incident raised by the provider, 24x7."""
    require_permission(request.auth, "incidents.manage")
    data = payload.dict()
    try:
        organisation = directory.organisation_get(user=request.auth, pk=data.pop("organisation"))
    except NotFound:
        raise ValidationFailed.field("organisation", "No such organisation.")
    service = None
    if data.get("service") is not None:
        service = (
            directory.service_list(user=request.auth, organisation=organisation.pk)
            .filter(pk=data["service"])
            .first()
        )
        if service is None:
            raise ValidationFailed.field("service", f"Not a service of {organisation}.")
    data["service"] = service
    incident = services.incident_raise_proactive(actor=request.auth, organisation=organisation, **data)
    return _detail(request, response, incident, status=201)


@router.get("/incidents/{incident_id}", response=DETAIL)
def incident_get(request: HttpRequest, response: HttpResponse, incident_id: int):
    return _detail(request, response, _get(request, incident_id))


@router.get("/incidents/{incident_id}/deadlines", response={200: DeadlinesOut, **ERRORS}, exclude_unset=True)
def incident_deadlines(request: HttpRequest, incident_id: int):
    """The incident's response targets as deadlines (B3–B6): where each stands, the business time
    left and why it is due when it is."""
    incident = _get(request, incident_id)
    return sla_selectors.deadline_list(
        user=request.auth, owner_type=services.DEADLINE_OWNER, owner_id=incident.pk
    )


# --- lifecycle (C4) --------------------------------------------------------------------------


_step = steps(
    router, "/incidents/{incident_id}", "incident", IncidentDetailOut, answer=_detail,
    module=__name__, selectors=selectors, services=services,
)


def _manage(request: HttpRequest, incident: Incident) -> int:
    return expected_version(request, incident, permission="incidents.manage")


#: Steps that change fields need If-Match; who may not manage incidents gets 403 before any
#: precondition error.
MANAGE = {"version": _manage, "required": True}


_step("acknowledge", "incident_acknowledge")
_step("investigate", "incident_start_investigating", InvestigateIn, "note", name="incident_investigate")
_step("await-customer", "incident_await_customer", AwaitCustomerIn, "note")
_step("resume", "incident_resume")
_step("resolve", "incident_resolve", ResolveIn, "summary")
_step("close", "incident_close", CloseIn, "customer_confirmed", "reason")


# --- notes, calls, assignment, priority (C2, C5) ------------------------------------------------


@router.post(
    "/incidents/{incident_id}/notes", response={201: NoteOut, **ERRORS}, openapi_extra=IF_MATCH_OPTIONAL
)
def incident_add_note(request: HttpRequest, incident_id: int, payload: NoteIn):
    incident = _get(request, incident_id)
    note = services.incident_add_note(
        actor=request.auth,
        incident=incident,
        body=payload.body,
        public=payload.public,
        expected_version=if_match_version(request, incident),
    )
    return Status(201, note)


_step("calls", "incident_record_call", CallIn, "summary")
_step("assign", "incident_assign", AssignIn, "assignee", **MANAGE)
_step("priority", "incident_change_priority", PriorityIn, "priority", "reason", **MANAGE)


# --- the diagnostics checklist (C1) ---------------------------------------------------------------


@router.get("/diagnostics-checklist", response={200: list[ChecklistItemOut], **ERRORS})
def checklist_list(request: HttpRequest, include_inactive: bool = False):
    staff = request.auth.is_provider_staff
    return list(selectors.checklist_list(user=request.auth, include_inactive=include_inactive and staff))


routes(
    router,
    Crud(
        name="checklist_item",
        path="/diagnostics-checklist",
        id="item_id",
        out=ChecklistItemOut,
        get=late(selectors, "checklist_item_get"),
        create=late(services, "checklist_item_create"),
        create_in=ChecklistItemIn,
        update=late(services, "checklist_item_update"),
        patch=ChecklistItemPatch,
        target="item",
        only=("create", "update"),
    ),
    module=__name__,
)
