"""Recording audit events (L1). Services call these inside their transaction, so the event and the
change commit together or not at all."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from opsdesk.core.models import AuditAction, AuditEvent
from opsdesk.core.tenancy import organisation_id_of


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """A JSON-safe picture of a record's fields (many-to-many as sorted ids)."""
    exclude = set(getattr(type(obj), "audit_exclude", ()))
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.name in {"created_at", "updated_at"}:
            continue
        data[field.attname] = _json_value(field.value_from_object(obj))
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            if field.name not in exclude:
                data[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return data


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": "system"}
    return {"actor_id": actor.pk, "actor_label": getattr(actor, "email", str(actor))}


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    public: bool = True,
    note: str = "",
) -> AuditEvent:
    if action == AuditAction.CREATE and after is None:
        after = snapshot(obj)
    if action == AuditAction.UPDATE and after is None:
        after = snapshot(obj)
    return AuditEvent.objects.create(
        **_actor_fields(actor),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        organisation_id=organisation_id_of(obj),
        before=before,
        after=after,
        public=public,
        note=note[:255],
    )


def audit_bulk_update(*, actor: Any, queryset: models.QuerySet, note: str = "", **changes: Any) -> int:
    """A bulk UPDATE that leaves one audit event per changed row (L1: bulk updates audited too).

    Before-images are read under a row lock in the same transaction; the audit rows are
    written with one bulk INSERT.
    """
    from django.db import transaction
    from django.db.models import F

    model = queryset.model
    with transaction.atomic():
        rows = list(queryset.select_for_update())
        if not rows:
            return 0
        befores = {row.pk: snapshot(row) for row in rows}
        pks = list(befores)
        extra = {"version": F("version") + 1} if any(f.name == "version" for f in model._meta.fields) else {}
        count = model._default_manager.filter(pk__in=pks).update(**changes, **extra)
        events = []
        actor_fields = _actor_fields(actor)
        for row in model._default_manager.filter(pk__in=pks):
            events.append(
                AuditEvent(
                    **actor_fields,
                    action=AuditAction.UPDATE,
                    object_type=model._meta.label_lower,
                    object_id=str(row.pk),
                    object_repr=str(row)[:255],
                    organisation_id=organisation_id_of(row),
                    before=befores[row.pk],
                    after=snapshot(row),
                    note=note[:255],
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=1000)
        return count
