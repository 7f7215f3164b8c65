"""Capped counts ("1,000+") that a condition may answer from a cheap subset of its matches.

A list counts exactly up to a cap, then says "more". Some conditions know part of what they match
for nearly nothing (a text search that has just read the first few thousand ids of a common word
from its index), while matching them all again costs a scan of every match. While a capped count
runs, such a condition may compile to that subset instead: the count is then a lower bound, and
if it already passes the cap it is the answer. Only when it falls short is the count run again,
exactly. Correct whatever else the query filters on, since a subset of a condition's matches
under the same other filters can only count fewer rows."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models


@dataclass
class _Counting:
    bounded: bool = False


_counting: ContextVar[_Counting | None] = ContextVar("opsdesk_capped_count", default=None)


def subset_allowed() -> bool:
    """Asked by a condition while its SQL is written: may it stand for a subset of its matches
    here? True only inside the first pass of capped_count, which then knows to check."""
    state = _counting.get()
    if state is None:
        return False
    state.bounded = True
    return True


def capped_count(qs: models.QuerySet, cap: int) -> tuple[int, bool]:
    """(count, exact): the number of rows up to `cap`; past it `cap` and False."""
    state = _Counting()
    token = _counting.set(state)
    try:
        counted = qs.order_by()[: cap + 1].count()
    finally:
        _counting.reset(token)
    if state.bounded and counted <= cap:
        counted = qs.order_by()[: cap + 1].count()
    return min(counted, cap), counted <= cap
