"""The maintenance API (E2–E4, D6, L3): scheduling and the lifecycle, the one error shape naming the
field with nothing written, customer windows, overlaps, lists and filters, and the iCal feed, whose
secret address parses with `icalendar`, holds the scheduled maintenance, and dies when rotated."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from opsdesk.maintenance.models import CustomerWindow, ProviderMaintenance
from opsdesk.maintenance.tests.conftest import client_for
from opsdesk.maintenance.tests.factory import (
    agreed_window,
    customer_window,
    in_window_maintenance,
    next_sunday_at,
    weekday_noon,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/maintenance"


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def _body(world, start, hours=1, **extra):
    return {
        "organisation": world["org_a"].pk,
        "title": "Database minor version upgrade",
        "services": [world["service_a"].pk],
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=hours)).isoformat(),
        **extra,
    }


def test_schedule_and_run_provider_maintenance_through_the_api(world):
    staff = client_for(world["engineer"])
    r = post(
        staff,
        f"{API}/windows",
        {"organisation": world["org_a"].pk, "weekday": 6, "start": "02:00", "end": "06:00"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["weekday_label"] == "Sunday" and r.json()["timezone"] == "Europe/London"
    r = post(staff, f"{API}/provider", _body(world, next_sunday_at(2), hours=4))
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["in_window"] is True and created["state"] == "scheduled"
    assert created["services"] == [world["service_a"].pk]
    url = f"{API}/provider/{created['id']}"
    r = post(staff, f"{url}/start", {"note": "Snapshot taken"}, HTTP_IF_MATCH=r["ETag"])
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    r = post(staff, f"{url}/end", {})
    assert r.status_code == 200 and r.json()["state"] == "verifying" and r.json()["ended_early"] is True
    r = post(staff, f"{url}/complete", {})
    assert r.status_code == 200 and r.json()["state"] == "completed"
    timeline = r.json()["timeline"]
    assert [e["to_state"] for e in timeline] == ["scheduled", "in_progress", "verifying", "completed"]
    assert all(e["actor"] == "Staff engineer" for e in timeline)
    assert "Snapshot taken" in timeline[1]["note"]
    # a started (now completed) maintenance is never deleted: there is no DELETE operation
    assert staff.delete(url).status_code == 405
    r = post(staff, f"{url}/cancel", {"reason": "too late"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "state"


@pytest.mark.parametrize(
    "case",
    ["past", "backwards", "short_notice", "emergency_without_reason", "other_tenants_service", "naive"],
)
def test_bad_provider_maintenance_is_refused_naming_the_field(world, case):
    agreed_window(world)
    staff = client_for(world["engineer"])
    sunday = next_sunday_at(3)
    past = timezone.now() - dt.timedelta(hours=3)
    body, field = {
        "past": (_body(world, past), "starts_at"),
        "backwards": (
            {**_body(world, sunday), "ends_at": (sunday - dt.timedelta(hours=1)).isoformat()},
            "ends_at",
        ),
        "short_notice": (_body(world, weekday_noon(2)), "starts_at"),
        "emergency_without_reason": (_body(world, weekday_noon(2), is_emergency=True), "emergency_reason"),
        "other_tenants_service": (_body(world, sunday, services=[world["service_b"].pk]), "services"),
        "naive": ({**_body(world, sunday), "starts_at": "2031-01-05T03:00:00"}, "starts_at"),
    }[case]
    r = post(staff, f"{API}/provider", body)
    assert r.status_code == 422, r.content
    error = r.json()
    assert error["errors"][0]["field"] == field and error["detail"].startswith(field)
    assert not ProviderMaintenance.objects.exists()


def test_emergency_maintenance_with_short_notice(world):
    agreed_window(world)
    staff = client_for(world["billing"])
    body = _body(world, weekday_noon(2), is_emergency=True, emergency_reason="security_advisory")
    assert post(staff, f"{API}/provider", body).status_code == 403  # billing staff plan no maintenance
    r = post(client_for(world["engineer"]), f"{API}/provider", body)
    assert r.status_code == 201 and r.json()["is_emergency"] and r.json()["in_window"] is False


def test_customer_declares_a_window_and_cannot_reach_another_tenant(world):
    customer = client_for(world["customer_a"])
    start = timezone.now() + dt.timedelta(hours=30)
    body = {
        "title": "Office power maintenance",
        "accounts": [world["account_a"].pk],
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
    }
    r = post(customer, f"{API}/customer-windows", body)
    assert r.status_code == 201, r.content
    assert (
        r.json()["organisation"] == world["org_a"].pk
        and r.json()["declared_by"] == world["customer_a"].full_name
    )
    soon = timezone.now() + dt.timedelta(hours=10)
    r = post(
        customer,
        f"{API}/customer-windows",
        {**body, "starts_at": soon.isoformat(), "ends_at": (soon + dt.timedelta(hours=1)).isoformat()},
    )
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["field"] == "starts_at"
        and "24 hours" in r.json()["detail"]
    )
    r = post(customer, f"{API}/customer-windows", {**body, "accounts": [world["account_b"].pk]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "accounts"
    assert CustomerWindow.objects.count() == 1
    # customer B sees none of it
    other = client_for(world["customer_b"])
    assert other.get(f"{API}/customer-windows").json()["count"] == 0
    window_id = CustomerWindow.objects.get().pk
    assert other.get(f"{API}/customer-windows/{window_id}").status_code == 404
    r = post(customer, f"{API}/customer-windows/{window_id}/cancel", {"reason": "Postponed"})
    assert r.status_code == 200 and r.json()["cancelled_at"]


def test_lists_filter_by_state_organisation_and_time(world):
    agreed_window(world)
    agreed_window(world, "b")
    a = in_window_maintenance(world, "a")
    in_window_maintenance(world, "b")
    staff = client_for(world["csdm"])
    assert staff.get(f"{API}/provider").json()["count"] == 2
    rows = staff.get(f"{API}/provider?organisation={world['org_a'].pk}").json()["results"]
    assert [r["id"] for r in rows] == [a.pk]
    assert staff.get(f"{API}/provider?state=completed").json()["count"] == 0
    r = staff.get(f"{API}/provider?state=nonsense")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "state"
    later = (a.ends_at + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert staff.get(f"{API}/provider?starts_from={later}").json()["count"] == 0
    assert client_for(world["customer_b"]).get(f"{API}/provider").json()["count"] == 1
    csv = staff.get(f"{API}/provider?format=csv")
    text = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert csv.status_code == 200 and "Patch a" in text and "Patch b" in text


def test_overlaps_endpoint(world):
    agreed_window(world)
    maintenance = in_window_maintenance(world)
    customer_window(world)
    staff = client_for(world["change_manager"])
    start = maintenance.starts_at.isoformat().replace("+00:00", "Z")
    end = maintenance.ends_at.isoformat().replace("+00:00", "Z")
    r = staff.get(
        f"{API}/overlaps?organisation={world['org_a'].pk}&starts_at={start}&ends_at={end}&services={world['service_a'].pk}"
    )
    assert r.status_code == 200, r.content
    assert r.json()["any"] and [m["id"] for m in r.json()["maintenance"]] == [maintenance.pk]
    r = staff.get(f"{API}/overlaps?organisation={world['org_a'].pk}&starts_at={end}&ends_at={start}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_at"
    r = client_for(world["customer_b"]).get(
        f"{API}/overlaps?organisation={world['org_a'].pk}&starts_at={start}&ends_at={end}"
    )
    assert r.status_code == 404


def test_the_ical_feed_holds_the_scheduled_maintenance_and_rotates(world):
    agreed_window(world)
    maintenance = in_window_maintenance(world)
    window = customer_window(world)
    customer = client_for(world["customer_a"])
    r = customer.get(f"/api/v1/organisations/{world['org_a'].pk}/ical-feed")
    assert r.status_code == 200, r.content
    url = r.json()["url"]
    assert url.startswith("http://testserver/maintenance/feeds/") and url.endswith(".ics")
    # the same address for everyone who may see the organisation
    assert (
        client_for(world["engineer"])
        .get(f"/api/v1/organisations/{world['org_a'].pk}/ical-feed")
        .json()["url"]
        == url
    )
    assert (
        client_for(world["customer_b"])
        .get(f"/api/v1/organisations/{world['org_a'].pk}/ical-feed")
        .status_code
        == 404
    )
    path = url.removeprefix("http://testserver")
    feed = Client().get(path)  # calendar apps do not sign in
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    event = events[f"maintenance.provider-{maintenance.pk}@opsdesk"]
    assert str(event["summary"]) == f"Provider maintenance: MNT-{maintenance.pk} {maintenance.title}"
    assert event.decoded("dtstart") == maintenance.starts_at
    assert event.decoded("dtend") == maintenance.ends_at
    assert f"maintenance.customer-{window.pk}@opsdesk" in events
    r = post(customer, f"/api/v1/organisations/{world['org_a'].pk}/ical-feed/rotate")
    assert r.status_code == 200 and r.json()["url"] != url and r.json()["rotated_at"]
    assert Client().get(path).status_code == 404
    assert Client().get(r.json()["url"].removeprefix("http://testserver")).status_code == 200
    assert Client().get("/maintenance/feeds/not-a-secret.ics").status_code == 404
