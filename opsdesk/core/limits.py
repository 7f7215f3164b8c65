"""The bounds every input is held to at the edge, so that no request can ask for unbounded work
(a business-time sum over eight thousand years) or a number the database cannot store.

Documented in README › REST API › Limits. Schemas use the annotated types below instead of bare
`datetime` / `int` for anything a client sends.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from opsdesk.core.errors import ValidationFailed

#: Instants accepted from a client: 1970-01-01T00:00:00Z up to, not including, 2101-01-01T00:00:00Z.
INSTANT_MIN = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
INSTANT_MAX = dt.datetime(2101, 1, 1, tzinfo=dt.UTC)
YEAR_MIN = 1970
YEAR_MAX = 2100
#: The largest id or count a database column holds (signed 64-bit).
INT_MAX = 2**63 - 1
#: How far into a list a client may page; past it, filter instead.
OFFSET_MAX = 1_000_000


def instant_problem(value: dt.datetime | dt.date) -> str | None:
    """Why an instant (or a date) is refused, or None when it is inside the window."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        try:
            inside = INSTANT_MIN <= aware < INSTANT_MAX
        except OverflowError:
            inside = False
    else:
        inside = YEAR_MIN <= value.year <= YEAR_MAX
    if inside:
        return None
    return f"Must be between {YEAR_MIN}-01-01 and {YEAR_MAX}-12-31."


def check_window(value: dt.datetime | dt.date, *, field: str, shown: str | None = None):
    """The value, or ValidationFailed naming `field` when it lies outside 1970–2100: for services
    that take instants and dates from elsewhere than a schema (the CLI, an .ics file)."""
    problem = instant_problem(value)
    if problem:
        shown = shown or (value.isoformat() if isinstance(value, dt.datetime) else f"{value:%Y-%m-%d}")
        raise ValidationFailed.field(field, f"'{shown}' is out of range. {problem}")
    return value


def _instant(value: dt.datetime) -> dt.datetime:
    problem = instant_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _date(value: dt.date) -> dt.date:
    problem = instant_problem(value)
    if problem:
        raise ValueError(problem)
    return value


#: A client-sent point in time, inside 1970–2100.
Instant = Annotated[dt.datetime, AfterValidator(_instant)]
#: A client-sent calendar date, inside 1970–2100.
Day = Annotated[dt.date, AfterValidator(_date)]
#: A calendar year a client may ask about.
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
#: An id or other whole number a client sends that names a stored row.
Id = Annotated[int, Field(ge=1, le=INT_MAX)]

#: A local wall-clock time ("09:00" or "09:00:00", no UTC offset: it is read in a calendar's own
#: time zone). OpenAPI's `format: time` would promise an offset, so the document says what it is.
WallTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "Local wall-clock time, HH:MM or HH:MM:SS, in the calendar's zone (no offset).",
            "example": "09:00:00",
        }
    ),
]
