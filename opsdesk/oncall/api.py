"""On-call endpoints (issue 9 item 1): teams, rotas, overrides and escalation policies on the CRUD
kit; pages listed and acknowledged; who is on call now and next; a rota's shifts and gaps.
Staff only ("oncall.view" to read, "oncall.manage" to change). Thin: parse, call, answer."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from opsdesk.core.api import ERRORS
from opsdesk.core.crud import command, declare, routes
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import Instant
from opsdesk.oncall import schemas, selectors, services
from opsdesk.oncall.choices import AckVia
from opsdesk.oncall.schedule import HORIZON
from opsdesk.oncall.schemas import OnCallOut, PageOut, RotaScheduleOut

MAX_WINDOW = dt.timedelta(days=366)

router = Router(tags=["on-call"])
entity = partial(declare, selectors=selectors, services=services, schemas=schemas)

TEAMS = entity("team", "/oncall/teams", ordering=("name", "updated_at"))
ROTAS = entity("rota", "/oncall/rotas", ordering=("name", "starts_on", "updated_at"))
OVERRIDES = entity(
    "rota_override", "/oncall/overrides", id="override_id", ordering=("starts_at", "ends_at", "updated_at")
)
POLICIES = entity(
    "escalation_policy",
    "/oncall/policies",
    id="policy_id",
    target="escalation_policy",
    ordering=("name", "updated_at"),
)


PAGES = entity(
    "page",
    "/oncall/pages",
    ("list", "get"),
    ordering=("raised_at", "state", "updated_at"),
)
routes(router, TEAMS, ROTAS, OVERRIDES, POLICIES, PAGES, module=__name__)


command(
    router,
    "/oncall/pages/{page_id}/acknowledge",
    name="page_acknowledge",
    module=__name__,
    id="page_id",
    get=selectors.page_get,
    service=partial(services.page_acknowledge, via=AckVia.API),
    target="page",
    out=PageOut,
    description="Stops the escalation policy. Only a person the page was sent to may acknowledge it (403).",
)


def _shift(row) -> dict | None:
    if row is None:
        return None
    return {
        "user": row.user,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "override": row.override_id is not None,
    }


@router.get("/oncall/now", response={200: list[OnCallOut], **ERRORS})
def oncall_now(request: HttpRequest):
    """Who is on call on each rota now (null: nobody, a gap) and who takes over next."""
    return [
        {
            "rota_id": o.rota.pk,
            "rota": o.rota.name,
            "team": o.rota.team.name,
            "now": _shift(o.now),
            "next": _shift(o.next),
        }
        for o in selectors.oncall_now_list(user=request.auth)
    ]


class ScheduleParams(Schema):
    start: Instant | None = None
    end: Instant | None = None


@router.get("/oncall/rotas/{rota_id}/schedule", response={200: RotaScheduleOut, **ERRORS})
def rota_schedule(request: HttpRequest, rota_id: int, params: Query[ScheduleParams]):
    """Shifts (overrides applied), gaps nobody covers and overlapping overrides from `start` (now)
    to `end` (four weeks later; at most a year)."""
    rota = selectors.rota_get(user=request.auth, pk=rota_id)
    start = params.start or timezone.now()
    end = params.end or start + HORIZON
    if end <= start:
        raise ValidationFailed.field("end", "Must be after start.")
    if end - start > MAX_WINDOW:
        raise ValidationFailed.field("end", "At most a year after start.")
    plan = selectors.rota_schedule(rota=rota, start=start, end=end)
    return {
        "rota_id": rota.pk,
        "start": plan.start,
        "end": plan.end,
        "shifts": [_shift(s) for s in plan.shifts],
        "gaps": plan.gaps,
        "overlapping_overrides": [[a.override_id, b.override_id] for a, b in plan.overlaps],
    }
