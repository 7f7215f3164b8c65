"""Reads of the status page. Public reads show published records only and need no user (C8);
staff reads need "statuspage.manage" and show drafts too. Provider-wide maintenance (E4) comes from
the calendar of windows (`schedule.selectors.public_maintenance`): the maintenance app's records,
published, with no organisation; never a copy kept here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found
from opsdesk.schedule import selectors as schedule
from opsdesk.schedule.choices import WindowPhase
from opsdesk.schedule.models import Window
from opsdesk.statuspage.choices import IMPACT_RANK, StatusImpact, StatusIncidentState
from opsdesk.statuspage.models import StatusIncident, StatusUpdate

PERMISSION = "statuspage.manage"
#: How far back the public history reaches.
RECENT_DAYS = 14
#: Entries in the Atom feed (updates and maintenance together).
FEED_SIZE = 50


def with_timeline(qs: QuerySet, *, authors: bool = False) -> QuerySet:
    """Each incident's updates, newest first, as `incident.timeline` (one query for the whole list).
    Authors are staff names: loaded for staff pages only, never for the public ones."""
    updates = StatusUpdate.objects.order_by("-posted_at", "-pk")
    if authors:
        updates = updates.select_related("author")
    return qs.prefetch_related(Prefetch("updates", queryset=updates, to_attr="timeline"))


# --- public (no user, published only) --------------------------------------------------------


def public_incident_list() -> QuerySet:
    return with_timeline(StatusIncident.objects.filter(published=True))


def public_incident_get(*, pk: Any) -> StatusIncident:
    """An unpublished incident is as absent as a missing one (404)."""
    return get_or_not_found(public_incident_list(), pk)


def public_maintenance_list(*, now: dt.datetime | None = None) -> list[Window]:
    """E4: the provider-wide maintenance the public may see (published, no organisation): planned,
    under way, and finished in the last week; each marked `under_way`."""
    now = now or timezone.now()
    windows = schedule.public_maintenance(now=now)
    for w in windows:
        w.under_way = maintenance_under_way(w, now)
    return windows


@dataclass(frozen=True)
class Overall:
    """The banner at the top of the page: a machine-readable indicator and its words."""

    indicator: str
    description: str


_IMPACT_BANNER = {
    StatusImpact.NONE: "Service notice",
    StatusImpact.MINOR: "Minor service disruption",
    StatusImpact.MAJOR: "Major service disruption",
    StatusImpact.CRITICAL: "Critical service outage",
}
OPERATIONAL = Overall("operational", "All systems operational")
UNDER_MAINTENANCE = Overall("maintenance", "Maintenance in progress")


def overall_status(ongoing: list[StatusIncident], in_progress: list[Window]) -> Overall:
    """The worst impact among ongoing incidents; otherwise maintenance in progress; otherwise fine.

    An incident with impact "none" is a notice: it is listed, but does not turn the banner.
    """
    worst = max((IMPACT_RANK[StatusImpact(i.impact)] for i in ongoing), default=0)
    if worst > 0:
        impact = next(k for k, v in IMPACT_RANK.items() if v == worst)
        return Overall(impact.value, _IMPACT_BANNER[impact])
    if in_progress:
        return UNDER_MAINTENANCE
    return OPERATIONAL


@dataclass
class StatusSummary:
    overall: Overall
    ongoing: list[StatusIncident] = field(default_factory=list)
    maintenance: list[Window] = field(default_factory=list)
    recent: list[StatusIncident] = field(default_factory=list)
    generated_at: dt.datetime | None = None


def public_status_summary(*, now: dt.datetime | None = None) -> StatusSummary:
    """Everything the public page shows: ongoing incidents with their timelines, maintenance that
    is announced or under way, and incidents resolved in the last RECENT_DAYS days."""
    now = now or timezone.now()
    incidents = public_incident_list()
    ongoing = list(incidents.exclude(state=StatusIncidentState.RESOLVED).order_by("-started_at", "-pk"))
    recent = list(
        incidents.filter(
            state=StatusIncidentState.RESOLVED, resolved_at__gte=now - dt.timedelta(days=RECENT_DAYS)
        ).order_by("-resolved_at", "-pk")
    )
    maintenance = [
        m
        for m in public_maintenance_list(now=now)
        if m.under_way or (m.phase == WindowPhase.PLANNED and m.ends_at >= now)
    ]
    in_progress = [m for m in maintenance if m.under_way]
    return StatusSummary(
        overall=overall_status(ongoing, in_progress),
        ongoing=ongoing,
        maintenance=maintenance,
        recent=recent,
        generated_at=now,
    )


def maintenance_under_way(maintenance: Window, now: dt.datetime) -> bool:
    """Under way by its phase (started, or ended and being verified), or still planned while inside
    its window (not started on the record yet)."""
    if maintenance.phase == WindowPhase.UNDER_WAY:
        return True
    return maintenance.phase == WindowPhase.PLANNED and maintenance.starts_at <= now < maintenance.ends_at


def public_feed_entries(*, limit: int = FEED_SIZE) -> list[StatusUpdate | Window]:
    """The Atom feed (C8): one entry per posted update of a published incident and one per public
    maintenance (updated in place as it moves; cancelled ones for a week after), newest first."""
    updates = list(
        StatusUpdate.objects.filter(incident__published=True)
        .select_related("incident")
        .order_by("-posted_at", "-pk")[:limit]
    )
    now = timezone.now()
    # Called-off maintenance stays in the feed for a week, saying so (subscribers saw it announced).
    called_off = Window.objects.filter(
        public=True,
        organisation__isnull=True,
        phase=WindowPhase.CANCELLED,
        updated_at__gte=now - schedule.PUBLIC_RECENT,
    )
    maintenance = sorted(
        [*public_maintenance_list(now=now), *called_off], key=lambda w: (w.updated_at, w.pk), reverse=True
    )
    entries: list[StatusUpdate | Window] = [*updates, *maintenance[:limit]]
    entries.sort(key=feed_entry_date, reverse=True)
    return entries[:limit]


def feed_entry_date(entry: StatusUpdate | Window) -> dt.datetime:
    return entry.posted_at if isinstance(entry, StatusUpdate) else entry.updated_at


# --- staff ("statuspage.manage", drafts included) ---------------------------------------------


def _published_and_matching(qs: QuerySet, *, published: bool | None, q: str | None) -> QuerySet:
    """The staff lists' filters every status record shares: published or not, words in the title
    or components."""
    if published is not None:
        qs = qs.filter(published=published)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(components__icontains=q))
    return qs


def status_incident_list(
    *, user: Any, state: str | None = None, published: bool | None = None, q: str | None = None
) -> QuerySet:
    require_permission(user, PERMISSION)
    qs = StatusIncident.objects.restrict(user)
    if state == "ongoing":
        qs = qs.exclude(state=StatusIncidentState.RESOLVED)
    elif state:
        qs = qs.filter(state=state)
    return _published_and_matching(qs, published=published, q=q)


def status_incident_get(*, user: Any, pk: Any) -> StatusIncident:
    return get_or_not_found(with_timeline(status_incident_list(user=user), authors=True), pk)
