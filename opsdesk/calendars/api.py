"""Calendar endpoints (B1, B5): read by everyone signed in, changed by calendar managers."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from opsdesk.calendars import selectors, services
from opsdesk.core.api import ErrorOut, expected_version, with_etag
from opsdesk.core.crud import Crud, routes
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import Day, WallTime, Year

router = Router(tags=["calendars"])
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    412: ErrorOut,
    422: ErrorOut,
    428: ErrorOut,
}


class Span(Schema):
    weekday: int
    start: WallTime
    end: WallTime


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    description: str
    always_open: bool
    holiday_country: str
    holiday_subdivision: str
    working_hours: list[Span]
    version: int

    @staticmethod
    def resolve_working_hours(obj) -> list:
        return list(obj.working_hours.all())


class CalendarIn(Schema):
    name: str
    timezone: str = "Europe/London"
    description: str = ""
    always_open: bool = False
    holiday_country: str = ""
    holiday_subdivision: str = ""
    working_hours: list[Span] = []


class CalendarPatch(Schema):
    description: str | None = None
    timezone: str | None = None
    working_hours: list[Span] | None = None


class ClosureOut(Schema):
    id: int
    date: dt.date
    reason: str
    source: str


class ClosureIn(Schema):
    date: Day
    reason: str = ""


def _weekly(spans: list[Span]) -> dict[int, list[tuple[dt.time, dt.time]]]:
    weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for span in spans:
        weekly.setdefault(span.weekday, []).append((span.start, span.end))
    return weekly


@router.get("/calendars", response={200: list[CalendarOut], **ERRORS})
def calendar_list(request: HttpRequest):
    return list(selectors.calendar_list(user=request.auth))


@router.post("/calendars", response={201: CalendarOut, **ERRORS})
def calendar_create(request: HttpRequest, response: HttpResponse, payload: CalendarIn):
    data = payload.dict(exclude={"working_hours"})
    calendar = services.calendar_create(
        actor=request.auth, weekly_hours=_weekly(payload.working_hours), **data
    )
    response["ETag"] = calendar.etag
    return Status(201, selectors.calendar_get(user=request.auth, pk=calendar.pk))


routes(
    router,
    Crud(name="calendar", path="/calendars", out=CalendarOut, get=selectors.calendar_get, errors=ERRORS),
    module=__name__,
)


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def calendar_update(request: HttpRequest, response: HttpResponse, calendar_id: int, payload: CalendarPatch):
    """Changing the hours recomputes every open target on the calendar (B5)."""
    calendar = selectors.calendar_get(user=request.auth, pk=calendar_id)
    version = expected_version(request, calendar)
    changes = payload.dict(exclude_unset=True, exclude={"working_hours"})
    if changes:
        calendar = services.calendar_update(
            actor=request.auth, calendar=calendar, expected_version=version, **changes
        )
    if payload.working_hours is not None:
        calendar = services.working_hours_set(
            actor=request.auth, calendar=calendar, weekly_hours=_weekly(payload.working_hours)
        )
    return with_etag(response, selectors.calendar_get(user=request.auth, pk=calendar.pk))


@router.get("/calendars/{calendar_id}/closures", response={200: list[ClosureOut], **ERRORS})
def closure_list(request: HttpRequest, calendar_id: int, year: Year | None = None):
    calendar = selectors.calendar_get(user=request.auth, pk=calendar_id)
    return list(selectors.closure_list(user=request.auth, calendar=calendar, year=year))


@router.post("/calendars/{calendar_id}/closures", response={201: ClosureOut, **ERRORS})
def closure_add(request: HttpRequest, calendar_id: int, payload: ClosureIn):
    """A closed day; every open target on the calendar is recomputed (B5)."""
    calendar = selectors.calendar_get(user=request.auth, pk=calendar_id)
    return Status(201, services.closure_add(actor=request.auth, calendar=calendar, **payload.dict()))


@router.post("/calendars/{calendar_id}/closures/import", response={201: list[ClosureOut], **ERRORS})
def closures_import(request: HttpRequest, calendar_id: int, file: File[UploadedFile]):
    """Closed days from an iCalendar (.ics) file: each all-day event closes its days. Declared before
    the closure routes so that "import" is not taken for a closure id."""
    calendar = selectors.calendar_get(user=request.auth, pk=calendar_id)
    if file.size > 2 * 1024 * 1024:
        raise ValidationFailed.field("file", "The file is larger than 2 MB.")
    return Status(
        201, services.closures_import_ics(actor=request.auth, calendar=calendar, content=file.read())
    )


@router.delete("/calendars/{calendar_id}/closures/{closure_id}", response={204: None, **ERRORS})
def closure_remove(request: HttpRequest, calendar_id: int, closure_id: int):
    calendar = selectors.calendar_get(user=request.auth, pk=calendar_id)
    services.closure_remove(
        actor=request.auth, closure=selectors.closure_get(user=request.auth, calendar=calendar, pk=closure_id)
    )
    return Status(204, None)
