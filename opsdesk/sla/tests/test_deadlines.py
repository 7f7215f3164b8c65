"""Deadlines as data: set, pause, resume, meet, close and explain one (B3–B7); the sweep records each
warning and breach once (B6); a calendar change moves every running deadline of every kind (B5).

The owners here are made up ("test"): sla knows no owner. The domains' own tests show their
deadlines moving with a calendar change (incidents, escalations, RCAs)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from opsdesk.calendars import services as calendars
from opsdesk.calendars.models import Calendar
from opsdesk.sla import deadlines, signals
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import (
    Rule,
    deadline_explain,
    deadline_meet,
    deadline_pause,
    deadline_resume,
    deadline_set,
    deadlines_close,
    deadlines_recompute,
    deadlines_sweep,
)
from opsdesk.sla.models import Deadline
from opsdesk.sla.selectors import INTERNAL_FIELDS, deadline_list

LONDON = ZoneInfo("Europe/London")
OWNER = "test"


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def uk(world) -> Calendar:
    return Calendar.objects.get(name="uk")


@pytest.fixture
def heard():
    """What the owners are told through sla's seams."""
    told: dict[str, list] = {"moved": [], "warned": [], "breached": []}

    def moved(*, owner_type, moved, **_):
        if owner_type == OWNER:
            told["moved"].extend(moved)

    def warned(*, deadline, **_):
        told["warned"].append((deadline.owner_id, deadline.kind))

    def breached(*, deadline, **_):
        told["breached"].append((deadline.owner_id, deadline.kind))

    signals.deadlines_moved.connect(moved, dispatch_uid="test_moved")
    signals.deadline_warned.connect(warned, dispatch_uid="test_warned")
    signals.deadline_breached.connect(breached, dispatch_uid="test_breached")
    yield told
    signals.deadlines_moved.disconnect(dispatch_uid="test_moved")
    signals.deadline_warned.disconnect(dispatch_uid="test_warned")
    signals.deadline_breached.disconnect(dispatch_uid="test_breached")


def four_hours(uk, owner_id: int, start: datetime, kind: str = DeadlineKind.CONSIDERED_RESPONSE) -> Deadline:
    return deadline_set(
        owner_type=OWNER,
        owner_id=owner_id,
        kind=kind,
        calendar=uk,
        start=start,
        rule=Rule(hours=4),
        warning_fraction=0.8,
    )


def test_a_deadline_is_its_rule_applied_on_its_calendar(uk):
    d = four_hours(uk, 1, london(2026, 12, 1, 15))  # Tue 15:00 + 4 business hours
    assert d.due_at == london(2026, 12, 2, 11)
    assert d.warn_at == london(2026, 12, 2, 10, 12)  # 80 % of 4 h = 3 h 12 min
    p3 = deadline_set(
        owner_type=OWNER,
        owner_id=2,
        kind=DeadlineKind.INITIAL_RESPONSE,
        calendar=uk,
        start=london(2026, 12, 1, 16, 30),
        rule=Rule(hours=1, fallback=time(10)),
    )
    assert p3.due_at == london(2026, 12, 2, 10) and p3.warn_at is None  # B3: by 10:00 next day
    rca = deadline_set(
        owner_type=OWNER,
        owner_id=3,
        kind=DeadlineKind.RCA_DUE,
        calendar=uk,
        start=london(2026, 12, 17, 15),
        rule=Rule(working_days=10),
    )
    assert rca.due_at == london(2027, 1, 5, 15)  # B7 across Christmas and New Year
    # Set again (a new rule for the same owner and kind): one row, the new due time.
    again = deadline_set(
        owner_type=OWNER,
        owner_id=1,
        kind=DeadlineKind.CONSIDERED_RESPONSE,
        calendar=uk,
        start=london(2026, 12, 1, 15),
        rule=Rule(hours=1),
    )
    assert again.pk == d.pk and again.due_at == london(2026, 12, 1, 16)


