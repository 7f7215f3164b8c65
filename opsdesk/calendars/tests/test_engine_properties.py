"""Properties of the calendar engine (B2, B3, B7) against the minute-stepping reference, over
2026–2028 instants in several offsets, weighted towards DST changes and bank holidays."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.calendars import engine
from opsdesk.calendars.tests import reference as ref

LONDON = ZoneInfo("Europe/London")
UK = engine.uk_calendar()
ONE_US = timedelta(microseconds=1)

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

INPUT_ZONES = [
    UTC, LONDON, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
    timezone(timedelta(hours=-3, minutes=-30)),
]


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


# DST changes and bank holidays of 2026–2028: the dates where shortcuts go wrong.
INTERESTING = sorted(
    {d for d in UK.closed_dates if 2026 <= d.year <= 2028}
    | {_last_sunday(y, m) for y in (2026, 2027, 2028) for m in (3, 10)}
)
MIDDAYS = [datetime.combine(d, time(12), tzinfo=LONDON).astimezone(UTC) for d in INTERESTING]


def _floor_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def _near_interesting(precise: bool):
    offset = st.integers(-4 * 86_400 * 10**6, 4 * 86_400 * 10**6) if precise else st.integers(-5760, 5760)
    unit = ONE_US if precise else timedelta(minutes=1)
    return st.builds(
        lambda base, n, zone: (base + n * unit).astimezone(zone),
        st.sampled_from(MIDDAYS), offset, st.sampled_from(INPUT_ZONES),
    )


_anywhere = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.sampled_from(INPUT_ZONES)
)
instants = st.one_of(_anywhere, _near_interesting(precise=True))  # any microsecond
minute_instants = st.one_of(_anywhere.map(_floor_minute), _near_interesting(precise=False))
business_minutes = st.integers(0, 3 * 8 * 60)  # up to three 8-hour business days
business_deltas = st.integers(0, 3 * 8 * 3600 * 10**6).map(lambda us: us * ONE_US)

P3_P4_RULES = st.sampled_from(
    [{"hours": 1, "fallback": time(10)}, {"hours": 4, "fallback": time(12)}, {"business_days": 1},
     {"hours": 2.5}, {"business_days": 2}]
)


def u(t: datetime) -> datetime:
    """The instant in UTC. Comparisons within one zone compare wall-clock times (wrong across a DST
    fold or gap) and == between zones is False whenever either side is in a fold (PEP 495), so
    every comparison here is made in UTC."""
    return t.astimezone(UTC)


def same(a: datetime, b: datetime) -> bool:
    return u(a) == u(b)


def _is_closing(cal: engine.BusinessCalendar, x: datetime) -> bool:
    return not cal.is_open(x) and cal.is_open(x - ONE_US)


# -- against the reference ---------------------------------------------------------------------------


@FAST
@given(minute_instants, business_minutes)
def test_add_matches_reference(t, minutes):
    assert same(UK.add_business_time(t, timedelta(minutes=minutes)), ref.add(UK, t, minutes))


@FAST
@given(minute_instants, business_minutes)
def test_subtract_matches_reference(t, minutes):
    assert same(UK.add_business_time(t, -timedelta(minutes=minutes)), ref.subtract(UK, t, minutes))


@FAST
@given(minute_instants, st.integers(-4 * 1440, 4 * 1440))
def test_between_matches_reference(a, elapsed):
    b = a + timedelta(minutes=elapsed)
    assert UK.business_time_between(a, b) == timedelta(minutes=ref.between(UK, a, b))


@FAST
@given(minute_instants)
def test_next_opening_day_close_and_next_day_match_reference(t):
    assert same(UK.next_opening(t), ref.next_opening(UK, t))
    assert UK.is_open(t) == ref.is_open(UK, t)
    assert same(UK.day_close(t), ref.day_close(UK, t))
    assert same(UK.next_business_day_at(t, time(10)), ref.next_business_day_at(UK, t, time(10)))


@SLOW
@given(minute_instants, P3_P4_RULES)
def test_response_due_matches_reference(logged_at, rule):
    assert same(engine.response_due(UK, logged_at, **rule), ref.response_due(UK, logged_at, **rule))


@SLOW
@given(minute_instants, st.integers(-3, 3))
def test_add_business_days_matches_reference(t, n):
    assert same(UK.add_business_days(t, n), ref.add_business_days(UK, t, n))


@st.composite
def calendars(draw):
    """Random calendars: several spans a day, any weekdays, closures; spans keep clear of the small
    hours in which these zones change clocks."""
    zone = draw(st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]))
    hours = {}
    for weekday in range(7):
        quarters = sorted(draw(st.sets(st.integers(5 * 4, 24 * 4), max_size=4)))
        spans = [(quarters[i], quarters[i + 1]) for i in range(0, len(quarters) - 1, 2)]
        hours[weekday] = [(time(a // 4, a % 4 * 15), time(b // 4 % 24, b % 4 * 15)) for a, b in spans]
    if not any(hours.values()):
        hours[draw(st.integers(0, 6))] = [(time(9), time(17))]
    closures = draw(st.sets(st.dates(date(2026, 1, 1), date(2028, 12, 31)), max_size=4))
    return engine.BusinessCalendar(zone, hours, closures)


def _weekly_minutes(cal: engine.BusinessCalendar) -> int:
    def minutes(t: time) -> int:
        return t.hour * 60 + t.minute or 1440

    return sum(minutes(b) - a.hour * 60 - a.minute for spans in cal.weekly_hours for a, b in spans)


@SLOW
@given(calendars(), minute_instants, st.data())
def test_random_calendars_match_reference(cal, t, data):
    minutes = data.draw(st.integers(0, min(1440, 2 * _weekly_minutes(cal))))
    assert same(cal.add_business_time(t, timedelta(minutes=minutes)), ref.add(cal, t, minutes))
    assert same(cal.next_opening(t), ref.next_opening(cal, t))
    b = t + timedelta(minutes=data.draw(st.integers(0, 3 * 1440)))
    assert cal.business_time_between(t, b) == timedelta(minutes=ref.between(cal, t, b))
    assert same(cal.day_close(t), ref.day_close(cal, t))
    epoch = int(t.timestamp())
    assert cal.add_business_seconds(epoch, minutes * 60) == ref.add(cal, t, minutes).timestamp()


# -- invariants at microsecond precision --------------------------------------------------------------


@FAST
@given(instants, business_deltas)
def test_targets_are_open_or_exactly_a_closing(t, delta):
    x = UK.add_business_time(t, delta)
    assert x.tzinfo is LONDON
    if delta:
        assert u(x) > u(t)
        assert UK.is_open(x) or _is_closing(UK, x)
    due = engine.response_due(UK, t, hours=delta / timedelta(hours=1), fallback=None)
    assert UK.is_open(due) or _is_closing(UK, due)


@FAST
@given(instants, business_deltas, business_deltas)
def test_adding_is_monotonic_in_the_amount(t, d1, d2):
    d1, d2 = sorted((d1, d2))
    assert u(UK.add_business_time(t, d1)) <= u(UK.add_business_time(t, d2))


@FAST
@given(instants, instants, business_deltas)
def test_adding_is_monotonic_in_the_start(t1, t2, delta):
    t1, t2 = sorted((t1, t2), key=u)
    assert u(UK.add_business_time(t1, delta)) <= u(UK.add_business_time(t2, delta))


@FAST
@given(instants, business_deltas)
def test_add_then_between_round_trips(t, delta):
    x = UK.add_business_time(t, delta)
    assert UK.business_time_between(t, x) == delta
    back = UK.add_business_time(x, -delta)
    assert UK.business_time_between(back, x) == delta
    assert u(back) <= u(x) and (not delta or UK.is_open(back))
    if delta and UK.is_open(t):
        assert same(back, t)


@FAST
@given(instants, instants)
def test_between_then_add_round_trips(a, b):
    a, b = sorted((a, b), key=u)
    elapsed = UK.business_time_between(a, b)
    assert elapsed >= timedelta(0)
    assert UK.business_time_between(b, a) == -elapsed
    x = UK.add_business_time(a, elapsed)
    assert u(x) <= u(b) and UK.business_time_between(x, b) == timedelta(0)
    if elapsed and UK.is_open(b):
        assert same(x, b)


# -- bulk paths agree with the scalar path ------------------------------------------------------------


@FAST
@given(st.lists(st.tuples(instants, st.integers(-3 * 8 * 3600, 3 * 8 * 3600)), min_size=1, max_size=20))
def test_bulk_add_matches_scalar(cases):
    starts = np.array([int(t.timestamp()) for t, _ in cases], dtype=np.int64)
    seconds = np.array([s for _, s in cases], dtype=np.int64)
    got = engine.add_business_seconds_bulk(UK, starts, seconds)
    for start, amount, result in zip(starts.tolist(), seconds.tolist(), got.tolist(), strict=True):
        t = datetime.fromtimestamp(start, UTC)
        assert result == UK.add_business_time(t, timedelta(seconds=amount)).timestamp()
        assert result == UK.add_business_seconds(start, amount)


@FAST
@given(st.lists(st.tuples(instants, instants), min_size=1, max_size=20))
def test_bulk_between_matches_scalar(pairs):
    starts = np.array([int(a.timestamp()) for a, _ in pairs], dtype=np.int64)
    ends = np.array([int(b.timestamp()) for _, b in pairs], dtype=np.int64)
    got = engine.business_seconds_between_bulk(UK, starts, ends)
    for a, b, result in zip(starts.tolist(), ends.tolist(), got.tolist(), strict=True):
        expected = UK.business_time_between(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC))
        assert result == expected.total_seconds()


@FAST
@given(st.lists(instants, min_size=1, max_size=20), P3_P4_RULES)
def test_bulk_response_due_matches_scalar(logged, rule):
    seconds = np.array([int(t.timestamp()) for t in logged], dtype=np.int64)
    got = engine.response_due_bulk(UK, seconds, **rule)
    for start, result in zip(seconds.tolist(), got.tolist(), strict=True):
        assert result == engine.response_due(UK, datetime.fromtimestamp(start, UTC), **rule).timestamp()


@FAST
@given(st.lists(instants, min_size=1, max_size=20), st.integers(-3, 12))
def test_bulk_add_business_days_matches_scalar(starts, n):
    seconds = np.array([int(t.timestamp()) for t in starts], dtype=np.int64)
    got = engine.add_business_days_bulk(UK, seconds, n)
    for start, result in zip(seconds.tolist(), got.tolist(), strict=True):
        assert result == UK.add_business_days(datetime.fromtimestamp(start, UTC), n).timestamp()


@SLOW
@given(calendars(), st.lists(minute_instants, min_size=1, max_size=8), st.integers(-3, 12))
def test_working_days_on_random_calendars_match_reference_in_bulk_and_scalar(cal, starts, n):
    """B7's rule is written once (engine._working_days_steps): the scalar and the bulk path agree
    with the minute-stepping reference on any calendar (several spans a day, closures, zones)."""
    seconds = np.array([int(t.timestamp()) for t in starts], dtype=np.int64)
    got = engine.add_business_days_bulk(cal, seconds, n)
    for t, result in zip(starts, got.tolist(), strict=True):
        expected = ref.add_business_days(cal, t, n)
        assert same(cal.add_business_days(t, n), expected)
        assert result == expected.timestamp()
