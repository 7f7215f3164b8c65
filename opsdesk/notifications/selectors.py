"""Reads of notifications and webhook subscriptions, restricted to what the user may see (A4)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.notifications.models import Notification, WebhookSubscription


def _require_staff(user: Any) -> None:
    if not getattr(user, "is_provider_staff", False):
        raise PermissionDenied()


def webhook_subscription_list(*, user: Any, organisation: Any = None, active: bool | None = None) -> QuerySet:
    """Administrators only: subscription URLs often carry credentials of the receiving system."""
    require_permission(user, "notifications.manage_webhooks")
    qs = WebhookSubscription.objects.restrict(user).select_related("organisation")
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def webhook_subscription_get(*, user: Any, pk: Any) -> WebhookSubscription:
    """404 before 403: another tenant's subscription is absent, not forbidden (A4)."""
    obj = get_or_not_found(WebhookSubscription.objects.restrict(user).select_related("organisation"), pk)
    require_permission(user, "notifications.manage_webhooks")
    return obj


def notification_list(
    *,
    user: Any,
    state: str | None = None,
    channel: str | None = None,
    event: str | None = None,
    organisation: Any = None,
) -> QuerySet:
    """The delivery record of the outbox, for provider staff (L2)."""
    _require_staff(user)
    qs = Notification.objects.restrict(user)
    return narrowed(qs, state=state, channel=channel, event=event, organisation_id=organisation)


def notification_get(*, user: Any, pk: Any) -> Notification:
    """The outbox is provider staff's: to anyone else every notification is absent, whether it
    exists or not, so the answer cannot tell which ids are real (404, not 403)."""
    if not getattr(user, "is_provider_staff", False):
        raise NotFound()
    return get_or_not_found(Notification.objects.restrict(user), pk)