def test_pause_and_resume_shift_the_due_time_by_the_paused_business_time(uk):
    four_hours(uk, 1, london(2026, 12, 1, 10))  # due Tue 14:00, warning 13:12
    deadline_pause(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 11))
    # Paused from Tue 11:00 to Wed 10:30: 6 h of Tuesday and 1 h 30 of Wednesday are business time.
    assert deadline_resume(owner_type=OWNER, owner_id=1, at=london(2026, 12, 2, 10, 30)) == 7 * 3600 + 1800
    d = Deadline.objects.get(owner_type=OWNER, owner_id=1)
    assert d.paused_at is None and d.paused_seconds == 7 * 3600 + 1800
    assert d.due_at == london(2026, 12, 2, 13, 30)
    assert d.warn_at == london(2026, 12, 2, 12, 42)
    # A met deadline neither pauses nor moves.
    assert deadline_meet(owner_type=OWNER, owner_id=1, kind=d.kind, at=london(2026, 12, 2, 11))
    assert deadline_pause(owner_type=OWNER, owner_id=1, at=london(2026, 12, 2, 11, 5)) == 0
    assert not deadline_meet(owner_type=OWNER, owner_id=1, kind=d.kind, at=london(2026, 12, 2, 12))


def test_the_explanation_says_why_and_counts_the_pause(uk):
    four_hours(uk, 1, london(2026, 12, 1, 15))
    deadline_pause(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 16))
    deadline_resume(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 17))
    steps = deadline_explain(Deadline.objects.get(owner_type=OWNER, owner_id=1))
    assert steps[0].startswith("Logged Tue 1 Dec 2026 15:00 GMT") and "the clock starts at once" in steps[0]
    assert "Closed time not counted" in " ".join(steps)
    assert (
        steps[-1]
        == "Paused for 1 h of business time (waiting on the customer): due Wed 2 Dec 2026 12:00 GMT."
    )
    rca = deadline_set(
        owner_type=OWNER,
        owner_id=2,
        kind=DeadlineKind.RCA_DUE,
        calendar=uk,
        start=london(2026, 12, 17, 15),
        rule=Rule(working_days=10),
    )
    steps = deadline_explain(rca)
    assert steps[-1] == "10 working days later, closed days not counted: due Tue 5 Jan 2027 15:00 GMT."
    assert "Christmas Day" in steps[1]


@pytest.mark.parametrize("kind", DeadlineKind.values)
def test_the_sweep_records_a_warning_and_a_breach_once_each(uk, heard, kind):
    four_hours(uk, 1, london(2026, 12, 1, 10), kind=kind)  # warning 13:12, due 14:00
    four_hours(uk, 2, london(2026, 12, 1, 10), kind=kind)
    deadline_meet(owner_type=OWNER, owner_id=2, kind=kind, at=london(2026, 12, 1, 11))
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 11)) == 0
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 12)) == 1
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 30)) == 0  # twice-run safe
    assert heard["warned"] == [(1, kind)] and heard["breached"] == []
    assert deadlines_sweep(now=london(2026, 12, 1, 14)) == 1
    assert deadlines_sweep(now=london(2026, 12, 1, 14)) == 0
    assert heard["breached"] == [(1, kind)]
    d = Deadline.objects.get(owner_type=OWNER, owner_id=1)
    assert (d.warned_at, d.breached_at) == (london(2026, 12, 1, 13, 12), london(2026, 12, 1, 14))


def test_the_sweep_records_nothing_for_paused_or_closed_deadlines(uk, heard):
    four_hours(uk, 1, london(2026, 12, 1, 10))
    four_hours(uk, 2, london(2026, 12, 1, 10))
    deadline_pause(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 11))
    deadlines_close(owner_type=OWNER, owner_ids=[2], at=london(2026, 12, 1, 11))
    assert deadlines_sweep(now=london(2026, 12, 3, 9)) == 0
    assert heard["warned"] == heard["breached"] == []


