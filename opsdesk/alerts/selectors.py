"""Reads of alerts (issue 12). Customers see their own organisation's alerts (read-only); security
events and priority rules are the provider's (customers: 404 as missing; billing: 403)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.alerts.choices import AlertState
from opsdesk.alerts.models import Alert, AlertOccurrence, PriorityRule, SecurityEvent
from opsdesk.core.errors import NotFound
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed

VIEW = "alerts.view"
VIEW_SECURITY = "alerts.view_security"


def _staff(user: Any, permission: str) -> None:
    if not getattr(user, "is_provider_staff", False):
        raise NotFound()
    require_permission(user, permission)


def alert_list(
    *, user: Any, state: str | None = None, organisation: Any = None, source: str | None = None
) -> QuerySet:
    require_permission(user, VIEW)
    qs = Alert.objects.restrict(user).select_related("organisation", "service")
    return narrowed(qs, state=state, organisation_id=organisation, source=source)


def alert_get(*, user: Any, pk: Any) -> Alert:
    require_permission(user, VIEW)
    return get_or_not_found(Alert.objects.restrict(user).select_related("organisation", "service"), pk)


def alert_open_for_identity(identity_key: str) -> Alert | None:
    """The open alert of one identity, if any: for the shell, which resolves a billing threshold's
    alert only when one is open (an OK with none open would leave a record-only alert each week).
    No user: the system's read."""
    return Alert.objects.filter(identity_key=identity_key, state=AlertState.OPEN).first()


def alert_occurrences(alert: Alert) -> QuerySet:
    return AlertOccurrence.objects.filter(alert=alert).order_by("occurred_at", "pk")


def security_event_list(
    *, user: Any, kind: str | None = None, severity: str | None = None, organisation: Any = None
) -> QuerySet:
    _staff(user, VIEW_SECURITY)
    qs = SecurityEvent.objects.restrict(user).select_related("organisation")
    return narrowed(qs, kind=kind, severity=severity, organisation_id=organisation)


def security_event_get(*, user: Any, pk: Any) -> SecurityEvent:
    _staff(user, VIEW_SECURITY)
    return get_or_not_found(SecurityEvent.objects.restrict(user).select_related("organisation"), pk)


def priority_rule_list(*, user: Any, organisation: Any = None) -> QuerySet:
    _staff(user, VIEW_SECURITY)
    qs = PriorityRule.objects.restrict(user).select_related("organisation", "service")
    return narrowed(qs, organisation_id=organisation)


def priority_rule_get(*, user: Any, pk: Any) -> PriorityRule:
    _staff(user, VIEW_SECURITY)
    return get_or_not_found(PriorityRule.objects.restrict(user).select_related("organisation", "service"), pk)
