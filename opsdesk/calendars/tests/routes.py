"""Tenancy-walk declarations of the calendar pages (B1; see opsdesk/testing/routes.py; `routes_api`
is the calendar API's). Calendars are provider reference data: everyone signed in reads them;
calendar managers change them. World keys from the calendars world extras: `calendar_uk`, `closure_uk`."""

from __future__ import annotations

from typing import Any

from opsdesk.calendars.tests.routes_api import ics_upload
from opsdesk.testing.routes import Route, form, ui_pages

CALENDARS = "calendars.manage"
WEEK = {"monday": "09:00-17:00", "tuesday": "09:00-12:00, 13:00-17:00", "wednesday": "09:00-17:00"}


def _calendar(w: dict[str, Any]) -> dict:
    return {"name": "walk-ui", "timezone": "Europe/London", "holiday_country": "GB", **WEEK}


UK = {"params": {"pk": "calendar_uk"}, "staff_only": True, "permission": CALENDARS}

ROUTES = [
    *ui_pages("calendars:", "calendar_uk", write={"permission": CALENDARS}, create=_calendar),
    Route("ui", "calendars:detail", query="year=2030", params={"pk": "calendar_uk"}),
    *form("calendars:hours", lambda w: WEEK, **UK),
    *form("calendars:closure_add", lambda w: {"date": "2030-06-11", "reason": "walk"}, **UK),
    *form("calendars:closures_import", ics_upload("ui-1", "20300610"), multipart=True, **UK),
    Route("ui", "calendars:closure_remove", "POST", staff_only=True, permission=CALENDARS,
          params={"pk": "calendar_uk", "closure_pk": "closure_uk"}),
]
