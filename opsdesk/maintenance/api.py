"""Maintenance endpoints (E1–E4, D6): cloud-provider (AWS Health) notices with their intake and
triage steps, agreed windows, blackouts, provider maintenance (with its lifecycle steps), customer
windows, the overlap check, and the organisation's iCal feed address.
Thin: parse, call one selector or service, answer. Bad input answers 422 naming the field."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from opsdesk.core.api import ERRORS, with_etag
from opsdesk.core.crud import declare, one_of, routes, steps
from opsdesk.core.errors import ValidationFailed
from opsdesk.directory.selectors import organisation_get
from opsdesk.maintenance import schemas, selectors, services
from opsdesk.maintenance.choices import MaintenanceState
from opsdesk.maintenance.schemas import (
    HEALTH_EVENT_BODY,
    CustomerWindowCancelIn,
    CustomerWindowOut,
    HealthNoticeAssessIn,
    HealthNoticeCloseIn,
    HealthNoticeContactIn,
    HealthNoticeDismissIn,
    HealthNoticeOut,
    IcalFeedOut,
    MaintenanceCancelIn,
    MaintenanceNoteIn,
    OverlapQuery,
    OverlapsOut,
    ProviderMaintenanceOut,
)

router = Router(tags=["maintenance"])


@router.post(
    "/maintenance/health-events",
    response={200: HealthNoticeOut, 201: HealthNoticeOut, **ERRORS},
    openapi_extra=HEALTH_EVENT_BODY,
)
def health_event_receive(request: HttpRequest, response: HttpResponse):
    """E1: take in one AWS Health event as EventBridge delivers it (`source` aws.health). A new
    (event ARN, account) is a new notice (201); a repeat delivery updates that notice and counts it
    (200). A malformed event is refused naming every bad field (`detail.eventArn`, `time`…) and
    nothing is stored. An account no organisation owns gives an unmatched notice, seen by staff."""
    try:
        event = json.loads(request.body or b"null")
    except ValueError:
        raise ValidationFailed.field("event", "The body is not JSON.")
    notice, created = services.health_event_receive(actor=request.auth, event=event)
    notice = selectors.health_notice_get(user=request.auth, pk=notice.pk)
    return Status(201 if created else 200, with_etag(response, notice))


NOTICES = declare(
    "health_notice",
    "/maintenance/notices",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="notice_id",
    wrap_list=selectors.with_notice_details,
    ordering={
        "last_received_at": ("last_received_at",),
        "start_time": ("start_time",),
        "state": ("state", "last_received_at"),
        "category": ("category", "last_received_at"),
    },
    docs={
        "list": "E1: AWS Health notices; a customer sees their organisation's, staff every one "
        "(unmatched included). Add `?format=csv` for the whole (filtered, ordered) list as CSV."
    },
)

WINDOWS = declare(
    "window",
    "/maintenance/windows",
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("weekday", "start"),
    docs={"create": "E2: the organisation's agreed maintenance window (one per organisation)."},
)
BLACKOUTS = declare(
    "blackout",
    "/maintenance/blackouts",
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("starts_at", "ends_at"),
    docs={"create": "D6/E2: a period when no change or maintenance may be made."},
)
PROVIDER = declare(
    "provider_maintenance",
    "/maintenance/provider",
    ("list", "create", "get", "update"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    id="maintenance_id",
    check_filters=one_of("state", MaintenanceState.values),
    wrap_list=selectors.with_details,
    ordering=("starts_at", "ends_at", "state", "title"),
    reread=True,
    docs={
        "create": "E2: inside the agreed window; outside it with at least 10 working days' notice, "
        "else only as an emergency with its reason. Notices go to the named contacts.",
        "update": "Title and description only: a new time is a new notice (cancel and schedule again).",
    },
)
CUSTOMER = declare(
    "customer_window",
    "/maintenance/customer-windows",
    ("list", "create", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    wrap_list=selectors.with_scope,
    ordering=("starts_at", "ends_at"),
    docs={
        "create": "E3: declared at least 24 hours ahead; alarms on its services and accounts are suppressed."
    },
)
routes(router, NOTICES, WINDOWS, BLACKOUTS, PROVIDER, CUSTOMER, module=__name__)

notice_step = steps(
    router,
    "/maintenance/notices/{notice_id}",
    "health_notice",
    HealthNoticeOut,
    module=__name__,
    selectors=selectors,
    services=services,
)
notice_step("assess", "health_notice_assess", HealthNoticeAssessIn, "impact_level", "impact_assessment")
notice_step(
    "contact", "health_notice_contact", HealthNoticeContactIn, "contact", "method", "contacted_at", "note"
)
notice_step("close", "health_notice_close", HealthNoticeCloseIn, "note")
notice_step("dismiss", "health_notice_dismiss", HealthNoticeDismissIn, "reason")

step = steps(
    router,
    "/maintenance/provider/{maintenance_id}",
    "provider_maintenance",
    ProviderMaintenanceOut,
    module=__name__,
    selectors=selectors,
    services=services,
)
step("start", "provider_maintenance_start", MaintenanceNoteIn, "note")
step("end", "provider_maintenance_end", MaintenanceNoteIn, "note")
step("complete", "provider_maintenance_complete", MaintenanceNoteIn, "note")
step("cancel", "provider_maintenance_cancel", MaintenanceCancelIn, "reason")

window_step = steps(
    router,
    "/maintenance/customer-windows/{customer_window_id}",
    "customer_window",
    CustomerWindowOut,
    module=__name__,
    selectors=selectors,
    services=services,
)
window_step("cancel", "customer_window_cancel", CustomerWindowCancelIn, "reason")


@router.get("/maintenance/overlaps", response={200: OverlapsOut, **ERRORS})
def maintenance_overlaps(request: HttpRequest, query: Query[OverlapQuery]):
    """D6: what a proposed window on an organisation (and its services) overlaps: blackouts, and
    planned or under-way changes, provider maintenance and customer windows on the same services
    or organisation-wide (read from the schedule)."""
    org = organisation_get(user=request.auth, pk=query.organisation)
    start, end = services._times(query.starts_at, query.ends_at, now=query.starts_at, past_ok=True)
    found = selectors.overlaps(
        user=request.auth,
        organisation=org.pk,
        starts_at=start,
        ends_at=end,
        services=query.services,
        exclude_maintenance=query.exclude_maintenance,
    )
    return {
        "any": found.any,
        "blackouts": found.blackouts,
        "maintenance": found.maintenance,
        "customer_windows": found.customer_windows,
        "changes": found.changes,
    }


def _feed_out(request: HttpRequest, feed) -> dict:
    url = request.build_absolute_uri(reverse("maintenance:ical_feed", args=[feed.secret]))
    return {"organisation_id": feed.organisation_id, "url": url, "rotated_at": feed.rotated_at}


@router.get("/organisations/{organisation_id}/ical-feed", response={200: IcalFeedOut, **ERRORS})
def organisation_ical_feed(request: HttpRequest, organisation_id: int):
    """E4: the current secret address of the organisation's maintenance calendar (iCalendar)."""
    org = organisation_get(user=request.auth, pk=organisation_id)
    return _feed_out(request, services.ical_feed_for(actor=request.auth, organisation=org))


@router.post("/organisations/{organisation_id}/ical-feed/rotate", response={200: IcalFeedOut, **ERRORS})
def organisation_ical_feed_rotate(request: HttpRequest, organisation_id: int):
    """E4: a new secret address; every earlier one stops working at once."""
    org = organisation_get(user=request.auth, pk=organisation_id)
    return _feed_out(request, services.ical_feed_rotate(actor=request.auth, organisation=org))
