"""Writes of maintenance (E1–E4). Each service checks the permission, resolves every reference
inside the organisation (another tenant's service or account is as unknown as a missing one), refuses
bad input naming the field before anything is written, writes in one transaction, audits (L1) and,
for provider maintenance, records each transition with who and when and sends the notices through
the outbox (L2) in the same transaction.

E2's 10 working days' notice is a check at scheduling, not a running sla Deadline: the notice goes
to the named contacts in the transaction that schedules the maintenance (there is no "notice
pending" state whose due time could pass), so the only question is whether the start lies on or
after the 10th working day after that notice on the organisation's calendar
(`calendars.services.add_working_days`, the one way a domain turns N working days into a date).
A Deadline of kind MAINTENANCE_NOTICE would be met at the instant it was created and could never be
warned or breached; the date the check found is kept on the maintenance (`notice_period_ends_on`)
so the page can say why it was allowed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import add_working_days
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.limits import instant_problem
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import lock_for_update, record_create, record_delete, record_update
from opsdesk.core.tenancy import object_in_scope
from opsdesk.core.validation import reject_nul
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Service
from opsdesk.maintenance import notifications
from opsdesk.maintenance.choices import (
    NOTICE_STEP_FROM,
    NOTICE_STEP_LABELS,
    STEP_FROM,
    STEP_LABELS,
    ContactMethod,
    EmergencyReason,
    ImpactLevel,
    MaintenanceState,
    NoticeCategory,
    NoticeState,
    NoticeStatus,
    Weekday,
)
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
from opsdesk.schedule import services as schedule
from opsdesk.schedule.choices import WindowKind, WindowPhase

VIEW = "maintenance.view"
MANAGE = "maintenance.manage"
DECLARE = "maintenance.declare"
TRIAGE = "maintenance.triage"

#: E2: "notification 10 working days prior to the maintenance activity" outside the window.
NOTICE_WORKING_DAYS = 10
#: E3: "informs ... at least 24 hours in advance".
CUSTOMER_NOTICE = dt.timedelta(hours=24)
#: A window longer than this is taken for a typo (a year of suppressed alarms hides real ones).
MAX_WINDOW = dt.timedelta(days=31)
MAX_BLACKOUT = dt.timedelta(days=366)

WINDOW_FIELDS = frozenset({"weekday", "start", "end", "timezone", "notes"})
BLACKOUT_FIELDS = frozenset({"starts_at", "ends_at", "reason"})
MAINTENANCE_EDITABLE = frozenset({"title", "description", "components", "published"})
#: What only provider-wide maintenance has (the status page's part).
WIDE_ONLY = frozenset({"components", "published"})
#: The provider's own business calendar: counts the notice of provider-wide maintenance.
PROVIDER_CALENDAR = "uk"
MAX_COMPONENTS = 20
MAX_COMPONENT_LENGTH = 100


# --- helpers -----------------------------------------------------------------------------------


def _organisation(actor: Any, value: Any) -> Organisation:
    org = value if isinstance(value, Organisation) else None
    if org is None and value not in (None, "") and str(value).isdigit():
        org = Organisation.objects.restrict(actor).filter(pk=int(value)).first()
    if org is None or not Organisation.objects.restrict(actor).filter(pk=org.pk).exists():
        raise ValidationFailed.field("organisation", f"Unknown organisation: {value!r}.")
    return org


def _ids(values: Iterable[Any] | None) -> list[Any]:
    return list(dict.fromkeys(values or []))


def _services(org: Organisation, values: Iterable[Any] | None) -> list[Service]:
    wanted = _ids(values)
    ids = [int(v) for v in wanted if str(v).isdigit()]
    found = {s.pk: s for s in Service.objects.filter(organisation=org, pk__in=ids)}
    missing = [str(v) for v in wanted if not str(v).isdigit() or int(v) not in found]
    if missing:
        raise ValidationFailed.field("services", f"Not services of {org}: {', '.join(missing)}.")
    return [found[int(v)] for v in wanted]


def _accounts(org: Organisation, values: Iterable[Any] | None) -> list[CloudAccount]:
    wanted = _ids(values)
    ids = [int(v) for v in wanted if str(v).isdigit()]
    found = {a.pk: a for a in CloudAccount.objects.filter(organisation=org, pk__in=ids)}
    missing = [str(v) for v in wanted if not str(v).isdigit() or int(v) not in found]
    if missing:
        raise ValidationFailed.field("accounts", f"Not cloud accounts of {org}: {', '.join(missing)}.")
    return [found[int(v)] for v in wanted]


def _instant(value: Any, field: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationFailed.field(field, f"Not a date and time: {value!r}.")
    if not isinstance(value, dt.datetime):
        raise ValidationFailed.field(field, "A date and time is required.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed.field(field, "Give a time zone offset (e.g. 2026-12-06T02:00:00+00:00).")
    return value.astimezone(dt.UTC)


def _times(
    starts_at: Any,
    ends_at: Any,
    *,
    now: dt.datetime,
    longest: dt.timedelta = MAX_WINDOW,
    past_ok: bool = False,
) -> tuple[dt.datetime, dt.datetime]:
    """A window's start and end: aware, ending after it starts, not in the past, not absurdly long."""
    start, end = _instant(starts_at, "starts_at"), _instant(ends_at, "ends_at")
    if end <= start:
        raise ValidationFailed.field("ends_at", "The window ends before it starts (or when it starts).")
    if not past_ok and start < now:
        raise ValidationFailed.field("starts_at", "The window starts in the past.")
    if end - start > longest:
        raise ValidationFailed.field("ends_at", f"A window lasts at most {longest.days} days.")
    return start, end


def _text(name: str, value: Any, *, required: bool = False, limit: int = 10_000) -> str:
    text = "" if value is None else str(value).strip()
    reject_nul(**{name: text})
    if required and not text:
        raise ValidationFailed.field(name, "This field is required.")
    if len(text) > limit:
        raise ValidationFailed.field(name, f"At most {limit:,} characters.")
    return text


def _zone(name: str) -> str:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field("timezone", f"Unknown time zone {name!r} (expected e.g. Europe/London).")
    return str(name)


def _time(value: Any, field: str) -> dt.time:
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            raise ValidationFailed.field(field, f"Not a time of day (HH:MM): {value!r}.")
    if not isinstance(value, dt.time):
        raise ValidationFailed.field(field, "A time of day (HH:MM) is required.")
    return value.replace(second=0, microsecond=0, tzinfo=None)


