"""Tenancy-walk declarations of the calendar API (see opsdesk/testing/routes.py). Calendars are
provider reference data: readable by everyone signed in, changed by calendar managers."""

from opsdesk.testing.routes import Route

API = "/api/v1"


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


ROUTES = [
    Route("api", f"{API}/calendars"),
    Route(
        "api",
        f"{API}/calendars",
        "POST",
        staff_only=True,
        permission="calendars.manage",
        body=lambda w: {"name": "walk", "working_hours": [{"weekday": 0, "start": "08:00", "end": "12:00"}]},
    ),
    Route("api", f"{API}/calendars/{{calendar_id}}", params={"calendar_id": "calendar_uk"}),
    Route(
        "api",
        f"{API}/calendars/{{calendar_id}}",
        "PATCH",
        params={"calendar_id": "calendar_uk"},
        staff_only=True,
        permission="calendars.manage",
        if_match="calendar_uk",
        body=lambda w: {"description": "walked"},
    ),
    Route("api", f"{API}/calendars/{{calendar_id}}/closures", params={"calendar_id": "calendar_uk"}),
    Route(
        "api",
        f"{API}/calendars/{{calendar_id}}/closures",
        "POST",
        params={"calendar_id": "calendar_uk"},
        staff_only=True,
        permission="calendars.manage",
        body=lambda w: {"date": "2030-06-04", "reason": "walk"},
    ),
    Route(
        "api",
        f"{API}/calendars/{{calendar_id}}/closures/{{closure_id}}",
        "DELETE",
        params={"calendar_id": "calendar_uk", "closure_id": "closure_uk"},
        staff_only=True,
        permission="calendars.manage",
    ),
    Route(
        "api",
        f"{API}/calendars/{{calendar_id}}/closures/import",
        "POST",
        params={"calendar_id": "calendar_uk"},
        staff_only=True,
        permission="calendars.manage",
        multipart=True,
        body=lambda w: {
            "file": (
                "closures.ics",
                b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//walk//EN\r\n"
                b"BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20300605"
                b"\r\nSUMMARY:Walk\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            )
        },
    ),
]
