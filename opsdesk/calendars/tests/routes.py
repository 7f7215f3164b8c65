"""Tenancy-walk declarations of the calendar pages (B1; see opsdesk/testing/routes.py; `routes_api`
is the calendar API's). Calendars are provider reference data: everyone signed in reads them;
calendar managers change them. World keys from the calendars world extras: `calendar_uk`, `closure_uk`."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route

CALENDARS = "calendars.manage"
WEEK = {"monday": "09:00-17:00", "tuesday": "09:00-12:00, 13:00-17:00", "wednesday": "09:00-17:00"}


def _on(key: str) -> dict[str, dict[str, str]]:
    return {"params": {"pk": key}}


def _ics(w: dict[str, Any]) -> dict:
    return {
        "file": (
            "closures.ics",
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//walk//EN\r\n"
            b"BEGIN:VEVENT\r\nUID:ui-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20300610"
            b"\r\nSUMMARY:Walk\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
    }


ROUTES = [
    Route("ui", "calendars:list"),
    Route("ui", "calendars:detail", **_on("calendar_uk")),
    Route("ui", "calendars:detail", query="year=2030", **_on("calendar_uk")),
    Route("ui", "calendars:history", **_on("calendar_uk")),
    Route("ui", "calendars:create", staff_only=True, permission=CALENDARS),
    Route(
        "ui",
        "calendars:create",
        "POST",
        staff_only=True,
        permission=CALENDARS,
        body=lambda w: {"name": "walk-ui", "timezone": "Europe/London", "holiday_country": "GB", **WEEK},
    ),
    Route("ui", "calendars:hours", staff_only=True, permission=CALENDARS, **_on("calendar_uk")),
    Route(
        "ui",
        "calendars:hours",
        "POST",
        staff_only=True,
        permission=CALENDARS,
        body=lambda w: WEEK,
        **_on("calendar_uk"),
    ),
    Route("ui", "calendars:closure_add", staff_only=True, permission=CALENDARS, **_on("calendar_uk")),
    Route(
        "ui",
        "calendars:closure_add",
        "POST",
        staff_only=True,
        permission=CALENDARS,
        body=lambda w: {"date": "2030-06-11", "reason": "walk"},
        **_on("calendar_uk"),
    ),
    Route("ui", "calendars:closures_import", staff_only=True, permission=CALENDARS, **_on("calendar_uk")),
    Route(
        "ui",
        "calendars:closures_import",
        "POST",
        staff_only=True,
        permission=CALENDARS,
        multipart=True,
        body=_ics,
        **_on("calendar_uk"),
    ),
    Route(
        "ui",
        "calendars:closure_remove",
        "POST",
        staff_only=True,
        permission=CALENDARS,
        params={"pk": "calendar_uk", "closure_pk": "closure_uk"},
    ),
]
