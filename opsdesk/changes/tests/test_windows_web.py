"""D6 over the API and on the pages: the schedule and halt steps (errors naming the field, 403 for a
customer, 404 across tenants), the window's overlaps and chargeable flag in the output and on the
change page, halted changes in red on the board, the calendar of windows per tenant, the approved
pipelines page and the service page's line, and the organisation's iCal feed holding the change."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from opsdesk.changes import services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import ApprovedPipeline
from opsdesk.changes.tests.conftest import client_for
from opsdesk.changes.tests.factory import LONDON, change_at, schedule, working_hours
from opsdesk.testing.world import CANARY_A

pytestmark = pytest.mark.django_db
API = "/api/v1/changes"


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _saturday() -> tuple[dt.datetime, dt.datetime]:
    start, _ = working_hours(days=7)
    day = start.date()
    while day.weekday() != 5:
        day += dt.timedelta(days=1)
    begin = dt.datetime.combine(day, dt.time(2), tzinfo=LONDON)
    return begin, begin + dt.timedelta(hours=3)


def test_the_api_schedules_flags_and_halts(world):
    first = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    change = change_at(world, "a", ChangeState.SCHEDULED)
    staff = client_for(world["engineer"])
    url = f"{API}/{change.pk}"
    start, end = working_hours()
    r = post(staff, f"{url}/schedule", {"starts_at": end.isoformat(), "ends_at": start.isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_at", r.content
    assert staff.get(url).json()["window"] is None
    r = post(staff, f"{url}/schedule", {"starts_at": start.isoformat(), "ends_at": end.isoformat()})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["overlaps_flagged"] is True and body["chargeable"] is False
    assert [o["reference"] for o in body["window"]["overlaps"]] == [first.reference]
    assert body["window"]["agreed_by"] and body["window"]["out_of_hours_minutes"] == 0
    saturday = _saturday()
    r = post(
        staff,
        f"{url}/schedule",
        {
            "starts_at": saturday[0].isoformat(),
            "ends_at": saturday[1].isoformat(),
            "reason": "Customer asked.",
        },
    )
    body = r.json()
    assert (
        r.status_code == 200 and body["chargeable"] is True and body["window"]["out_of_hours_minutes"] == 180
    )
    assert len(body["windows"]) == 2 and body["windows"][0]["superseded_reason"] == "Customer asked."
    r = post(staff, f"{url}/transition", {"to_state": "implementation"})
    assert r.json()["state"] == "implementation"
    assert post(client_for(world["customer_a"]), f"{url}/halt", {"reason": "Stop"}).status_code == 403
    assert post(client_for(world["customer_b"]), f"{url}/halt", {"reason": "Stop"}).status_code == 404
    assert client_for(world["customer_b"]).get(url).status_code == 404
    r = post(staff, f"{url}/halt", {"reason": "Failover took 10 minutes, not 30 seconds."})
    assert r.status_code == 200 and r.json()["state"] == "halted"
    assert "Failover took 10 minutes" in r.json()["halted_reason"]
    assert post(staff, f"{url}/halt", {"reason": "Again"}).status_code == 409


def test_the_change_page_shows_the_window_overlaps_and_the_chargeable_badge(world):
    first = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    change = schedule(world, change_at(world, "a", ChangeState.SCHEDULED), _saturday())
    page = client_for(world["customer_a"]).get(f"/changes/all/{change.pk}/").content.decode()
    assert "Chargeable: outside core hours" in page and 'data-testid="window"' in page
    assert 'data-testid="overlaps"' not in page  # a Saturday window meets nothing
    services.change_schedule(
        actor=world["engineer"],
        change=change,
        starts_at=first.window.starts_at,
        ends_at=first.window.ends_at,
        reason="Moved to a weekday.",
    )
    page = client_for(world["customer_a"]).get(f"/changes/all/{change.pk}/").content.decode()
    assert 'data-testid="overlaps"' in page and first.reference in page
    assert "Chargeable: outside core hours" not in page and "Moved to a weekday." in page


def test_halted_changes_are_red_on_the_board_and_say_why_on_their_page(world):
    change = change_at(world, "a", ChangeState.IMPLEMENTATION)
    change = services.change_halt(actor=world["engineer"], change=change, reason="Wrong AMI baked.")
    board = client_for(world["engineer"]).get("/changes/").content.decode()
    column = board.split('data-state="halted"', 1)[1].split("</section>", 1)[0]
    assert (
        change.reference in column and "change-card level-2 halted" in column and "Wrong AMI baked." in column
    )
    page = client_for(world["engineer"]).get(f"/changes/all/{change.pk}/").content.decode()
    assert 'data-testid="halted"' in page and "Wrong AMI baked." in page
    assert "Agree the window" in page  # rescheduling is offered


def test_the_calendar_shows_each_tenant_its_own_windows(world):
    change = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    month = f"?month={change.window.starts_at.astimezone(LONDON):%Y-%m}"
    page = client_for(world["customer_a"]).get(f"/changes/calendar/{month}").content.decode()
    assert change.reference in page and f"/changes/all/{change.pk}/" in page and "Schedule" in page
    other = client_for(world["customer_b"]).get(f"/changes/calendar/{month}").content.decode()
    assert change.reference not in other and CANARY_A not in other
    staff = client_for(world["engineer"]).get(f"/changes/calendar/{month}").content.decode()
    assert change.reference in staff
    assert client_for(world["billing"]).get("/changes/calendar/").status_code == 403
    assert client_for(world["engineer"]).get("/changes/calendar/?month=9999-99").status_code == 200


def test_approved_pipelines_are_managed_by_staff_and_said_on_the_service_page(world):
    staff = client_for(world["engineer"])
    assert 'href="/changes/pipelines/"' in staff.get("/changes/").content.decode()
    r = staff.post(
        "/changes/pipelines/new/", {"service": world["service_a"].pk, "name": "GitHub Actions (main)"}
    )
    assert r.status_code == 302, r.content
    pipeline = ApprovedPipeline.objects.get(name="GitHub Actions (main)")
    assert "GitHub Actions (main)" in staff.get("/changes/pipelines/").content.decode()
    service_page = client_for(world["customer_a"]).get(
        reverse("directory:service_detail", args=[world["service_a"].pk])
    )
    assert (
        "Deployments through <strong>GitHub Actions (main)</strong> need no RFC"
        in service_page.content.decode()
    )
    assert client_for(world["customer_a"]).post("/changes/pipelines/new/", {}).status_code == 403
    assert client_for(world["customer_b"]).get(f"/changes/pipelines/{pipeline.pk}/delete/").status_code == 404
    r = staff.post(f"/changes/pipelines/{pipeline.pk}/delete/", {"version": pipeline.version})
    assert r.status_code == 302 and not ApprovedPipeline.objects.exists()


def test_the_organisations_ical_feed_holds_the_scheduled_change(world):
    change = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    withdrawn = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    services.change_withdraw(actor=world["engineer"], change=withdrawn, reason="Not needed.")
    r = client_for(world["customer_a"]).get(f"/api/v1/organisations/{world['org_a'].pk}/ical-feed")
    feed = Client().get(r.json()["url"].removeprefix("http://testserver"))
    events = {str(e["uid"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    event = events[f"changes.change-{change.pk}@opsdesk"]
    assert str(event["summary"]) == f"Change: {change.reference} {change.title}"
    # An agreed window not yet started may still move: tentative until the work is under way.
    assert event.decoded("dtstart") == change.window.starts_at and str(event["status"]) == "TENTATIVE"
    assert str(events[f"changes.change-{withdrawn.pk}@opsdesk"]["status"]) == "CANCELLED"