def test_a_bank_holiday_moves_every_running_deadline_of_every_kind(
    world, uk, heard, django_capture_on_commit_callbacks
):
    start = london(2026, 12, 1, 15)  # Tue; a closure is added on Wed 2 Dec
    running = [four_hours(uk, i, start, kind=kind) for i, kind in enumerate(DeadlineKind.values, start=1)]
    days = deadline_set(
        owner_type=OWNER,
        owner_id=50,
        kind=DeadlineKind.RCA_DUE,
        calendar=uk,
        start=start,
        rule=Rule(working_days=2),
        warning_fraction=0.5,
    )
    met = four_hours(uk, 90, start)
    deadline_meet(owner_type=OWNER, owner_id=90, kind=met.kind, at=london(2026, 12, 1, 16))
    closed = four_hours(uk, 91, start)
    deadlines_close(owner_type=OWNER, owner_ids=[91], at=london(2026, 12, 1, 16))
    always = deadline_set(
        owner_type=OWNER,
        owner_id=92,
        kind=DeadlineKind.INITIAL_RESPONSE,
        calendar=Calendar.objects.get(name="24x7"),
        start=start,
        rule=Rule(hours=4),
    )

    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(actor=world["admin"], calendar=uk, date=date(2026, 12, 2), reason="Office move")

    for d in running:
        d.refresh_from_db()
        assert (d.due_at, d.warn_at) == (london(2026, 12, 3, 11), london(2026, 12, 3, 10, 12)), d.kind
    days.refresh_from_db()
    assert (days.due_at, days.warn_at) == (london(2026, 12, 4, 15), london(2026, 12, 3, 15))
    for unmoved in (met, closed, always):
        assert Deadline.objects.get(pk=unmoved.pk).due_at == unmoved.due_at
    assert sorted(m.owner_id for m in heard["moved"]) == [*range(1, len(running) + 1), 50]
    uk.refresh_from_db()
    assert uk.recomputed_version == uk.version
    # Nothing is left to move; removing the closure moves them back.
    assert deadlines_recompute(calendar=uk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_remove(actor=world["admin"], closure=uk.closures.get(date=date(2026, 12, 2)))
    assert Deadline.objects.get(pk=running[0].pk).due_at == london(2026, 12, 2, 11)


def test_a_recomputation_keeps_the_paused_time(world, uk):
    four_hours(uk, 1, london(2026, 12, 1, 10))
    deadline_pause(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 11))
    deadline_resume(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 13))  # 2 h paused: due 16:00
    calendars.closure_add(actor=world["admin"], calendar=uk, date=date(2026, 12, 1), reason="Closed")
    uk.refresh_from_db()
    assert deadlines_recompute(calendar=uk, batch_size=1) == 1
    # Tuesday closed: the clock starts Wed 09:00, 4 h + 2 h paused: Wed 15:00.
    assert Deadline.objects.get(owner_type=OWNER, owner_id=1).due_at == london(2026, 12, 2, 15)


def test_deadline_list_says_where_each_stands_and_keeps_warnings_for_staff(world, uk):
    """What GET …/deadlines serves (sla.selectors.deadline_list): status, the business time left and
    the explanation; the B6 warning (internal: it tells the people working on the owner) only for
    provider staff, whose list has it and whose status says "warning"."""
    start = london(2026, 12, 1, 10)  # Tue: due 14:00, warning 13:12
    four_hours(uk, 1, start)
    staff, customer = world["service_desk"], world["customer_a"]

    def only(user, at):
        (row,) = deadline_list(user=user, owner_type=OWNER, owner_id=1, now=at)["deadlines"]
        return row

    row = only(staff, london(2026, 12, 1, 12))
    assert (row["status"], row["remaining_business_seconds"]) == ("running", 2 * 3600)
    assert row["explanation"] == deadline_explain(Deadline.objects.get(owner_type=OWNER, owner_id=1))
    assert row["rule"] == {"hours": 4, "fallback": None, "business_days": None, "working_days": None}
    assert row["warn_at"] == london(2026, 12, 1, 13, 12) and row["warning_fraction"] == 0.8
    assert only(staff, london(2026, 12, 1, 13, 30))["status"] == "warning"
    hidden = only(customer, london(2026, 12, 1, 13, 30))
    assert hidden["status"] == "running" and not set(INTERNAL_FIELDS) & set(hidden)
    # Past due: breached, and the time left counts below zero in business time (Tue 14:00–17:00
    # and Wed 09:00–10:00).
    assert only(customer, london(2026, 12, 2, 10)) | {"explanation": []} == hidden | {
        "status": "breached",
        "remaining_business_seconds": -4 * 3600,
        "explanation": [],
    }
    # Paused: the clock stops, so what is left stays what it was at the pause.
    deadline_pause(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 11))
    paused = only(staff, london(2026, 12, 3, 9))
    assert (paused["status"], paused["paused"]) == ("paused", True)
    assert paused["remaining_business_seconds"] == 3 * 3600
    deadline_resume(owner_type=OWNER, owner_id=1, at=london(2026, 12, 1, 12))
    deadline_meet(
        owner_type=OWNER, owner_id=1, kind=DeadlineKind.CONSIDERED_RESPONSE, at=london(2026, 12, 1, 16)
    )
    met = only(staff, london(2026, 12, 3, 9))
    assert (met["status"], met["remaining_business_seconds"], met["met_at"]) == (
        "late",  # due 15:00 after the hour paused; met at 16:00
        None,
        london(2026, 12, 1, 16),
    )
    four_hours(uk, 2, start)
    deadlines_close(owner_type=OWNER, owner_ids=[2], at=london(2026, 12, 1, 11))
    (closed,) = deadline_list(user=staff, owner_type=OWNER, owner_id=2, now=london(2026, 12, 3))["deadlines"]
    assert (closed["status"], closed["remaining_business_seconds"]) == ("closed", None)
    assert deadline_list(user=staff, owner_type=OWNER, owner_id=3)["deadlines"] == []


