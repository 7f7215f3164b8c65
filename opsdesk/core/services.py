"""Generic write helpers shared by every domain's services (create/update/delete with audit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.errors import PreconditionFailed, ValidationFailed
from opsdesk.core.models import AuditAction
from opsdesk.core.validation import validate_instance

M = TypeVar("M", bound=models.Model)


def lock_for_update(obj: M, expected_version: int | None) -> M:
    """Re-read the row under a lock and compare versions (optimistic concurrency, L3)."""
    locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if expected_version is not None and locked.version != expected_version:
        raise PreconditionFailed()
    return locked


def save_validated(obj: models.Model, *, m2m: Mapping[str, Iterable[Any]] | None = None) -> None:
    validate_instance(obj)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            "The record conflicts with an existing one.",
            [{"field": "__all__", "message": f"Integrity error: {exc}".splitlines()[0][:300]}],
        )
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)


def record_create(
    *, actor: Any, obj: M, m2m: Mapping[str, Iterable[Any]] | None = None, public: bool = True
) -> M:
    """Validate, insert and audit a new record. Call inside the service's transaction."""
    save_validated(obj, m2m=m2m)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=obj, public=public)
    return obj


def record_update(
    *,
    actor: Any,
    obj: M,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    public: bool = True,
) -> M:
    """Lock, check the version, apply, validate, save, bump the version and audit."""
    locked = lock_for_update(obj, expected_version)
    before = snapshot(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    if hasattr(locked, "version"):
        locked.version = locked.version + 1
    save_validated(locked, m2m=m2m)
    after = snapshot(locked)
    if before != after:
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=locked, before=before, after=after, public=public
        )
    return locked


def record_delete(*, actor: Any, obj: models.Model, expected_version: int | None = None) -> None:
    locked = lock_for_update(obj, expected_version)
    before = snapshot(locked)
    audit_record(actor=actor, action=AuditAction.DELETE, obj=locked, before=before, after=None)
    try:
        with transaction.atomic():
            locked.delete()
    except models.ProtectedError as exc:
        names = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects})
        raise ValidationFailed.field(
            "__all__", f"Still referenced by {', '.join(names)}; remove those first."
        )
