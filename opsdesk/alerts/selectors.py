"""Reads of alerts (issue 12). Customers see their own organisation's alerts (read-only); security
events and priority rules are the provider's (customers: 404 as missing; billing: 403). A security
event shows its security rota page (on-call, a lower layer) as it stands now."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from opsdesk.alerts.choices import AlertState
from opsdesk.alerts.models import Alert, AlertOccurrence, PriorityRule, SecurityEvent
from opsdesk.core.errors import NotFound
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.oncall import selectors as oncall_selectors
from opsdesk.oncall.models import Page, PageRecipient

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


def _person(prefix: str) -> Coalesce:
    return Coalesce(
        NullIf(F(f"{prefix}__full_name"), Value("")), F(f"{prefix}__email"), output_field=CharField()
    )


def _with_page(qs: QuerySet) -> QuerySet:
    """Each event with its security page's state, who it reached first and who acknowledged it
    (the page is on-call's, a lower layer; one query for the whole list)."""
    page = Page.objects.filter(pk=OuterRef("page_id"))
    first = PageRecipient.objects.filter(page_id=OuterRef("page_id")).order_by("notified_at", "pk")
    return qs.annotate(
        page_state=Subquery(page.values("state")[:1]),
        page_acknowledged_by=Subquery(page.annotate(who=_person("acknowledged_by")).values("who")[:1]),
        paged_first=Subquery(first.annotate(who=_person("user")).values("who")[:1]),
        paged_count=Subquery(
            PageRecipient.objects.filter(page_id=OuterRef("page_id"))
            .values("page_id")
            .annotate(n=Count("user_id", distinct=True))
            .values("n")[:1]
        ),
    )


def security_event_list(
    *, user: Any, kind: str | None = None, severity: str | None = None, organisation: Any = None
) -> QuerySet:
    _staff(user, VIEW_SECURITY)
    qs = _with_page(SecurityEvent.objects.restrict(user).select_related("organisation"))
    return narrowed(qs, kind=kind, severity=severity, organisation_id=organisation)


def security_event_get(*, user: Any, pk: Any) -> SecurityEvent:
    _staff(user, VIEW_SECURITY)
    qs = _with_page(SecurityEvent.objects.restrict(user).select_related("organisation"))
    return get_or_not_found(qs, pk)


def security_event_page(security_event: SecurityEvent) -> tuple[Page | None, list[PageRecipient]]:
    """The security rota's page of an event and everyone it reached, for the event's page."""
    if security_event.page_id is None:
        return None, []
    page = Page.objects.select_related("acknowledged_by", "policy").filter(pk=security_event.page_id).first()
    if page is None:
        return None, []
    return page, oncall_selectors.page_recipients(page)


def priority_rule_list(*, user: Any, organisation: Any = None) -> QuerySet:
    _staff(user, VIEW_SECURITY)
    qs = PriorityRule.objects.restrict(user).select_related("organisation", "service")
    return narrowed(qs, organisation_id=organisation)


def priority_rule_get(*, user: Any, pk: Any) -> PriorityRule:
    _staff(user, VIEW_SECURITY)
    return get_or_not_found(PriorityRule.objects.restrict(user).select_related("organisation", "service"), pk)
