"""Reads of the inbox (issue 12): the provider's staff only. To a customer every delivery and
endpoint is absent (404, as a missing one); staff without inbox.view (billing) are refused (403)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.inbox.models import Delivery, IntakeKey, SnsSubscription

VIEW = "inbox.view"


def _require(user: Any, permission: str) -> None:
    if not getattr(user, "is_provider_staff", False):
        raise NotFound()
    require_permission(user, permission)


def delivery_list(
    *,
    user: Any,
    source: str | None = None,
    state: str | None = None,
    organisation: Any = None,
    kind: str | None = None,
    verified: bool | None = None,
) -> QuerySet:
    _require(user, VIEW)
    qs = Delivery.objects.restrict(user).select_related("organisation")
    qs = narrowed(qs, source=source, state=state, organisation_id=organisation, kind=kind)
    return qs if verified is None else qs.filter(verified=verified)


def delivery_get(*, user: Any, pk: Any) -> Delivery:
    _require(user, VIEW)
    return get_or_not_found(
        Delivery.objects.restrict(user).select_related("organisation", "sns_subscription"), pk
    )


def delivery_body_pretty(delivery: Delivery) -> str:
    """The raw body, indented when it is JSON (the page escapes it like any text); 8-bit email
    kept as base64 is shown as text."""
    if (delivery.headers or {}).get("body_encoding") == "base64":
        import base64

        return base64.b64decode(delivery.body).decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        return delivery.body


def sns_subscription_list(*, user: Any, organisation: Any = None, active: bool | None = None) -> QuerySet:
    _require(user, VIEW)
    qs = narrowed(
        SnsSubscription.objects.restrict(user).select_related("organisation"), organisation_id=organisation
    )
    return qs if active is None else qs.filter(active=active)


def sns_subscription_get(*, user: Any, pk: Any) -> SnsSubscription:
    _require(user, VIEW)
    return get_or_not_found(SnsSubscription.objects.restrict(user).select_related("organisation"), pk)


def intake_key_list(*, user: Any, organisation: Any = None, purpose: str | None = None) -> QuerySet:
    _require(user, VIEW)
    qs = IntakeKey.objects.restrict(user).select_related("organisation")
    return narrowed(qs, organisation_id=organisation, purpose=purpose)


def intake_key_get(*, user: Any, pk: Any) -> IntakeKey:
    _require(user, VIEW)
    return get_or_not_found(IntakeKey.objects.restrict(user).select_related("organisation"), pk)
