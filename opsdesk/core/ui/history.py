"""The audit history page's rows as people read them (issue 9): a field's label (its verbose name)
instead of its column name, a choice's label, a related object's name instead of its id, an instant
in the one format of pages (core.humanize), yes/no; structured values (JSON) are not shown as JSON.
Customers see only the fields their page of the object shows (`customer_fields`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from opsdesk.core import humanize

EMPTY = "—"


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _field(model: type[models.Model], name: str) -> models.Field | None:
    for candidate in (name, name.removesuffix("_id")):
        try:
            return model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
    return None


def _label(field: models.Field | None, name: str) -> str:
    text = str(getattr(field, "verbose_name", "") or name.removesuffix("_id").replace("_", " "))
    return text[:1].upper() + text[1:]


def _instant(value: str) -> str | None:
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return humanize.when(at) if at.tzinfo else None


def _value(field: models.Field | None, value: Any, names: dict[Any, str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field is not None and field.is_relation:
        if isinstance(value, list):
            return ", ".join(names.get(v, "(removed)") for v in value)
        return names.get(value, "(removed)")
    if field is not None and field.choices:
        if isinstance(value, list):
            return ", ".join(str(dict(field.flatchoices).get(v, v)) for v in value)
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return _instant(value) or value
    if isinstance(value, dict):
        return "(details changed)"
    if isinstance(value, list):
        return (
            ", ".join(str(v) for v in value) if all(isinstance(v, str | int) for v in value) else "(changed)"
        )
    return str(value)


def readable_changes(
    events: Iterable[Any], model: type[models.Model], *, customer_fields: Collection[str] | None = None
) -> list[tuple[Any, list[Change]]]:
    """Each event with its changes in words; `customer_fields` (when given) keeps only those
    fields, and drops an event left with none of them."""
    events = list(events)
    related: dict[models.Field, set[Any]] = {}
    for event in events:
        for name, before, after in event.changes:
            field = _field(model, name)
            if field is not None and field.is_relation and field.related_model is not None:
                ids = related.setdefault(field, set())
                for value in (before, after):  # one id, or a list of them (many-to-many)
                    for one in value if isinstance(value, list) else [value]:
                        if isinstance(one, int | str):
                            ids.add(one)
    names: dict[models.Field, dict[Any, str]] = {
        field: {obj.pk: str(obj) for obj in field.related_model._base_manager.filter(pk__in=ids)}
        for field, ids in related.items()
    }
    out = []
    for event in events:
        changes = []
        for name, before, after in event.changes:
            field = _field(model, name)
            if customer_fields is not None and (field is None or field.name not in customer_fields):
                continue
            known = names.get(field, {}) if field is not None else {}
            changes.append(
                Change(_label(field, name), _value(field, before, known), _value(field, after, known))
            )
        if customer_fields is not None and not changes and event.changes:
            continue
        out.append((event, changes))
    return out