# --- the sweep's back-off when an owner is held (B6) ------------------------------------------------
#
# An owner whose row another transaction holds (an agent working the incident) is found with
# SKIP LOCKED by the owner's receiver, which raises signals.Postpone: the sweep rolls back what it
# recorded for that deadline and goes on. A second connection cannot hold a row of a test's
# uncommitted data, so the owner here is held the way its receiver sees it: it postpones.


@pytest.fixture
def held(heard):
    """Owner ids whose rows are held: their receiver postpones (as incidents.services does when
    select_for_update(skip_locked=True) finds the incident locked)."""
    ids: set[int] = set()

    def busy(*, deadline, **_):
        if deadline.owner_type == OWNER and deadline.owner_id in ids:
            raise signals.Postpone()

    # Connected after `heard`'s receivers: what they heard of a postponed deadline is rolled back
    # with it, so it is removed again below (the real owners record inside the transaction).
    signals.deadline_warned.connect(busy, dispatch_uid="test_busy_warned")
    signals.deadline_breached.connect(busy, dispatch_uid="test_busy_breached")
    yield ids
    signals.deadline_warned.disconnect(dispatch_uid="test_busy_warned")
    signals.deadline_breached.disconnect(dispatch_uid="test_busy_breached")


def recorded(owner_id: int) -> tuple:
    d = Deadline.objects.get(owner_type=OWNER, owner_id=owner_id)
    return d.warned_at, d.breached_at


def test_a_held_owner_is_skipped_and_recorded_once_by_the_next_sweep(uk, heard, held):
    for owner_id in (1, 2, 3):
        four_hours(uk, owner_id, london(2026, 12, 1, 10))  # warning 13:12, due 14:00
    held.add(2)
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 20)) == 2  # 1 and 3; 2 is left
    assert recorded(2) == (None, None)  # rolled back with the postponement
    assert recorded(1) == recorded(3) == (london(2026, 12, 1, 13, 12), None)
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 25)) == 0  # still held: nothing twice

    held.clear()
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 30)) == 1
    assert recorded(2) == (london(2026, 12, 1, 13, 12), None)  # its own instant, not the sweep's
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 40)) == 0

    # Held through its warning and its breach: the next sweep records both, once each.
    four_hours(uk, 4, london(2026, 12, 1, 10))
    held.add(4)
    assert deadlines_sweep(now=london(2026, 12, 1, 14, 5)) == 3  # the breaches of 1, 2 and 3
    held.clear()
    assert deadlines_sweep(now=london(2026, 12, 1, 14, 10)) == 2
    assert deadlines_sweep(now=london(2026, 12, 1, 14, 15)) == 0
    assert recorded(4) == (london(2026, 12, 1, 13, 12), london(2026, 12, 1, 14))
    warned = [o for o, _k in heard["warned"]]
    breached = [o for o, _k in heard["breached"]]
    # `heard` also heard the postponed attempts (its receiver ran before the postponement); what
    # was recorded is in the rows: once each.
    assert sorted(set(warned)) == sorted(set(breached)) == [1, 2, 3, 4]
    assert Deadline.objects.filter(owner_type=OWNER, warned_at__isnull=True).count() == 0


def test_held_owners_filling_a_batch_end_the_run_without_looping(uk, heard, held, monkeypatch):
    """A batch of nothing but held owners ends the run (the next one tries again), instead of
    reading the same batch for ever; a batch with some recorded is read again, past the held."""
    monkeypatch.setattr(deadlines, "SWEEP_BATCH", 2)
    for owner_id in (1, 2, 3):
        four_hours(uk, owner_id, london(2026, 12, 1, 10))
    held.update({1, 2})  # the first batch (ordered by warning instant, then id): all held
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 20)) == 0
    held.discard(2)  # a batch of one held and one free: the free one, then the next batch
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 20)) == 2
    assert [recorded(o)[0] is not None for o in (1, 2, 3)] == [False, True, True]
    held.clear()
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 20)) == 1
    assert deadlines_sweep(now=london(2026, 12, 1, 13, 20)) == 0
