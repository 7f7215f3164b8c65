"""Database expressions the SLA report aggregates with, giving the same figures on PostgreSQL and
SQLite.

`SecondsBetween` is the whole seconds from one instant to another: each instant is cut to its
second first on both databases, so the differences (and their sums, means and percentiles) agree
exactly. `Percentile` is PostgreSQL's `percentile_cont` (linear interpolation between the two
nearest ranks). SQLite has no such aggregate, so `percentile_stream` computes the same number from
the values streamed in order, group after group, keeping two values at a time: bounded memory,
however many rows a group has.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping

from django.db import NotSupportedError
from django.db.models import Aggregate, FloatField, Func, IntegerField


class SecondsBetween(Func):
    """Whole seconds from `start` to `end`: SecondsBetween(end, start); NULL when either is."""

    output_field = IntegerField()
    arity = 2

    def _compile(self, compiler, template: str):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return f"({template.format(end_sql)} - {template.format(start_sql)})", [*end_params, *start_params]

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(
            f"SecondsBetween is written for PostgreSQL and SQLite, not {connection.vendor}."
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._compile(compiler, "EXTRACT(EPOCH FROM date_trunc('second', {}))::bigint")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._compile(compiler, "CAST(strftime('%%s', {}) AS INTEGER)")


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile of the non-NULL values of a group."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction is between 0 and 1.")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile_stream(
    rows: Iterable[tuple[Hashable, float]], counts: Mapping[Hashable, int], fraction: float
) -> dict[Hashable, float]:
    """`percentile_cont(fraction)` of each group from `rows` of (group, value) ordered by group
    and then value, given each group's number of values: the value at rank fraction × (n − 1),
    interpolated between its two neighbours exactly as PostgreSQL does (lo + (hi − lo) × t)."""
    result: dict[Hashable, float] = {}
    current: Hashable = object()
    index = first = 0
    share = 0.0
    low = 0.0
    for group, value in rows:
        if group != current:
            current, index = group, 0
            position = fraction * (counts[group] - 1)
            first = math.floor(position)
            share = position - first
        if index == first:
            low = float(value)
            if share == 0:
                result[group] = low
        elif index == first + 1 and share:
            result[group] = low + (float(value) - low) * share
        index += 1
    return result
