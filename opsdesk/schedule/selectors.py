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
    (organisation, kind, starts_at) for the rest."""
    services = sorted({int(s) for s in service_ids})
    during = Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    org = Q(organisation_id=organisation_id) & during
    if services:
        on_services = WindowService.objects.filter(during, service_id__in=services, holds_slot=True).values(
            "window_id"
        )
        wanted = Q(pk__in=on_services) | (org & (Q(kind=WindowKind.BLACKOUT) | Q(all_services=True)))
    else:
        wanted = org
    qs = Window.objects.filter(wanted, phase__in=HOLDING_PHASES)
    if exclude is not None:
        qs = qs.exclude(source=exclude[0], source_id=exclude[1])
    return list(qs.order_by("starts_at", "pk"))


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


def feed_windows(*, organisation_id: int, now: dt.datetime | None = None) -> list[Window]:
    """E4: what an organisation's iCalendar feed holds: its windows of every kind and the
    provider-wide public maintenance, from 90 days back, cancelled ones included (a calendar app
    shows them struck through instead of silently dropping them)."""
    since = (now or timezone.now()) - FEED_BACK
    qs = Window.objects.filter(
        Q(organisation_id=organisation_id) | Q(organisation__isnull=True, public=True), ends_at__gt=since
    )
    return list(qs.order_by("starts_at", "pk"))


#: How long completed public maintenance stays on the status page.
PUBLIC_RECENT = dt.timedelta(days=7)


def public_maintenance(*, now: dt.datetime | None = None) -> list[Window]:
    """E4: provider-wide maintenance on the public status page: planned and under way, and what
    finished in the last week. Never an organisation's own windows."""
    now = now or timezone.now()
    qs = Window.objects.filter(public=True, organisation__isnull=True).exclude(phase=WindowPhase.CANCELLED)
    qs = qs.filter(Q(phase__in=HOLDING_PHASES) | Q(ends_at__gt=now - PUBLIC_RECENT))
    return list(qs.order_by("starts_at", "pk"))
