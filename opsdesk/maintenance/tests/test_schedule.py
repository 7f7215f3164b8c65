"""Maintenance in the calendar of windows (D6, E4): every write of provider maintenance, customer
windows and blackouts keeps its schedule row in step (in the same transaction); overlaps and the
calendar read the schedule, changes included; provider-wide maintenance (no organisation) with its
notice rule, its notices to every organisation, and its place on the public status page; the
organisation's iCalendar feed of every kind of window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.maintenance import selectors, services
from opsdesk.maintenance.models import ProviderMaintenance
from opsdesk.maintenance.tests.conftest import client_for
from opsdesk.maintenance.tests.factory import (
    agreed_window,
    customer_window,
    in_window_maintenance,
    weekday_noon,
)
from opsdesk.notifications.models import Notification
from opsdesk.schedule.models import Window, WindowService
from opsdesk.schedule.services import window_put

pytestmark = pytest.mark.django_db


def window_of(source: str, pk: int) -> Window:
    return Window.objects.get(source=source, source_id=pk)


def change_window(world, tag="a", *, pk=501, starts_at=None, hours=2, **extra) -> Window:
    """A change's window as the changes app writes it (a sibling domain: through the schedule)."""
    start = starts_at or (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    values = {
        "organisation_id": world[f"org_{tag}"].pk,
        "title": f"Upgrade the database {tag}",
        "reference": f"CHG-2026-{pk:06d}",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=hours),
        "service_ids": [world[f"service_{tag}"].pk],
        "state": "implementation",
        "url": f"/changes/{pk}/",
        **extra,
    }
    return window_put(source="changes.change", source_id=pk, kind="change", **values)


def provider_wide(world, **extra):
    start = dt.datetime.combine(
        services.notice_period_end(services.provider_calendar(), timezone.now()) + dt.timedelta(days=1),
        dt.time(19),
        tzinfo=dt.UTC,
    )
    values = {
        "actor": world["admin"],
        "organisation": None,
        "title": "Telephony platform upgrade",
        "description": "Calls may drop for a few minutes.",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "components": ["Service desk telephony"],
        **extra,
    }
    return services.provider_maintenance_create(**values)


# --- the copies kept in step ----------------------------------------------------------------------


def test_provider_maintenance_is_copied_at_each_step_with_its_phase(world):
    agreed_window(world)
    m = in_window_maintenance(world)
    w = window_of("maintenance.provider", m.pk)
    assert (w.kind, w.organisation_id, w.phase, w.state, w.title) == (
        "provider_maintenance",
        world["org_a"].pk,
        "planned",
        "scheduled",
        "Patch a",
    )
    assert (w.starts_at, w.ends_at, w.public, w.url) == (
        m.starts_at,
        m.ends_at,
        False,
        reverse("maintenance:maintenance_detail", args=[m.pk]),
    )
    assert list(WindowService.objects.filter(window=w).values_list("service_id", flat=True)) == [
        world["service_a"].pk
    ]
    m = services.provider_maintenance_update(actor=world["admin"], provider_maintenance=m, title="Renamed")
    assert window_of("maintenance.provider", m.pk).title == "Renamed"
    for step, phase in (
        (services.provider_maintenance_start, "under_way"),
        (services.provider_maintenance_end, "under_way"),
        (services.provider_maintenance_complete, "done"),
    ):
        m = step(actor=world["admin"], provider_maintenance=m)
        assert (
            window_of("maintenance.provider", m.pk).phase,
            window_of("maintenance.provider", m.pk).state,
        ) == (
            phase,
            m.state,
        )
    done = WindowService.objects.get(window__source="maintenance.provider", window__source_id=m.pk)
    assert not done.holds_slot  # finished work holds no slot


def test_a_cancelled_maintenance_and_customer_window_stay_in_the_schedule_as_cancelled(world):
    agreed_window(world)
    m = in_window_maintenance(world)
    services.provider_maintenance_cancel(
        actor=world["admin"], provider_maintenance=m, reason="Vendor moved it"
    )
    assert window_of("maintenance.provider", m.pk).phase == "cancelled"
    w = customer_window(world)
    copy = window_of("maintenance.customer", w.pk)
    assert (copy.kind, copy.phase, copy.organisation_id) == (
        "customer_maintenance",
        "planned",
        world["org_a"].pk,
    )
    services.customer_window_cancel(actor=world["customer_a"], customer_window=w, reason="Postponed")
    assert window_of("maintenance.customer", w.pk).phase == "cancelled"


