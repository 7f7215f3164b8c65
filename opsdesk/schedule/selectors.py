"""Reads of the calendar of windows: overlaps (D6), a user's calendar, an organisation's feed and
the public status page's maintenance (E4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.schedule.choices import HOLDING_PHASES, WindowKind, WindowPhase
from opsdesk.schedule.models import Window, WindowService


def overlapping(
    *,
    organisation_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    service_ids: Iterable[int] = (),
    exclude: tuple[str, int] | None = None,
) -> list[Window]:
    """D6: the planned or under-way windows a proposed [starts_at, ends_at) on an organisation runs
    into: its blackouts, its windows that name none of its services (organisation-wide), and any
    window on one of `service_ids` (of any organisation: a shared service is shared). With no
    services the proposal is organisation-wide and meets every window of the organisation.

    Each part is one range comparison on its own index: (service, starts_at) for the services,
    (organisation, kind, starts_at) for the rest, in one query (a UNION of the two)."""
    services = sorted({int(s) for s in service_ids})
    during = Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    org = Q(organisation_id=organisation_id) & during
    holding = Window.objects.filter(phase__in=HOLDING_PHASES)
    if exclude is not None:
        holding = holding.exclude(source=exclude[0], source_id=exclude[1])
    if not services:
        return list(holding.filter(org).order_by("starts_at", "pk"))
    # Two indexed branches joined by UNION, not one WHERE with OR: PostgreSQL cannot use an index
    # for "id IN (subquery) OR …" and scans the whole table (≈120 ms at 100,000 windows, against
    # well under 1 ms for each branch; bench/changes.py).
    on_services = WindowService.objects.filter(during, service_id__in=services, holds_slot=True).values(
        "window_id"
    )
    found = (
        holding.filter(pk__in=on_services)
        .order_by()
        .union(holding.filter(org & (Q(kind=WindowKind.BLACKOUT) | Q(all_services=True))).order_by())
    )
    return list(found.order_by("starts_at", "pk"))


def calendar(
    *,
    user: Any,
    organisation: int | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    kinds: Iterable[str] = (),
) -> QuerySet:
    """The windows `user` may see (their organisations'; staff see all), not cancelled, in start
    order: the calendar view of changes, maintenance and blackouts."""
    qs = Window.objects.restrict(user).exclude(phase=WindowPhase.CANCELLED)
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    if starts_from is not None:
        qs = qs.filter(ends_at__gt=starts_from)
    if starts_before is not None:
        qs = qs.filter(starts_at__lt=starts_before)
    kinds = list(kinds)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("starts_at", "pk")


#: How far back an organisation's feed reaches: recent work stays visible in people's calendars.
FEED_BACK = dt.timedelta(days=90)


def _feed(organisation_id: int, now: dt.datetime | None) -> QuerySet:
    since = (now or timezone.now()) - FEED_BACK
    qs = Window.objects.filter(
        Q(organisation_id=organisation_id) | Q(organisation__isnull=True, public=True), ends_at__gt=since
    )
    return qs.order_by("starts_at", "pk")


def feed_windows(*, organisation_id: int, now: dt.datetime | None = None) -> list[Window]:
    """E4: what an organisation's iCalendar feed holds: its windows of every kind and the
    provider-wide public maintenance, from 90 days back, cancelled ones included (a calendar app
    shows them struck through instead of silently dropping them)."""
    return list(_feed(organisation_id, now))


#: The fields of a window a feed entry shows (`feed_rows`).
FEED_FIELDS = (
    "source",
    "source_id",
    "kind",
    "organisation_id",
    "reference",
    "title",
    "description",
    "state",
    "phase",
    "starts_at",
    "ends_at",
    "components",
    "url",
    "updated_at",
)


def feed_rows(*, organisation_id: int, now: dt.datetime | None = None) -> QuerySet:
    """`feed_windows` as plain rows (dicts of FEED_FIELDS), for the feed itself: building 2,000
    model instances costs several times the query (bench/changes.py)."""
    return _feed(organisation_id, now).values(*FEED_FIELDS)


#: How long completed public maintenance stays on the status page.
PUBLIC_RECENT = dt.timedelta(days=7)


def public_maintenance(*, now: dt.datetime | None = None) -> list[Window]:
    """E4: provider-wide maintenance on the public status page: planned and under way, and what
    finished in the last week. Never an organisation's own windows."""
    now = now or timezone.now()
    qs = Window.objects.filter(public=True, organisation__isnull=True).exclude(phase=WindowPhase.CANCELLED)
    qs = qs.filter(Q(phase__in=HOLDING_PHASES) | Q(ends_at__gt=now - PUBLIC_RECENT))
    return list(qs.order_by("starts_at", "pk"))
