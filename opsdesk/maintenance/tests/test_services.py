"""The rules of E2, E3 and D6 on the services and selectors: each bad input is refused naming its
field and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.maintenance import selectors, services
from opsdesk.maintenance.models import CustomerWindow, MaintenanceEvent, ProviderMaintenance, SuppressionCover
from opsdesk.maintenance.tests.factory import (
    LONDON,
    agreed_window,
    customer_window,
    in_window_maintenance,
    next_sunday_at,
    weekday_noon,
)
from opsdesk.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _refused(field: str, call, *args, **kwargs) -> ValidationFailed:
    before = (
        ProviderMaintenance.objects.count(),
        CustomerWindow.objects.count(),
        Notification.objects.count(),
    )
    with pytest.raises(ValidationFailed) as info:
        call(*args, **kwargs)
    assert info.value.errors[0]["field"] == field, info.value.errors
    after = (
        ProviderMaintenance.objects.count(),
        CustomerWindow.objects.count(),
        Notification.objects.count(),
    )
    assert after == before
    return info.value


def _schedule(world, start, hours=2, **extra):
    return services.provider_maintenance_create(
        actor=world["engineer"],
        organisation=world["org_a"],
        title="Kernel patching",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        services=[world["service_a"].pk],
        **extra,
    )


# --- the agreed window (E2) ---------------------------------------------------------------------


def test_agreed_window_is_recorded_once_per_organisation(world):
    window = agreed_window(world)
    assert str(window) == "Sunday 02:00–06:00 Europe/London"
    _refused("organisation", agreed_window, world)


def test_agreed_window_refuses_an_unknown_time_zone_and_an_empty_window(world):
    admin, org = world["admin"], world["org_a"]
    _refused(
        "timezone",
        services.window_create,
        actor=admin,
        organisation=org,
        weekday=6,
        start="02:00",
        end="06:00",
        timezone="Mars/Base",
    )
    _refused(
        "end", services.window_create, actor=admin, organisation=org, weekday=6, start="02:00", end="02:00"
    )
    _refused(
        "weekday",
        services.window_create,
        actor=admin,
        organisation=org,
        weekday=7,
        start="02:00",
        end="06:00",
    )


def test_a_customer_cannot_record_the_agreed_window(world):
    with pytest.raises(PermissionDenied):
        services.window_create(
            actor=world["customer_a"], organisation=world["org_a"], weekday=6, start="02:00", end="06:00"
        )


def test_in_agreed_window_follows_local_time_and_midnight():
    window = services.AgreedWindow(weekday=5, start=dt.time(22), end=dt.time(2), timezone="Europe/London")
    saturday = dt.datetime(2026, 7, 4, 23, 0, tzinfo=LONDON)  # BST
    assert services.in_agreed_window(
        window, saturday, saturday + dt.timedelta(hours=2, minutes=59) - dt.timedelta(minutes=59)
    )
    assert not services.in_agreed_window(window, saturday, saturday + dt.timedelta(hours=4))
    sunday = dt.datetime(2026, 7, 5, 1, 0, tzinfo=LONDON)
    assert services.in_agreed_window(window, sunday, sunday + dt.timedelta(hours=1))
    winter = dt.datetime(2026, 1, 3, 22, 0, tzinfo=LONDON)  # GMT: still 22:00 local
    assert services.in_agreed_window(window, winter, winter + dt.timedelta(hours=4))
    assert not services.in_agreed_window(None, winter, winter + dt.timedelta(hours=1))


# --- provider maintenance (E2) ---------------------------------------------------------------------


def test_maintenance_inside_the_window_is_scheduled_and_the_named_contacts_told(world):
    agreed_window(world)
    maintenance = _schedule(world, next_sunday_at(2), hours=4)
    assert maintenance.in_window and not maintenance.is_emergency
    assert maintenance.state == "scheduled"
    event = MaintenanceEvent.objects.get(maintenance=maintenance)
    assert event.actor == world["engineer"] and event.to_state == "scheduled"
    notice = Notification.objects.get(event="maintenance.scheduled")
    assert notice.recipient == world["contact_a"].email
    assert notice.organisation_id == world["org_a"].pk


def test_outside_the_window_needs_ten_working_days_notice(world):
    agreed_window(world)
    short = weekday_noon(3)
    error = _refused("starts_at", _schedule, world, short)
    assert "10 working days' notice" in error.errors[0]["message"]
    assert "Sunday 02:00–06:00" in error.errors[0]["message"]


def test_the_notice_boundary_is_the_tenth_working_day_on_the_organisations_calendar(world):
    agreed_window(world)
    org = world["org_a"]
    first = services.notice_period_end(org.calendar, timezone.now())
    from opsdesk.calendars.services import add_working_days

    assert first == add_working_days(
        calendar=org.calendar, start=timezone.now().astimezone(LONDON).date(), days=10
    )
    # 10 working days is at least 14 calendar days.
    assert first >= timezone.now().astimezone(LONDON).date() + dt.timedelta(days=14)
    day_before = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(12), tzinfo=LONDON)
    _refused("starts_at", _schedule, world, day_before)
    on_time = _schedule(world, dt.datetime.combine(first, dt.time(12), tzinfo=LONDON))
    assert not on_time.in_window and on_time.notice_period_ends_on == first


def test_without_an_agreed_window_everything_is_outside_it(world):
    error = _refused("starts_at", _schedule, world, next_sunday_at(3))
    assert "no agreed window" in error.errors[0]["message"]


def test_emergency_maintenance_needs_its_reason_and_then_may_be_short_notice(world):
    agreed_window(world)
    start = timezone.now() + dt.timedelta(hours=2)
    _refused("emergency_reason", _schedule, world, start, is_emergency=True)
    _refused("emergency_reason", _schedule, world, start, is_emergency=True, emergency_reason="because")
    _refused("emergency_reason", _schedule, world, weekday_noon(30), emergency_reason="compliance")
    done = _schedule(
        world, start, is_emergency=True, emergency_reason="security_advisory", emergency_detail="CVE-2026-1"
    )
    assert done.is_emergency and done.emergency_reason == "security_advisory"
    assert "emergency" in Notification.objects.get(event="maintenance.scheduled").body


def test_a_window_in_the_past_or_ending_before_it_starts_is_refused(world):
    agreed_window(world)
    start = next_sunday_at(3)
    error = _refused(
        "ends_at",
        services.provider_maintenance_create,
        actor=world["engineer"],
        organisation=world["org_a"],
        title="x",
        starts_at=start,
        ends_at=start - dt.timedelta(hours=1),
    )
    assert "ends before it starts" in error.errors[0]["message"]
    past = timezone.now() - dt.timedelta(days=1)
    error = _refused(
        "starts_at",
        services.provider_maintenance_create,
        actor=world["engineer"],
        organisation=world["org_a"],
        title="x",
        starts_at=past,
        ends_at=past + dt.timedelta(hours=1),
    )
    assert "in the past" in error.errors[0]["message"]
    _refused(
        "starts_at",
        services.provider_maintenance_create,
        actor=world["engineer"],
        organisation=world["org_a"],
        title="x",
        starts_at=dt.datetime(2030, 1, 1, 2),
        ends_at=dt.datetime(2030, 1, 1, 3),
    )


def test_another_tenants_services_are_refused(world):
    agreed_window(world)
    start = next_sunday_at(3)
    error = _refused(
        "services",
        services.provider_maintenance_create,
        actor=world["engineer"],
        organisation=world["org_a"],
        title="x",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        services=[world["service_b"].pk],
    )
    assert str(world["service_b"].pk) in error.errors[0]["message"]


def test_maintenance_during_a_blackout_is_refused_unless_an_emergency(world):
    agreed_window(world)
    start = next_sunday_at(3)
    services.blackout_create(
        actor=world["admin"],
        organisation=world["org_a"],
        starts_at=start - dt.timedelta(days=1),
        ends_at=start + dt.timedelta(days=1),
        reason="Year-end freeze",
    )
    error = _refused("starts_at", _schedule, world, start)
    assert "Year-end freeze" in error.errors[0]["message"]
    assert _schedule(world, start, is_emergency=True, emergency_reason="incident_resolution").is_emergency


def test_lifecycle_records_who_and_when_and_an_early_end(world):
    agreed_window(world)
    maintenance = _schedule(world, next_sunday_at(2), hours=4)
    engineer = world["engineer"]
    with pytest.raises(Conflict) as info:
        services.provider_maintenance_complete(actor=engineer, provider_maintenance=maintenance)
    assert "is scheduled" in info.value.detail
    started = services.provider_maintenance_start(actor=engineer, provider_maintenance=maintenance)
    assert started.state == "in_progress" and started.started_at is not None
    with pytest.raises(Conflict):
        services.provider_maintenance_cancel(actor=engineer, provider_maintenance=started, reason="no")
    ended = services.provider_maintenance_end(actor=engineer, provider_maintenance=started, note="Done early")
    assert ended.state == "verifying" and ended.ended_early
    done = services.provider_maintenance_complete(actor=engineer, provider_maintenance=ended)
    assert done.state == "completed" and done.completed_at is not None
    steps = list(
        MaintenanceEvent.objects.filter(maintenance=maintenance).values_list(
            "from_state", "to_state", "actor"
        )
    )
    assert steps == [
        ("", "scheduled", engineer.pk),
        ("scheduled", "in_progress", engineer.pk),
        ("in_progress", "verifying", engineer.pk),
        ("verifying", "completed", engineer.pk),
    ]
    assert "ended early" in MaintenanceEvent.objects.get(maintenance=maintenance, to_state="verifying").note


def test_cancelling_scheduled_maintenance_tells_the_contacts(world):
    agreed_window(world)
    maintenance = _schedule(world, next_sunday_at(3))
    _refused(
        "reason",
        services.provider_maintenance_cancel,
        actor=world["engineer"],
        provider_maintenance=maintenance,
        reason=" ",
    )
    cancelled = services.provider_maintenance_cancel(
        actor=world["engineer"], provider_maintenance=maintenance, reason="Vendor postponed"
    )
    assert cancelled.state == "cancelled"
    assert "Vendor postponed" in Notification.objects.get(event="maintenance.cancelled").body


def test_a_new_time_is_not_an_edit(world):
    agreed_window(world)
    maintenance = _schedule(world, next_sunday_at(3))
    _refused(
        "starts_at",
        services.provider_maintenance_update,
        actor=world["engineer"],
        provider_maintenance=maintenance,
        starts_at=timezone.now(),
    )
    edited = services.provider_maintenance_update(
        actor=world["engineer"], provider_maintenance=maintenance, title="Kernel patching (phase 1)"
    )
    assert edited.title == "Kernel patching (phase 1)"


# --- customer windows and suppression (E3) -----------------------------------------------------------


def test_a_customer_declares_a_window_24_hours_ahead(world):
    window = customer_window(world)
    assert window.organisation == world["org_a"] and window.contact == world["contact_a"]
    covered = set(
        SuppressionCover.objects.filter(window=window).values_list("account__account_id", flat=True)
    )
    assert covered == {world["account_a"].account_id, world["member_a"].account_id}


def test_a_customer_window_with_less_than_24_hours_notice_is_refused(world):
    error = _refused("starts_at", customer_window, world, hours_ahead=23)
    assert "24 hours" in error.errors[0]["message"]


def test_a_customer_window_on_another_tenants_services_or_accounts_is_refused(world):
    _refused("services", customer_window, world, services=[world["service_b"].pk])
    _refused("accounts", customer_window, world, services=[], accounts=[world["account_b"].pk])
    _refused("services", customer_window, world, services=[])
    # A customer cannot aim at another organisation at all.
    _refused("organisation", customer_window, world, organisation=world["org_b"].pk)


def test_suppressing_window_covers_the_accounts_during_the_window_only(world):
    window = customer_window(world, services=[], accounts=[world["member_a"].pk])
    inside = window.starts_at + dt.timedelta(hours=1)
    assert selectors.suppressing_window(account_id=world["member_a"].account_id, at=inside) == window
    assert selectors.suppressing_window(account_id=world["member_a"].account_id, at=window.ends_at) is None
    before = window.starts_at - dt.timedelta(seconds=1)
    assert selectors.suppressing_window(account_id=world["member_a"].account_id, at=before) is None
    assert selectors.suppressing_window(account_id=world["account_a"].account_id, at=inside) is None
    assert selectors.suppressing_window(account_id=world["account_b"].account_id, at=inside) is None
    assert (
        selectors.suppressing_window(account_id="999999999999", at=inside, service_id=world["service_a"].pk)
        is None
    )


def test_suppression_by_service_and_after_cancelling(world):
    window = customer_window(world)
    inside = window.starts_at + dt.timedelta(minutes=5)
    assert (
        selectors.suppressing_window(account_id="000000000000", at=inside, service_id=world["service_a"].pk)
        == window
    )
    services.customer_window_cancel(actor=world["customer_a"], customer_window=window, reason="Postponed")
    assert selectors.suppressing_window(account_id=world["account_a"].account_id, at=inside) is None
    assert (
        selectors.suppressing_window(account_id="000000000000", at=inside, service_id=world["service_a"].pk)
        is None
    )


def test_suppression_is_one_query(world, django_assert_num_queries):
    window = customer_window(world)
    with django_assert_num_queries(1):
        found = selectors.suppressing_window(
            account_id=world["account_a"].account_id, at=window.starts_at + dt.timedelta(hours=1)
        )
    assert found.pk == window.pk


# --- overlaps (D6) ---------------------------------------------------------------------------------------


def test_overlaps_list_blackouts_maintenance_and_customer_windows_on_the_same_services(world):
    agreed_window(world)
    maintenance = in_window_maintenance(world)
    blackout = services.blackout_create(
        actor=world["admin"],
        organisation=world["org_a"],
        starts_at=maintenance.ends_at - dt.timedelta(minutes=30),
        ends_at=maintenance.ends_at + dt.timedelta(hours=1),
        reason="Freeze",
    )
    start, end = maintenance.starts_at + dt.timedelta(minutes=30), maintenance.ends_at
    found = selectors.overlaps(
        user=world["engineer"],
        organisation=world["org_a"].pk,
        starts_at=start,
        ends_at=end,
        services=[world["service_a"].pk],
    )
    assert found.any and found.blackouts == [blackout] and found.maintenance == [maintenance]
    # touching ends do not overlap
    after = selectors.overlaps(
        user=world["engineer"],
        organisation=world["org_a"].pk,
        starts_at=blackout.ends_at,
        ends_at=blackout.ends_at + dt.timedelta(hours=1),
    )
    assert not after.any
    # another organisation's calendar is not this one's
    other = selectors.overlaps(
        user=world["engineer"], organisation=world["org_b"].pk, starts_at=start, ends_at=end
    )
    assert not other.any
    # a customer of B sees nothing of A even when asking about A
    assert not selectors.overlaps(
        user=world["customer_b"], organisation=world["org_a"].pk, starts_at=start, ends_at=end
    ).any