def test_a_blackout_is_copied_moved_and_removed_with_its_record(world):
    start = timezone.now() + dt.timedelta(days=5)
    b = services.blackout_create(
        actor=world["admin"],
        organisation=world["org_a"],
        starts_at=start,
        ends_at=start + dt.timedelta(days=1),
        reason="Year-end freeze",
    )
    copy = window_of("maintenance.blackout", b.pk)
    assert (copy.kind, copy.title, copy.all_services) == ("blackout", "Year-end freeze", True)
    b = services.blackout_update(
        actor=world["admin"], blackout=b, ends_at=start + dt.timedelta(days=2), reason="Longer freeze"
    )
    copy = window_of("maintenance.blackout", b.pk)
    assert (copy.ends_at, copy.title) == (start + dt.timedelta(days=2), "Longer freeze")
    pk = b.pk
    services.blackout_delete(actor=world["admin"], blackout=b)
    assert not Window.objects.filter(source="maintenance.blackout", source_id=pk).exists()


def test_a_refused_write_leaves_no_schedule_row(world):
    with pytest.raises(ValidationFailed):
        services.provider_maintenance_create(
            actor=world["admin"],
            organisation=world["org_a"],
            title="Too soon",
            starts_at=weekday_noon(2),
            ends_at=weekday_noon(2) + dt.timedelta(hours=1),
        )
    assert not Window.objects.exists()


# --- overlaps and the calendar read the schedule (changes included) ----------------------------------


def test_overlaps_find_changes_blackouts_and_maintenance_on_the_same_services(world):
    agreed_window(world)
    m = in_window_maintenance(world)
    change = change_window(world, starts_at=m.starts_at + dt.timedelta(minutes=30))
    change_window(world, "b", pk=502, starts_at=m.starts_at)  # another organisation's, its own service
    found = selectors.overlaps(
        user=world["admin"],
        organisation=world["org_a"].pk,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        services=[world["service_a"].pk],
        exclude_maintenance=m.pk,
    )
    assert [c.pk for c in found.changes] == [change.pk] and found.any
    assert found.maintenance == [] and found.blackouts == []
    with_itself = selectors.overlaps(
        user=world["admin"],
        organisation=world["org_a"].pk,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        services=[world["service_a"].pk],
    )
    assert [x.pk for x in with_itself.maintenance] == [m.pk]
    # The maintenance page lists the change with its reference and link.
    page = client_for(world["admin"]).get(reverse("maintenance:maintenance_detail", args=[m.pk]))
    assert "Change: " in page.content.decode() and 'href="/changes/501/"' in page.content.decode()
    # The API answers it too.
    start, end = m.starts_at.isoformat(), m.ends_at.isoformat()
    r = client_for(world["admin"]).get(
        "/api/v1/maintenance/overlaps",
        {
            "organisation": world["org_a"].pk,
            "starts_at": start,
            "ends_at": end,
            "services": world["service_a"].pk,
        },
    )
    assert r.status_code == 200, r.content
    assert [(c["source"], c["reference"]) for c in r.json()["changes"]] == [
        ("changes.change", "CHG-2026-000501")
    ]


def test_a_customer_never_sees_another_organisations_change_on_a_shared_service(world):
    start = timezone.now() + dt.timedelta(days=3)
    # Org b's change names org a's service (a shared service): it holds the slot for staff.
    change_window(world, "b", pk=503, starts_at=start, service_ids=[world["service_a"].pk])
    args = {
        "organisation": world["org_a"].pk,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=1),
        "services": [world["service_a"].pk],
    }
    assert len(selectors.overlaps(user=world["admin"], **args).changes) == 1
    assert selectors.overlaps(user=world["customer_a"], **args).changes == []


def test_the_calendar_shows_changes_maintenance_and_blackouts_of_the_users_organisation(world):
    agreed_window(world)
    in_window_maintenance(world)
    change_window(world)
    change_window(world, "b", pk=502)
    page = client_for(world["customer_a"]).get(reverse("maintenance:calendar")).content.decode()
    assert "Change: Upgrade the database a" in page and "CHG-2026-000501" in page
    assert "Provider maintenance: Patch a" in page
    assert "Upgrade the database b" not in page


# --- provider-wide maintenance (E4) ------------------------------------------------------------------


