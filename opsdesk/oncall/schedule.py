"""Rota maths (issue 9 item 1), plain Python with no Django: who is on call when, the gaps when
nobody is, and overrides that overlap.

Hand-overs are wall-clock times in the rota's zone: shift k starts on `starts_on + k × period`
days at `handover_time`, localised then (so a weekly hand-over at 09:00 stays at 09:00 across a
DST change, and that shift is an hour shorter or longer); never start + k × 86,400 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

#: How far ahead the rota page looks for gaps and overlaps.
HORIZON = dt.timedelta(days=28)
#: At most this many shifts are listed or put in a feed, whatever window is asked for.
MAX_SHIFTS = 2_000


@dataclass(frozen=True)
class Pattern:
    """What the maths needs of a rota."""

    zone: ZoneInfo
    starts_on: dt.date
    ends_on: dt.date | None
    handover_time: dt.time
    period_days: int
    participants: Sequence[int]
    #: Participants who may be paged (active users); a turn of anyone else is a gap.
    available: frozenset[int] | None = None


@dataclass(frozen=True)
class OverrideSpan:
    user_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    override_id: int | None = None


@dataclass(frozen=True)
class Shift:
    user_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    override_id: int | None = None

    @property
    def is_override(self) -> bool:
        return self.override_id is not None


@dataclass(frozen=True)
class Span:
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Schedule:
    shifts: list[Shift]
    gaps: list[Span]
    overlaps: list[tuple[OverrideSpan, OverrideSpan]]


def handover_at(p: Pattern, k: int) -> dt.datetime:
    """The start of shift k, an aware UTC instant (a wall-clock time skipped by DST is read with
    the offset before the change, as zoneinfo does)."""
    day = p.starts_on + dt.timedelta(days=k * p.period_days)
    return dt.datetime.combine(day, p.handover_time, tzinfo=p.zone).astimezone(dt.UTC)


def period_start(p: Pattern) -> dt.datetime:
    return handover_at(p, 0)


def period_end(p: Pattern) -> dt.datetime | None:
    """The rota runs to the hand-over time of the day after `ends_on`."""
    if p.ends_on is None:
        return None
    day = p.ends_on + dt.timedelta(days=1)
    return dt.datetime.combine(day, p.handover_time, tzinfo=p.zone).astimezone(dt.UTC)


def shift_index(p: Pattern, at: dt.datetime) -> int:
    """The k whose shift contains `at` (negative before the rota starts): from the local date, then
    corrected by at most one step for the hours around a hand-over."""
    local = at.astimezone(p.zone).date()
    k = (local - p.starts_on).days // p.period_days
    if at < handover_at(p, k):
        k -= 1
    elif at >= handover_at(p, k + 1):
        k += 1
    return k


def _base(p: Pattern, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The rota's own turns inside [start, end), clipped to its period; none without participants."""
    if not p.participants:
        return []
    lo = max(start, period_start(p))
    stop = period_end(p)
    hi = min(end, stop) if stop is not None else end
    shifts: list[Shift] = []
    if lo >= hi:
        return shifts
    k = shift_index(p, lo)
    while len(shifts) < MAX_SHIFTS:
        s, e = handover_at(p, k), handover_at(p, k + 1)
        if s >= hi:
            break
        user = p.participants[k % len(p.participants)]
        if p.available is None or user in p.available:
            shifts.append(Shift(user, max(s, lo), min(e, hi)))
        k += 1
    return shifts


def _subtract(shift: Shift, spans: Iterable[OverrideSpan]) -> list[Shift]:
    pieces = [shift]
    for o in spans:
        nxt = []
        for piece in pieces:
            if o.ends_at <= piece.starts_at or o.starts_at >= piece.ends_at:
                nxt.append(piece)
                continue
            if piece.starts_at < o.starts_at:
                nxt.append(Shift(piece.user_id, piece.starts_at, o.starts_at, piece.override_id))
            if o.ends_at < piece.ends_at:
                nxt.append(Shift(piece.user_id, o.ends_at, piece.ends_at, piece.override_id))
        pieces = nxt
    return pieces


def overlapping(overrides: Sequence[OverrideSpan]) -> list[tuple[OverrideSpan, OverrideSpan]]:
    """Pairs of overrides that cover the same time: two people each told they are the one."""
    ordered = sorted(overrides, key=lambda o: (o.starts_at, o.ends_at))
    pairs = []
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.starts_at >= a.ends_at:
                break
            pairs.append((a, b))
    return pairs


def schedule(p: Pattern, overrides: Sequence[OverrideSpan], start: dt.datetime, end: dt.datetime) -> Schedule:
    """Who is on call in [start, end): the rota's turns with overrides laid over them (an override
    wins; where overrides overlap, the one that started first), the gaps nobody covers, and the
    overlapping overrides."""
    window = [o for o in overrides if o.ends_at > start and o.starts_at < end]
    usable = [o for o in window if p.available is None or o.user_id in p.available]
    laid: list[OverrideSpan] = []
    for o in sorted(usable, key=lambda o: (o.starts_at, o.ends_at)):
        # A later overlapping override only fills what the earlier ones leave.
        for piece in _subtract(
            Shift(o.user_id, max(o.starts_at, start), min(o.ends_at, end), o.override_id), laid
        ):
            laid.append(OverrideSpan(piece.user_id, piece.starts_at, piece.ends_at, o.override_id))
    shifts = [piece for s in _base(p, start, end) for piece in _subtract(s, laid)]
    shifts += [Shift(o.user_id, o.starts_at, o.ends_at, o.override_id) for o in laid]
    shifts.sort(key=lambda s: s.starts_at)
    gaps: list[Span] = []
    cursor = start
    for s in shifts:
        if s.starts_at > cursor:
            gaps.append(Span(cursor, s.starts_at))
        cursor = max(cursor, s.ends_at)
    if cursor < end:
        gaps.append(Span(cursor, end))
    return Schedule(shifts=shifts[:MAX_SHIFTS], gaps=gaps, overlaps=overlapping(window))


def now_and_next(
    p: Pattern, overrides: Sequence[OverrideSpan], at: dt.datetime, horizon: dt.timedelta = HORIZON
) -> tuple[Shift | None, Shift | None]:
    """The shift covering `at` (None: a gap), from its real start, and the next one with someone
    else or after a gap, looking `horizon` ahead. Adjacent turns of the same person are one shift."""
    since = min(at, max(handover_at(p, shift_index(p, at)), period_start(p)))
    shifts = _merged(schedule(p, overrides, since, at + horizon).shifts)
    current = next((s for s in shifts if s.starts_at <= at < s.ends_at), None)
    later = [s for s in shifts if s.starts_at > at]
    return current, (later[0] if later else None)


def _merged(shifts: list[Shift]) -> list[Shift]:
    out: list[Shift] = []
    for s in shifts:
        if out and out[-1].user_id == s.user_id and out[-1].ends_at == s.starts_at:
            last = out.pop()
            s = Shift(s.user_id, last.starts_at, s.ends_at, last.override_id or s.override_id)
        out.append(s)
    return out
