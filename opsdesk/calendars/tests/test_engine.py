"""The calendar engine (B1–B3, B7) on the worked examples of sla-examples.md and hand-picked cases."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from opsdesk.calendars.engine import (
    BusinessCalendar,
    add_business_seconds_bulk,
    always_open_calendar,
    response_due,
    response_due_bulk,
    response_target,
    uk_calendar,
)

LONDON = ZoneInfo("Europe/London")
UK = uk_calendar()
H24 = always_open_calendar()

# B3 as the service plan states it: (calendar, rule) for the initial and the considered response.
RULES = {
    "P1": [(H24, {"hours": 0.25}), (H24, {"hours": 1})],
    "P2": [(H24, {"hours": 1}), (H24, {"hours": 2})],
    "P3": [(UK, {"hours": 1, "fallback": time(10)}), (UK, {"hours": 4, "fallback": time(12)})],
    "P4": [(UK, {"business_days": 1}), (UK, {"business_days": 1})],
}


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# sla-examples.md, rows 1–9: (row, priority, logged, initial due, considered due); all local London.
EXAMPLES = [
    (1, "P3", london("2026-12-01 10:00"), london("2026-12-01 11:00"), london("2026-12-01 14:00")),
    (2, "P3", london("2026-12-01 13:30"), london("2026-12-01 14:30"), london("2026-12-02 12:00")),
    (3, "P3", london("2026-12-01 16:30"), london("2026-12-02 10:00"), london("2026-12-02 12:00")),
    (4, "P3", london("2026-12-04 20:00"), london("2026-12-07 10:00"), london("2026-12-07 13:00")),
    (5, "P3", london("2026-12-24 16:15"), london("2026-12-29 10:00"), london("2026-12-29 12:00")),
    (6, "P3", london("2026-03-27 16:30"), utc("2026-03-30 09:00"), london("2026-03-30 12:00")),
    (7, "P4", london("2026-12-07 11:00"), london("2026-12-08 11:00"), london("2026-12-08 11:00")),
    (8, "P4", london("2026-12-07 09:00"), london("2026-12-07 17:00"), london("2026-12-07 17:00")),
    (9, "P1", london("2026-03-29 00:50"), utc("2026-03-29 01:05"), utc("2026-03-29 01:50")),
]


@pytest.mark.parametrize(("row", "priority", "logged", "initial", "considered"), EXAMPLES, ids=lambda v: None)
def test_sla_examples(row, priority, logged, initial, considered):
    (cal_i, rule_i), (cal_c, rule_c) = RULES[priority]
    got_initial = response_due(cal_i, logged, **rule_i)
    got_considered = response_due(cal_c, logged, **rule_c)
    assert (got_initial, got_considered) == (initial, considered), f"row {row}"
    # Outputs are in the calendar's zone, and the explained target is the same instant.
    assert got_initial.tzinfo is cal_i.zone
    assert response_target(cal_i, logged, **rule_i).due == initial
    assert response_target(cal_c, logged, **rule_c).due == considered


def test_row_6_is_0900_utc_and_1000_bst():
    due = response_due(UK, london("2026-03-27 16:30"), hours=1, fallback=time(10))
    assert due.utcoffset() == timedelta(hours=1)
    assert (due.hour, due.astimezone(UTC).hour) == (10, 9)


def test_row_9_plain_elapsed_across_the_dst_change():
    due = response_due(H24, london("2026-03-29 00:50"), hours=0.25)
    assert due.astimezone(LONDON).isoformat() == "2026-03-29T02:05:00+01:00"


def test_sla_example_rows_in_bulk():
    for priority in ("P1", "P3", "P4"):
        rows = [r for r in EXAMPLES if r[1] == priority]
        logged = np.array([int(r[2].timestamp()) for r in rows])
        for which, (cal, rule) in enumerate(RULES[priority]):
            expected = [int(r[3 + which].timestamp()) for r in rows]
            assert response_due_bulk(cal, logged, **rule).tolist() == expected


# -- explanations ----------------------------------------------------------------------------------


def test_explanation_christmas_row_5():
    exp = response_target(UK, london("2026-12-24 16:15"), hours=1, fallback=time(10)).explanation
    assert exp.clock_start == london("2026-12-24 16:15")
    assert not exp.started_at_next_opening
    assert exp.clock_end == london("2026-12-29 09:15")
    assert exp.day_close == london("2026-12-24 17:00")
    assert exp.fallback_applied and exp.fallback == time(10)
    [period] = exp.closed_periods
    assert (period.start, period.end) == (london("2026-12-24 17:00"), london("2026-12-29 09:00"))
    for words in ("Christmas Day", "Boxing Day (observed)", "Sun 27 Dec 2026 weekend"):
        assert words in period.reason
    text = " ".join(exp.steps)
    assert "10:00 on the next business day" in text and "Christmas Day" in text


def test_explanation_clock_starts_at_next_opening_row_4():
    exp = response_target(UK, london("2026-12-04 20:00"), hours=4, fallback=time(12)).explanation
    assert exp.started_at_next_opening
    assert exp.clock_start == london("2026-12-07 09:00")
    assert not exp.fallback_applied
    assert exp.closed_periods[0].start == london("2026-12-04 20:00")
    assert "while closed" in exp.steps[0]


def test_explanation_one_business_day_row_7():
    exp = response_target(UK, london("2026-12-07 11:00"), business_days=1).explanation
    assert exp.business_time == timedelta(hours=8)
    assert exp.fallback is None and not exp.fallback_applied


def test_explanation_24x7():
    target = response_target(H24, london("2026-03-29 00:50"), hours=1)
    assert target.explanation.closed_periods == ()
    assert "24x7" in target.explanation.steps[0]


def test_rule_needs_exactly_one_amount():
    with pytest.raises(ValueError):
        response_due(UK, london("2026-12-01 10:00"))
    with pytest.raises(ValueError):
        response_due(UK, london("2026-12-01 10:00"), hours=1, business_days=1)


# -- custom closures (B1, B5) ------------------------------------------------------------------------


def test_custom_closure_moves_the_fallback_day():
    cal = uk_calendar(extra_closures={date(2026, 12, 2): "Office move"})
    due = response_due(cal, london("2026-12-01 13:30"), hours=4, fallback=time(12))
    assert due == london("2026-12-03 12:00")
    assert not cal.is_open(london("2026-12-02 11:00"))
    reasons = [p.reason for p in cal.closed_periods(london("2026-12-01 16:00"), london("2026-12-03 10:00"))]
    assert any("Office move" in r for r in reasons)


def test_with_closures_returns_a_new_calendar():
    cal = UK.with_closures([date(2026, 12, 1)])
    assert not cal.is_open(london("2026-12-01 10:00"))
    assert UK.is_open(london("2026-12-01 10:00"))


# -- primitives ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (london("2026-12-07 09:00"), london("2026-12-07 09:00")),  # open: itself
        (london("2026-12-07 07:30"), london("2026-12-07 09:00")),
        (london("2026-12-04 17:00"), london("2026-12-07 09:00")),  # closing instant is closed
        (london("2026-12-05 12:00"), london("2026-12-07 09:00")),
        (london("2026-12-24 17:00"), london("2026-12-29 09:00")),
        (london("2026-03-29 01:30"), utc("2026-03-30 08:00")),  # DST Sunday -> 09:00 BST
        (london("2026-04-02 18:00"), london("2026-04-07 09:00")),  # Good Friday, Easter Monday
        (datetime(2026, 12, 7, 8, 30, tzinfo=timezone(timedelta(hours=-5))), london("2026-12-07 13:30")),
    ],
)
def test_next_opening(t, expected):
    assert UK.next_opening(t) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (london("2026-12-07 09:00"), london("2026-12-11 17:00"), timedelta(hours=40)),
        (london("2026-12-07 09:00"), london("2026-12-07 09:00"), timedelta(0)),
        (london("2026-12-04 16:00"), london("2026-12-07 10:00"), timedelta(hours=2)),
        (london("2026-12-24 16:15"), london("2026-12-29 09:15"), timedelta(hours=1)),
        (london("2026-03-27 16:00"), london("2026-03-30 10:00"), timedelta(hours=2)),  # DST weekend
        (london("2026-10-23 16:00"), london("2026-10-26 10:00"), timedelta(hours=2)),  # clocks go back
        (london("2026-12-07 10:00"), london("2026-12-04 16:00"), -timedelta(hours=2)),
        (london("2026-12-05 10:00"), london("2026-12-06 10:00"), timedelta(0)),
        (london("2026-01-01 00:00"), london("2027-01-01 00:00"), timedelta(hours=8 * (261 - 8))),
    ],
)
def test_business_time_between(a, b, expected):
    assert UK.business_time_between(a, b) == expected


def test_landing_exactly_on_closing_is_the_closing():
    four_pm = london("2026-12-07 16:00")
    assert UK.add_business_time(four_pm, timedelta(hours=1)) == london("2026-12-07 17:00")
    assert UK.add_business_time(four_pm, timedelta(minutes=61)) == london("2026-12-08 09:01")
    assert UK.add_business_time(london("2026-12-04 20:00"), timedelta(hours=8)) == london("2026-12-07 17:00")


def test_subtracting_lands_on_an_opening():
    assert UK.add_business_time(london("2026-12-08 10:00"), -timedelta(hours=1)) == london("2026-12-08 09:00")
    assert UK.add_business_time(london("2026-12-08 10:00"), -timedelta(hours=2)) == london("2026-12-07 16:00")


def test_add_across_dst_uses_wall_clock_hours():
    # Friday 16:00 GMT + 2 business hours = Monday 10:00 BST (09:00 UTC), not 10:00 UTC.
    assert UK.add_business_time(london("2026-03-27 16:00"), timedelta(hours=2)) == utc("2026-03-30 09:00")
    assert UK.add_business_time(london("2026-10-23 16:00"), timedelta(hours=2)) == utc("2026-10-26 10:00")


def test_add_zero_is_identity_and_output_is_in_calendar_zone():
    t = utc("2026-12-05 12:00")
    result = UK.add_business_time(t, timedelta(0))
    assert result == t and result.tzinfo is LONDON


def test_microseconds_survive():
    t = london("2026-12-07 10:00:00.123456")
    assert UK.add_business_time(t, timedelta(microseconds=1)) == london("2026-12-07 10:00:00.123457")
    assert UK.business_time_between(t, london("2026-12-07 11:00")) == timedelta(minutes=59, seconds=59.876544)


@pytest.mark.parametrize(
    ("t", "n", "expected"),
    [
        (london("2026-12-07 11:00"), 1, london("2026-12-08 11:00")),
        (london("2026-12-07 09:00"), 1, london("2026-12-07 17:00")),
        (london("2026-12-05 12:00"), 1, london("2026-12-07 17:00")),
        (london("2026-12-07 11:00"), 0, london("2026-12-07 11:00")),
        (london("2026-03-27 11:00"), 1, london("2026-03-30 11:00")),  # DST weekend, wall clock kept
        (london("2026-03-26 14:00"), 10, london("2026-04-13 14:00")),  # Easter: 3rd and 6th April closed
        (london("2026-12-23 10:00"), 3, london("2026-12-30 10:00")),
        (london("2026-12-30 10:00"), -3, london("2026-12-23 10:00")),
    ],
)
def test_add_business_days(t, n, expected):
    assert UK.add_business_days(t, n) == expected


def test_is_open_boundaries():
    assert UK.is_open(london("2026-12-07 09:00"))
    assert UK.is_open(london("2026-12-07 16:59:59.999999"))
    assert not UK.is_open(london("2026-12-07 17:00"))
    assert not UK.is_open(london("2026-12-25 12:00"))
    assert H24.is_open(london("2026-12-25 12:00"))


def test_day_close_and_next_business_day_at():
    assert UK.day_close(london("2026-12-07 11:00")) == london("2026-12-07 17:00")
    assert UK.day_close(london("2026-12-05 11:00")) == london("2026-12-07 17:00")
    assert UK.next_business_day_at(london("2026-12-04 11:00"), time(10)) == london("2026-12-07 10:00")
    assert UK.next_business_day_at(london("2026-12-24 09:00"), time(12)) == london("2026-12-29 12:00")
    assert UK.next_business_day_at(london("2026-03-27 09:00"), time(10)) == utc("2026-03-30 09:00")
    assert UK.business_day_length(london("2026-12-07 11:00")) == timedelta(hours=8)


def test_24x7_is_elapsed_time():
    t = london("2026-03-29 00:50")
    # Elapsed, not wall-clock: 00:50 GMT + 2 h is 02:50 UTC = 03:50 BST.
    assert H24.add_business_time(t, timedelta(hours=2)) == utc("2026-03-29 02:50")
    assert H24.business_time_between(t, utc("2026-04-01 00:50")) == timedelta(days=3)
    assert H24.next_opening(t) == t
    assert H24.add_business_days(t, 2) == utc("2026-03-31 00:50")
    assert H24.day_close(utc("2026-03-29 10:00")) == utc("2026-03-30 00:00")


def test_several_spans_a_day_and_a_saturday():
    cal = BusinessCalendar(
        "America/New_York",
        {0: [(time(13), time(17)), (time(8), time(12))], 5: [(time(10), time(12))]},
        [date(2026, 12, 14)],
    )
    ny = ZoneInfo("America/New_York")
    monday = datetime(2026, 12, 7, 11, 0, tzinfo=ny)
    assert cal.add_business_time(monday, timedelta(hours=1)) == datetime(2026, 12, 7, 12, 0, tzinfo=ny)
    assert cal.add_business_time(monday, timedelta(hours=2)) == datetime(2026, 12, 7, 14, 0, tzinfo=ny)
    assert cal.add_business_time(monday, timedelta(hours=6)) == datetime(2026, 12, 12, 11, 0, tzinfo=ny)
    # The next Monday is closed, so after Saturday comes the next Saturday.
    saturday_noon = datetime(2026, 12, 12, 12, 0, tzinfo=ny)
    assert cal.next_opening(saturday_noon) == datetime(2026, 12, 19, 10, 0, tzinfo=ny)
    assert cal.day_close(monday) == datetime(2026, 12, 7, 17, 0, tzinfo=ny)
    assert cal.business_day_length(monday) == timedelta(hours=8)


def test_span_ending_at_midnight():
    cal = BusinessCalendar("UTC", {wd: [(time(0), time(0))] for wd in range(7)})
    t = utc("2026-12-07 22:00")
    assert cal.add_business_time(t, timedelta(hours=5)) == utc("2026-12-08 03:00")
    assert cal.day_close(t) == utc("2026-12-08 00:00")


@pytest.mark.parametrize(
    "hours",
    [
        {0: [(time(17), time(9))]},
        {0: [(time(9), time(13)), (time(12), time(17))]},
        {7: [(time(9), time(17))]},
        {},
    ],
)
def test_invalid_working_hours(hours):
    with pytest.raises(ValueError):
        BusinessCalendar("Europe/London", hours)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        UK.is_open(datetime(2026, 12, 7, 10, 0))


def test_far_dates_and_long_intervals_grow_the_table():
    cal = uk_calendar()
    assert cal.next_opening(london("2090-01-06 20:00")) == london("2090-01-09 09:00")  # Sat 7, Sun 8
    start = london("2026-01-05 09:00")
    two_years = timedelta(hours=8 * 500)
    end = cal.add_business_time(start, two_years)
    assert cal.business_time_between(start, end) == two_years
    assert cal.add_business_time(end, -two_years) == start
    assert cal.next_opening(london("1990-06-02 12:00")) == london("1990-06-04 09:00")
    # A century-wide table indexes coarser buckets; answers must not change.
    for t, hours in ((start, 1), (london("2026-12-24 16:30"), 4), (london("2090-01-06 20:00"), 80)):
        epoch, seconds = int(t.timestamp()), hours * 3600
        expected = cal.add_business_time(t, timedelta(seconds=seconds))
        assert cal.add_business_seconds(epoch, seconds) == expected.timestamp()
        assert expected == uk_calendar().add_business_time(t, timedelta(seconds=seconds))


def test_epoch_seconds_add_outside_the_table_and_on_24x7():
    cal = uk_calendar()
    friday = int(london("2031-03-07 16:30").timestamp())  # beyond a fresh table: it grows
    assert cal.add_business_seconds(friday, 3600) == london("2031-03-10 09:30").timestamp()
    assert cal.add_business_seconds(friday, 0) == friday
    assert cal.add_business_seconds(friday, -1800) == london("2031-03-07 16:00").timestamp()
    assert H24.add_business_seconds(friday, 3600) == friday + 3600


def test_bulk_matches_scalar_on_examples():
    starts = [london("2026-12-07 16:00"), london("2026-12-24 16:15"), london("2026-03-27 16:30"),
              london("2026-12-05 12:00"), london("2026-12-08 10:00")]
    amounts = [3600, 3600, 7200, 0, -7200]
    seconds = np.array([int(t.timestamp()) for t in starts])
    got = add_business_seconds_bulk(UK, seconds, np.array(amounts))
    pairs = zip(starts, amounts, strict=True)
    expected = [int(UK.add_business_time(t, timedelta(seconds=s)).timestamp()) for t, s in pairs]
    assert got.dtype == np.int64 and got.tolist() == expected
    floats = add_business_seconds_bulk(UK, seconds.astype(float), np.array(amounts, float))
    assert floats.tolist() == [float(e) for e in expected]
    assert add_business_seconds_bulk(H24, np.array([10]), np.array([5])).tolist() == [15]