def test_provider_wide_maintenance_is_public_on_the_schedule_and_tells_every_organisation(world):
    m = provider_wide(world)
    assert m.organisation is None and m.provider_wide and m.published
    copy = window_of("maintenance.provider", m.pk)
    assert (copy.organisation_id, copy.public, copy.components) == (None, True, ["Service desk telephony"])
    notices = Notification.objects.filter(event="maintenance.scheduled")
    assert {(n.organisation_id, n.recipient) for n in notices} == {
        (world["org_a"].pk, world["contact_a"].email),
        (world["org_b"].pk, world["contact_b"].email),
    }
    assert all("Service desk telephony" in n.body and "provider-wide" in n.body for n in notices)
    # The status page shows it, and stops when it is unpublished.
    assert "Telephony platform upgrade" in Client().get("/status/").content.decode()
    services.provider_maintenance_update(actor=world["admin"], provider_maintenance=m, published=False)
    assert not window_of("maintenance.provider", m.pk).public
    assert "Telephony platform upgrade" not in Client().get("/status/").content.decode()
    services.provider_maintenance_cancel(
        actor=world["admin"], provider_maintenance=m, reason="Moved to next month"
    )
    assert Notification.objects.filter(event="maintenance.cancelled").count() == 2


def test_provider_wide_maintenance_under_way_turns_the_status_banner(world):
    m = provider_wide(
        world,
        is_emergency=True,
        emergency_reason="security_advisory",
        starts_at=timezone.now() + dt.timedelta(minutes=5),
        ends_at=timezone.now() + dt.timedelta(hours=2),
    )
    assert "All systems operational" in Client().get("/status/").content.decode()
    services.provider_maintenance_start(actor=world["admin"], provider_maintenance=m)
    page = Client().get("/status/").content.decode()
    assert "Maintenance in progress" in page and "Telephony platform upgrade" in page
    assert Client().get("/api/v1/status").json()["status"]["indicator"] == "maintenance"


def test_provider_wide_maintenance_needs_ten_working_days_on_the_providers_calendar(world):
    earliest = services.notice_period_end(services.provider_calendar(), timezone.now())
    too_soon = weekday_noon(3)
    with pytest.raises(ValidationFailed) as caught:
        provider_wide(world, starts_at=too_soon, ends_at=too_soon + dt.timedelta(hours=1))
    assert caught.value.errors[0]["field"] == "starts_at"
    assert f"{earliest:%A %d %B %Y}" in caught.value.errors[0]["message"]
    assert "provider-wide" in caught.value.errors[0]["message"]
    emergency = provider_wide(
        world,
        starts_at=too_soon,
        ends_at=too_soon + dt.timedelta(hours=1),
        is_emergency=True,
        emergency_reason="compliance",
    )
    assert emergency.is_emergency and emergency.notice_period_ends_on == earliest
    assert ProviderMaintenance.objects.count() == 1


def test_only_staff_schedule_provider_wide_maintenance_naming_components_not_services(world):
    with pytest.raises(PermissionDenied):
        provider_wide(world, actor=world["customer_a"])
    with pytest.raises(ValidationFailed) as caught:
        provider_wide(world, services=[world["service_a"].pk])
    assert caught.value.errors[0]["field"] == "services"
    with pytest.raises(ValidationFailed) as caught:
        provider_wide(world, components=["x" * 101])
    assert caught.value.errors[0]["field"] == "components"
    agreed_window(world)
    with pytest.raises(ValidationFailed) as caught:
        in_window_maintenance(world, components=["Service desk telephony"])
    assert caught.value.errors[0]["field"] == "components"
    assert not ProviderMaintenance.objects.exists() and not Window.objects.exists()
    # Customers see their own maintenance, not the provider-wide records (those are on the status page).
    m = provider_wide(world)
    assert (
        client_for(world["customer_a"])
        .get(reverse("maintenance:maintenance_detail", args=[m.pk]))
        .status_code
        == 404
    )


