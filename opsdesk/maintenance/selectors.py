"""Reads of maintenance (E1–E4, D6), restricted to what the user may see (A4): staff every
organisation's, a customer their own organisation's; another tenant's record is a 404 like a
missing one. `suppressing_window` is the one read without a user: the alarm intake asks it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from opsdesk.core.errors import NotFound
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.core.tenancy import UNRESTRICTED, organisation_scope
from opsdesk.maintenance.models import (
    AgreedWindow,
    Blackout,
    CustomerWindow,
    HealthNotice,
    HealthNoticeEvent,
    IcalFeed,
    MaintenanceEvent,
    ProviderMaintenance,
    SuppressionCover,
)
from opsdesk.schedule import selectors as schedule
from opsdesk.schedule.choices import WindowKind
from opsdesk.schedule.models import Window

VIEW = "maintenance.view"


def _visible(model: Any, user: Any) -> QuerySet:
    """One without the view permission (billing staff: no operational access) is refused (403)."""
    require_permission(user, VIEW)
    return model.objects.restrict(user)


def _dated(qs: QuerySet, starts_from: dt.datetime | None, starts_before: dt.datetime | None) -> QuerySet:
    if starts_from is not None:
        qs = qs.filter(ends_at__gt=starts_from)
    if starts_before is not None:
        qs = qs.filter(starts_at__lt=starts_before)
    return qs


# --- agreed windows and blackouts -------------------------------------------------------------


def window_list(*, user: Any, organisation: int | None = None) -> QuerySet:
    qs = _visible(AgreedWindow, user).select_related("organisation")
    return narrowed(qs, organisation_id=organisation)


def window_get(*, user: Any, pk: Any) -> AgreedWindow:
    return get_or_not_found(window_list(user=user), pk)


def window_of(*, user: Any, organisation_id: int) -> AgreedWindow | None:
    return window_list(user=user, organisation=organisation_id).first()


def blackout_list(
    *,
    user: Any,
    organisation: int | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> QuerySet:
    qs = narrowed(_visible(Blackout, user).select_related("organisation"), organisation_id=organisation)
    return _dated(qs, starts_from, starts_before)


def blackout_get(*, user: Any, pk: Any) -> Blackout:
    return get_or_not_found(blackout_list(user=user), pk)


# --- provider maintenance ------------------------------------------------------------------------


def provider_maintenance_list(
    *,
    user: Any,
    organisation: int | None = None,
    state: str | None = None,
    emergency: bool | None = None,
    q: str | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> QuerySet:
    qs = _visible(ProviderMaintenance, user).select_related("organisation")
    qs = narrowed(qs, organisation_id=organisation, state=state)
    if emergency is not None:
        qs = qs.filter(is_emergency=emergency)
    if q:
        qs = qs.filter(title__icontains=q)
    return _dated(qs, starts_from, starts_before)


def with_details(qs: QuerySet) -> QuerySet:
    """The services and the timeline (with its actors) of each maintenance, one query each."""
    return qs.prefetch_related(
        "services",
        Prefetch("events", queryset=MaintenanceEvent.objects.select_related("actor").order_by("at", "pk")),
    )


def provider_maintenance_get(*, user: Any, pk: Any) -> ProviderMaintenance:
    return get_or_not_found(with_details(provider_maintenance_list(user=user)), pk)


# --- customer windows ------------------------------------------------------------------------------


def customer_window_list(
    *,
    user: Any,
    organisation: int | None = None,
    cancelled: bool | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> QuerySet:
    qs = _visible(CustomerWindow, user).select_related("organisation", "declared_by", "contact")
    qs = narrowed(qs, organisation_id=organisation)
    if cancelled is not None:
        qs = qs.filter(cancelled_at__isnull=not cancelled)
    return _dated(qs, starts_from, starts_before)


def with_scope(qs: QuerySet) -> QuerySet:
    return qs.prefetch_related("services", "accounts")


def customer_window_get(*, user: Any, pk: Any) -> CustomerWindow:
    return get_or_not_found(with_scope(customer_window_list(user=user)), pk)


# --- D6: overlaps -----------------------------------------------------------------------------------

SOURCE_PROVIDER = "maintenance.provider"
SOURCE_CUSTOMER = "maintenance.customer"
SOURCE_BLACKOUT = "maintenance.blackout"


@dataclass
class Overlaps:
    """What a proposed window runs into, by kind: this app's own records (to link and show in
    full) and the changes' windows as the schedule holds them (changes is a sibling domain)."""

    blackouts: list[Blackout]
    maintenance: list[ProviderMaintenance]
    customer_windows: list[CustomerWindow]
    changes: list[Window]

    @property
    def any(self) -> bool:
        return bool(self.blackouts or self.maintenance or self.customer_windows or self.changes)


