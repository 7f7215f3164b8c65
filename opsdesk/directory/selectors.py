"""Reads of the directory, always restricted to what the acting user may see (A4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from opsdesk.core.permissions import has_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.directory.models import (
    CloudAccount,
    NamedContact,
    Organisation,
    Runbook,
    Service,
    ServicePlan,
    User,
)


def organisation_list(*, user: Any, q: str | None = None, service_plan: str | None = None) -> QuerySet:
    qs = (
        Organisation.objects.restrict(user)
        .select_related("service_plan", "calendar", "csdm", "account_manager", "solutions_architect")
        .annotate(
            account_count=Count("accounts", distinct=True), contact_count=Count("contacts", distinct=True)
        )
    )
    return narrowed(qs, name__icontains=q, service_plan__code=service_plan)


def organisation_choices(*, user: Any) -> list[tuple[str, str]]:
    """(id, name) of the organisations `user` may see, by name: for choosing one in a form or filter
    (without organisation_list's counts, which join accounts and contacts)."""
    rows = Organisation.objects.restrict(user).order_by("name", "pk").values_list("pk", "name")
    return [(str(pk), name) for pk, name in rows]


def organisation_get(*, user: Any, pk: Any) -> Organisation:
    return get_or_not_found(organisation_list(user=user), pk)


def account_list(
    *,
    user: Any,
    organisation: Any = None,
    onboarding_state: str | None = None,
    q: str | None = None,
    is_management_account: bool | None = None,
) -> QuerySet:
    qs = CloudAccount.objects.restrict(user).select_related("organisation", "management_account")
    qs = narrowed(qs, organisation_id=organisation, onboarding_state=onboarding_state)
    if is_management_account is not None:
        qs = qs.filter(is_management_account=is_management_account)
    if q:
        qs = qs.filter(Q(account_id__icontains=q) | Q(name__icontains=q))
    return qs


def account_get(*, user: Any, pk: Any) -> CloudAccount:
    return get_or_not_found(account_list(user=user), pk)


def contact_reverification_days() -> int:
    """I3: how often a named contact's details are re-verified (OPSDESK_CONTACT_REVERIFY_DAYS)."""
    return settings.CONTACT_REVERIFY_DAYS


def reverification_due_q(*, now: dt.datetime | None = None) -> Q:
    """I3, the one definition: a contact never verified, or last verified more than
    contact_reverification_days() ago, is due re-verification."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=contact_reverification_days())
    return Q(retired_at__isnull=True) & (Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=cutoff))


def contacts_due_reverification(qs: QuerySet, *, now: dt.datetime | None = None) -> QuerySet:
    """The contacts of `qs` due re-verification (reverification_due_q)."""
    return qs.filter(reverification_due_q(now=now))


def contact_reverification_due(contact: NamedContact, *, now: dt.datetime | None = None) -> bool:
    """reverification_due_q for one contact already read (a list row, a detail page)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=contact_reverification_days())
    if contact.retired_at is not None:
        return False
    return contact.last_verified_at is None or contact.last_verified_at < cutoff


def contact_list(
    *,
    user: Any,
    organisation: Any = None,
    flag: str | None = None,
    q: str | None = None,
    reverification_due: bool | None = None,
    retired: bool | None = None,
) -> QuerySet:
    qs = NamedContact.objects.restrict(user).select_related("organisation", "gdpr_consent_recorded_by")
    if retired is not None:
        qs = qs.filter(retired_at__isnull=not retired)
    if reverification_due is not None:
        due = reverification_due_q()
        qs = qs.filter(due) if reverification_due else qs.exclude(due)
    qs = narrowed(qs, organisation_id=organisation)
    if flag:
        qs = qs.filter(**{flag: True})
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q))
    return qs


def contact_get(*, user: Any, pk: Any) -> NamedContact:
    return get_or_not_found(contact_list(user=user), pk)


def service_list(
    *, user: Any, organisation: Any = None, environment: str | None = None, q: str | None = None
) -> QuerySet:
    qs = (
        Service.objects.restrict(user).select_related("organisation").prefetch_related("accounts", "contacts")
    )
    qs = narrowed(qs, organisation_id=organisation, environment=environment)
    if q:
        qs = qs.filter(Q(reference__icontains=q) | Q(name__icontains=q))
    return qs


def service_get(*, user: Any, pk: Any) -> Service:
    return get_or_not_found(service_list(user=user).prefetch_related("runbooks"), pk)


def runbook_get(*, user: Any, pk: Any) -> Runbook:
    return get_or_not_found(Runbook.objects.restrict(user).select_related("service__organisation"), pk)


def user_list(
    *, user: Any, role: str | None = None, q: str | None = None, organisation: Any = None
) -> QuerySet:
    qs = User.objects.restrict(user).select_related("contact__organisation")
    if not user.is_authenticated:
        return qs.none()
    if not user.is_provider_staff and not has_permission(user, "directory.view_user"):
        # A customer sees only themselves; their customer administrator, their organisation's users.
        qs = qs.filter(pk=user.pk)
    qs = narrowed(qs, role=role, contact__organisation_id=organisation)
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(email__icontains=q))
    return qs


def user_get(*, user: Any, pk: Any) -> User:
    return get_or_not_found(user_list(user=user), pk)


def staff_with_role(role: str) -> QuerySet:
    """Provider staff are not tenant data; used to fill role pickers for staff forms."""
    return User.objects.filter(role=role, is_active=True).order_by("full_name")


def service_plan_list() -> QuerySet:
    return ServicePlan.objects.all()
