"""Root-cause analyses (C6): reads, restricted to what the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from opsdesk.core.permissions import has_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.incidents.rca.models import RcaAction, RcaState, RootCauseAnalysis


def rca_list(
    *,
    user: Any,
    overdue: bool | None = None,
    state: str | None = None,
    organisation: Any = None,
    at: dt.datetime | None = None,
) -> QuerySet:
    if not has_permission(user, "incidents.view"):  # billing staff: no operational access
        return RootCauseAnalysis.objects.none()
    qs = (
        RootCauseAnalysis.objects.restrict(user)
        .select_related("incident__organisation", "requested_by", "submitted_by", "accepted_by")
        .prefetch_related("actions__owner")
    )
    if overdue is not None:
        now = at or timezone.now()
        late = {"due_at__lt": now, "state": RcaState.DRAFT}
        qs = qs.filter(**late) if overdue else qs.exclude(**late)
    return narrowed(qs, state=state, incident__organisation_id=organisation)


def rca_get(*, user: Any, pk: Any) -> RootCauseAnalysis:
    return get_or_not_found(rca_list(user=user), pk)


def rca_overdue_list(*, user: Any, at: dt.datetime | None = None) -> QuerySet:
    """For the staff dashboard: reports past their due instant and not yet submitted (C6)."""
    return rca_list(user=user, overdue=True, at=at).order_by("due_at", "pk")


def rca_action_get(*, user: Any, pk: Any) -> RcaAction:
    return get_or_not_found(
        RcaAction.objects.restrict(user).select_related("rca__incident__organisation", "owner"), pk
    )
