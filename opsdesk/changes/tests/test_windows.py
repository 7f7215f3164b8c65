"""D6 through the services: agreed windows (validation, history), the schedule's copy following the
change, overlaps flagged (another change on the same service, a blackout; not another service),
halting by the sweep and by report with the escalation in the outbox, rescheduling, and chargeable
work outside core hours (nights, weekends, bank holidays)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import business_calendar
from opsdesk.changes import selectors, services, tasks
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import Change, ChangeEvent, ChangeWindow
from opsdesk.changes.tests.factory import LONDON, change_at, rfc, schedule, working_hours
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.directory import services as directory
from opsdesk.notifications.models import Notification
from opsdesk.schedule import services as schedule_services
from opsdesk.schedule.models import Window

pytestmark = pytest.mark.django_db


def _reload(change: Change) -> Change:
    return Change.objects.select_related("window").get(pk=change.pk)


def _copy(change: Change) -> Window:
    return Window.objects.get(source="changes.change", source_id=change.pk)


def _weekday_after(days: int, weekday: int) -> dt.date:
    day = timezone.now().astimezone(LONDON).date() + dt.timedelta(days=days)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def _blackout(world, starts_at, ends_at, tag="a") -> Window:
    return schedule_services.window_put(
        source="maintenance.blackout",
        source_id=9001,
        kind="blackout",
        organisation_id=world[f"org_{tag}"].pk,
        title="Quarter-end freeze",
        starts_at=starts_at,
        ends_at=ends_at,
    )


# --- scheduling ------------------------------------------------------------------------------------


def test_a_level_2_change_is_scheduled_after_approval_and_needs_its_window_to_be_implemented(world):
    change = change_at(world, "a", ChangeState.SCHEDULED)
    assert change.state == ChangeState.SCHEDULED and change.window_id is None
    with pytest.raises(ValidationFailed) as exc:
        services.change_transition(
            actor=world["engineer"], change=change, to_state=ChangeState.IMPLEMENTATION
        )
    assert exc.value.errors[0]["field"] == "window" and "no agreed window" in exc.value.detail
    start, end = working_hours()
    change = schedule(world, change, (start, end))
    window = _reload(change).window
    assert (window.starts_at, window.ends_at) == (start, end)
    assert window.agreed_by == world["engineer"] and window.agreed_at
    # agreed with the customer's approver who approved it (the requester cannot approve their own)
    assert window.agreed_with == world["approver2_contact_a"]
    event = ChangeEvent.objects.filter(change=change).last()
    assert event.actor == world["engineer"] and "Window agreed" in event.note
    change = services.change_transition(
        actor=world["engineer"], change=change, to_state=ChangeState.IMPLEMENTATION
    )
    assert change.state == ChangeState.IMPLEMENTATION


@pytest.mark.parametrize(
    ("shift_start", "shift_end", "field", "text"),
    [
        (dt.timedelta(hours=-2), dt.timedelta(hours=-1), "starts_at", "in the past"),
        (dt.timedelta(days=3), dt.timedelta(days=3, hours=-1), "ends_at", "before it starts"),
        (dt.timedelta(days=3), dt.timedelta(days=3), "ends_at", "before it starts"),
        (dt.timedelta(days=3), dt.timedelta(days=40), "ends_at", "at most"),
    ],
)
def test_a_window_in_the_past_or_ending_before_it_starts_is_refused_and_nothing_changes(
    world, shift_start, shift_end, field, text
):
    change = change_at(world, "a", ChangeState.SCHEDULED)
    version = _reload(change).version
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        services.change_schedule(
            actor=world["engineer"], change=change, starts_at=now + shift_start, ends_at=now + shift_end
        )
    assert exc.value.errors[0]["field"] == field and text in exc.value.errors[0]["message"]
    assert not ChangeWindow.objects.exists() and not Window.objects.exists()
    assert _reload(change).version == version and _reload(change).state == ChangeState.SCHEDULED


def test_a_change_before_approval_is_not_scheduled_at_level_2(world):
    change = change_at(world, "a", ChangeState.PLANNING)
    with pytest.raises(Conflict) as exc:
        schedule(world, change)
    assert "planning" in exc.value.detail.lower() or "plan and document" in exc.value.detail
    assert not ChangeWindow.objects.exists()


def test_a_level_1_change_may_be_scheduled_too(world):
    change = rfc(world, "a", level=1)
    change = schedule(world, change)
    assert change.state == ChangeState.APPROVAL and change.window_id
    change = services.change_approve(actor=world["service_desk"], change=change)
    assert change.state == ChangeState.IMPLEMENTATION and _copy(change).phase == "under_way"


def test_the_customer_cannot_agree_a_window_nor_halt(world):
    change = change_at(world, "a", ChangeState.SCHEDULED)
    start, end = working_hours()
    with pytest.raises(PermissionDenied):
        services.change_schedule(actor=world["customer_a"], change=change, starts_at=start, ends_at=end)
    change = change_at(world, "a", ChangeState.IMPLEMENTATION)
    with pytest.raises(PermissionDenied):
        services.change_halt(actor=world["customer_a"], change=change, reason="Stop")
    assert _reload(change).state == ChangeState.IMPLEMENTATION


# --- the schedule's copy ------------------------------------------------------------------------------


def test_the_schedule_copy_follows_the_change_through_its_states(world):
    change = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    copy = _copy(change)
    assert (copy.kind, copy.reference, copy.title) == ("change", change.reference, change.title)
    assert copy.phase == "planned" and copy.state == "Schedule"
    assert list(copy.covers.values_list("service_id", flat=True)) == [world["service_a"].pk]
    assert copy.url == f"/changes/all/{change.pk}/"
    change = services.change_transition(
        actor=world["engineer"], change=change, to_state=ChangeState.IMPLEMENTATION
    )
    assert _copy(change).phase == "under_way"
    change = services.change_update(actor=world["engineer"], change=change, title="Upgrade to 16.4")
    assert _copy(change).title == "Upgrade to 16.4"
    change = services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.TESTING)
    change = services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.CLOSED)
    assert _copy(change).phase == "done"
    other = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    services.change_withdraw(actor=world["engineer"], change=other, reason="No longer needed.")
    assert _copy(other).phase == "cancelled"


# --- overlaps --------------------------------------------------------------------------------------


def test_a_window_overlapping_another_change_on_the_same_service_is_flagged_not_refused(world):
    start, end = working_hours()
    first = schedule(world, change_at(world, "a", ChangeState.SCHEDULED), (start, end))
    second = change_at(world, "a", ChangeState.SCHEDULED)
    second = schedule(world, second, (start + dt.timedelta(hours=1), end + dt.timedelta(hours=1)))
    window = _reload(second).window
    assert [(o["kind"], o["reference"]) for o in window.overlaps] == [("change", first.reference)]
    assert "Overlaps flagged" in ChangeEvent.objects.filter(change=second).last().note
    # both pages say so: the live probe finds each from the other
    assert [o["reference"] for o in selectors.change_overlaps(_reload(second))] == [first.reference]
    assert [o["reference"] for o in selectors.change_overlaps(_reload(first))] == [second.reference]
    assert _reload(first).window.overlaps == []


def test_a_window_overlapping_a_blackout_is_flagged(world):
    start, end = working_hours()
    _blackout(world, start - dt.timedelta(hours=1), end)
    change = schedule(world, change_at(world, "a", ChangeState.SCHEDULED), (start, end))
    assert [(o["kind"], o["title"]) for o in _reload(change).window.overlaps] == [
        ("blackout", "Quarter-end freeze")
    ]


def test_no_flag_for_a_change_on_another_service_nor_another_organisations_blackout(world):
    start, end = working_hours()
    schedule(world, change_at(world, "a", ChangeState.SCHEDULED), (start, end))
    _blackout(world, start, end, tag="b")
    other_service = directory.service_create(
        actor=world["admin"],
        organisation=world["org_a"],
        reference="A-DATA",
        name="Data",
        environment="production",
    )
    change = rfc(world, "a", services=[other_service.pk])
    change = change_at_from(world, change)
    change = schedule(world, change, (start, end))
    assert _reload(change).window.overlaps == []
    assert selectors.change_overlaps(_reload(change)) == []


def change_at_from(world, change: Change) -> Change:
    from opsdesk.changes.tests.factory import advance, second_approver

    change = advance(world, change, ChangeState.APPROVAL)
    change = services.change_approve(actor=world["service_desk"], change=change)
    return services.change_approve(actor=second_approver(world, "a"), change=change)


# --- halting ---------------------------------------------------------------------------------------


def test_implementation_past_its_window_is_halted_by_the_sweep_and_escalated_once(world):
    change = change_at(world, "a", ChangeState.IMPLEMENTATION)
    window = _reload(change).window
    assert services.changes_sweep(now=window.ends_at - dt.timedelta(minutes=1)) == 0
    assert services.changes_sweep(now=window.ends_at + dt.timedelta(minutes=1)) == 1
    change = _reload(change)
    assert change.state == ChangeState.HALTED and "Ran past its window" in change.halted_reason
    event = ChangeEvent.objects.filter(change=change).last()
    assert event.to_state == "halted" and event.actor is None and event.at
    mails = Notification.objects.filter(event="change.halted")
    recipients = set(mails.values_list("recipient", flat=True))
    assert {
        world["change_manager"].email,
        world["service_desk"].email,
        world["contact_a"].email,
        world["csdm"].email,
    } <= recipients
    assert change.reference in mails.first().subject
    assert services.changes_sweep(now=window.ends_at + dt.timedelta(minutes=5)) == 0
    assert Notification.objects.filter(event="change.halted").count() == len(recipients)


def test_the_periodic_task_halts_work_whose_window_has_ended(world):
    change = change_at(world, "a", ChangeState.TESTING)
    # time passes: the window agreed a week ahead is now over
    ended = timezone.now() - dt.timedelta(minutes=5)
    ChangeWindow.objects.filter(pk=change.window_id).update(
        starts_at=ended - dt.timedelta(hours=2), ends_at=ended
    )
    waiting = change_at(world, "a", ChangeState.IMPLEMENTATION)  # its window is still ahead
    assert tasks.changes_sweep_task.call_local() == 1
    assert _reload(change).state == ChangeState.HALTED
    assert _reload(waiting).state == ChangeState.IMPLEMENTATION
    assert Notification.objects.filter(event="change.halted", payload__change=change.pk).exists()


def test_an_engineer_halts_work_that_deviates_from_plan_and_it_is_rescheduled(world):
    change = change_at(world, "a", ChangeState.IMPLEMENTATION)
    with pytest.raises(ValidationFailed) as exc:
        services.change_halt(actor=world["engineer"], change=change, reason=" ")
    assert exc.value.errors[0]["field"] == "reason"
    change = services.change_halt(actor=world["engineer"], change=change, reason="Snapshot restore failed.")
    assert change.state == ChangeState.HALTED and "Snapshot restore failed." in change.halted_reason
    event = ChangeEvent.objects.filter(change=change).last()
    assert (event.to_state, event.actor) == (
        "halted",
        world["engineer"],
    ) and "Deviates from plan" in event.note
    assert Notification.objects.filter(event="change.halted", recipient=world["contact_a"].email).exists()
    assert _copy(change).phase == "under_way"
    with pytest.raises(Conflict):
        services.change_halt(actor=world["engineer"], change=change, reason="Again")
    with pytest.raises(Conflict):  # only rescheduling (or withdrawing) moves it on
        services.change_transition(
            actor=world["engineer"], change=change, to_state=ChangeState.IMPLEMENTATION
        )
    old = _reload(change).window
    start, end = working_hours(days=14)
    with pytest.raises(ValidationFailed) as exc:
        schedule(world, change, (start, end))
    assert exc.value.errors[0]["field"] == "reason"
    change = schedule(world, change, (start, end), reason="Restore tested first.")
    change = _reload(change)
    assert change.state == ChangeState.SCHEDULED and change.halted_reason == ""
    assert (change.window.starts_at, change.window.ends_at) == (start, end)
    old.refresh_from_db()
    assert old.superseded_at is not None and old.superseded_reason == "Restore tested first."
    assert ChangeWindow.objects.filter(change=change).count() == 2
    copy = _copy(change)
    assert (copy.starts_at, copy.ends_at, copy.phase) == (start, end, "planned")
    assert "Rescheduled" in ChangeEvent.objects.filter(change=change).last().note


def test_a_halted_change_may_be_withdrawn(world):
    change = change_at(world, "a", ChangeState.IMPLEMENTATION)
    change = services.change_halt(actor=world["engineer"], change=change, reason="Wrong AMI.")
    change = services.change_withdraw(actor=world["engineer"], change=change, reason="Replaced by CHG-x.")
    assert change.state == ChangeState.WITHDRAWN and _copy(change).phase == "cancelled"


def test_only_work_under_way_is_halted(world):
    change = change_at(world, "a", ChangeState.SCHEDULED, scheduled=True)
    with pytest.raises(Conflict) as exc:
        services.change_halt(actor=world["engineer"], change=change, reason="x")
    assert "only work being implemented or tested" in exc.value.detail


# --- chargeable work outside core hours --------------------------------------------------------------


def _scheduled_level1(world, start, end) -> ChangeWindow:
    change = schedule(world, rfc(world, "a", level=1), (start, end))
    return _reload(change).window


def test_a_window_inside_core_hours_is_not_chargeable(world):
    window = _scheduled_level1(world, *working_hours(hour=9, hours=8))
    assert not window.chargeable and window.out_of_hours == dt.timedelta(0)


def test_a_window_running_past_the_end_of_the_working_day_is_chargeable_for_the_hours_outside(world):
    day = _weekday_after(7, 2)  # a Wednesday
    closed = business_calendar(Calendar.objects.get(name="uk")).closed_dates
    while day in closed:
        day += dt.timedelta(days=7)
    window = _scheduled_level1(world, _at(day, 16), _at(day, 18, 30))
    assert window.chargeable and window.out_of_hours == dt.timedelta(hours=1, minutes=30)


def test_a_weekend_window_is_chargeable_throughout(world):
    day = _weekday_after(7, 5)  # a Saturday
    window = _scheduled_level1(world, _at(day, 10), _at(day, 12))
    assert window.chargeable and window.out_of_hours == dt.timedelta(hours=2)


def test_a_window_on_a_bank_holiday_is_chargeable(world):
    today = timezone.now().astimezone(LONDON).date()
    closed = business_calendar(Calendar.objects.get(name="uk")).closed_dates
    holiday = min(d for d in closed if d > today + dt.timedelta(days=1) and d.weekday() < 5)
    window = _scheduled_level1(world, _at(holiday, 10), _at(holiday, 12))
    assert window.chargeable and window.out_of_hours == dt.timedelta(hours=2)
