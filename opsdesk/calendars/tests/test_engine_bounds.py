"""The engine's window and the bound on what a calendar keeps (issue 7, part 1): a question about
year 9990 is refused at once instead of building eight thousand years of spans, and no sequence of
questions leaves a calendar holding more than KEPT_YEARS_MAX years of them."""

import time as clock
from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from opsdesk.calendars.engine import (
    KEPT_YEARS_MAX,
    WINDOW_FIRST_YEAR,
    WINDOW_LAST_YEAR,
    OutsideWindow,
    add_business_seconds_bulk,
    business_seconds_between_bulk,
    response_due_bulk,
    response_target,
    uk_calendar,
)
from opsdesk.core.limits import INSTANT_MAX, INSTANT_MIN


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def kept_years(cal) -> int:
    return cal._table.last - cal._table.first + 1


def test_the_engine_window_holds_every_instant_a_client_may_send():
    assert WINDOW_FIRST_YEAR < INSTANT_MIN.year and INSTANT_MAX.year < WINDOW_LAST_YEAR


@pytest.mark.parametrize("year", [9990, 3, 1, WINDOW_FIRST_YEAR - 1, WINDOW_LAST_YEAR + 1])
def test_instants_outside_the_window_are_refused_at_once(year):
    cal = uk_calendar()
    started = clock.monotonic()
    with pytest.raises(OutsideWindow, match="1960"):
        response_target(cal, utc(year, 6, 1), hours=4, fallback=time(12))
    with pytest.raises(OutsideWindow):
        cal.business_time_between(utc(2026, 1, 1), utc(year, 6, 1))
    with pytest.raises(ValueError):  # OutsideWindow is a ValueError for callers that catch those
        add_business_seconds_bulk(cal, np.array([int(utc(2026, 1, 1).timestamp()), -62_000_000_000]), 3600)
    assert clock.monotonic() - started < 1
    assert kept_years(cal) <= KEPT_YEARS_MAX


def test_an_answer_beyond_the_window_is_refused_not_grown_to():
    cal = uk_calendar()
    with pytest.raises(OutsideWindow):
        cal.add_business_time(utc(2100, 12, 31), timedelta(days=3650))  # ~40 years of 8-hour days
    assert kept_years(cal) <= KEPT_YEARS_MAX


def test_extreme_questions_leave_the_calendar_within_its_bound():
    cal = uk_calendar()
    edges = [utc(1970, 1, 1), utc(2100, 12, 31, 23, 59, 59), utc(1960, 1, 4, 12), utc(2110, 12, 30, 12)]
    for at in edges * 2:
        target = response_target(cal, at, business_days=5)
        assert target.due > at
        assert kept_years(cal) <= KEPT_YEARS_MAX
    # One question over the whole window builds it, answers and drops it.
    whole = cal.business_time_between(utc(1970, 1, 1), utc(2100, 12, 31))
    assert timedelta(days=10_000) < whole < timedelta(days=12_000)
    assert kept_years(cal) <= KEPT_YEARS_MAX
    seconds = np.array([int(at.timestamp()) for at in edges[:2]])
    assert response_due_bulk(cal, seconds, hours=4, fallback=time(12)).tolist()[0] > seconds[0]
    assert business_seconds_between_bulk(cal, seconds[:1], seconds[1:])[0] == whole.total_seconds() + 8 * 3600
    assert kept_years(cal) <= KEPT_YEARS_MAX
    # A question far from the kept table starts a small one rather than widening it.
    cal.next_opening(utc(1985, 3, 3, 20))
    assert kept_years(cal) <= 4
    # Answers do not depend on which table happened to be kept.
    for at in edges:
        assert response_target(cal, at, hours=4, fallback=time(12)).due == response_target(
            uk_calendar(), at, hours=4, fallback=time(12)
        ).due
