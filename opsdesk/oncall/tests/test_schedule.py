"""Rota maths (opsdesk.oncall.schedule): hand-overs on the provider's wall clock across DST in
Europe/London, overrides laid over the turns, gaps and overlaps. Plain Python, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from opsdesk.oncall import schedule as m

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def weekly(**kw) -> m.Pattern:
    base = dict(
        zone=LONDON,
        starts_on=dt.date(2026, 10, 19),  # a Monday; clocks go back on Sunday 25 October
        ends_on=None,
        handover_time=dt.time(9, 0),
        period_days=7,
        participants=[1, 2, 3],
    )
    return m.Pattern(**{**base, **kw})


def test_a_weekly_hand_over_stays_at_nine_across_the_autumn_change():
    p = weekly()
    first, second = m.handover_at(p, 0), m.handover_at(p, 1)
    assert first.astimezone(LONDON).hour == 9 and second.astimezone(LONDON).hour == 9
    assert first == dt.datetime(2026, 10, 19, 8, 0, tzinfo=UTC)  # BST
    assert second == dt.datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # GMT
    assert second - first == dt.timedelta(days=7, hours=1)  # that week is an hour longer


def test_a_daily_hand_over_across_the_spring_change_and_a_skipped_wall_time():
    p = weekly(starts_on=dt.date(2026, 3, 27), period_days=1, handover_time=dt.time(1, 30))
    # 01:30 on Sunday 29 March does not exist in London (01:00 -> 02:00): read with the old offset.
    days = [m.handover_at(p, k) for k in range(4)]
    assert days[0] == dt.datetime(2026, 3, 27, 1, 30, tzinfo=UTC)
    assert days[2] == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert days[3] == dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 01:30 BST
    # Every instant belongs to exactly one shift, even in the short day.
    for k in range(3):
        assert m.shift_index(p, days[k]) == k
        assert m.shift_index(p, days[k + 1] - dt.timedelta(seconds=1)) == k


def test_who_is_on_call_turns_in_order():
    p = weekly()
    now, nxt = m.now_and_next(p, [], at(2026, 10, 27, 3, 0))
    assert (
        now.user_id == 2 and now.starts_at == at(2026, 10, 26, 9, 0) and now.ends_at == at(2026, 11, 2, 9, 0)
    )
    assert nxt.user_id == 3
    # Participant 1 again after a full turn.
    assert m.now_and_next(p, [], at(2026, 11, 9, 9, 0))[0].user_id == 1


def test_an_override_wins_for_its_window_and_the_turn_resumes():
    p = weekly()
    swap = m.OverrideSpan(9, at(2026, 10, 21, 18, 0), at(2026, 10, 22, 8, 0), override_id=5)
    plan = m.schedule(p, [swap], at(2026, 10, 19, 9, 0), at(2026, 10, 26, 9, 0))
    assert [(s.user_id, s.starts_at, s.ends_at) for s in plan.shifts] == [
        (1, at(2026, 10, 19, 9, 0), at(2026, 10, 21, 18, 0)),
        (9, at(2026, 10, 21, 18, 0), at(2026, 10, 22, 8, 0)),
        (1, at(2026, 10, 22, 8, 0), at(2026, 10, 26, 9, 0)),
    ]
    assert plan.gaps == [] and plan.overlaps == []
    now, nxt = m.now_and_next(p, [swap], at(2026, 10, 21, 20, 0))
    assert now.user_id == 9 and now.is_override and nxt.user_id == 1


def test_gaps_before_the_start_after_the_end_and_for_someone_who_left():
    p = weekly(ends_on=dt.date(2026, 10, 25), available=frozenset({1, 3}))
    plan = m.schedule(p, [], at(2026, 10, 18, 0, 0), at(2026, 11, 9, 9, 0))
    assert plan.gaps == [
        m.Span(at(2026, 10, 18, 0, 0), at(2026, 10, 19, 9, 0)),  # before the rota starts
        m.Span(at(2026, 10, 26, 9, 0), at(2026, 11, 9, 9, 0)),  # after it ends
    ]
    # Participant 2 (inactive) would have had the second week: no one.
    p = weekly(available=frozenset({1, 3}))
    plan = m.schedule(p, [], at(2026, 10, 19, 9, 0), at(2026, 11, 2, 9, 0))
    assert plan.gaps == [m.Span(at(2026, 10, 26, 9, 0), at(2026, 11, 2, 9, 0))]
    assert m.now_and_next(p, [], at(2026, 10, 27, 12, 0))[0] is None


def test_overlapping_overrides_are_reported_and_the_earlier_one_wins():
    p = weekly()
    a = m.OverrideSpan(7, at(2026, 10, 20, 9, 0), at(2026, 10, 20, 17, 0), override_id=1)
    b = m.OverrideSpan(8, at(2026, 10, 20, 12, 0), at(2026, 10, 20, 20, 0), override_id=2)
    plan = m.schedule(p, [a, b], at(2026, 10, 20, 0, 0), at(2026, 10, 21, 0, 0))
    assert plan.overlaps == [(a, b)]
    covering = [
        (s.user_id, s.starts_at.astimezone(LONDON).hour, s.ends_at.astimezone(LONDON).hour)
        for s in plan.shifts
    ]
    assert covering == [(1, 0, 9), (7, 9, 17), (8, 17, 20), (1, 20, 0)]


@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    period=st.sampled_from([1, 7]),
    hour=st.integers(min_value=0, max_value=23),
)
def test_every_instant_is_covered_by_the_shift_the_index_names(minutes, period, hour):
    """Against the obvious reference: the shift k that shift_index names contains the instant, for
    instants over more than a year (two DST changes each way)."""
    p = weekly(period_days=period, handover_time=dt.time(hour, 30))
    instant = m.handover_at(p, 0) + dt.timedelta(minutes=minutes)
    k = m.shift_index(p, instant)
    assert m.handover_at(p, k) <= instant < m.handover_at(p, k + 1)