def overlaps(
    *,
    user: Any,
    organisation: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    services: Iterable[int] = (),
    exclude_maintenance: int | None = None,
) -> Overlaps:
    """D6: what a proposed window [starts_at, ends_at) on an organisation (and given services) runs
    into: the organisation's blackouts, and the planned or under-way changes, provider maintenance
    and customer windows on the same services or organisation-wide. One read of the schedule
    (`schedule.selectors.overlapping`), then each maintenance record it names, restricted to what
    the user may see; a window of another organisation on a shared service shows only to staff."""
    require_permission(user, VIEW)
    exclude = (SOURCE_PROVIDER, exclude_maintenance) if exclude_maintenance is not None else None
    found = schedule.overlapping(
        organisation_id=organisation,
        starts_at=starts_at,
        ends_at=ends_at,
        service_ids=services,
        exclude=exclude,
    )
    scope = organisation_scope(user)
    if scope is not UNRESTRICTED:
        found = [w for w in found if w.organisation_id is None or w.organisation_id in scope]
    ids: dict[str, list[int]] = {}
    for w in found:
        ids.setdefault(w.source, []).append(w.source_id)
    order = ("starts_at", "pk")
    return Overlaps(
        blackouts=list(
            blackout_list(user=user).filter(pk__in=ids.get(SOURCE_BLACKOUT, [])).order_by(*order)
        ),
        maintenance=list(
            with_details(provider_maintenance_list(user=user))
            .filter(pk__in=ids.get(SOURCE_PROVIDER, []))
            .order_by(*order)
        ),
        customer_windows=list(
            with_scope(customer_window_list(user=user))
            .filter(pk__in=ids.get(SOURCE_CUSTOMER, []))
            .order_by(*order)
        ),
        changes=[w for w in found if w.kind == WindowKind.CHANGE],
    )


# --- E3: suppression ----------------------------------------------------------------------------------


def suppressing_window(
    *, account_id: str, at: dt.datetime, service_id: int | None = None
) -> CustomerWindow | None:
    """E3: the live customer window that covers an alarm on the AWS account `account_id` (12
    digits) at `at`, or None. An alarm it returns is recorded against that window instead of being
    raised as an incident (the alarm intake calls this). A window covers its own accounts and the
    accounts of its services; `service_id`, when the intake knows the alarm's service, also matches
    a window that names that service. One probe of the (account, starts_at, ends_at) index; the
    earliest-starting window wins when several cover the instant."""
    cover = (
        SuppressionCover.objects.filter(account__account_id=account_id, starts_at__lte=at, ends_at__gt=at)
        .select_related("window")
        .order_by("starts_at", "window_id")
        .first()
    )
    if cover is not None:
        return cover.window
    if service_id is None:
        return None
    return (
        CustomerWindow.objects.filter(
            services=service_id, cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at
        )
        .order_by("starts_at", "pk")
        .first()
    )


# --- E4: the iCalendar feed -------------------------------------------------------------------------


def feed_by_secret(secret: str) -> IcalFeed:
    """A wrong, old (rotated) or malformed secret is as absent as a missing feed (404)."""
    if not secret or len(secret) > 64:
        raise NotFound()
    feed = IcalFeed.objects.select_related("organisation").filter(secret=secret).first()
    if feed is None:
        raise NotFound()
    return feed


