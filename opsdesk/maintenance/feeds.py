"""An organisation's maintenance as an iCalendar feed (E4, the `icalendar` package): its provider
maintenance, customer windows and blackouts, for the people's own calendars. Calendar apps cannot
sign in, so the address carries the feed's secret, which can be rotated (services.ical_feed_rotate)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event

from opsdesk.maintenance import selectors
from opsdesk.maintenance.models import IcalFeed
from opsdesk.schedule.choices import WindowPhase


def _event(uid: str, summary: str, starts_at, ends_at, now, description: str, status: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@opsdesk")
    event.add("summary", summary)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("dtstamp", now)
    event.add("status", status)
    if description:
        event.add("description", description)
    return event


def organisation_calendar(feed: IcalFeed, *, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    entries = selectors.feed_entries(organisation_id=feed.organisation_id, now=now)
    cal = Calendar()
    cal.add("prodid", "-//opsdesk//maintenance//EN")
    cal.add("version", "2.0")
    # The name says what the feed is, not whose: the address may end up in shared calendars.
    cal.add("x-wr-calname", "Maintenance windows")
    for m in entries["maintenance"]:
        kind = "Emergency maintenance" if m.is_emergency else "Maintenance"
        text = f"{m.get_state_display()}. " + (
            "Inside the agreed window." if m.in_window else "Outside the agreed window."
        )
        if m.description:
            text += f"\n\n{m.description}"
        cal.add_component(
            _event(
                f"maintenance-{m.pk}", f"{kind}: {m.title}", m.starts_at, m.ends_at, now, text, "CONFIRMED"
            )
        )
    for w in entries["customer_windows"]:
        text = "Customer-led maintenance: alarms on its services and accounts are suppressed."
        cal.add_component(
            _event(
                f"customer-window-{w.pk}",
                f"Customer maintenance: {w.title}",
                w.starts_at,
                w.ends_at,
                now,
                text,
                "CONFIRMED",
            )
        )
    for b in entries["blackouts"]:
        cal.add_component(
            _event(
                f"blackout-{b.pk}",
                f"Blackout: {b.reason}",
                b.starts_at,
                b.ends_at,
                now,
                "No changes.",
                "CONFIRMED",
            )
        )
    for c in entries["changes"]:
        status = "CANCELLED" if c.phase == WindowPhase.CANCELLED else "CONFIRMED"
        text = f"Change {c.state}." + (f"\n\n{c.description}" if c.description else "")
        summary = f"{c.reference}: {c.title}"
        cal.add_component(_event(f"change-{c.source_id}", summary, c.starts_at, c.ends_at, now, text, status))
    return cal.to_ical()


def feed_response(feed: IcalFeed) -> HttpResponse:
    response = HttpResponse(organisation_calendar(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="maintenance-{feed.organisation_id}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