def test_staff_schedule_provider_wide_maintenance_on_the_maintenance_page(world):
    begin = dt.datetime.combine(
        services.notice_period_end(services.provider_calendar(), timezone.now()) + dt.timedelta(days=2),
        dt.time(20),
    )
    client = client_for(world["admin"])
    r = client.post(
        reverse("maintenance:maintenance_create"),
        {
            "organisation": "",
            "title": "Portal upgrade",
            "starts_at": begin.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (begin + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "components": "Customer portal\nService desk telephony",
            "published": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:1000]
    m = ProviderMaintenance.objects.get()
    assert m.organisation is None and m.components == ["Customer portal", "Service desk telephony"]
    page = client.get(reverse("maintenance:maintenance_detail", args=[m.pk])).content.decode()
    assert "Provider-wide (every organisation), on the public status page" in page
    listing = client.get(reverse("maintenance:maintenance_list")).content.decode()
    assert "Portal upgrade" in listing and "Provider-wide" in listing


# --- the iCalendar feed (E4) ----------------------------------------------------------------------


def _feed(world, tag="a") -> tuple[str, dict]:
    feed = services.ical_feed_for(actor=world["admin"], organisation=world[f"org_{tag}"])
    response = Client().get(reverse("maintenance:ical_feed", args=[feed.secret]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return response.content.decode(), {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_holds_changes_maintenance_and_provider_wide_work_never_another_organisations(world):
    agreed_window(world)
    agreed_window(world, "b")
    m = in_window_maintenance(world)
    m_b = in_window_maintenance(world, "b")
    w = customer_window(world)
    change = change_window(world, description="Blue/green; rollback by DNS.")
    change_window(world, "b", pk=502)
    wide = provider_wide(world)
    hidden = provider_wide(world, title="Draft, unpublished", published=False)
    start = timezone.now() + dt.timedelta(days=5)
    blackout = services.blackout_create(
        actor=world["admin"],
        organisation=world["org_a"],
        starts_at=start,
        ends_at=start + dt.timedelta(days=1),
        reason="Freeze; no changes, please",
    )
    raw, events = _feed(world)
    assert set(events) == {
        f"maintenance.provider-{m.pk}@opsdesk",
        f"maintenance.customer-{w.pk}@opsdesk",
        "changes.change-501@opsdesk",
        f"maintenance.provider-{wide.pk}@opsdesk",
        f"maintenance.blackout-{blackout.pk}@opsdesk",
    }
    assert (
        f"maintenance.provider-{m_b.pk}@opsdesk" not in events and "changes.change-502@opsdesk" not in events
    )
    assert f"maintenance.provider-{hidden.pk}@opsdesk" not in events
    assert "Patch b" not in raw and "Upgrade the database b" not in raw
    event = events["changes.change-501@opsdesk"]
    assert str(event["summary"]) == "Change: CHG-2026-000501 Upgrade the database a"
    assert event.decoded("dtstart") == change.starts_at and event.decoded("dtend") == change.ends_at
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)  # written in UTC
    assert "DTSTART:" in raw and "Z\r\n" in raw
    assert str(event["status"]) == "TENTATIVE"
    assert str(event["url"]) == "http://testserver/changes/501/"
    assert "Blue/green; rollback by DNS." in str(event["description"])
    assert event.decoded("last-modified") == change.updated_at.replace(microsecond=0)
    assert str(events[f"maintenance.provider-{wide.pk}@opsdesk"]["summary"]).startswith(
        "Provider-wide maintenance: "
    )
    assert "Service desk telephony" in str(events[f"maintenance.provider-{wide.pk}@opsdesk"]["description"])
    assert str(events[f"maintenance.blackout-{blackout.pk}@opsdesk"]["summary"]).endswith(
        "Freeze; no changes, please"
    )


def test_a_feed_entry_keeps_its_uid_across_edits_and_says_what_happened(world):
    agreed_window(world)
    m = in_window_maintenance(world)
    uid = f"maintenance.provider-{m.pk}@opsdesk"
    _, before = _feed(world)
    Window.objects.filter(source="maintenance.provider", source_id=m.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    _, older = _feed(world)
    m = services.provider_maintenance_start(actor=world["admin"], provider_maintenance=m)
    _, started = _feed(world)
    assert uid in before and uid in started
    assert int(started[uid]["sequence"]) > int(older[uid]["sequence"])
    assert (str(before[uid]["status"]), str(started[uid]["status"])) == ("TENTATIVE", "CONFIRMED")
    services.provider_maintenance_end(actor=world["admin"], provider_maintenance=m)
    other = in_window_maintenance(world)
    services.provider_maintenance_cancel(
        actor=world["admin"], provider_maintenance=other, reason="No longer needed"
    )
    _, after = _feed(world)
    assert str(after[f"maintenance.provider-{other.pk}@opsdesk"]["status"]) == "CANCELLED"


def test_long_and_special_text_is_escaped_and_folded_as_rfc_5545_wants(world):
    title = "Ünïcode, commas; semicolons \\ backslashes " + "é" * 80
    change_window(world, title=title, description="Line one\nLine two")
    raw, events = _feed(world)
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    event = events["changes.change-501@opsdesk"]
    assert str(event["summary"]) == f"Change: CHG-2026-000501 {title}"
    assert "Line one\nLine two" in str(event["description"])
