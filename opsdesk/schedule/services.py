"""Writes to the calendar of windows. Only domain services call these, inside their own
transaction, after they have checked the actor and validated the window: the copy changes exactly
when the source does and never on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from opsdesk.schedule.choices import HOLDING_PHASES, WindowKind, WindowPhase
from opsdesk.schedule.models import Window, WindowService


def window_put(
    *,
    source: str,
    source_id: int,
    kind: str,
    organisation_id: int | None,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    phase: str = WindowPhase.PLANNED,
    state: str = "",
    service_ids: Iterable[int] = (),
    reference: str = "",
    description: str = "",
    public: bool = False,
    components: Iterable[str] = (),
    url: str = "",
) -> Window:
    """Create or replace the window copied from (source, source_id)."""
    if kind not in WindowKind.values:
        raise ValueError(f"unknown window kind {kind!r}")
    if phase not in WindowPhase.values:
        raise ValueError(f"unknown window phase {phase!r}")
    services = sorted({int(s) for s in service_ids})
    values = {
        "kind": kind,
        "organisation_id": organisation_id,
        "title": title[:200],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "phase": phase,
        "state": state[:40],
        "reference": reference[:40],
        "description": description[:10_000],
        "all_services": not services,
        "public": public,
        "components": list(components),
        "url": url[:300],
    }
    with transaction.atomic():
        window, _ = Window.objects.update_or_create(source=source, source_id=source_id, defaults=values)
        holds = phase in HOLDING_PHASES
        WindowService.objects.filter(window=window).exclude(service_id__in=services).delete()
        kept = set(WindowService.objects.filter(window=window).values_list("service_id", flat=True))
        WindowService.objects.filter(window=window).update(
            starts_at=starts_at, ends_at=ends_at, holds_slot=holds
        )
        WindowService.objects.bulk_create(
            WindowService(window=window, service_id=s, starts_at=starts_at, ends_at=ends_at, holds_slot=holds)
            for s in services
            if s not in kept
        )
    return window


def window_remove(*, source: str, source_id: int) -> None:
    """The source record is gone (a deleted blackout): so is its window."""
    Window.objects.filter(source=source, source_id=source_id).delete()
