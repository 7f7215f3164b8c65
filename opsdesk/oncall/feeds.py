"""A rota as an iCalendar feed (issue 9 item 1, the `icalendar` package): one event per shift,
overrides included, from a week back to eight weeks ahead, so people see their turns in their own
calendar. Calendar apps cannot sign in, so the feed's address carries a signed token of the rota."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.http import HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event

from opsdesk.core.errors import NotFound
from opsdesk.oncall import selectors
from opsdesk.oncall.models import Rota

FEED_SALT = "opsdesk.oncall.rota-feed"
BACK = dt.timedelta(days=7)
AHEAD = dt.timedelta(days=56)


def feed_token(rota: Rota) -> str:
    return signing.dumps({"r": rota.pk}, salt=FEED_SALT)


def rota_from_feed_token(token: str) -> Rota:
    """A forged or altered address is as absent as a missing rota (404)."""
    try:
        data = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        raise NotFound()
    rota = Rota.objects.select_related("team").filter(pk=data.get("r")).first()
    if rota is None:
        raise NotFound()
    return rota


def rota_calendar(rota: Rota, *, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    plan = selectors.rota_schedule(rota=rota, start=now - BACK, end=now + AHEAD)
    cal = Calendar()
    cal.add("prodid", "-//opsdesk//on-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"On call: {rota.name}")
    for shift in plan.shifts:
        event = Event()
        who = shift.user.full_name or shift.user.email
        event.add("uid", f"oncall-{rota.pk}-{shift.user.pk}-{int(shift.starts_at.timestamp())}@opsdesk")
        event.add("summary", f"On call: {who}" + (" (override)" if shift.override_id else ""))
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("dtstamp", now)
        event.add("description", f"{rota.name} ({rota.team.name}): {who} <{shift.user.email}> is on call.")
        cal.add_component(event)
    return cal.to_ical()


def calendar_response(rota: Rota) -> HttpResponse:
    response = HttpResponse(rota_calendar(rota), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="oncall-rota-{rota.pk}.ics"'
    return response
