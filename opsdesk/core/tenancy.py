"""The one tenancy mechanism (A4): every selector restricts its queryset to what the user may see.

Provider staff see every tenant. A customer user sees their own organisation's objects. Any other
kind of user sees nothing (partners, J2, will see what their grants cover once grants exist).
Another tenant's object is simply absent from the queryset, so it answers 404 exactly like a
missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class _Unrestricted:
    def __repr__(self) -> str:
        return "UNRESTRICTED"


UNRESTRICTED = _Unrestricted()


def organisation_scope(user: Any | AnonymousUser | None) -> set[int] | _Unrestricted:
    """The organisations a user may see, or UNRESTRICTED for provider staff. Cached on the user."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return set()
    cached = getattr(user, "_opsdesk_scope", None)
    if cached is not None:
        return cached
    if user.is_provider_staff:
        scope: set[int] | _Unrestricted = UNRESTRICTED
    elif user.role == "customer":
        org_id = user.customer_organisation_id
        scope = {org_id} if org_id else set()
    else:
        scope = set()
    user._opsdesk_scope = scope
    return scope


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        """Only the rows `user` may see. `action` is kept for grants that differ by action (J2)."""
        scope = organisation_scope(user)
        if scope is UNRESTRICTED:
            return self
        path = getattr(self.model, "tenant_path", None)
        if path is None or not scope:
            return self.none()
        lookup = "pk__in" if path == "" else f"{path}__in"
        return self.filter(**{lookup: sorted(scope)})


def object_in_scope(user: Any, obj: models.Model) -> bool:
    """After a write, check the object is still inside the actor's scope (as NetBox does)."""
    return type(obj)._default_manager.filter(pk=obj.pk).restrict(user).exists()


def organisation_id_of(obj: models.Model) -> int | None:
    """The organisation an object belongs to, following its model's tenant_path."""
    path = getattr(type(obj), "tenant_path", None)
    if path is None:
        return None
    if path == "":
        return obj.pk
    target: Any = obj
    parts = path.split("__")
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, f"{parts[-1]}_id", None)
