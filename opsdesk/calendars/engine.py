"""Business-time arithmetic (B1, B2, B3, B7): plain Python, no Django, so it can be tested and
benchmarked alone.

How it works. A calendar's opening spans are local wall-clock times (09:00–17:00 Europe/London moves
with DST), so each date's spans are localised with zoneinfo, never derived by adding 86,400 s per day.
The spans of a range of years are kept, lazily, in one sorted table of UTC instants (integer
microseconds since the epoch) with the cumulative business time at each span's start and end.
Every question is then one or two lookups in that table (bucketed indexes, so a lookup is a list
index and a step or two rather than a bisection):

- the business offset of an instant t, B(t), is the cumulative business time up to t;
- adding d is finding the earliest instant x with B(x) = B(t) + d (a lookup on the cumulative
  array), so an addition that lands exactly on a closing time *is* that closing time (17:00), not
  the next opening;
- business time between a and b is B(b) - B(a).

The B3 response-target rule ("N business hours, or by HH:MM on the next business day"; P4's
business days) is written once, in _response_steps, and run on the table for one target and on
its NumPy arrays for many.

The native scalar form is integer epoch seconds (add_business_seconds), the same numbers the bulk
NumPy paths and the database hold; datetime methods convert at the edges.

So the cost of an operation does not grow with the interval (adding 10 working days costs what
adding 15 minutes does), and closed dates are a set consulted once per date when the table is built,
never scanned per query. The table grows forward or backward by whole years when a question falls
outside it (it is replaced, never mutated, so concurrent readers stay consistent).

Bounded whatever is asked: instants outside WINDOW_FIRST_YEAR–WINDOW_LAST_YEAR (1960–2110) raise
OutsideWindow, a question far from the kept table starts a small table near it instead of widening
the kept one, and a table wider than KEPT_YEARS_MAX years answers its question and is dropped. So a
calendar keeps at most KEPT_YEARS_MAX years of spans, and one question builds at most the window.

An always-open (24x7) calendar is plain elapsed time.

Inputs are timezone-aware datetimes in any offset; outputs are in the calendar's zone.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from opsdesk.core import humanize

__all__ = [
    "DEFAULT_WEEKLY_HOURS",
    "KEPT_YEARS_MAX",
    "WINDOW_FIRST_YEAR",
    "WINDOW_LAST_YEAR",
    "OutsideWindow",
    "BusinessCalendar",
    "ClosedPeriod",
    "ResponseTarget",
    "TargetExplanation",
    "add_business_days_bulk",
    "add_business_seconds_bulk",
    "business_seconds_between_bulk",
    "always_open_calendar",
    "public_holidays",
    "response_due",
    "response_due_bulk",
    "response_target",
    "uk_calendar",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000  # microseconds per second
_MIDNIGHT = time(0)

#: The window the engine works in: instants from WINDOW_FIRST_YEAR-01-01 up to, not including,
#: (WINDOW_LAST_YEAR + 1)-01-01, UTC. Asking about an instant outside it (or for an answer beyond
#: it) raises OutsideWindow instead of building spans for thousands of years. Wider than the
#: 1970–2100 a client may send (opsdesk.core.limits), so that a target a few business days after
#: a late-2100 instant, or a clock paused for a while, still has room.
WINDOW_FIRST_YEAR, WINDOW_LAST_YEAR = 1960, 2110
WINDOW_LO_US = (datetime(WINDOW_FIRST_YEAR, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
WINDOW_HI_US = (datetime(WINDOW_LAST_YEAR + 1, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
# Span tables cover local years, a year either side of the window for the zone offsets.
_TABLE_FIRST, _TABLE_LAST = WINDOW_FIRST_YEAR - 1, WINDOW_LAST_YEAR + 1
#: The widest span table a calendar keeps between questions, in years. A question that needs a
#: wider one (business time from 1970 to 2100) builds it, answers and drops it. So a calendar
#: holds at most this many years of spans: with one span a weekday, about 5,200 spans, ~3 MB.
KEPT_YEARS_MAX = 20

Span = tuple[time, time]

# B1: the default working week, Monday–Friday 09:00–17:00.
DEFAULT_WEEKLY_HOURS: dict[int, list[Span]] = {wd: [(time(9), time(17))] for wd in range(5)}

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _to_us(t: datetime) -> int:
    try:
        d = t - _EPOCH
    except TypeError:
        raise ValueError(f"A timezone-aware datetime is required, got {t!r}.") from None
    return (d.days * 86_400 + d.seconds) * _US + d.microseconds


def _fmt_zone(t: datetime, zone: tzinfo | None = None) -> str:
    """The one format people read instants in (core.humanize.when), in `zone` (the provider's,
    when the caller gives it) or the calendar's."""
    return humanize.when(t, zone or t.tzinfo)


def _fmt_duration(delta: timedelta) -> str:
    return f"{humanize.duration(delta)} of business time"


class OutsideWindow(ValueError):
    """An instant, or an answer, outside the years the engine covers (WINDOW_FIRST_YEAR to
    WINDOW_LAST_YEAR)."""


def _year_of(us: int) -> int:
    """The UTC year of an instant in microseconds, refusing one outside the window."""
    if not WINDOW_LO_US <= us < WINDOW_HI_US:
        raise OutsideWindow(
            f"Instants from {WINDOW_FIRST_YEAR} to {WINDOW_LAST_YEAR} only, the years the engine covers."
        )
    return (_EPOCH + timedelta(microseconds=us)).year


class _NeedMore(Exception):
    """The span table does not reach far enough: `forward` says which way to grow it, `near` (an
    instant in microseconds, if known) how far."""

    def __init__(self, forward: bool, near: int | None = None) -> None:
        self.forward = forward
        self.near = near