def in_agreed_window(window: AgreedWindow | None, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """E2: whether [starts_at, ends_at) lies inside one occurrence of the organisation's agreed
    window, in the window's own time zone (so a Sunday 02:00–06:00 window stays 02:00–06:00 local
    across DST). A window whose end is at or before its start runs into the next day."""
    if window is None:
        return False
    zone = ZoneInfo(window.timezone)
    local_start = starts_at.astimezone(zone)
    for back in (0, 1):
        day = local_start.date() - dt.timedelta(days=back)
        if day.weekday() != window.weekday:
            continue
        opens = dt.datetime.combine(day, window.start, tzinfo=zone)
        end_day = day if window.end > window.start else day + dt.timedelta(days=1)
        closes = dt.datetime.combine(end_day, window.end, tzinfo=zone)
        if opens <= starts_at and ends_at <= closes:
            return True
    return False


def notice_period_end(calendar: Calendar, notice_at: dt.datetime) -> dt.date:
    """E2: the 10th working day after the day the notice is given, on the organisation's calendar
    (the provider's for provider-wide maintenance)."""
    day = notice_at.astimezone(ZoneInfo(calendar.timezone)).date()
    return add_working_days(calendar=calendar, start=day, days=NOTICE_WORKING_DAYS)


def _check_state(
    current: str, allowed: Iterable[str], *, states: Any, doing: str, subject: str, noun: str
) -> None:
    """A step's state rule (E1 triage, E2 lifecycle): refused as a conflict naming the state."""
    if current in allowed:
        return
    state = states(current).label.lower()
    wanted = " or ".join(states(s).label.lower() for s in allowed)
    raise Conflict(
        f"Cannot {doing}: {subject} is {state}; this step needs {noun} that is {wanted}.",
        [{"field": "state", "message": f"The {noun.removeprefix('a ')} is {state}."}],
    )


def _check_step(maintenance: ProviderMaintenance, step: str) -> None:
    _check_state(
        maintenance.state,
        STEP_FROM[step],
        states=MaintenanceState,
        doing=STEP_LABELS[step],
        subject=str(maintenance),
        noun="maintenance",
    )


def _timeline(event: Any, owner: str, obj: Any, *, actor: Any, from_state: str, at: dt.datetime, note: str):
    """One entry of a lifecycle's timeline: from which state to which (the object's now), who, when."""
    event.objects.create(
        **{owner: obj},
        from_state=from_state,
        to_state=obj.state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
        note=note[:1000],
    )


def _event(
    maintenance: ProviderMaintenance, *, actor: Any, from_state: str, at: dt.datetime, note: str
) -> None:
    _timeline(
        MaintenanceEvent, "maintenance", maintenance, actor=actor, from_state=from_state, at=at, note=note
    )


# --- the schedule's copies (D6, E4) --------------------------------------------------------------
#
# Every write below that creates, moves, steps, cancels or deletes a window calls one of these in
# the same transaction, so the calendar of windows (opsdesk.schedule) changes exactly when the
# record does: the overlap check, the calendar page, the iCal feeds and the status page read it.

SOURCE_PROVIDER = "maintenance.provider"
SOURCE_CUSTOMER = "maintenance.customer"
SOURCE_BLACKOUT = "maintenance.blackout"

#: The provider-maintenance lifecycle in the schedule's words.
PHASE = {
    MaintenanceState.SCHEDULED: WindowPhase.PLANNED,
    MaintenanceState.IN_PROGRESS: WindowPhase.UNDER_WAY,
    MaintenanceState.VERIFYING: WindowPhase.UNDER_WAY,
    MaintenanceState.COMPLETED: WindowPhase.DONE,
    MaintenanceState.CANCELLED: WindowPhase.CANCELLED,
}


def _publish_maintenance(maintenance: ProviderMaintenance) -> None:
    """Provider maintenance in the schedule; provider-wide and published means public (the status
    page), with its components."""
    kind = "Emergency maintenance" if maintenance.is_emergency else "Maintenance"
    schedule.window_put(
        source=SOURCE_PROVIDER,
        source_id=maintenance.pk,
        kind=WindowKind.PROVIDER_MAINTENANCE,
        organisation_id=maintenance.organisation_id,
        title=maintenance.title,
        starts_at=maintenance.starts_at,
        ends_at=maintenance.ends_at,
        phase=PHASE[MaintenanceState(maintenance.state)],
        state=maintenance.state,
        service_ids=[s.pk for s in maintenance.services.all()],
        reference=f"MNT-{maintenance.pk}",
        description=maintenance.description or kind,
        public=maintenance.organisation_id is None and maintenance.published,
        components=maintenance.components if maintenance.organisation_id is None else [],
        url=reverse("maintenance:maintenance_detail", args=[maintenance.pk]),
    )


def _publish_customer_window(window: CustomerWindow) -> None:
    schedule.window_put(
        source=SOURCE_CUSTOMER,
        source_id=window.pk,
        kind=WindowKind.CUSTOMER_MAINTENANCE,
        organisation_id=window.organisation_id,
        title=window.title,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        phase=WindowPhase.CANCELLED if window.cancelled_at else WindowPhase.PLANNED,
        state="cancelled" if window.cancelled_at else "declared",
        service_ids=[s.pk for s in window.services.all()],
        reference=f"CMW-{window.pk}",
        description=window.description
        or "Customer-led maintenance: alarms on its services and accounts are suppressed.",
        url=reverse("maintenance:customer_window_detail", args=[window.pk]),
    )


def _publish_blackout(blackout: Blackout) -> None:
    schedule.window_put(
        source=SOURCE_BLACKOUT,
        source_id=blackout.pk,
        kind=WindowKind.BLACKOUT,
        organisation_id=blackout.organisation_id,
        title=blackout.reason,
        starts_at=blackout.starts_at,
        ends_at=blackout.ends_at,
        reference=f"BLK-{blackout.pk}",
        description="No changes or maintenance (blackout).",
        url=reverse("maintenance:blackout_detail", args=[blackout.pk]),
    )


# --- agreed windows ----------------------------------------------------------------------------


def _window_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "weekday" in values:
        day = values["weekday"]
        if isinstance(day, bool) or not isinstance(day, int) or day not in Weekday.values:
            raise ValidationFailed.field("weekday", "A weekday from 0 (Monday) to 6 (Sunday).")
        cleaned["weekday"] = day
    for name in ("start", "end"):
        if name in values:
            cleaned[name] = _time(values[name], name)
    if "timezone" in values:
        cleaned["timezone"] = _zone(values["timezone"])
    if "notes" in values:
        cleaned["notes"] = _text("notes", values["notes"], limit=1000)
    return cleaned


def window_create(
    *,
    actor: Any,
    organisation: Any,
    weekday: int,
    start: Any,
    end: Any,
    timezone: str = "Europe/London",
    notes: str = "",
) -> AgreedWindow:
    """E2: the window agreed at onboarding, recorded by staff; one per organisation."""
    require_permission(actor, MANAGE)
    org = _organisation(actor, organisation)
    values = _window_values(
        {"weekday": weekday, "start": start, "end": end, "timezone": timezone, "notes": notes}
    )
    if values["start"] == values["end"]:
        raise ValidationFailed.field("end", "The window ends when it starts.")
    with transaction.atomic():
        if AgreedWindow.objects.filter(organisation=org).exists():
            raise ValidationFailed.field(
                "organisation", f"{org} already has an agreed maintenance window; change that one."
            )
        return record_create(actor=actor, obj=AgreedWindow(organisation=org, **values))


def window_update(
    *, actor: Any, window: AgreedWindow, expected_version: int | None = None, **changes: Any
) -> AgreedWindow:
    require_permission(actor, MANAGE)
    unknown = sorted(set(changes) - WINDOW_FIELDS)
    if unknown:
        raise ValidationFailed.field(unknown[0], "Not a field of an agreed window.")
    values = _window_values(changes)
    start, end = values.get("start", window.start), values.get("end", window.end)
    if start == end:
        raise ValidationFailed.field("end", "The window ends when it starts.")
    with transaction.atomic():
        return record_update(actor=actor, obj=window, changes=values, expected_version=expected_version)


def window_delete(*, actor: Any, window: AgreedWindow, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        record_delete(actor=actor, obj=window, expected_version=expected_version)


# --- blackouts -----------------------------------------------------------------------------------


def blackout_create(*, actor: Any, organisation: Any, starts_at: Any, ends_at: Any, reason: str) -> Blackout:
    """D6/E2: a period of the organisation's calendar when nothing may be changed."""
    require_permission(actor, MANAGE)
    org = _organisation(actor, organisation)
    start, end = _times(starts_at, ends_at, now=timezone.now(), longest=MAX_BLACKOUT)
    text = _text("reason", reason, required=True, limit=300)
    with transaction.atomic():
        blackout = record_create(
            actor=actor, obj=Blackout(organisation=org, starts_at=start, ends_at=end, reason=text)
        )
        _publish_blackout(blackout)
    return blackout


def blackout_update(
    *, actor: Any, blackout: Blackout, expected_version: int | None = None, **changes: Any
) -> Blackout:
    require_permission(actor, MANAGE)
    unknown = sorted(set(changes) - BLACKOUT_FIELDS)
    if unknown:
        raise ValidationFailed.field(unknown[0], "Not a field of a blackout.")
    values: dict[str, Any] = {}
    if "starts_at" in changes or "ends_at" in changes:
        moved_start = "starts_at" in changes
        start, end = _times(
            changes.get("starts_at", blackout.starts_at),
            changes.get("ends_at", blackout.ends_at),
            now=timezone.now(),
            longest=MAX_BLACKOUT,
            past_ok=not moved_start,
        )
        if end < timezone.now():
            raise ValidationFailed.field("ends_at", "The blackout would end in the past.")
        values.update(starts_at=start, ends_at=end)
    if "reason" in changes:
        values["reason"] = _text("reason", changes["reason"], required=True, limit=300)
    with transaction.atomic():
        updated = record_update(actor=actor, obj=blackout, changes=values, expected_version=expected_version)
        _publish_blackout(updated)
    return updated


def blackout_delete(*, actor: Any, blackout: Blackout, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE)
    with transaction.atomic():
        pk = blackout.pk
        record_delete(actor=actor, obj=blackout, expected_version=expected_version)
        schedule.window_remove(source=SOURCE_BLACKOUT, source_id=pk)


# --- provider-led maintenance (E2) -------------------------------------------------------------------


def _components(value: Any) -> list[str]:
    """Status-page components: distinct short names, blanks dropped (a text is one name a line)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        raise ValidationFailed.field("components", "A list of component names.")
    names: list[str] = []
    for raw in value:
        if not isinstance(raw, str):
            raise ValidationFailed.field("components", "A list of component names.")
        name = _text("components", raw, limit=MAX_COMPONENT_LENGTH)
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    if len(names) > MAX_COMPONENTS:
        raise ValidationFailed.field("components", f"At most {MAX_COMPONENTS} components.")
    return names


def provider_calendar() -> Calendar:
    """Provider-wide maintenance has no one organisation's calendar: the provider's own counts."""
    return Calendar.objects.get(name=PROVIDER_CALENDAR)


def provider_maintenance_create(
    *,
    actor: Any,
    organisation: Any,
    title: str,
    starts_at: Any,
    ends_at: Any,
    description: str = "",
    services: Iterable[Any] | None = None,
    is_emergency: bool = False,
    emergency_reason: str = "",
    emergency_detail: str = "",
    components: Any = None,
    published: bool = True,
) -> ProviderMaintenance:
    """E2: provider maintenance is planned inside the organisation's agreed window; outside it only
    when its start is at least 10 working days after the notice (given now, to the named contacts),
    else refused unless it is an emergency with its reason (security advisory, compliance, incident
    resolution). Never during a blackout unless an emergency.

    E4: with no organisation it is provider-wide, scheduled by provider staff only. No agreed window
    covers every customer, so it always needs the 10 working days' notice, counted on the provider's
    calendar ("uk"), unless an emergency; the notice goes to every organisation's named contacts
    through the outbox; it names status-page components, not services, and is shown on the public
    status page while published. One organisation's blackout does not stop it (it is checked per
    organisation only)."""
    require_permission(actor, MANAGE)
    wide = organisation in (None, "")
    if wide and not getattr(actor, "is_provider_staff", False):
        raise PermissionDenied("Only provider staff schedule provider-wide maintenance.")
    org = None if wide else _organisation(actor, organisation)
    now = timezone.now()
    title = _text("title", title, required=True, limit=200)
    description = _text("description", description)
    start, end = _times(starts_at, ends_at, now=now)
    if wide and _ids(services):
        raise ValidationFailed.field(
            "services",
            "Provider-wide maintenance names status-page components, not one organisation's services.",
        )
    chosen = [] if org is None else _services(org, services)
    names = _components(components) if wide else []
    if not wide and _components(components):
        raise ValidationFailed.field("components", "Only provider-wide maintenance is on the status page.")
    reason = emergency_reason or ""
    if is_emergency:
        if reason not in EmergencyReason.values:
            raise ValidationFailed.field(
                "emergency_reason",
                f"Emergency maintenance needs its reason, one of: {', '.join(EmergencyReason.values)}.",
            )
    elif reason:
        raise ValidationFailed.field(
            "emergency_reason", "Only emergency maintenance has an emergency reason."
        )
    detail = _text("emergency_detail", emergency_detail, limit=1000)
    window = None if org is None else AgreedWindow.objects.filter(organisation=org).first()
    inside = in_agreed_window(window, start, end)
    calendar = provider_calendar() if org is None else org.calendar
    period_end = notice_period_end(calendar, now)
    if not inside and not is_emergency:
        local_day = start.astimezone(ZoneInfo(calendar.timezone)).date()
        if local_day < period_end:
            if org is None:
                where = "provider-wide (no agreed window covers every organisation)"
            else:
                where = (
                    f"outside the agreed window ({window})" if window else "with no agreed window recorded"
                )
            raise ValidationFailed.field(
                "starts_at",
                f"Maintenance {where} needs {NOTICE_WORKING_DAYS} working days' notice: with notice "
                f"given today it may start on {period_end:%A %d %B %Y} at the earliest, or be marked "
                "as an emergency with its reason.",
            )
    if not is_emergency and org is not None:
        clash = (
            Blackout.objects.filter(organisation=org, starts_at__lt=end, ends_at__gt=start)
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            raise ValidationFailed.field(
                "starts_at",
                f"The window overlaps the blackout “{clash.reason}” "
                f"({clash.starts_at:%d %b %Y %H:%M}–{clash.ends_at:%d %b %Y %H:%M} UTC); "
                "only emergency maintenance may be done then.",
            )
    with transaction.atomic():
        maintenance = record_create(
            actor=actor,
            obj=ProviderMaintenance(
                organisation=org,
                title=title,
                description=description,
                starts_at=start,
                ends_at=end,
                in_window=inside,
                is_emergency=bool(is_emergency),
                emergency_reason=reason if is_emergency else "",
                emergency_detail=detail if is_emergency else "",
                notice_given_at=now,
                notice_period_ends_on=period_end,
                components=names,
                published=bool(published) if org is None else True,
            ),
            m2m={"services": chosen},
        )
        kind = "inside the agreed window" if inside else "outside the agreed window"
        if org is None:
            kind = "provider-wide"
        if is_emergency:
            label = EmergencyReason(reason).label.lower()
            kind = f"{'provider-wide ' if org is None else ''}emergency ({label})"
        _event(maintenance, actor=actor, from_state="", at=now, note=f"Scheduled, {kind}; notice sent.")
        notifications.notify_scheduled(maintenance, services=chosen)
        _publish_maintenance(maintenance)
    return maintenance


def provider_maintenance_update(
    *,
    actor: Any,
    provider_maintenance: ProviderMaintenance,
    expected_version: int | None = None,
    **changes: Any,
) -> ProviderMaintenance:
    """Title and description (and, provider-wide, the status-page components and whether it is
    published) only: a new time is a new notice, so it is cancelled and scheduled again."""
    require_permission(actor, MANAGE)
    unknown = sorted(set(changes) - MAINTENANCE_EDITABLE)
    if unknown:
        raise ValidationFailed(
            f"Cannot change: {', '.join(unknown)}.",
            [
                {"field": n, "message": "Cancel the maintenance and schedule it again (a new notice)."}
                for n in unknown
            ],
        )
    values: dict[str, Any] = {}
    if provider_maintenance.organisation_id is not None:
        for name in sorted(WIDE_ONLY & set(changes)):
            if (changes[name] is False) if name == "published" else bool(_components(changes[name])):
                raise ValidationFailed.field(name, "Only provider-wide maintenance is on the status page.")
            changes.pop(name)
    if "title" in changes:
        values["title"] = _text("title", changes["title"], required=True, limit=200)
    if "description" in changes:
        values["description"] = _text("description", changes["description"])
    if "components" in changes:
        values["components"] = _components(changes["components"])
    if "published" in changes:
        values["published"] = bool(changes["published"])
    with transaction.atomic():
        updated = record_update(
            actor=actor, obj=provider_maintenance, changes=values, expected_version=expected_version
        )
        _publish_maintenance(updated)
    return updated


def _step(
    actor: Any,
    maintenance: ProviderMaintenance,
    step: str,
    to_state: str,
    expected_version: int | None,
    note: str,
    **changes: Any,
) -> ProviderMaintenance:
    require_permission(actor, MANAGE)
    note = _text("note", note, limit=1000)
    with transaction.atomic():
        locked = lock_for_update(maintenance, expected_version)
        _check_step(locked, step)
        now = timezone.now()
        resolved = {k: (v(locked, now) if callable(v) else v) for k, v in changes.items()}
        before = locked.state
        updated = record_update(actor=actor, obj=locked, changes={**resolved, "state": to_state})
        default = {
            "start": "Work started.",
            "end": "Work ended early; verifying." if updated.ended_early else "Work ended; verifying.",
            "complete": "Verified and completed.",
            "cancel": "Cancelled.",
        }[step]
        _event(updated, actor=actor, from_state=before, at=now, note=f"{default} {note}".strip())
        if step == "cancel":
            notifications.notify_cancelled(updated, reason=note)
        _publish_maintenance(updated)
        return updated


def provider_maintenance_start(
    *,
    actor: Any,
    provider_maintenance: ProviderMaintenance,
    expected_version: int | None = None,
    note: str = "",
) -> ProviderMaintenance:
    """E2: scheduled → in progress."""
    return _step(
        actor,
        provider_maintenance,
        "start",
        MaintenanceState.IN_PROGRESS,
        expected_version,
        note,
        started_at=lambda m, now: now,
    )


def provider_maintenance_end(
    *,
    actor: Any,
    provider_maintenance: ProviderMaintenance,
    expected_version: int | None = None,
    note: str = "",
) -> ProviderMaintenance:
    """E2: in progress → verifying; a window ended before its planned end is recorded as ended early
    (a started window is ended, never deleted)."""
    return _step(
        actor,
        provider_maintenance,
        "end",
        MaintenanceState.VERIFYING,
        expected_version,
        note,
        ended_at=lambda m, now: now,
        ended_early=lambda m, now: now < m.ends_at,
    )


def provider_maintenance_complete(
    *,
    actor: Any,
    provider_maintenance: ProviderMaintenance,
    expected_version: int | None = None,
    note: str = "",
) -> ProviderMaintenance:
    """E2: verifying → completed."""
    return _step(
        actor,
        provider_maintenance,
        "complete",
        MaintenanceState.COMPLETED,
        expected_version,
        note,
        completed_at=lambda m, now: now,
    )


def provider_maintenance_cancel(
    *, actor: Any, provider_maintenance: ProviderMaintenance, reason: str, expected_version: int | None = None
) -> ProviderMaintenance:
    """Only scheduled maintenance is cancelled (the named contacts are told); started maintenance is
    ended instead."""
    if not (reason or "").strip():
        raise ValidationFailed.field("reason", "A reason is required to cancel maintenance.")
    return _step(
        actor,
        provider_maintenance,
        "cancel",
        MaintenanceState.CANCELLED,
        expected_version,
        reason,
        cancelled_at=lambda m, now: now,
    )


# --- customer-led maintenance (E3) -----------------------------------------------------------------


def _covered_accounts(services: list[Service], accounts: list[CloudAccount]) -> list[CloudAccount]:
    covered = {a.pk: a for a in accounts}
    if services:
        for account in CloudAccount.objects.filter(services__in=[s.pk for s in services]).distinct():
            covered.setdefault(account.pk, account)
    return list(covered.values())


def customer_window_create(
    *,
    actor: Any,
    title: str,
    starts_at: Any,
    ends_at: Any,
    organisation: Any = None,
    description: str = "",
    services: Iterable[Any] | None = None,
    accounts: Iterable[Any] | None = None,
) -> CustomerWindow:
    """E3: a customer (a named contact) or staff on their behalf declares a maintenance window at
    least 24 hours ahead, for given services and/or accounts. The accounts it covers (its own and
    those of its services) are written as suppression covers for the alarm intake."""
    require_permission(actor, DECLARE)
    if organisation in (None, "") and not getattr(actor, "is_provider_staff", False):
        organisation = actor.customer_organisation_id
    org = _organisation(actor, organisation)
    if not actor.is_provider_staff and getattr(actor, "contact_id", None) is None:
        raise PermissionDenied("Only a named contact of the organisation may declare maintenance.")
    now = timezone.now()
    title = _text("title", title, required=True, limit=200)
    description = _text("description", description)
    start, end = _times(starts_at, ends_at, now=now)
    if start < now + CUSTOMER_NOTICE:
        raise ValidationFailed.field(
            "starts_at",
            "Customer maintenance must be declared at least 24 hours ahead: the earliest start now is "
            f"{(now + CUSTOMER_NOTICE):%d %b %Y %H:%M} UTC.",
        )
    chosen_services = _services(org, services)
    chosen_accounts = _accounts(org, accounts)
    if not chosen_services and not chosen_accounts:
        raise ValidationFailed.field("services", "Name at least one service or cloud account.")
    contact = getattr(actor, "contact", None) if not actor.is_provider_staff else None
    with transaction.atomic():
        window = record_create(
            actor=actor,
            obj=CustomerWindow(
                organisation=org,
                title=title,
                description=description,
                starts_at=start,
                ends_at=end,
                declared_by=actor,
                contact=contact,
            ),
            m2m={"services": chosen_services, "accounts": chosen_accounts},
        )
        SuppressionCover.objects.bulk_create(
            SuppressionCover(window=window, account=a, starts_at=start, ends_at=end)
            for a in _covered_accounts(chosen_services, chosen_accounts)
        )
        if not object_in_scope(actor, window):
            raise NotFound()
        _publish_customer_window(window)
    return window


def customer_window_cancel(
    *, actor: Any, customer_window: CustomerWindow, reason: str = "", expected_version: int | None = None
) -> CustomerWindow:
    """A window not yet over is withdrawn: its alarms are no longer suppressed from now on."""
    require_permission(actor, DECLARE)
    with transaction.atomic():
        locked = lock_for_update(customer_window, expected_version)
        now = timezone.now()
        if locked.cancelled_at is not None:
            raise Conflict(f"{locked} is already cancelled.", [{"field": "state", "message": "Cancelled."}])
        if locked.ends_at <= now:
            raise Conflict(f"{locked} is over.", [{"field": "ends_at", "message": "The window is over."}])
        locked.covers.all().delete()
        description = locked.description
        text = _text("reason", reason, limit=1000)
        if text:
            description = f"{description}\n\nCancelled: {text}".strip()
        updated = record_update(
            actor=actor, obj=locked, changes={"cancelled_at": now, "description": description}
        )
        _publish_customer_window(updated)
        return updated


# --- the iCalendar feed (E4) -------------------------------------------------------------------------


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def ical_feed_for(*, actor: Any, organisation: Organisation) -> IcalFeed:
    """The organisation's feed, made on first asking (the caller has already seen the organisation)."""
    require_permission(actor, VIEW)
    with transaction.atomic():
        feed, _created = IcalFeed.objects.get_or_create(
            organisation=organisation, defaults={"secret": _new_secret()}
        )
    return feed


def ical_feed_rotate(*, actor: Any, organisation: Organisation) -> IcalFeed:
    """A new secret: every address given out before stops working at once."""
    require_permission(actor, DECLARE)
    feed = ical_feed_for(actor=actor, organisation=organisation)
    with transaction.atomic():
        return record_update(
            actor=actor, obj=feed, changes={"secret": _new_secret(), "rotated_at": timezone.now()}
        )


# --- cloud-provider notices (E1) ----------------------------------------------------------------------

#: EventBridge's own limit on an event: anything larger is not an AWS Health event.
EVENT_MAX_BYTES = 256 * 1024
HEALTH_SOURCE = "aws.health"
HEALTH_DETAIL_TYPE = "AWS Health Event"
#: Resources and affected entities kept per notice (AWS pages larger lists over several events).
MAX_ENTITIES = 1000
MAX_ENTITY_CHARS = 2048
DESCRIPTION_MAX = 50_000
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_HEALTH_ARN = re.compile(r"^arn:aws[a-z-]*:health:[a-z0-9-]*:[0-9]{0,12}:event/\S+$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[^:]*:[^:]*:([0-9]{12}):")
#: A contact recorded a few minutes "in the future" is a clock apart, not a prediction.
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class HealthEvent:
    """The fields of an `aws.health` EventBridge event that a notice keeps (E1), validated."""

    event_id: str
    event_arn: str
    account_id: str
    region: str
    aws_service: str
    event_type_code: str
    category: str
    status_code: str
    start_time: dt.datetime
    end_time: dt.datetime | None
    last_updated_time: dt.datetime | None
    description: str
    resources: list[str]
    entities: list[str]
    other_accounts: set[str]
    raw: dict


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _aws_time(value: Any) -> tuple[dt.datetime | None, str]:
    """An AWS time: ISO 8601 (`time`, e.g. 2026-12-06T02:00:00Z) or the RFC 2822 form AWS Health
    uses in `detail` (Sun, 06 Dec 2026 02:00:00 GMT). (instant, "") or (None, why not)."""
    if not isinstance(value, str) or not value.strip():
        return None, "A date and time is required (ISO 8601 or RFC 2822, with its zone)."
    text = value.strip()
    try:
        at = dt.datetime.fromisoformat(text)
        if at.tzinfo is None or at.utcoffset() is None:
            return None, f"Give the time zone of {text[:40]!r} (e.g. 2026-12-06T02:00:00Z)."
    except ValueError:
        try:
            at = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None, f"Not a date and time: {text[:40]!r}."
        if at.tzinfo is None:  # RFC 2822 "-0000": UTC with no claim about local time
            at = at.replace(tzinfo=dt.UTC)
    problem = instant_problem(at)
    if problem:
        return None, f"{text[:40]!r} is out of range. {problem}"
    return at.astimezone(dt.UTC), ""


def _short_text(value: Any, limit: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value.strip()) <= limit else None


def _parse_health_event(event: Any) -> HealthEvent:
    """Every problem of the event at once, each naming its field by its path (`detail.eventArn`),
    so that a malformed event is refused as a whole and nothing is stored (E1, bad input)."""
    if not isinstance(event, dict):
        raise ValidationFailed.field("event", "An AWS Health event is a JSON object.")
    try:
        size = len(json.dumps(event, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError, RecursionError):
        raise ValidationFailed.field("event", "The event is not plain JSON.")
    if size > EVENT_MAX_BYTES:
        raise ValidationFailed.field("event", f"At most {EVENT_MAX_BYTES // 1024} KB (EventBridge's limit).")
    if any("\x00" in text for text in _strings(event)):
        raise ValidationFailed.field("event", "Null characters are not allowed.")
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    if event.get("source") != HEALTH_SOURCE:
        bad("source", f"Must be {HEALTH_SOURCE!r}: only AWS Health events are taken in here.")
    if event.get("detail-type") != HEALTH_DETAIL_TYPE:
        bad("detail-type", f"Must be {HEALTH_DETAIL_TYPE!r}.")
    event_id = _short_text(event.get("id"), 128)
    if event_id is None:
        bad("id", "The EventBridge event id is required (at most 128 characters).")
    account = event.get("account")
    if not isinstance(account, str) or not _ACCOUNT_ID.match(account):
        bad("account", "An AWS account id is exactly 12 digits.")
    received, why = _aws_time(event.get("time"))
    if received is None:
        bad("time", why)
    region = event.get("region") or ""
    if not isinstance(region, str) or len(region) > 32:
        bad("region", "An AWS region name (at most 32 characters).")
        region = ""
    resources = event.get("resources") or []
    if not isinstance(resources, list) or len(resources) > MAX_ENTITIES:
        bad("resources", f"A list of at most {MAX_ENTITIES} resource ARNs.")
        resources = []
    for i, item in enumerate(resources):
        if _short_text(item, MAX_ENTITY_CHARS) is None:
            bad(f"resources.{i}", f"A resource ARN (at most {MAX_ENTITY_CHARS} characters).")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        bad("detail", "The event's detail (an object with eventArn, service, eventTypeCode…) is required.")
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    arn = detail.get("eventArn")
    if not isinstance(arn, str) or len(arn) > 1600 or not _HEALTH_ARN.match(arn):
        bad("detail.eventArn", "The AWS Health event ARN (arn:aws:health:<region>::event/…) is required.")
    aws_service = _short_text(detail.get("service"), 64)
    if aws_service is None:
        bad("detail.service", "The AWS service (e.g. RDS) is required.")
    type_code = _short_text(detail.get("eventTypeCode"), 200)
    if type_code is None:
        bad("detail.eventTypeCode", "The event type code (e.g. AWS_RDS_MAINTENANCE_SCHEDULED) is required.")
    category = detail.get("eventTypeCategory")
    if category not in NoticeCategory.values:
        bad("detail.eventTypeCategory", f"Must be one of: {', '.join(NoticeCategory.values)}.")
    start, why = _aws_time(detail.get("startTime"))
    if start is None:
        bad("detail.startTime", why)
    end = None
    if detail.get("endTime") not in (None, ""):
        end, why = _aws_time(detail.get("endTime"))
        if end is None:
            bad("detail.endTime", why)
        elif start is not None and end < start:
            bad("detail.endTime", "The event ends before it starts.")
    updated = None
    if detail.get("lastUpdatedTime") not in (None, ""):
        updated, why = _aws_time(detail.get("lastUpdatedTime"))
        if updated is None:
            bad("detail.lastUpdatedTime", why)
    status = detail.get("statusCode") or ""
    if status and status not in NoticeStatus.values:
        bad("detail.statusCode", f"Must be one of: {', '.join(NoticeStatus.values)}.")
    event_region = detail.get("eventRegion") or region
    if not isinstance(event_region, str) or len(event_region) > 32:
        bad("detail.eventRegion", "An AWS region name (at most 32 characters).")
        event_region = region
    description = ""
    descriptions = detail.get("eventDescription") or []
    if not isinstance(descriptions, list):
        bad("detail.eventDescription", "A list of {language, latestDescription}.")
        descriptions = []
    texts: list[tuple[str, str]] = []
    for i, item in enumerate(descriptions):
        text = item.get("latestDescription") if isinstance(item, dict) else None
        if not isinstance(text, str) or len(text) > DESCRIPTION_MAX:
            bad(
                f"detail.eventDescription.{i}.latestDescription",
                f"The description's text (at most {DESCRIPTION_MAX:,} characters).",
            )
            continue
        language = item.get("language")
        texts.append((language if isinstance(language, str) else "", text))
    if texts:
        english = [t for lang, t in texts if lang.lower().startswith("en")]
        description = (english or [texts[0][1]])[0]
    entities: list[str] = []
    others: set[str] = set()
    affected = detail.get("affectedEntities") or []
    if not isinstance(affected, list) or len(affected) > MAX_ENTITIES:
        bad("detail.affectedEntities", f"A list of at most {MAX_ENTITIES} entities.")
        affected = []
    for i, item in enumerate(affected):
        value = item.get("entityValue") if isinstance(item, dict) else None
        if _short_text(value, MAX_ENTITY_CHARS) is None:
            bad(f"detail.affectedEntities.{i}.entityValue", "Each affected entity has its entityValue.")
            continue
        entities.append(value)
        owner = item.get("awsAccountId")
        if owner not in (None, ""):
            if not isinstance(owner, str) or not _ACCOUNT_ID.match(owner):
                bad(f"detail.affectedEntities.{i}.awsAccountId", "An AWS account id is exactly 12 digits.")
            else:
                others.add(owner)
    affected_account = detail.get("affectedAccount")
    if affected_account not in (None, "") and (
        not isinstance(affected_account, str) or not _ACCOUNT_ID.match(affected_account)
    ):
        bad("detail.affectedAccount", "An AWS account id is exactly 12 digits.")
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    for arn_of in (*resources, *entities):
        found = _ARN_ACCOUNT.match(arn_of)
        if found:
            others.add(found.group(1))
    # An organisational view's event names the member account it is about.
    about = affected_account or account
    return HealthEvent(
        event_id=event_id,
        event_arn=arn,
        account_id=about,
        region=event_region,
        aws_service=aws_service,
        event_type_code=type_code,
        category=category,
        status_code=status,
        start_time=start,
        end_time=end,
        last_updated_time=updated,
        description=description,
        resources=list(dict.fromkeys(resources)),
        entities=list(dict.fromkeys(entities)),
        other_accounts=others - {about},
        raw=event,
    )


def _health_match(
    parsed: HealthEvent, organisation: Organisation | None = None
) -> tuple[CloudAccount | None, list[CloudAccount], list[Service]]:
    """E1: the directory's account with the event's account id gives the organisation; the affected
    accounts are it and the organisation's accounts named by the resources and entities (their ARNs
    or `awsAccountId`); the services are the organisation's services on those accounts (the
    directory knows services by account, not by resource)."""
    account = CloudAccount.objects.select_related("organisation").filter(account_id=parsed.account_id).first()
    org = organisation or (account.organisation if account else None)
    if org is None:
        return None, [], []
    if account is not None and account.organisation_id != org.pk:
        account = None
    ids = {parsed.account_id, *parsed.other_accounts}
    accounts = list(CloudAccount.objects.filter(organisation=org, account_id__in=sorted(ids)))
    services = list(
        Service.objects.filter(organisation=org, accounts__in=[a.pk for a in accounts]).distinct()
    )
    return account, accounts, services


def _notice_event(notice: HealthNotice, *, actor: Any, from_state: str, at: dt.datetime, note: str) -> None:
    _timeline(HealthNoticeEvent, "notice", notice, actor=actor, from_state=from_state, at=at, note=note)


def _merged(old: list, new: list) -> list:
    return list(dict.fromkeys([*old, *new]))[:MAX_ENTITIES]


def health_event_receive(*, actor: Any, event: Any) -> tuple[HealthNotice, bool]:
    """E1, the one intake of AWS Health events (the API's POST now; EventBridge deliveries through
    the alarm intake later, with `actor=None` for the system): validate the whole event (a malformed
    one is refused naming its fields, nothing stored), then store it de-duplicated by (event ARN,
    account id). A repeat delivery updates the notice (the latest description, status and end time,
    unless it is older than what is stored), adds the resources and entities it lists, and counts;
    it never adds a row. Returns (notice, created)."""
    if actor is not None:
        require_permission(actor, TRIAGE)
    parsed = _parse_health_event(event)
    now = timezone.now()
    key = {"event_arn": parsed.event_arn, "aws_account_id": parsed.account_id}
    with transaction.atomic():
        existing = HealthNotice.objects.select_for_update().filter(**key).first()
        if existing is None:
            account, accounts, services_ = _health_match(parsed)
            try:
                with transaction.atomic():
                    notice = record_create(
                        actor=actor,
                        obj=HealthNotice(
                            **key,
                            organisation=account.organisation if account else None,
                            account=account,
                            event_id=parsed.event_id,
                            aws_service=parsed.aws_service,
                            event_type_code=parsed.event_type_code,
                            category=parsed.category,
                            region=parsed.region,
                            status_code=parsed.status_code,
                            start_time=parsed.start_time,
                            end_time=parsed.end_time,
                            last_updated_time=parsed.last_updated_time,
                            description=parsed.description,
                            resources=parsed.resources[:MAX_ENTITIES],
                            affected_entities=parsed.entities[:MAX_ENTITIES],
                            raw=parsed.raw,
                            first_received_at=now,
                            last_received_at=now,
                        ),
                        m2m={"accounts": accounts, "services": services_},
                    )
                    where = f"matched to {account.organisation}" if account else "unmatched account"
                    _notice_event(
                        notice, actor=actor, from_state="", at=now, note=f"Received from AWS Health; {where}."
                    )
                return notice, True
            except ValidationFailed:
                # Another delivery of the same event won the insert: this one is its repeat.
                existing = HealthNotice.objects.select_for_update().filter(**key).first()
                if existing is None:
                    raise
        return _health_repeat(actor, existing, parsed, now), False


def _health_repeat(actor: Any, notice: HealthNotice, parsed: HealthEvent, now: dt.datetime) -> HealthNotice:
    stale = (
        parsed.last_updated_time is not None
        and notice.last_updated_time is not None
        and parsed.last_updated_time < notice.last_updated_time
    )
    changes: dict[str, Any] = {
        "deliveries": notice.deliveries + 1,
        "last_received_at": now,
        "resources": _merged(notice.resources, parsed.resources),
        "affected_entities": _merged(notice.affected_entities, parsed.entities),
    }
    said: list[str] = []
    if not stale:
        latest = {
            "event_id": parsed.event_id,
            "raw": parsed.raw,
            "last_updated_time": parsed.last_updated_time or notice.last_updated_time,
            "status_code": parsed.status_code or notice.status_code,
            "description": parsed.description or notice.description,
            "end_time": parsed.end_time or notice.end_time,
            "start_time": parsed.start_time,
        }
        if latest["status_code"] != notice.status_code:
            said.append(f"status {notice.status_code or '—'} → {latest['status_code']}")
        if latest["end_time"] != notice.end_time:
            said.append(f"ends {latest['end_time']:%d %b %Y %H:%M} UTC")
        if latest["start_time"] != notice.start_time:
            said.append(f"starts {latest['start_time']:%d %b %Y %H:%M} UTC")
        if latest["description"] != notice.description:
            said.append("new description")
        changes.update(latest)
    organisation = notice.organisation
    account, accounts, services_ = _health_match(parsed, organisation)
    if organisation is None and account is not None:
        changes.update(organisation=account.organisation, account=account)
        said.append(f"matched to {account.organisation}")
    m2m = {
        "accounts": list({a.pk: a for a in [*notice.accounts.all(), *accounts]}.values()),
        "services": list({s.pk: s for s in [*notice.services.all(), *services_]}.values()),
    }
    updated = record_update(actor=actor, obj=notice, changes=changes, m2m=m2m)
    if said:
        note = "AWS updated: " + "; ".join(said) + "."
        _notice_event(updated, actor=actor, from_state=updated.state, at=now, note=note)
    return updated


def _check_notice_step(notice: HealthNotice, step: str) -> None:
    _check_state(
        notice.state,
        NOTICE_STEP_FROM[step],
        states=NoticeState,
        doing=NOTICE_STEP_LABELS[step],
        subject="the notice",
        noun="a notice",
    )


def _notice_step(
    actor: Any,
    notice: HealthNotice,
    step: str,
    to_state: str,
    expected_version: int | None,
    note: str,
    changes: dict[str, Any],
) -> HealthNotice:
    with transaction.atomic():
        locked = lock_for_update(notice, expected_version)
        _check_notice_step(locked, step)
        before = locked.state
        updated = record_update(actor=actor, obj=locked, changes={**changes, "state": to_state})
        _notice_event(updated, actor=actor, from_state=before, at=timezone.now(), note=note)
        return updated


def health_notice_assess(
    *,
    actor: Any,
    health_notice: HealthNotice,
    impact_level: str,
    impact_assessment: str,
    expected_version: int | None = None,
) -> HealthNotice:
    """E1: staff assess the notice's impact on the organisation's services (again, to refine it)."""
    require_permission(actor, TRIAGE)
    if impact_level not in ImpactLevel.values:
        raise ValidationFailed.field("impact_level", f"Must be one of: {', '.join(ImpactLevel.values)}.")
    text = _text("impact_assessment", impact_assessment, required=True)
    level = ImpactLevel(impact_level).label.lower()
    return _notice_step(
        actor,
        health_notice,
        "assess",
        NoticeState.ASSESSED,
        expected_version,
        f"Impact {level}: {text}",
        {"impact_level": impact_level, "impact_assessment": text, "assessed_at": timezone.now()},
    )


def health_notice_contact(
    *,
    actor: Any,
    health_notice: HealthNotice,
    contact: Any,
    method: str,
    contacted_at: dt.datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> HealthNotice:
    """E1: "the named contact is liaised with": which named contact of the notice's organisation,
    how (phone or email), when (now unless said) and what was said."""
    require_permission(actor, TRIAGE)
    if health_notice.organisation_id is None:
        raise ValidationFailed.field(
            "contact",
            "The notice's AWS account belongs to no organisation: record the account in the "
            "directory (a repeat delivery then matches it) or dismiss the notice.",
        )
    pk = contact.pk if isinstance(contact, NamedContact) else contact
    person = (
        NamedContact.objects.filter(
            organisation_id=health_notice.organisation_id, pk=int(pk), retired_at__isnull=True
        ).first()
        if str(pk).isdigit()
        else None
    )
    if person is None:
        raise ValidationFailed.field(
            "contact", f"Not a current named contact of {health_notice.organisation}: {pk!r}."
        )
    if method not in ContactMethod.values:
        raise ValidationFailed.field("method", f"Must be one of: {', '.join(ContactMethod.values)}.")
    now = timezone.now()
    at = now if contacted_at in (None, "") else _instant(contacted_at, "contacted_at")
    problem = instant_problem(at)
    if problem:
        raise ValidationFailed.field("contacted_at", problem)
    if at > now + CLOCK_SKEW:
        raise ValidationFailed.field("contacted_at", "A contact is recorded after it happened, not before.")
    text = _text("note", note, limit=1000)
    how = ContactMethod(method).label.lower()
    return _notice_step(
        actor,
        health_notice,
        "contact",
        NoticeState.CONTACTED,
        expected_version,
        f"Contacted {person.name} by {how}" + (f": {text}" if text else "."),
        {
            "contact": person,
            "contact_method": method,
            "contacted_at": min(at, now),
            "contact_note": text,
        },
    )


def health_notice_close(
    *, actor: Any, health_notice: HealthNotice, note: str = "", expected_version: int | None = None
) -> HealthNotice:
    """E1: the notice is dealt with (assessed, and the customer contacted where it matters)."""
    require_permission(actor, TRIAGE)
    text = _text("note", note, limit=1000)
    return _notice_step(
        actor,
        health_notice,
        "close",
        NoticeState.CLOSED,
        expected_version,
        text or "Closed.",
        {"closed_at": timezone.now()},
    )


def health_notice_dismiss(
    *, actor: Any, health_notice: HealthNotice, reason: str, expected_version: int | None = None
) -> HealthNotice:
    """E1: a notice that needs nothing (not ours, no impact), with the reason why."""
    require_permission(actor, TRIAGE)
    text = _text("reason", reason, required=True, limit=1000)
    return _notice_step(
        actor,
        health_notice,
        "dismiss",
        NoticeState.DISMISSED,
        expected_version,
        f"Dismissed: {text}",
        {"dismiss_reason": text, "closed_at": timezone.now()},
    )


def health_notice_raise_check(
    *, actor: Any, health_notice: HealthNotice, expected_version: int | None = None
) -> HealthNotice:
    """E1 "a notification may raise a change": the notice, locked until the caller's transaction
    ends, when a change may be raised from it: matched to an organisation, its named contact already
    contacted (D1: a provider-initiated change with operational impact records that the customer
    was contacted first), and no change raised from it yet. Call inside the transaction that
    creates the change and then links it (`health_notice_link_change`)."""
    require_permission(actor, TRIAGE)
    locked = lock_for_update(health_notice, expected_version)
    if locked.change_id is not None:
        raise Conflict(
            f"Change {locked.change_reference} was already raised from this notice.",
            [{"field": "change", "message": f"Already raised: {locked.change_reference}."}],
        )
    if locked.organisation_id is None:
        raise Conflict(
            "The notice matches no organisation: a change is raised for an organisation.",
            [{"field": "organisation", "message": "Unmatched account."}],
        )
    if locked.contacted_at is None or locked.contact_id is None:
        raise Conflict(
            "Record the contact with the organisation's named contact first: a provider-initiated "
            "change records that the customer was contacted before it is raised (D1).",
            [{"field": "state", "message": f"The notice is {NoticeState(locked.state).label.lower()}."}],
        )
    return locked


def health_notice_link_change(
    *, actor: Any, health_notice: HealthNotice, change_id: int, change_reference: str
) -> HealthNotice:
    """E1: the change raised from the notice, recorded on it as plain values (the shell composes
    the two domains: it creates the change, then calls this in the same transaction)."""
    require_permission(actor, TRIAGE)
    if not isinstance(change_id, int) or isinstance(change_id, bool) or change_id < 1:
        raise ValidationFailed.field("change_id", "The id of the change raised.")
    reference = _text("change_reference", change_reference, required=True, limit=20)
    with transaction.atomic():
        locked = health_notice_raise_check(actor=actor, health_notice=health_notice)
        updated = record_update(
            actor=actor, obj=locked, changes={"change_id": change_id, "change_reference": reference}
        )
        note = f"Change {reference} raised."
        _notice_event(updated, actor=actor, from_state=updated.state, at=timezone.now(), note=note)
        return updated
