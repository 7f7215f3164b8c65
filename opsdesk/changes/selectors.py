"""Reads of change management (D1–D5), restricted to what the user may see (A4): staff every
organisation's changes, a customer their own organisation's; another tenant's is a 404 like a
missing one. The standard-change catalogue and the approval matrix are the provider's, read by
everyone who may see changes (a customer only the active catalogue entries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from opsdesk.changes.choices import BOARD, ChangeState
from opsdesk.changes.models import (
    ApprovalRule,
    ApprovedPipeline,
    Change,
    ChangeApproval,
    ChangeEvent,
    ChangeWindow,
    StandardChange,
)
from opsdesk.core.permissions import has_permission, require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.schedule import selectors as schedule

VIEW = "changes.view"
#: The change board's page size per column: the first page is a fixed number of queries.
BOARD_COLUMN_SIZE = 25
#: A full column's count stops here (the board says "1000+"): counting every change in every state
#: read the whole table on each view (18 ms at 60,000 changes, growing with it; bench/changes.py).
BOARD_COUNT_CAP = 1000
#: What a card on the board shows (changes/board.html).
BOARD_CARD_FIELDS = (
    "organisation__name",
    "reference",
    "title",
    "level",
    "state",
    "priority",
    "created_at",
    "closed_at",
    "implementation_due_at",
    "review_due_at",
    "halted_reason",
    "window__starts_at",
    "window__chargeable",
)


def change_list(
    *,
    user: Any,
    state: str | None = None,
    level: int | None = None,
    organisation: int | None = None,
    priority: str | None = None,
    service: int | None = None,
    q: str | None = None,
) -> QuerySet:
    if not has_permission(user, VIEW):
        return Change.objects.none()
    qs = Change.objects.restrict(user).select_related(
        "organisation",
        "standard_change",
        "requested_by",
        "lead_contact",
        "authoriser",
        "requester_contact",
        "incident_owner",
        "window",
    )
    qs = narrowed(
        qs, state=state, level=level, organisation_id=organisation, priority=priority, services=service
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(reference__icontains=q))
    return qs


def with_details(qs: QuerySet) -> QuerySet:
    """The services, accounts, timeline, approvals and priority calls of each change, one query each."""
    return qs.prefetch_related(
        "services",
        "accounts",
        "priority_calls",
        Prefetch("windows", queryset=ChangeWindow.objects.select_related("agreed_by", "agreed_with")),
        Prefetch("events", queryset=ChangeEvent.objects.select_related("actor").order_by("at", "pk")),
        Prefetch(
            "approvals",
            queryset=ChangeApproval.objects.select_related("actor", "contact").order_by("at", "pk"),
        ),
    )


def change_get(*, user: Any, pk: Any) -> Change:
    return get_or_not_found(with_details(change_list(user=user)), pk)


def change_board(*, user: Any, organisation: int | None = None) -> list[dict[str, Any]]:
    """D4, the change board: one column per state (withdrawn changes are not on it), the oldest
    first, each column's first page; one query for the cards, and one more per full column for
    its count (up to BOARD_COUNT_CAP)."""
    base = change_list(user=user, organisation=organisation).exclude(state=ChangeState.WITHDRAWN)
    # A card shows these fields and its organisation's name: no other join or column (planning
    # eleven columns of eight-table joins took longer than running them, and loading every field of
    # every card was most of the rest).
    shown = base.select_related(None).select_related("organisation", "window").only(*BOARD_CARD_FIELDS)
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: each column's first page from the (state, created_at) index, the columns
        # joined by UNION ALL. Numbering every change by state instead reads and joins the whole
        # table (seconds at 60,000 changes, most of it JIT compilation; bench/changes.py).
        columns = [
            shown.filter(state=state).order_by("created_at", "pk")[:BOARD_COLUMN_SIZE] for state in BOARD
        ]
        cards = sorted(columns[0].union(*columns[1:], all=True), key=lambda c: (c.created_at, c.pk))
    else:  # SQLite cannot slice the parts of a UNION: one numbered query instead.
        cards = list(
            shown.annotate(
                rank=Window(RowNumber(), partition_by=[F("state")], order_by=[F("created_at"), F("pk")])
            )
            .filter(rank__lte=BOARD_COLUMN_SIZE)
            .order_by("created_at", "pk")
        )
    columns = []
    for state in BOARD:
        shown_here = [c for c in cards if c.state == state]
        count = len(shown_here)
        if count == BOARD_COLUMN_SIZE:  # only a full column has more to count, up to the cap
            count = base.filter(state=state).order_by().values("pk")[:BOARD_COUNT_CAP].count()
        columns.append(
            {
                "state": state.value,
                "label": state.label,
                "count": count,
                "capped": count >= BOARD_COUNT_CAP,
                "changes": shown_here,
            }
        )
    return columns


def approval_matrix(*, user: Any, level: int | None = None) -> QuerySet:
    require_permission(user, VIEW)
    return narrowed(ApprovalRule.objects.all(), level=level)


def approval_rule_list(*, user: Any, level: int | None = None) -> QuerySet:
    return approval_matrix(user=user, level=level)


def approval_rule_get(*, user: Any, pk: Any) -> ApprovalRule:
    return get_or_not_found(approval_matrix(user=user), pk)


def standard_change_list(*, user: Any, is_active: bool | None = None, q: str | None = None) -> QuerySet:
    """Staff see the whole catalogue; a customer the active entries they may request."""
    require_permission(user, VIEW)
    qs = StandardChange.objects.all()
    if not user.is_provider_staff:
        qs = qs.filter(is_active=True)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return qs


def standard_change_get(*, user: Any, pk: Any) -> StandardChange:
    return get_or_not_found(standard_change_list(user=user), pk)


def pipeline_list(*, user: Any, service: int | None = None, organisation: int | None = None) -> QuerySet:
    require_permission(user, VIEW)
    qs = ApprovedPipeline.objects.restrict(user).select_related("service")
    return narrowed(qs, service_id=service, service__organisation_id=organisation)


def pipeline_get(*, user: Any, pk: Any) -> ApprovedPipeline:
    return get_or_not_found(pipeline_list(user=user), pk)


def pipelines_of_change(change: Change) -> QuerySet:
    """D3: the approved pipelines of the change's services (deployments through them need no RFC)."""
    return ApprovedPipeline.objects.filter(service__in=[s.pk for s in change.services.all()]).select_related(
        "service"
    )