class _Table:
    """Opening spans of the local dates of years first..last, as UTC microseconds.

    starts/ends: span instants; cum_start/cum_end: business microseconds before each span's start /
    at its end (cum_start[i + 1] == cum_end[i]); span_day: the business-day index of each span;
    day_first/day_last: first and last span of each business day; day_ordinal: its local date.
    """

    __slots__ = (
        "zone", "first", "last", "lo", "hi", "starts", "ends", "cum_start", "cum_end", "span_day",
        "day_first", "day_last", "day_ordinal", "_np", "_fallbacks",
        "total", "bucket", "f_starts", "f_off", "f_cum", "at_bucket", "offset_bucket", "add_seconds",
    )

    def __init__(self, calendar: BusinessCalendar, first: int, last: int) -> None:
        self.first, self.last = first, last
        self.zone = zone = calendar.zone
        self.lo = calendar._local_us(date(first, 1, 1), _MIDNIGHT)
        self.hi = calendar._local_us(date(last + 1, 1, 1), _MIDNIGHT)
        starts: list[int] = []
        ends: list[int] = []
        cum_start: list[int] = []
        cum_end: list[int] = []
        span_day: list[int] = []
        day_first: list[int] = []
        day_last: list[int] = []
        day_ordinal: list[int] = []
        closed = calendar._closed
        weekly = calendar.weekly_hours
        total = 0
        prev_end = self.lo
        for ordinal in range(date(first, 1, 1).toordinal(), date(last + 1, 1, 1).toordinal()):
            day = date.fromordinal(ordinal)
            spans = weekly[day.weekday()]
            if not spans or day in closed:
                continue
            k = len(day_ordinal)
            first_span = len(starts)
            for opening, closing in spans:
                s = _to_us(datetime.combine(day, opening, tzinfo=zone))
                if closing == _MIDNIGHT:
                    e = _to_us(datetime.combine(day + timedelta(days=1), _MIDNIGHT, tzinfo=zone))
                else:
                    e = _to_us(datetime.combine(day, closing, tzinfo=zone))
                s = max(s, prev_end)  # only matters in odd zones whose DST shift crosses an opening
                if e <= s:
                    continue
                starts.append(s)
                ends.append(e)
                cum_start.append(total)
                total += e - s
                cum_end.append(total)
                span_day.append(k)
                prev_end = e
            if len(starts) > first_span:
                day_first.append(first_span)
                day_last.append(len(starts) - 1)
                day_ordinal.append(ordinal)
        self.starts, self.ends, self.cum_start, self.cum_end = starts, ends, cum_start, cum_end
        self.span_day, self.day_first, self.day_last, self.day_ordinal = (
            span_day, day_first, day_last, day_ordinal,
        )
        self._np: dict[str, np.ndarray] | None = None
        self._fallbacks: dict[time, np.ndarray] = {}
        self._index(calendar)

    def _index(self, calendar: BusinessCalendar) -> None:
        """Direct lookups instead of bisection (bisect on a list of ints costs ~10 rich comparisons).

        The spans again with a zero-length sentinel span at `lo` in front and an unreachable one
        behind (the f_ lists, "f-index" = span index + 1), with f_off = cum_start - start, so that
        the business offset of an instant inside or after f-span i is min(t + f_off[i], f_cum[i]) and
        the instant of business offset x inside f-span j is x - f_off[j]. at_bucket[b] is the last
        f-span starting at or before lo + b * bucket; offset_bucket[b] the first f-span whose
        cumulative end reaches b * bucket. A lookup is one index and a step or two forward.
        """
        never = 1 << 62
        self.total = self.cum_end[-1] if self.cum_end else 0
        self.bucket = bucket = 3600 * _US * max(1, (self.last - self.first + 1) // 4)
        self.f_starts = [self.lo, *self.starts, never]
        self.f_off = [-self.lo, *(c - s for c, s in zip(self.cum_start, self.starts, strict=True)), 0]
        self.f_cum = [0, *self.cum_end, never]
        instants = self.lo + np.arange((self.hi - self.lo) // bucket + 1, dtype=np.int64) * bucket
        self.at_bucket = (np.searchsorted(self.f_starts, instants, side="right") - 1).tolist()
        offsets = np.arange(self.total // bucket + 1, dtype=np.int64) * bucket
        self.offset_bucket = np.searchsorted(self.f_cum, offsets, side="left").tolist()
        self.add_seconds = self._seconds_adder(calendar._add_seconds_general)

    def _seconds_adder(self, general):
        """_add on whole epoch seconds, as a closure over the table in seconds (spans are whole
        seconds): no attribute lookups and no microsecond scaling on the engine's hottest path.
        What it does not handle (d <= 0, an instant or a result beyond the table) goes to
        `general`, which grows the table as needed."""
        lo, hi, bucket, total = self.lo // _US, self.hi // _US, self.bucket // _US, self.total // _US
        starts = [x // _US for x in self.f_starts]
        off = [x // _US for x in self.f_off]
        cum = [x // _US for x in self.f_cum]
        at_bucket, offset_bucket = self.at_bucket, self.offset_bucket

        def add_seconds(u: int, d: int) -> int:
            if d <= 0 or u < lo or u >= hi:
                return general(u, d)
            i = at_bucket[(u - lo) // bucket]
            while starts[i + 1] <= u:
                i += 1
            o, c = off[i], cum[i]
            b = u + o
            if b > c:
                b = c
            b += d
            if b <= c:  # lands in the span it started from
                return b - o
            if b > total:
                return general(u, d)
            j = offset_bucket[b // bucket]
            while cum[j] < b:
                j += 1
            return b - off[j]

        return add_seconds

    # -- the table's primitives; each raises _NeedMore rather than answer from beyond its edge --

    def span_before(self, t: int) -> int:
        """The f-index of the last span starting at or before t (0: none, the sentinel)."""
        if t < self.lo or t >= self.hi:
            raise _NeedMore(t >= self.hi, t)
        starts = self.f_starts
        i = self.at_bucket[(t - self.lo) // self.bucket]
        while starts[i + 1] <= t:
            i += 1
        return i

    def locate(self, t: int) -> tuple[int, bool]:
        """(index of the span containing t, True) or (index of the next span to open, False)."""
        i = self.span_before(t) - 1
        if i >= 0 and t < self.ends[i]:
            return i, True
        if i + 1 >= len(self.starts):
            raise _NeedMore(True)
        return i + 1, False

    def offset(self, t: int) -> int:
        """B(t): business microseconds from the table's start up to t."""
        i = self.span_before(t)
        b = t + self.f_off[i]
        return min(b, self.f_cum[i])

    def at_offset(self, target: int, earliest: bool = True) -> int:
        """The instant with business offset `target`: the earliest (a closing time when it lands on
        one) or, for subtraction, the latest (an opening time)."""
        if target > self.total:
            raise _NeedMore(True)
        if target < 0 or (target == 0 and earliest):
            raise _NeedMore(False)
        if earliest:
            cum = self.f_cum
            j = self.offset_bucket[target // self.bucket]
            while cum[j] < target:
                j += 1
            return target - self.f_off[j]
        j = bisect.bisect_right(self.cum_start, target) - 1
        return self.starts[j] + (target - self.cum_start[j])

    def day_of(self, t: int) -> int:
        """Index of the business day containing t, or of the next one to open."""
        return self.span_day[self.locate(t)[0]]

    def day(self, k: int) -> int:
        if k < 0:
            raise _NeedMore(False)
        if k >= len(self.day_first):
            raise _NeedMore(True)
        return k

    # -- the vocabulary of the B3 rule (_response_steps), on one instant in microseconds; _Arrays
    # speaks it over arrays of epoch seconds. Each raises _NeedMore beyond the table's edge. --

    unit = _US

    def clock_start(self, t: int) -> tuple[int, int]:
        """(s, j): t if open, else the next opening; j the span s lies in."""
        j, is_open = self.locate(t)
        return (t if is_open else self.starts[j]), j

    def day_close(self, k: int) -> int:
        return self.ends[self.day_last[k]]

    def day_length(self, k: int) -> int:
        return self.cum_end[self.day_last[k]] - self.cum_start[self.day_first[k]]

    def add_from(self, s: int, j: int, amount: int) -> int:
        """s (open, inside span j) + amount >= 0 business time; landing on a closing is the closing."""
        return self.at_offset(self.offset_at(s, j) + amount) if amount else s

    def offset_at(self, s: int, j: int) -> int:
        """B(s) for s inside span j, or at its opening."""
        return self.cum_start[j] + (s - self.starts[j])

    def day_begin(self, k: int) -> int:
        """B at the opening of business day k."""
        return self.cum_start[self.day_first[k]]

    def day_open(self, k: int) -> int:
        return self.starts[self.day_first[k]]

    @staticmethod
    def least(a: int, b: int) -> int:
        return a if a < b else b

    def wall_time(self, k: int, at: time) -> int:
        """Local wall time `at` on business day k."""
        return _to_us(datetime.combine(date.fromordinal(self.day_ordinal[self.day(k)]), at, tzinfo=self.zone))

    @staticmethod
    def choose(condition: bool, then: Callable[[], int], otherwise: int) -> int:
        return then() if condition else otherwise

    def arrays(self) -> dict[str, np.ndarray]:
        if self._np is None:
            day_first = np.asarray(self.day_first, dtype=np.int64)
            day_last = np.asarray(self.day_last, dtype=np.int64)
            cum_start = np.asarray(self.cum_start, dtype=np.int64) // _US
            cum_end = np.asarray(self.cum_end, dtype=np.int64) // _US
            self._np = {
                "starts": np.asarray(self.starts, dtype=np.int64) // _US,
                "ends": np.asarray(self.ends, dtype=np.int64) // _US,
                "cum_start": cum_start,
                "cum_end": cum_end,
                "span_day": np.asarray(self.span_day, dtype=np.int64),
                "day_close": np.asarray(self.ends, dtype=np.int64)[day_last] // _US,
                "day_length": cum_end[day_last] - cum_start[day_first],
                "day_begin": cum_start[day_first],
                "day_open": np.asarray(self.starts, dtype=np.int64)[day_first] // _US,
            }
        return self._np


class BusinessCalendar:
    """A time zone, weekly working hours in local wall-clock time and closed dates (B1).

    weekly_hours maps a weekday (0 = Monday) to its opening spans [(start, end), ...]; an end of
    00:00 means midnight at the end of the day. closed_dates is an iterable of dates, or a mapping
    of date to a reason (a holiday's name), shown in explanations.
    """

    def __init__(
        self,
        tz: str,
        weekly_hours: Mapping[int, Iterable[Span]] | None = None,
        closed_dates: Iterable[date] | Mapping[date, str] = (),
        always_open: bool = False,
    ) -> None:
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.always_open = always_open
        hours = DEFAULT_WEEKLY_HOURS if weekly_hours is None else weekly_hours
        if set(hours) - set(range(7)):
            raise ValueError("Weekdays are 0 (Monday) to 6 (Sunday).")
        self.weekly_hours: tuple[tuple[Span, ...], ...] = tuple(
            self._validated_spans(wd, hours.get(wd, ())) for wd in range(7)
        )
        if isinstance(closed_dates, Mapping):
            self.closure_reasons: dict[date, str] = {d: str(r) for d, r in closed_dates.items()}
        else:
            self.closure_reasons = {d: "" for d in closed_dates}
        self._closed = frozenset(self.closure_reasons)
        for d in self._closed:
            if not isinstance(d, date) or isinstance(d, datetime):
                raise ValueError(f"Closed dates must be dates, got {d!r}.")
        if not always_open and not any(self.weekly_hours):
            raise ValueError("A calendar that is not always open needs at least one opening span.")
        self._table: _Table | None = None

    @staticmethod
    def _validated_spans(weekday: int, spans: Iterable[Span]) -> tuple[Span, ...]:
        result = sorted((start, end) for start, end in spans)
        previous_end: time | None = None
        for start, end in result:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("Working hours are local wall-clock times without a time zone.")
            if start.microsecond or end.microsecond:
                raise ValueError("Working hours are whole seconds.")
            if end != _MIDNIGHT and end <= start:
                raise ValueError(f"{_WEEKDAY_NAMES[weekday]}: opening {start} must be before closing {end}.")
            if previous_end is not None and (previous_end == _MIDNIGHT or start < previous_end):
                raise ValueError(f"{_WEEKDAY_NAMES[weekday]}: opening spans overlap at {start}.")
            previous_end = end
        return tuple(result)

    def __repr__(self) -> str:
        if self.always_open:
            return f"BusinessCalendar({self.tz!r}, always_open=True)"
        return f"BusinessCalendar({self.tz!r}, {len(self._closed)} closed dates)"

    @property
    def closed_dates(self) -> frozenset[date]:
        return self._closed

    def with_closures(self, extra: Iterable[date] | Mapping[date, str]) -> BusinessCalendar:
        """A copy with more closed dates (a closure added, B5)."""
        reasons = dict(self.closure_reasons)
        reasons.update(extra if isinstance(extra, Mapping) else {d: "" for d in extra})
        hours = {wd: list(spans) for wd, spans in enumerate(self.weekly_hours)}
        return BusinessCalendar(self.tz, hours, reasons, self.always_open)

    # -- internals ------------------------------------------------------------------------------

    def _local_us(self, day: date, at: time) -> int:
        return _to_us(datetime.combine(day, at, tzinfo=self.zone))

    def _out(self, us: int) -> datetime:
        if us % _US:
            seconds, micro = divmod(us, _US)
            return datetime.fromtimestamp(seconds, self.zone).replace(microsecond=micro)
        return datetime.fromtimestamp(us // _US, self.zone)

    def _tab(self) -> _Table:
        tab = self._table
        if tab is None:
            year = datetime.now(self.zone).year
            tab = self._table = _Table(self, year - 1, year + 2)
        return tab

    def _keep(self, tab: _Table) -> None:
        """Keep `tab` for the next question, unless it is wider than KEPT_YEARS_MAX (then it
        answered one question and is dropped): what a calendar holds stays bounded."""
        if tab is not self._table and tab.last - tab.first + 1 <= KEPT_YEARS_MAX:
            self._table = tab

    def _run(self, op, *args):
        """Run op(table, *args), growing the table by whole years until it reaches far enough. The
        first step away from the kept table may start afresh near the instant asked about (see
        _grow); the op is re-run from scratch on each new table, so it never mixes two."""
        tab = kept = self._tab()
        while True:
            try:
                result = op(tab, *args)
            except _NeedMore as need:
                tab = self._grow(tab, need.forward, need.near, fresh=tab is kept)
                continue
            self._keep(tab)
            return result

    def _grow(self, tab: _Table, forward: bool, near: int | None = None, fresh: bool = False) -> _Table:
        """A wider table: to the year of `near` if given, else twice as wide, at least a year more;
        never beyond the window (OutsideWindow). With `fresh`, when reaching `near` would make the
        table wider than KEPT_YEARS_MAX, a new four-year table around `near` instead: one question
        about 2099 costs four years of spans, not the eighty between."""
        first, last = tab.first, tab.last
        width = last - first + 1
        year = None
        if near is not None:
            year = _year_of(near)
            if fresh and max(last, year + 1) - min(first, year - 1) + 1 > KEPT_YEARS_MAX:
                return _Table(self, max(year - 1, _TABLE_FIRST), min(year + 2, _TABLE_LAST))
        if forward:
            last = year + 1 if year is not None and year >= last else last + width
        else:
            first = year - 1 if year is not None and year <= first else first - width
        first, last = max(first, _TABLE_FIRST), min(last, _TABLE_LAST)
        if (first, last) == (tab.first, tab.last):
            raise OutsideWindow(
                f"The answer lies outside {WINDOW_FIRST_YEAR}–{WINDOW_LAST_YEAR}, the years the engine"
                " covers."
            )
        return _Table(self, first, last)

    def _covered(self, lo_us: int, hi_us: int) -> _Table:
        """A table reaching from before lo_us to past hi_us (for the bulk paths): the kept one if it
        does, else the kept one widened, else (wider than KEPT_YEARS_MAX) just lo_us..hi_us."""
        first, last = _year_of(lo_us) - 1, _year_of(hi_us) + 1  # OutsideWindow beyond the window
        tab = self._tab()
        if tab.lo <= lo_us and tab.hi > hi_us:
            return tab
        if max(last, tab.last) - min(first, tab.first) + 1 <= KEPT_YEARS_MAX:
            first, last = min(first, tab.first), max(last, tab.last)
        tab = _Table(self, max(first, _TABLE_FIRST), min(last, _TABLE_LAST))
        self._keep(tab)
        return tab

    # -- operations (B2) ---------------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        if self.always_open:
            _to_us(t)
            return True
        return self._run(lambda tab, u: tab.locate(u)[1], _to_us(t))

    def next_opening(self, t: datetime) -> datetime:
        """t itself (in the calendar's zone) if open, else the next opening."""
        if self.always_open:
            return self._out(_to_us(t))

        def op(tab: _Table, u: int) -> int:
            j, is_open = tab.locate(u)
            return u if is_open else tab.starts[j]

        return self._out(self._run(op, _to_us(t)))

    def add_business_time(self, t: datetime, delta: timedelta) -> datetime:
        """t + delta of business time. Landing exactly on a closing gives that closing instant; a
        negative delta counts backwards and lands on an opening rather than the previous closing."""
        u = _to_us(t)
        d = (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds
        if self.always_open or d == 0:
            return self._out(u + d if self.always_open else u)
        tab = self._table
        if tab is not None and d > 0:
            try:
                return self._out(_add(tab, u, d))
            except _NeedMore:
                pass
        return self._out(self._run(_add, u, d))

    @property
    def add_business_seconds(self) -> Callable[[int, int], int]:
        """add_business_seconds(at, seconds): add_business_time on integer epoch seconds, in and
        out. The engine's native form (what the database's EXTRACT(EPOCH) and the bulk path hold),
        without the cost of datetime conversion, which is most of a datetime call; the scalar twin
        of add_business_seconds_bulk. A property returning the adder of the current span table, so
        a loop can hold it (`add = calendar.add_business_seconds`) and pay for no method lookup."""
        if self.always_open:
            return _elapsed
        return self._tab().add_seconds

    def _add_seconds_general(self, at: int, seconds: int) -> int:
        if self.always_open or not seconds:
            return at + seconds if self.always_open else at
        return self._run(_add, at * _US, seconds * _US) // _US

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from a to b (negative when b is before a)."""
        ua, ub = _to_us(a), _to_us(b)
        if self.always_open:
            return timedelta(microseconds=ub - ua)
        return timedelta(microseconds=self._run(lambda tab, x, y: tab.offset(y) - tab.offset(x), ua, ub))

    def day_close(self, t: datetime) -> datetime:
        """The closing instant of the business day containing t, or of the next to open when t is
        closed. On a 24x7 calendar a business day is a local calendar day, closing at midnight."""
        u = _to_us(t)
        if self.always_open:
            local = self._out(u).date() + timedelta(days=1)
            return self._out(self._local_us(local, _MIDNIGHT))

        return self._out(self._run(lambda tab, x: tab.day_close(tab.day_of(x)), u))

    def business_day_length(self, t: datetime) -> timedelta:
        """Business time in the business day containing t (or the next to open), what P4 counts as
        one business day (B3). On a 24x7 calendar, 24 hours."""
        if self.always_open:
            _to_us(t)
            return timedelta(days=1)
        return timedelta(microseconds=self._run(lambda tab, x: tab.day_length(tab.day_of(x)), _to_us(t)))

    def next_business_day_at(self, t: datetime, at: time) -> datetime:
        """Local wall time `at` on the next business day after t's business day (the one containing
        t, or the next to open when t is closed), where B3's fallback puts a P3 target."""
        u = _to_us(t)
        if self.always_open:
            return self._out(self._local_us(self._out(u).date() + timedelta(days=1), at))
        return self._out(self._run(lambda tab, x: tab.wall_time(tab.day_of(x) + 1, at), u))

    def add_business_days(self, t: datetime, n: int) -> datetime:
        """n business days after t (B7 working-day deadlines), keeping the business time already
        elapsed in the start day: Mon 11:00 + 1 = Tue 11:00. From an opening instant (or a closed
        one) the result is the closing of the n-th business day: Mon 09:00 + 1 = Mon 17:00, the
        same instant in business time as Tue 09:00. If the target day is shorter than the elapsed
        part, the result is that day's closing. 24x7: n × 24 hours elapsed."""
        u = _to_us(t)
        if self.always_open or n == 0:
            return self._out(u + n * 86_400 * _US if self.always_open else u)
        return self._out(self._run(_working_days_steps, u, n))

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (C6, D3, E2, H2: RCA due dates, change levels, notice
        periods, order acceptance): `day` itself never counts, and dates without opening hours
        (weekends) or closed are skipped; n = 0 is `day` itself. A working day is a business day of
        the span table, the same days P4 and B3's "next business day" count, found by bisection:
        the cost does not grow with n beyond building the table's years. 24x7: every day works."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"A date is required, got {day!r}.")
        if n < 0:
            raise ValueError("A number of working days cannot be negative.")
        midnight = self._local_us(day, _MIDNIGHT)
        _year_of(midnight)  # OutsideWindow for a day outside the window
        if self.always_open or n == 0:
            _year_of(midnight + n * 86_400 * _US)
            result = day + timedelta(days=n)
        else:
            result = date.fromordinal(self._run(_working_day_after, day.toordinal(), midnight, n))
        if not WINDOW_FIRST_YEAR <= result.year <= WINDOW_LAST_YEAR:
            raise OutsideWindow(
                f"The answer lies outside {WINDOW_FIRST_YEAR}–{WINDOW_LAST_YEAR}, the years the engine"
                " covers."
            )
        return result

    def closed_periods(self, a: datetime, b: datetime, limit: int = 20) -> list[ClosedPeriod]:
        """The closed periods within [a, b), with their reasons (for explanations), at most `limit`."""
        ua, ub = _to_us(a), _to_us(b)
        if self.always_open or ub <= ua:
            return []
        raw = self._run(_gaps, ua, ub, limit)
        return [ClosedPeriod(self._out(s), self._out(e), self._gap_reason(d0, d1)) for s, e, d0, d1 in raw]

    def _gap_reason(self, before: int | None, after: int) -> str:
        """Why a gap is closed: the whole dates between the business days either side of it."""
        if before is None or after - before <= 1:
            return "outside business hours"
        parts = ["outside business hours"]
        for ordinal in range(before + 1, after):
            day = date.fromordinal(ordinal)
            label = humanize.day(day)
            if day in self._closed:
                reason = self.closure_reasons.get(day) or "closed"
                parts.append(f"{label} {reason}")
            elif not self.weekly_hours[day.weekday()]:
                parts.append(f"{label} {'weekend' if day.weekday() >= 5 else 'not a working day'}")
            if len(parts) > 15:
                parts.append("…")
                break
        return "; ".join(parts)


def _elapsed(at: int, seconds: int) -> int:
    return at + seconds


def _add(tab: _Table, u: int, d: int) -> int:
    """u + d business microseconds (d != 0): tab.at_offset(tab.offset(u) + d), inlined because it is
    the hot path of every target."""
    if d < 0:
        return tab.at_offset(tab.offset(u) + d, earliest=False)
    if u < tab.lo or u >= tab.hi:
        raise _NeedMore(u >= tab.hi, u)
    starts, off, cum, bucket = tab.f_starts, tab.f_off, tab.f_cum, tab.bucket
    i = tab.at_bucket[(u - tab.lo) // bucket]
    while starts[i + 1] <= u:
        i += 1
    b = u + off[i]
    if b > cum[i]:
        b = cum[i]
    b += d
    if b > tab.total:
        raise _NeedMore(True)
    j = tab.offset_bucket[b // bucket]
    while cum[j] < b:
        j += 1
    return b - off[j]


def _working_days_steps(tab: _Table | _Arrays, t, n: int):
    """The B7 working-day rule, "n business days after t", written once: the scalar
    add_business_days and the bulk recomputation (add_business_days_bulk) are both this function,
    on a span table for one instant or on _Arrays for many (the vocabulary of _response_steps).

    s = t if open, else the next opening; k its business day. The business time already elapsed
    in day k is kept: Mon 11:00 + 1 = Tue 11:00, and a target day shorter than that elapsed part
    gives its closing. With nothing elapsed (s is day k's opening) the result is the closing of the
    n-th business day counted from k (Mon 09:00 + 1 = Mon 17:00, the same instant in business time
    as Tue 09:00); counting back (n < 0), the opening of day k + n."""
    s, j = tab.clock_start(t)
    k = tab.span_day[j]
    elapsed = tab.offset_at(s, j) - tab.day_begin(k)
    target = tab.day(k + n)
    nothing_elapsed = tab.day_close(tab.day(k + n - 1)) if n > 0 else tab.day_open(target)
    return tab.choose(
        elapsed > 0,
        lambda: tab.at_offset(tab.day_begin(target) + tab.least(elapsed, tab.day_length(target))),
        nothing_elapsed,
    )


def _working_day_after(tab: _Table, ordinal: int, midnight: int, n: int) -> int:
    """The ordinal of the n-th (n >= 1) business day after date `ordinal`, whose local midnight is
    `midnight` (microseconds)."""
    if midnight < tab.lo:
        raise _NeedMore(False, midnight)
    if midnight >= tab.hi:
        raise _NeedMore(True, midnight)
    days = tab.day_ordinal
    k = bisect.bisect_right(days, ordinal) + n - 1
    if k >= len(days):
        # Grow to about where the answer lies, at this table's density of business days.
        dates_per_day = (tab.hi - tab.lo) / (86_400 * _US) / max(len(days), 1)
        raise _NeedMore(True, tab.hi + (round((k - len(days) + 1) * dates_per_day) + 8) * 86_400 * _US)
    return days[k]


def _gaps(tab: _Table, ua: int, ub: int, limit: int) -> list[tuple[int, int, int | None, int]]:
    """Closed intervals within [ua, ub) as (start, end, ordinal before, ordinal after)."""
    out: list[tuple[int, int, int | None, int]] = []
    j, is_open = tab.locate(ua)
    if not is_open:
        before = tab.day_ordinal[tab.span_day[j - 1]] if j > 0 else None
        out.append((ua, min(tab.starts[j], ub), before, tab.day_ordinal[tab.span_day[j]]))
    while len(out) < limit:
        end = tab.ends[j]
        if end >= ub:
            break
        if j + 1 >= len(tab.starts):
            raise _NeedMore(True)
        if tab.starts[j + 1] > end:
            days = tab.day_ordinal[tab.span_day[j]], tab.day_ordinal[tab.span_day[j + 1]]
            out.append((end, min(tab.starts[j + 1], ub), *days))
        j += 1
    return out


# -- factories (B1) ------------------------------------------------------------------------------------


def public_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> dict[date, str]:
    """Public holidays from the `holidays` package as closed dates with their names (B1)."""
    import holidays

    return dict(holidays.country_holidays(country, subdiv=subdivision or None, years=list(years)).items())


def uk_calendar(
    years: Iterable[int] = range(2020, 2041),
    extra_closures: Iterable[date] | Mapping[date, str] = (),
) -> BusinessCalendar:
    """Europe/London, Monday–Friday 09:00–17:00, closed on the bank holidays of England and Wales
    (for `years`; dates outside them have no holidays) and on `extra_closures`."""
    closed = public_holidays("GB", "ENG", years)
    if not isinstance(extra_closures, Mapping):
        extra_closures = {d: "closed" for d in extra_closures}
    closed.update(extra_closures)
    return BusinessCalendar("Europe/London", DEFAULT_WEEKLY_HOURS, closed)


def always_open_calendar(tz: str = "UTC") -> BusinessCalendar:
    """24x7: plain elapsed time (P1, P2)."""
    return BusinessCalendar(tz, {}, (), always_open=True)


# -- response targets (B3) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedPeriod:
    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class TargetExplanation:
    """Why a target is what it is, for the incident page."""

    logged_at: datetime
    clock_start: datetime
    started_at_next_opening: bool
    business_time: timedelta
    clock_end: datetime
    day_close: datetime | None
    fallback: time | None
    fallback_applied: bool
    closed_periods: tuple[ClosedPeriod, ...]
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ResponseTarget:
    due: datetime
    explanation: TargetExplanation


def _check_rule(hours: float | None, business_days: int | None) -> None:
    if (hours is None) == (business_days is None):
        raise ValueError("Give exactly one of hours or business_days.")
    if hours is not None and hours < 0 or business_days is not None and business_days < 0:
        raise ValueError("A response time cannot be negative.")


class ResponseSteps(NamedTuple):
    """The quantities of the B3 rule for one clock (or, on the bulk path, arrays of them), in the
    unit of the table they were found on: microseconds for one instant, epoch seconds for arrays."""

    start: Any  # s: the logged time if the calendar is open then, else the next opening
    day: Any  # k: s's business day (an index into the span table)
    close: Any  # the closing of s's business day
    day_length: Any  # P4 only (else None): the business time in s's business day
    amount: Any  # the business time the rule adds: N hours, or N × day_length (P4)
    completion: Any  # c = s + amount of business time
    fallback_applied: Any  # c is after close and the rule has a fallback time
    due: Any  # the target: c, or the fallback time on the next business day


def _response_steps(
    tab: _Table | _Arrays, t, hours: float | None, fallback: time | None, business_days: int | None
) -> ResponseSteps:
    """The B3 response-target rule, written once. The scalar target (response_due), the
    explanation (response_target) and the bulk recomputation (response_due_bulk) are all this
    function: on a span table for one instant, or on _Arrays (the same vocabulary over NumPy arrays
    of epoch seconds) for many.

    s = t if the calendar is open then, else the next opening; c = s + N business hours. If c is at
    or before the closing of s's business day the target is c; else the fallback (a local wall
    time) on the next business day: P3's initial response "1 business hour, or by 10:00 on the
    next business day", its considered response "4 hours, or by 12:00" (the numbers are rows of
    the SLA table in sla, the rule is here). Without a fallback, c.
    With `business_days` (P4), one business day is the length of s's business day, so Mon 11:00 is
    due Tue 11:00 and Mon 09:00 is due Mon 17:00 (an addition landing on a closing is that
    closing). 24x7 calendars do not come here: their targets are plain elapsed time (_elapsed_amount).
    """
    s, j = tab.clock_start(t)
    k = tab.span_day[j]
    close = tab.day_close(k)
    if business_days is not None:
        length = tab.day_length(k)
        amount = business_days * length
        c = tab.add_from(s, j, amount)
        return ResponseSteps(s, k, close, length, amount, c, False, c)
    amount = round(hours * 3600 * tab.unit)
    c = tab.add_from(s, j, amount)
    if fallback is None:
        return ResponseSteps(s, k, close, None, amount, c, False, c)
    past_close = c > close
    due = tab.choose(past_close, lambda: tab.wall_time(k + 1, fallback), c)
    return ResponseSteps(s, k, close, None, amount, c, past_close, due)


def _elapsed_amount(hours: float | None, business_days: int | None, unit: int) -> int:
    """On a 24x7 calendar (P1, P2) a target is plain elapsed time; a business day is 24 hours."""
    return business_days * 86_400 * unit if business_days is not None else round(hours * 3600 * unit)


def response_due(
    calendar: BusinessCalendar,
    logged_at: datetime,
    *,
    hours: float | None = None,
    fallback: time | None = None,
    business_days: int | None = None,
) -> datetime:
    """The B3 target, fast (no explanation): _response_steps' due."""
    _check_rule(hours, business_days)
    u = _to_us(logged_at)
    if calendar.always_open:
        return calendar._out(u + _elapsed_amount(hours, business_days, _US))
    return calendar._out(calendar._run(_response_steps, u, hours, fallback, business_days).due)


def response_target(
    calendar: BusinessCalendar,
    logged_at: datetime,
    *,
    hours: float | None = None,
    fallback: time | None = None,
    business_days: int | None = None,
    display_zone: tzinfo | None = None,
) -> ResponseTarget:
    """A response target by the B3 rule (_response_steps), with its explanation: the rule's steps
    told in words, and the closed periods between the logged time and the target. Instants in the
    explanation are written in `display_zone` (the provider's, on pages) or else the calendar's."""
    _check_rule(hours, business_days)
    u = _to_us(logged_at)
    lines = []

    def _fmt(t: datetime) -> str:
        return _fmt_zone(t, display_zone)

    if calendar.always_open:
        logged = calendar._out(u)
        amount = timedelta(microseconds=_elapsed_amount(hours, business_days, _US))
        due = calendar._out(u + _elapsed_amount(hours, business_days, _US))
        lines.append(f"Logged {_fmt(logged)} on an always-open (24x7) calendar: elapsed time counts.")
        lines.append(f"{humanize.duration(amount)} after logging: due {_fmt(due)}.")
        return ResponseTarget(
            due, TargetExplanation(logged, logged, False, amount, due, None, None, False, (), tuple(lines))
        )
    steps = calendar._run(_response_steps, u, hours, fallback, business_days)
    logged = calendar._out(u)
    # Instants are compared as microseconds: datetimes of one zone compare by wall clock, which is
    # wrong across a DST fold.
    s, c, close, due = (calendar._out(x) for x in (steps.start, steps.completion, steps.close, steps.due))
    amount = timedelta(microseconds=steps.amount)
    late = steps.start != u
    if late:
        lines.append(f"Logged {_fmt(logged)} while closed: the clock starts at the next opening, {_fmt(s)}.")
    else:
        lines.append(f"Logged {_fmt(logged)} during business hours: the clock starts at once.")
    if business_days is not None:
        length = timedelta(microseconds=steps.day_length)
        count = "one business day" if business_days == 1 else f"{business_days} business days"
        lines.append(f"{count.capitalize()} = {_fmt_duration(amount)} (the business day of"
                     f" {humanize.day(s.date())} is {humanize.duration(length)} long).")
        lines.append(f"{_fmt_duration(amount)} from the clock start: due {_fmt(due)}.")
    elif steps.fallback_applied:
        lines.append(f"{_fmt_duration(amount)} from the clock start is {_fmt(c)}, after that business day"
                     f" closes ({_fmt(close)}).")
        lines.append(f"So the target is {fallback:%H:%M} on the next business day: due {_fmt(due)}.")
    else:
        within = steps.completion <= steps.close
        lines.append(f"{_fmt_duration(amount)} from the clock start is {_fmt(c)}"
                     + (f", within that business day (it closes {_fmt(close)})." if within else "."))
        lines.append(f"Due {_fmt(due)}.")
    periods = tuple(calendar.closed_periods(logged, calendar._out(max(steps.due, steps.completion))))
    if periods:
        listed = "; ".join(f"{_fmt(p.start)} to {_fmt(p.end)} ({p.reason})" for p in periods)
        lines.insert(len(lines) - 1, f"Closed time not counted: {listed}.")
    return ResponseTarget(
        due,
        TargetExplanation(logged, s, late, amount, c, close, fallback if business_days is None else None,
                          bool(steps.fallback_applied), periods, tuple(lines)),
    )


# -- vectorised paths (B5 bulk recalculation) ----------------------------------------------------------


def add_business_seconds_bulk(calendar: BusinessCalendar, starts, seconds) -> np.ndarray:
    """add_business_time over arrays: starts (epoch seconds) + seconds of business time, as epoch
    seconds. Identical to the scalar path (exactly so for integer inputs, which give int64; float
    inputs give float64)."""
    t = np.asarray(starts)
    d = np.asarray(seconds)
    t, d = np.broadcast_arrays(t, d)
    integer = np.issubdtype(t.dtype, np.integer) and np.issubdtype(d.dtype, np.integer)
    dtype = np.int64 if integer else np.float64
    t = t.astype(dtype, copy=False)
    d = d.astype(dtype, copy=False)
    if calendar.always_open or t.size == 0:
        return t + d
    lo, hi = int(np.floor(t.min())), int(np.ceil(t.max()))
    while True:
        tab = calendar._covered(lo * _US, hi * _US)
        a = tab.arrays()
        st, en, cs, ce = a["starts"], a["ends"], a["cum_start"], a["cum_end"]
        i = np.searchsorted(st, t, side="right") - 1
        if (i < 0).any():
            lo -= 366 * 86_400
            continue
        inside = t < en[i]
        offset = np.where(inside, cs[i] + (t - st[i]), ce[i])
        target = offset + d
        if target.max(initial=0) > ce[-1]:
            hi = _grow_hint(calendar, tab, True)
            continue
        if (target[d < 0] < 0).any():
            lo = _grow_hint(calendar, tab, False)
            continue
        forward = np.searchsorted(ce, target, side="left")
        backward = np.searchsorted(cs, target, side="right") - 1
        j = np.where(d > 0, np.minimum(forward, len(st) - 1), np.maximum(backward, 0))
        result = st[j] + (target - cs[j])
        return np.where(d == 0, t, result).astype(dtype, copy=False)


def business_seconds_between_bulk(calendar: BusinessCalendar, starts, ends) -> np.ndarray:
    """business_time_between over arrays of epoch seconds: the business seconds from each start to
    its end (negative when the end is earlier), as int64. Recomputation measures each target's
    length with it, to place its warning (B6)."""
    a, b = np.broadcast_arrays(np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))
    if calendar.always_open or a.size == 0:
        return b - a
    both = np.concatenate([a.ravel(), b.ravel()])
    tab = calendar._covered(int(both.min()) * _US, (int(both.max()) + 1) * _US)
    arrays = tab.arrays()
    st, en, cs, ce = arrays["starts"], arrays["ends"], arrays["cum_start"], arrays["cum_end"]
    i = np.searchsorted(st, both, side="right") - 1
    before_first = i < 0
    i = np.maximum(i, 0)
    offsets = np.where(before_first, 0, np.where(both < en[i], cs[i] + (both - st[i]), ce[i]))
    return (offsets[a.size :] - offsets[: a.size]).reshape(a.shape)


def _grow_hint(calendar: BusinessCalendar, tab: _Table, forward: bool) -> int:
    """An instant (epoch seconds) just beyond the table's edge, so _covered grows it one step."""
    return (tab.hi // _US + 1) if forward else (tab.lo // _US - 1)


class _Arrays:
    """A span table's B3 vocabulary (clock_start, day_close, day_length, add_from, wall_time,
    choose; see _Table) over NumPy arrays of epoch seconds, so that _response_steps runs unchanged
    on every open target of a calendar at once. Raises _NeedMore where the table does not reach."""

    unit = 1

    def __init__(self, calendar: BusinessCalendar, tab: _Table) -> None:
        a = tab.arrays()
        self.calendar, self.tab = calendar, tab
        self.starts, self.ends = a["starts"], a["ends"]
        self.cum_start, self.cum_end = a["cum_start"], a["cum_end"]
        self.span_day, self._close, self._length = a["span_day"], a["day_close"], a["day_length"]
        self._begin, self._open = a["day_begin"], a["day_open"]

    def clock_start(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        st = self.starts
        i = np.searchsorted(st, t, side="right") - 1
        if (i < 0).any():
            raise _NeedMore(False)
        inside = t < self.ends[i]
        j = np.where(inside, i, i + 1)
        if j.max() >= len(st):
            raise _NeedMore(True)
        return np.where(inside, t, st[j]), j

    def day(self, k: np.ndarray) -> np.ndarray:
        if k.min() < 0:
            raise _NeedMore(False)
        if k.max() >= len(self._close):
            raise _NeedMore(True)
        return k

    def day_close(self, k: np.ndarray) -> np.ndarray:
        return self._close[k]

    def day_length(self, k: np.ndarray) -> np.ndarray:
        return self._length[k]

    def day_begin(self, k: np.ndarray) -> np.ndarray:
        return self._begin[k]

    def day_open(self, k: np.ndarray) -> np.ndarray:
        return self._open[k]

    def offset_at(self, s: np.ndarray, j: np.ndarray) -> np.ndarray:
        return self.cum_start[j] + (s - self.starts[j])

    def at_offset(self, target: np.ndarray) -> np.ndarray:
        """The earliest instant of business offset `target` (> 0): a closing when it lands on one."""
        if target.max() > self.cum_end[-1]:
            raise _NeedMore(True)
        j = np.minimum(np.searchsorted(self.cum_end, target, side="left"), len(self.starts) - 1)
        return self.starts[j] + (target - self.cum_start[j])

    least = staticmethod(np.minimum)

    def add_from(self, s: np.ndarray, j: np.ndarray, amount) -> np.ndarray:
        return np.where(amount > 0, self.at_offset(self.offset_at(s, j) + amount), s)

    def wall_time(self, k: np.ndarray, at: time) -> np.ndarray:
        if k.max() >= len(self.tab.day_first):
            raise _NeedMore(True)
        return _fallback_array(self.calendar, self.tab, at)[k]

    @staticmethod
    def choose(condition: np.ndarray, then: Callable[[], np.ndarray], otherwise: np.ndarray) -> np.ndarray:
        return np.where(condition, then(), otherwise) if condition.any() else otherwise


def response_due_bulk(
    calendar: BusinessCalendar,
    logged_at,
    *,
    hours: float | None = None,
    fallback: time | None = None,
    business_days: int | None = None,
) -> np.ndarray:
    """response_due over an array of logged-at instants (integer epoch seconds), as int64 epoch
    seconds: recomputing every open target of a calendar at once (B5). The same B3 rule,
    _response_steps, on _Arrays."""
    _check_rule(hours, business_days)
    t = np.asarray(logged_at).astype(np.int64)
    if calendar.always_open:
        return t + _elapsed_amount(hours, business_days, 1)
    return _on_arrays(calendar, t, _response_steps, hours, fallback, business_days, part="due")


def add_business_days_bulk(calendar: BusinessCalendar, starts, n: int) -> np.ndarray:
    """add_business_days over an array of instants (integer epoch seconds) and one n, as int64
    epoch seconds: recomputing every running working-day deadline (B7) of a calendar at once (B5).
    The same rule, _working_days_steps, on _Arrays."""
    t = np.asarray(starts).astype(np.int64)
    if calendar.always_open or n == 0:
        return t + n * 86_400 if calendar.always_open else t
    return _on_arrays(calendar, t, _working_days_steps, n)


def _on_arrays(calendar: BusinessCalendar, t: np.ndarray, rule, *args, part: str | None = None) -> np.ndarray:
    """rule(_Arrays, t, *args) (its `part`, if given) on a span table covering t, grown one step
    at a time while the rule reaches beyond it."""
    if t.size == 0:
        return t
    lo, hi = int(t.min()), int(t.max())
    while True:
        tab = calendar._covered(lo * _US, hi * _US)
        try:
            result = rule(_Arrays(calendar, tab), t, *args)
        except _NeedMore as need:
            if need.forward:
                hi = _grow_hint(calendar, tab, True)
            else:
                lo = _grow_hint(calendar, tab, False)
            continue
        return getattr(result, part) if part else result


def _fallback_array(calendar: BusinessCalendar, tab: _Table, at: time) -> np.ndarray:
    """Local wall time `at` on every business day of the table, as epoch seconds (cached)."""
    cached = tab._fallbacks.get(at)
    if cached is None:
        cached = np.asarray(
            [calendar._local_us(date.fromordinal(o), at) // _US for o in tab.day_ordinal], dtype=np.int64
        )
        tab._fallbacks[at] = cached
    return cached
