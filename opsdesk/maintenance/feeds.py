"""An organisation's changes and maintenance as an iCalendar feed (E4, the `icalendar` package),
for people's own calendars: every window the schedule holds for it — scheduled changes, provider
maintenance, customer maintenance, blackouts — and the provider-wide maintenance every customer
sees, from `schedule.selectors.feed_windows`. Calendar apps cannot sign in, so the address carries
the feed's secret, which can be rotated (services.ical_feed_rotate).

Each event's UID is its source and id ("changes.change-12@opsdesk"), so an edit updates the event
in place instead of adding one; SEQUENCE and LAST-MODIFIED follow the window's last update, and a
cancelled window stays in the feed with STATUS:CANCELLED (calendar apps then strike it out rather
than silently keeping the old slot)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event

from opsdesk.maintenance.models import IcalFeed
from opsdesk.schedule import selectors as schedule
from opsdesk.schedule.choices import WindowKind, WindowPhase
from opsdesk.schedule.models import Window

#: RFC 5545 STATUS of a VEVENT by the window's phase: planned work may still move or be called off.
STATUS = {
    WindowPhase.PLANNED: "TENTATIVE",
    WindowPhase.UNDER_WAY: "CONFIRMED",
    WindowPhase.DONE: "CONFIRMED",
    WindowPhase.CANCELLED: "CANCELLED",
}
#: SEQUENCE counts seconds from here to the window's last update: it only grows as the window is
#: edited, and stays a small integer (RFC 5545 wants a non-negative integer; some clients 32-bit).
SEQUENCE_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def uid(window: Window) -> str:
    return f"{window.source}-{window.source_id}@opsdesk"


def summary(window: Window) -> str:
    kind = WindowKind(window.kind).label
    if window.kind == WindowKind.PROVIDER_MAINTENANCE and window.organisation_id is None:
        kind = "Provider-wide maintenance"
    head = f"{window.reference} {window.title}" if window.reference else window.title
    return f"{kind}: {head}"


def sequence(window: Window) -> int:
    return max(0, int((window.updated_at - SEQUENCE_EPOCH).total_seconds()))


def _event(window: Window, *, now: dt.datetime, base_url: str) -> Event:
    event = Event()
    event.add("uid", uid(window))
    event.add("summary", summary(window))
    event.add("dtstart", window.starts_at.astimezone(dt.UTC))
    event.add("dtend", window.ends_at.astimezone(dt.UTC))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("last-modified", window.updated_at.astimezone(dt.UTC))
    event.add("sequence", sequence(window))
    event.add("status", STATUS[WindowPhase(window.phase)])
    event.add("categories", [WindowKind(window.kind).label])
    text = WindowPhase(window.phase).label + (f" ({window.state.replace('_', ' ')})" if window.state else "")
    if window.components:
        text += "\nAffects: " + ", ".join(window.components)
    if window.description:
        text += f"\n\n{window.description}"
    event.add("description", text)
    if window.url:
        url = window.url if "://" in window.url else f"{base_url}{window.url}"
        event.add("url", url)
    return event


def organisation_calendar(feed: IcalFeed, *, now: dt.datetime | None = None, base_url: str = "") -> bytes:
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//opsdesk//changes and maintenance//EN")
    cal.add("version", "2.0")
    # The name says what the feed is, not whose: the address may end up in shared calendars.
    cal.add("x-wr-calname", "Changes and maintenance")
    for window in schedule.feed_windows(organisation_id=feed.organisation_id, now=now):
        cal.add_component(_event(window, now=now, base_url=base_url))
    return cal.to_ical()


def feed_response(feed: IcalFeed, request: HttpRequest | None = None) -> HttpResponse:
    base_url = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
    response = HttpResponse(
        organisation_calendar(feed, base_url=base_url), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="maintenance-{feed.organisation_id}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
