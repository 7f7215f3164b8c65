"""Reads of on-call (issue 9 item 1). Staff only: every read needs "oncall.view" (customers and
partners are refused the whole kind); what is computed (who is on call, gaps, overlaps) is the
rota maths in opsdesk.oncall.schedule over these rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from opsdesk.core.errors import NotFound
from opsdesk.core.permissions import require_permission
from opsdesk.directory.models import User
from opsdesk.oncall import schedule as maths
from opsdesk.oncall.choices import HANDOVER_DAYS, PageState
from opsdesk.oncall.models import EscalationPolicy, Page, PageRecipient, Rota, RotaOverride, Team

VIEW = "oncall.view"


def provider_zone() -> ZoneInfo:
    """Rotas hand over on the provider's wall clock (settings.TIME_ZONE, Europe/London)."""
    return ZoneInfo(settings.TIME_ZONE)


def _get(qs: QuerySet, pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def _search(qs: QuerySet, q: str | None, *fields: str) -> QuerySet:
    if q:
        cond = Q()
        for f in fields:
            cond |= Q(**{f"{f}__icontains": q})
        qs = qs.filter(cond)
    return qs


# --- teams, rotas, overrides, policies --------------------------------------------------------


def team_list(*, user: Any, q: str | None = None) -> QuerySet:
    require_permission(user, VIEW)
    return _search(Team.objects.prefetch_related("members"), q, "name", "description")


def team_get(*, user: Any, pk: Any) -> Team:
    return _get(team_list(user=user), pk)


def rota_list(*, user: Any, q: str | None = None, team: int | None = None) -> QuerySet:
    require_permission(user, VIEW)
    qs = Rota.objects.select_related("team")
    if team:
        qs = qs.filter(team_id=team)
    return _search(qs, q, "name", "team__name")


def rota_get(*, user: Any, pk: Any) -> Rota:
    return _get(rota_list(user=user), pk)


def rota_override_list(*, user: Any, q: str | None = None, rota: int | None = None) -> QuerySet:
    require_permission(user, VIEW)
    qs = RotaOverride.objects.select_related("rota", "user")
    if rota:
        qs = qs.filter(rota_id=rota)
    return _search(qs, q, "rota__name", "user__full_name", "user__email", "reason")


def rota_override_get(*, user: Any, pk: Any) -> RotaOverride:
    return _get(rota_override_list(user=user), pk)


def escalation_policy_list(*, user: Any, q: str | None = None) -> QuerySet:
    require_permission(user, VIEW)
    return _search(EscalationPolicy.objects.select_related("team"), q, "name", "team__name")


def escalation_policy_get(*, user: Any, pk: Any) -> EscalationPolicy:
    return _get(escalation_policy_list(user=user), pk)


def default_policy() -> EscalationPolicy | None:
    return EscalationPolicy.objects.select_related("team").filter(is_default=True).first()


def security_policy() -> EscalationPolicy | None:
    """F2: the policy that pages security events (the provider's security on-call rota); None
    when no policy is marked as such."""
    return EscalationPolicy.objects.select_related("team").filter(is_security=True).first()


# --- pages --------------------------------------------------------------------------------------


def page_list(
    *, user: Any, q: str | None = None, state: str | None = None, mine: bool | None = None
) -> QuerySet:
    require_permission(user, VIEW)
    recipients = PageRecipient.objects.select_related("user").order_by("notified_at", "pk")
    qs = Page.objects.select_related("acknowledged_by", "organisation", "policy").prefetch_related(
        Prefetch("recipients", queryset=recipients)
    )
    if state:
        qs = qs.filter(state=state)
    if mine:
        qs = qs.filter(recipients__user=user).distinct()
    return _search(qs, q, "title", "body")


def page_get(*, user: Any, pk: Any) -> Page:
    return _get(page_list(user=user), pk)


def page_recipient_ids(page: Page) -> set[int]:
    return set(PageRecipient.objects.filter(page=page).values_list("user_id", flat=True))


def page_recipients(page: Page) -> list[PageRecipient]:
    return list(PageRecipient.objects.filter(page=page).select_related("user").order_by("notified_at", "pk"))


def open_page_count(*, user: Any) -> int:
    return page_list(user=user, state=PageState.OPEN, mine=True).count()


# --- the rota maths over the rows -------------------------------------------------------------


def rota_pattern(rota: Rota) -> maths.Pattern:
    ids = [int(i) for i in rota.participants]
    active = frozenset(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    return maths.Pattern(
        zone=provider_zone(),
        starts_on=rota.starts_on,
        ends_on=rota.ends_on,
        handover_time=rota.handover_time,
        period_days=HANDOVER_DAYS[rota.handover],
        participants=ids,
        available=active,
    )


def _override_spans(rota: Rota, start: dt.datetime, end: dt.datetime) -> list[maths.OverrideSpan]:
    rows = RotaOverride.objects.filter(rota=rota, ends_at__gt=start, starts_at__lt=end).order_by(
        "starts_at", "pk"
    )
    return [maths.OverrideSpan(o.user_id, o.starts_at, o.ends_at, o.pk) for o in rows]


@dataclass(frozen=True)
class ShiftRow:
    user: User
    starts_at: dt.datetime
    ends_at: dt.datetime
    override_id: int | None


@dataclass(frozen=True)
class RotaSchedule:
    rota: Rota
    start: dt.datetime
    end: dt.datetime
    shifts: list[ShiftRow]
    gaps: list[maths.Span]
    overlaps: list[tuple[maths.OverrideSpan, maths.OverrideSpan]]
    no_participants: bool


def _rows(shifts: list[maths.Shift]) -> list[ShiftRow]:
    users = User.objects.in_bulk({s.user_id for s in shifts})
    return [ShiftRow(users[s.user_id], s.starts_at, s.ends_at, s.override_id) for s in shifts]


def rota_schedule(
    *, rota: Rota, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> RotaSchedule:
    """Shifts, gaps and overlapping overrides of a rota in [start, end) (from now, four weeks by
    default): what the rota page shows, so nobody finds a gap when a page goes unanswered."""
    start = start or timezone.now()
    end = end or start + maths.HORIZON
    pattern = rota_pattern(rota)
    plan = maths.schedule(pattern, _override_spans(rota, start, end), start, end)
    return RotaSchedule(
        rota=rota,
        start=start,
        end=end,
        shifts=_rows(plan.shifts),
        gaps=plan.gaps,
        overlaps=plan.overlaps,
        no_participants=not pattern.participants,
    )


@dataclass(frozen=True)
class OnCall:
    rota: Rota
    now: ShiftRow | None
    next: ShiftRow | None


def rota_oncall(*, rota: Rota, at: dt.datetime | None = None) -> OnCall:
    """Who is on call on `rota` at `at` (None: nobody, a gap) and who takes over next."""
    at = at or timezone.now()
    current, following = maths.now_and_next(
        rota_pattern(rota), _override_spans(rota, at - dt.timedelta(days=8), at + maths.HORIZON), at
    )
    found = _rows([s for s in (current, following) if s is not None])
    it = iter(found)
    return OnCall(rota=rota, now=next(it) if current else None, next=next(it, None) if following else None)


def oncall_now_list(*, user: Any, at: dt.datetime | None = None) -> list[OnCall]:
    """Every rota's now and next: the staff desk's panel and GET /oncall/now."""
    return [rota_oncall(rota=rota, at=at) for rota in rota_list(user=user).order_by("name", "pk")]