def upcoming(*, user: Any, organisation: int | None = None, now: dt.datetime | None = None) -> QuerySet:
    """The calendar view: every window the user may see from now on, not cancelled, in start order:
    changes, provider maintenance (provider-wide included for staff), customer windows and
    blackouts, as the schedule holds them."""
    require_permission(user, VIEW)
    now = now or timezone.now()
    return schedule.calendar(user=user, organisation=organisation, starts_from=now).select_related(
        "organisation"
    )


# --- E1: cloud-provider notices ------------------------------------------------------------------------


def health_notice_list(
    *,
    user: Any,
    organisation: int | None = None,
    state: str | None = None,
    category: str | None = None,
    unmatched: bool | None = None,
    q: str | None = None,
) -> QuerySet:
    """Staff see every notice, unmatched ones included; a customer only their organisation's (a
    notice matching no organisation has none, so no customer sees it)."""
    qs = _visible(HealthNotice, user).select_related("organisation", "account", "contact")
    qs = narrowed(qs, organisation_id=organisation, state=state, category=category)
    if unmatched is not None:
        qs = qs.filter(organisation__isnull=unmatched)
    if q:
        qs = qs.filter(
            Q(event_type_code__icontains=q) | Q(aws_service__icontains=q) | Q(aws_account_id__startswith=q)
        )
    return qs


def with_notice_details(qs: QuerySet) -> QuerySet:
    """The accounts, services and timeline (with its actors) of each notice, one query each."""
    return qs.prefetch_related(
        "accounts",
        "services",
        Prefetch("events", queryset=HealthNoticeEvent.objects.select_related("actor").order_by("at", "pk")),
    )


def health_notice_get(*, user: Any, pk: Any) -> HealthNotice:
    return get_or_not_found(with_notice_details(health_notice_list(user=user)), pk)


def health_notice_change_proposal(notice: HealthNotice, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """E1 → D1: what a change raised from the notice says, in the notice's words: a provider-initiated
    planned change for the notice's organisation, services and accounts, with the notice's text, the
    impact assessed, the contact made with the named contact, and, for an AWS scheduled change still
    ahead, the requested window AWS gave. Plain values; the shell hands them to the changes domain."""
    now = now or timezone.now()
    category = notice.get_category_display().lower()
    lines = [
        notice.description.strip() or "(AWS gave no description.)",
        "",
        f"From AWS Health ({category}): {notice.aws_service} {notice.event_type_code}, "
        f"account {notice.aws_account_id}{', region ' + notice.region if notice.region else ''}.",
        f"Event: {notice.event_arn}",
    ]
    if notice.affected_entities:
        shown = notice.affected_entities[:50]
        more = len(notice.affected_entities) - len(shown)
        lines.append("Affected: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))
    description = "\n".join(lines)
    if len(description) > 10_000:
        description = description[:9_990] + "…"
    window = None
    if (
        notice.category == "scheduledChange"
        and notice.end_time is not None
        and notice.start_time > now
        and notice.end_time > notice.start_time
    ):
        window = (notice.start_time, notice.end_time)
    how = notice.get_contact_method_display().lower()
    contact_note = f"By {how} with {notice.contact.name}" if notice.contact_id else ""
    if notice.contact_note:
        contact_note = f"{contact_note}: {notice.contact_note}"
    return {
        "organisation": notice.organisation_id,
        "title": f"AWS {notice.aws_service} {category}: {notice.event_type_code}"[:200],
        "description": description,
        "impact_statement": f"Impact {notice.get_impact_level_display().lower() or 'not assessed'}: "
        f"{notice.impact_assessment}"[:10_000],
        "urgency": {"high": "high", "medium": "medium"}.get(notice.impact_level, "low"),
        "services": [s.pk for s in notice.services.all()],
        "accounts": [a.pk for a in notice.accounts.all()],
        "lead_contact": notice.contact_id,
        "requested_start": window[0] if window else None,
        "requested_end": window[1] if window else None,
        "customer_contacted_at": notice.contacted_at,
        "customer_contact_note": (contact_note or "Contacted")[:1000],
    }
