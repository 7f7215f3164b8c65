"""Reading AWS cost files (issue 12 item 6, F4) as a stream: the csv module over a text wrapper of
the (uploaded) binary file, each line validated and added to a running total per (account, day,
product, tag set), so memory grows with the number of distinct totals, never with the file.

Two shapes are accepted, told apart by the header:
- the Cost and Usage Report (CUR): `lineItem/UsageAccountId`, `lineItem/UsageStartDate`,
  `lineItem/UnblendedCost` required; `lineItem/ProductCode`, `lineItem/LineItemType` and
  `resourceTags/user:<Key>` columns used when present;
- a simpler Cost Explorer-style export: `LinkedAccount` (or `AccountId`), `Date`, `Cost`
  (or `UnblendedCost`), optional `Service` and `Tag:<Key>` columns.
A CUR instant is counted on its Europe/London day; a bare date is that day.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from zoneinfo import ZoneInfo

from opsdesk.core.errors import ValidationFailed

LONDON = ZoneInfo("Europe/London")
#: The largest amount one line may carry (a bad export, not a bill).
MAX_LINE_AMOUNT = Decimal("1e12")
TAG_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/=+\-@]{0,127}$")
csv.field_size_limit(1024 * 1024)

CUR = {
    "account": ("lineItem/UsageAccountId",),
    "start": ("lineItem/UsageStartDate",),
    "cost": ("lineItem/UnblendedCost",),
    "product": ("lineItem/ProductCode", "product/ProductName"),
    "type": ("lineItem/LineItemType",),
}
SIMPLE = {
    "account": ("LinkedAccount", "AccountId", "Account"),
    "start": ("Date", "UsageDate"),
    "cost": ("Cost", "UnblendedCost"),
    "product": ("Service",),
    "type": (),
}


class _Hashing:
    """A binary reader that hashes what passes through it (the file's SHA-256, in one pass)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    read1 = read


@dataclass
class Totals:
    """What a file adds up to: {(account id, day, product, tags tuple): Decimal}."""

    sums: dict[tuple[str, dt.date, str, tuple[tuple[str, str], ...]], Decimal] = field(default_factory=dict)
    rows: int = 0
    sha256: str = ""
    periods: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)


def _fail(line: int, column: str, message: str) -> ValidationFailed:
    return ValidationFailed.field(column, f"Line {line}, column {column}: {message}")


def _columns(header: list[str]) -> tuple[dict[str, str], list[tuple[int, str]], dict[str, int]]:
    index = {name.strip(): i for i, name in enumerate(header)}
    shape = CUR if "lineItem/UsageAccountId" in index else SIMPLE
    found: dict[str, str] = {}
    for role, names in shape.items():
        name = next((n for n in names if n in index), None)
        if name is not None:
            found[role] = name
    missing = [shape[r][0] for r in ("account", "start", "cost") if r not in found]
    if missing:
        raise ValidationFailed.field(
            missing[0], f"Line 1: the header has no column {', '.join(missing)} (required)."
        )
    tags = []
    prefix = "resourceTags/user:" if shape is CUR else "Tag:"
    for name, i in index.items():
        if name.startswith(prefix) and TAG_KEY.match(name[len(prefix) :]):
            tags.append((i, name[len(prefix) :]))
    return found, sorted(tags), index


def _day(value: str, line: int, column: str) -> dt.date:
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
        else:
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            day = moment.astimezone(LONDON).date()
    except (ValueError, OverflowError):  # OverflowError: year 1 moved to London
        raise _fail(line, column, f"{text[:40]!r} is not a date or time (e.g. 2026-11-02T00:00:00Z).")
    if not 2000 <= day.year <= 2100:
        raise _fail(line, column, f"{text[:40]!r} is outside 2000–2100.")
    return day


def _amount(value: str, line: int, column: str) -> Decimal:
    text = value.strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _fail(line, column, f"{text[:40]!r} is not a number.")
    if not amount.is_finite() or abs(amount) >= MAX_LINE_AMOUNT:
        raise _fail(line, column, f"{text[:40]!r} is not an amount.")
    return amount


def read_costs(raw: IO[bytes], *, known_account: Callable[[str], bool]) -> Totals:
    """Add up a cost file; the first bad line (or an unknown account) raises ValidationFailed naming
    its line number and column. `known_account(account_id)` says whether the account is ours."""
    hashing = _Hashing(raw)
    text = codecs.getreader("utf-8-sig")(hashing, errors="strict")  # type: ignore[arg-type]
    reader = csv.reader(_lines(text))
    totals = Totals()
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed.field("file", "The file is empty.")
    except UnicodeDecodeError:
        raise ValidationFailed.field("file", "Line 1: not UTF-8 text (a CSV file is expected).")
    except csv.Error as exc:
        raise ValidationFailed.field("file", f"Line 1: {exc}.")
    columns, tags, index = _columns(header)
    a_col, s_col, c_col = columns["account"], columns["start"], columns["cost"]
    a_i, s_i, c_i = index[a_col], index[s_col], index[c_col]
    p_i = index[columns["product"]] if "product" in columns else None
    width = len(header)
    sums = totals.sums
    checked: set[str] = set()
    day_cache: dict[str, dt.date] = {}
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            line = reader.line_num
            if len(row) != width:
                raise _fail(line, a_col, f"{len(row)} fields where the header has {width}.")
            account = row[a_i].strip()
            if account not in checked:
                if not (len(account) == 12 and account.isdigit()):
                    raise _fail(line, a_col, f"{account[:40]!r} is not an AWS account id (12 digits).")
                if not known_account(account):
                    raise _fail(line, a_col, f"account {account} is not a cloud account of any organisation.")
                checked.add(account)
            start = row[s_i]
            day = day_cache.get(start)
            if day is None:
                day = _day(start, line, s_col)
                if len(day_cache) < 100_000:
                    day_cache[start] = day
            amount = _amount(row[c_i], line, c_col)
            product = row[p_i].strip()[:100] if p_i is not None else ""
            tag_set = tuple((key, row[i].strip()[:200]) for i, key in tags if row[i].strip())
            key = (account, day, product, tag_set)
            sums[key] = sums.get(key, Decimal(0)) + amount
            totals.rows += 1
            low, high = totals.periods.get(account, (day, day))
            if day < low or day > high:
                totals.periods[account] = (min(low, day), max(high, day))
            elif account not in totals.periods:
                totals.periods[account] = (day, day)
    except UnicodeDecodeError:
        raise ValidationFailed.field("file", f"Line {reader.line_num + 1}: not UTF-8 text.")
    except csv.Error as exc:
        raise ValidationFailed.field("file", f"Line {reader.line_num}: {exc}.")
    totals.sha256 = hashing.digest.hexdigest()
    return totals


def _lines(text: Any) -> Iterator[str]:
    """The decoded text line by line (csv handles quoted newlines across them)."""
    while True:
        line = text.readline()
        if not line:
            return
        yield line
