"""The two rules of Operations on Demand that are plain arithmetic, kept free of Django so they can
be tested over every day of several years and called from the shell, the API and the services alike.

- G4: an engagement starts on the 1st of the month after approval; approved after the 20th, on the
  1st of the month after that.
- G5: a modification takes effect on the G4 date from its approval, not before the month start on
  or after the requested date.
- G6: per engagement-month, billed blocks = min(allocated, ceil(hours / 20)); the hours past the
  allocation are an overrun, flagged for review and never billed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

#: One block is 20 hours of operational time in a calendar month (G2).
BLOCK_HOURS = Decimal(20)
#: Time is counted in quarter hours (G6).
QUARTER = Decimal("0.25")
#: The last day of a month on which an approval still starts the engagement next month (G4).
LAST_DAY_FOR_NEXT_MONTH = 20
#: Bounds for the shell and the API: more blocks than any customer buys, more hours than any month has
#: for that many blocks; they keep a typo from being read as a real figure.
ALLOCATED_MAX = 10_000
HOURS_MAX = Decimal(ALLOCATED_MAX) * BLOCK_HOURS * 10

_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")


class RuleError(ValueError):
    """A value the rules refuse; `field` names the input, the message names the value."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def first_of_month_after(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def engagement_start(approved_on: dt.date) -> dt.date:
    """G4: the first day of the first calendar month after approval, or of the second when the
    approval falls after the 20th day of its month. `approved_on` is the approval's date in the
    provider's time zone (services.approval_day)."""
    return first_of_month_after(approved_on, 1 if approved_on.day <= LAST_DAY_FOR_NEXT_MONTH else 2)


def month_on_or_after(day: dt.date) -> dt.date:
    """The first day of `day`'s month when it is one, else the first day of the next month: a
    change asked for on the 15th cannot take effect on the 1st before it."""
    return day if day.day == 1 else first_of_month_after(day, 1)


def modification_effective(approved_on: dt.date, requested: dt.date) -> dt.date:
    """G5: a modification takes effect on the date the G4 rule gives from its approval, and never
    earlier than requested (the requested date brought to a month start, blocks being monthly)."""
    return max(engagement_start(approved_on), month_on_or_after(requested))


def parse_hours(value: object, *, field: str = "hours") -> Decimal:
    """Hours as a non-negative decimal in quarter hours ("20.25", 0.5, Decimal("61")); anything
    else is refused naming the value."""
    if isinstance(value, bool):
        raise RuleError(field, f"'{value}' is not a number of hours.")
    if isinstance(value, Decimal):
        hours = value
    elif isinstance(value, int):
        hours = Decimal(value)
    elif isinstance(value, float):
        hours = Decimal(str(value))
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()) and len(value.strip()) <= 20:
        try:
            hours = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
            raise RuleError(field, f"'{value}' is not a number of hours.")
    else:
        raise RuleError(field, f"'{value}' is not a number of hours (a decimal such as 20.25).")
    if not hours.is_finite():
        raise RuleError(field, f"'{value}' is not a number of hours.")
    if hours < 0:
        raise RuleError(field, f"'{value}' is negative; hours are 0 or more.")
    if hours > HOURS_MAX:
        raise RuleError(field, f"'{value}' is more than {HOURS_MAX:,} hours.")
    if hours % QUARTER != 0:
        raise RuleError(field, f"'{value}' is not in quarter hours (0.25 steps, e.g. 20.25).")
    return hours


def parse_blocks(value: object, *, field: str = "allocated", minimum: int = 0) -> int:
    """A whole number of blocks from `minimum` to ALLOCATED_MAX ("3", 3); anything else refused."""
    if isinstance(value, bool):
        raise RuleError(field, f"'{value}' is not a whole number of blocks.")
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]{1,12}", text):
            raise RuleError(field, f"'{value}' is not a whole number of blocks.")
        number = int(text)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, Decimal | float) and value == int(value):
        number = int(value)
    else:
        raise RuleError(field, f"'{value}' is not a whole number of blocks.")
    if number < minimum or number > ALLOCATED_MAX:
        raise RuleError(field, f"'{value}' is not a number of blocks from {minimum} to {ALLOCATED_MAX:,}.")
    return number


@dataclass(frozen=True)
class Bill:
    """One engagement-month as billed (G6)."""

    allocated_blocks: int
    hours_used: Decimal
    billed_blocks: int
    overrun_hours: Decimal

    @property
    def overrun(self) -> bool:
        return self.overrun_hours > 0

    def as_dict(self) -> dict[str, object]:
        """The shape of `opsdesk ood bill` and the API: money-like decimals as strings, 2 places."""
        return {
            "allocated_blocks": self.allocated_blocks,
            "hours_used": f"{self.hours_used:.2f}",
            "billed_blocks": self.billed_blocks,
            "overrun_hours": f"{self.overrun_hours:.2f}",
        }


def bill(allocated: object, hours: object) -> Bill:
    """G6: billed blocks = min(allocated, ceil(hours / 20)); unused whole blocks are not billed;
    hours past 20 × allocated are the overrun (flagged, not billed)."""
    blocks = parse_blocks(allocated)
    used = parse_hours(hours)
    needed = int((used / BLOCK_HOURS).to_integral_value(rounding=ROUND_CEILING))
    overrun = max(Decimal(0), used - BLOCK_HOURS * blocks)
    return Bill(
        allocated_blocks=blocks,
        hours_used=used,
        billed_blocks=min(blocks, needed),
        overrun_hours=overrun,
    )
