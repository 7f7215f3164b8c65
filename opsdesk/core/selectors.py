"""Reads of cross-cutting records: audit history (L1) and API tokens (L3)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.core.models import ApiToken, AuditEvent
from opsdesk.core.permissions import has_permission
from opsdesk.core.tenancy import UNRESTRICTED, organisation_scope


def get_or_not_found(qs: QuerySet, pk: Any) -> Any:
    """The object of `qs` (already restricted to what the user may see) with this primary key, else
    NotFound: another tenant's object, a missing one and a malformed id answer alike (A4)."""
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def narrowed(qs: QuerySet, **lookups: Any) -> QuerySet:
    """`qs` filtered by each lookup that is given a value: a list's filters, where an empty one
    (None, "", 0) narrows nothing. For single-valued lookups (one call or a chain are alike)."""
    given = {lookup: value for lookup, value in lookups.items() if value}
    return qs.filter(**given) if given else qs


def audit_event_list(
    *,
    user: Any,
    object_type: str | None = None,
    object_id: str | None = None,
    organisation: int | None = None,
    action: str | None = None,
) -> QuerySet:
    """Staff see every event; customers see the public history of their own organisation's objects."""
    qs = AuditEvent.objects.all()
    if not has_permission(user, "core.view_history"):
        return qs.none()
    scope = organisation_scope(user)
    if scope is not UNRESTRICTED:
        qs = qs.filter(organisation_id__in=sorted(scope), public=True)
    elif not has_permission(user, "core.view_internal_history"):
        qs = qs.filter(public=True)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    if action:
        qs = qs.filter(action=action)
    return qs


def object_history(*, user: Any, obj: Any) -> QuerySet:
    """History of an object the caller has already fetched through its own restricted selector."""
    return audit_event_list(user=user, object_type=obj._meta.label_lower, object_id=str(obj.pk))


def token_list(*, user: Any) -> QuerySet:
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_get(*, user: Any, pk: Any) -> ApiToken:
    return get_or_not_found(token_list(user=user), pk)
