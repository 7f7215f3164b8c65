"""The audit log's hash chain (L1): each row stores SHA-256 over its own fields and the previous
row's hash, so a deleted row breaks the next row's link and an edited row no longer matches its
own hash (`opsdesk audit verify` walks it).

Plain functions over values, without models, so that migrations can hash existing rows with
exactly the code the application appends with. The id is not hashed (bulk inserts learn their ids
only after the insert); the order is carried by `prev_hash` and checked in id order.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: The `prev_hash` of the first row.
GENESIS = "0" * 64

#: The hashed fields, by attribute name. Changing this list (or the canonical form below)
#: invalidates every stored hash: add a migration that re-chains the rows if you must.
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "organisation_id",
    "before",
    "after",
    "public",
    "note",
    "request_id",
    "source_address",
)

#: A constant key for pg_advisory_xact_lock: appends to the chain are serialised on it.
ADVISORY_LOCK_KEY = 0x6F70_7364_6175_6474  # "opsdaudt"


def _json(value: Any) -> Any:
    """JSON as either database gives it back: PostgreSQL's jsonb keeps numbers as decimals, so
    a whole float (1.0, 1e20) comes back as an int; normalise it to that int on both sides."""
    if isinstance(value, float) and value.is_integer():
        return int(decimal.Decimal(repr(value)))
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _instant(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(values: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes hashed for one row: its fields and the previous hash as sorted, compact JSON."""
    doc = {name: values[name] for name in HASHED_FIELDS}
    doc["at"] = _instant(doc["at"])
    doc["before"] = _json(doc["before"])
    doc["after"] = _json(doc["after"])
    doc["prev_hash"] = prev_hash
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode()


def digest(values: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(values, prev_hash)).hexdigest()