def change_overlaps(change: Change) -> list[dict[str, Any]]:
    """D6, for the change's page: what its agreed window runs into now — other planned or under-way
    changes on its services, the organisation's blackouts and organisation-wide windows (each
    {kind, reference, title, starts_at, ends_at, url}). Flagged, never refused; the window also keeps
    what it overlapped when it was agreed."""
    window = change.window
    if window is None or window.superseded_at is not None:
        return []
    found = schedule.overlapping(
        organisation_id=change.organisation_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        service_ids=[s.pk for s in change.services.all()],
        exclude=("changes.change", change.pk),
    )
    return [
        {
            "kind": w.get_kind_display(),
            "reference": w.reference,
            "title": w.title,
            "starts_at": w.starts_at,
            "ends_at": w.ends_at,
            "url": w.url,
        }
        for w in found
    ]


#: The longest span the calendar page shows at once.
CALENDAR_SPAN_MAX = dt.timedelta(days=62)


def calendar_windows(
    *, user: Any, starts_from: dt.datetime, starts_before: dt.datetime, organisation: int | None = None
) -> list[Any]:
    """D6/E4, the calendar view: the windows of changes, maintenance and blackouts the user may see
    (staff all, a customer their organisation's) that meet [starts_from, starts_before)."""
    require_permission(user, VIEW)
    if starts_before - starts_from > CALENDAR_SPAN_MAX:
        starts_before = starts_from + CALENDAR_SPAN_MAX
    return list(
        schedule.calendar(
            user=user, organisation=organisation, starts_from=starts_from, starts_before=starts_before
        ).select_related("organisation")[:2000]
    )
