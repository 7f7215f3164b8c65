"""Tenancy-walk declarations of the calendar API (see opsdesk/testing/routes.py). Calendars are
provider reference data: readable by everyone signed in, changed by calendar managers."""

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
CLOSURES = f"{API}/calendars/{{calendar_id}}/closures"
MANAGE = {"staff_only": True, "permission": "calendars.manage"}


def world_extras(world):
    from opsdesk.calendars.models import Calendar
    from opsdesk.calendars.services import closure_add

    world["calendar_uk"] = Calendar.objects.get(name="uk")
    world["closure_uk"] = closure_add(
        actor=world["admin"],
        calendar=world["calendar_uk"],
        date=__import__("datetime").date(2030, 6, 3),
        reason="walk",
    )


def _calendar(w):
    return {"name": "walk", "working_hours": [{"weekday": 0, "start": "08:00", "end": "12:00"}]}


def ics_upload(uid: str, day: str):
    """The body of a closures import: an iCalendar file with one all-day closure on `day`."""
    return lambda w: {
        "file": (
            "closures.ics",
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//walk//EN\r\n"
            b"BEGIN:VEVENT\r\nUID:" + uid.encode() + b"\r\nDTSTAMP:20260101T000000Z\r\n"
            b"DTSTART;VALUE=DATE:" + day.encode() + b"\r\nSUMMARY:Walk\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
    }


ROUTES = [
    *api_entity(f"{API}/calendars", "calendar_id", "calendar_uk", create=_calendar,
                update=lambda w: {"description": "walked"}, write=MANAGE),
    Route("api", CLOSURES, params={"calendar_id": "calendar_uk"}),
    Route("api", CLOSURES, "POST", params={"calendar_id": "calendar_uk"}, **MANAGE,
          body=lambda w: {"date": "2030-06-04", "reason": "walk"}),
    Route("api", f"{CLOSURES}/{{closure_id}}", "DELETE", **MANAGE,
          params={"calendar_id": "calendar_uk", "closure_id": "closure_uk"}),
    Route("api", f"{CLOSURES}/import", "POST", params={"calendar_id": "calendar_uk"}, **MANAGE,
          multipart=True, body=ics_upload("1", "20300605")),
]
