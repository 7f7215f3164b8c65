"""Reads of Operations on Demand. Every read takes the acting user: customers see the active
offerings of their organisation's plan and their own organisation's requests and engagements;
another tenant's record is as absent as a missing one (A4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.core.tenancy import UNRESTRICTED, organisation_scope
from opsdesk.directory.models import Organisation
from opsdesk.ood.choices import OfferingState
from opsdesk.ood.models import (
    Engagement,
    EngagementAllocation,
    Offering,
    OfferingRate,
    OodRequest,
    RequestLine,
)

VIEW = "ood.view"


def offering_list(*, user: Any, state: str | None = None, q: str | None = None) -> QuerySet:
    """Staff see the whole catalogue; a customer only the active offerings on their plan (G1)."""
    require_permission(user, VIEW)
    qs = Offering.objects.prefetch_related("plans", "rates")
    scope = organisation_scope(user)
    if scope is not UNRESTRICTED:
        plans = Organisation.objects.filter(pk__in=sorted(scope)).values("service_plan")
        qs = qs.filter(state=OfferingState.ACTIVE, plans__in=plans).distinct()
    qs = narrowed(qs, state=state)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return qs


def offering_get(*, user: Any, pk: Any) -> Offering:
    return get_or_not_found(offering_list(user=user), pk)


def rate_in_force(offering: Offering, month: dt.date) -> OfferingRate | None:
    """G1: the rate a month is charged at (Offering.rate_in): the latest effective on or before
    its first day; earlier rates stay for earlier months."""
    return offering.rate_in(month)


def with_lines(qs: QuerySet) -> QuerySet:
    lines = RequestLine.objects.select_related("offering").prefetch_related("accounts", "approved_accounts")
    return qs.select_related("organisation", "contact", "submitting_account", "decided_by").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def ood_request_list(
    *, user: Any, state: str | None = None, organisation: int | None = None, q: str | None = None
) -> QuerySet:
    require_permission(user, VIEW)
    qs = narrowed(OodRequest.objects.restrict(user), state=state, organisation=organisation)
    if q:
        qs = qs.filter(Q(organisation__name__icontains=q) | Q(lines__offering__name__icontains=q)).distinct()
    return qs.select_related("organisation", "contact", "submitting_account")


def ood_request_get(*, user: Any, pk: Any) -> OodRequest:
    return get_or_not_found(with_lines(ood_request_list(user=user)), pk)


def engagement_list(
    *,
    user: Any,
    organisation: int | None = None,
    offering: int | None = None,
    recurrence: str | None = None,
    account: str | None = None,
) -> QuerySet:
    require_permission(user, VIEW)
    qs = narrowed(
        Engagement.objects.restrict(user),
        organisation=organisation,
        offering=offering,
        recurrence=recurrence,
        account__account_id=account,
    )
    allocations = EngagementAllocation.objects.order_by("from_month")
    return qs.select_related("organisation", "offering", "account", "line__request").prefetch_related(
        Prefetch("allocations", queryset=allocations)
    )


def engagement_get(*, user: Any, pk: Any) -> Engagement:
    return get_or_not_found(engagement_list(user=user), pk)


def allocation_in(engagement: Engagement, month: dt.date) -> int:
    """The blocks an engagement has in a month (G4); see Engagement.blocks_in."""
    return engagement.blocks_in(month)
