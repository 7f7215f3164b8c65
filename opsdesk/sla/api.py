"""SLA endpoints (B3, L3): "when is this due?" with its explanation, and the SLA policies."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from opsdesk.core.api import ErrorOut
from opsdesk.core.limits import WallTime
from opsdesk.sla import selectors, services

router = Router(tags=["sla"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TargetsQuery(Schema):
    priority: str
    logged_at: str = Field(..., description="ISO 8601 with a UTC offset, e.g. 2026-12-01T16:30:00+00:00")
    calendar: str = "uk"


class Explanation(Schema):
    initial: list[str]
    considered: list[str]


class TargetsOut(Schema):
    priority: str
    logged_at: str
    calendar: str
    initial_response_due: str
    considered_response_due: str
    explanation: Explanation


class SlaTargetIn(Schema):
    priority: str
    meaning: str = ""
    clock: str
    initial_hours: float | None = None
    initial_fallback: WallTime | None = None
    initial_business_days: int | None = None
    considered_hours: float | None = None
    considered_fallback: WallTime | None = None
    considered_business_days: int | None = None


class SlaTargetOut(SlaTargetIn):
    id: int


class SlaPolicyOut(Schema):
    id: int
    name: str
    description: str
    is_default: bool
    warning_fraction: float
    targets: list[SlaTargetOut]

    @staticmethod
    def resolve_targets(obj) -> list:
        return list(obj.targets.all())


class SlaPolicyIn(Schema):
    name: str
    description: str = ""
    warning_fraction: float = 0.8
    targets: list[SlaTargetIn]


@router.get("/sla/targets", response={200: TargetsOut, **ERRORS})
def sla_targets(request: HttpRequest, query: Query[TargetsQuery]):
    """The same answer as `opsdesk sla targets`, with why each target is where it is."""
    instant = services.parse_instant(query.logged_at)
    targets = services.targets_on_calendar(
        priority=query.priority, logged_at=instant, calendar=query.calendar
    )
    return {
        **services.targets_as_dict(targets, instant),
        "explanation": {
            "initial": list(targets.initial_explanation.steps),
            "considered": list(targets.considered_explanation.steps),
        },
    }


@router.get("/sla-policies", response={200: list[SlaPolicyOut], **ERRORS})
def sla_policy_list(request: HttpRequest):
    return list(selectors.sla_policy_list(user=request.auth))


@router.get("/sla-policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def sla_policy_get(request: HttpRequest, response: HttpResponse, policy_id: int):
    policy = selectors.sla_policy_get(user=request.auth, pk=policy_id)
    response["ETag"] = policy.etag
    return policy


@router.post("/sla-policies", response={201: SlaPolicyOut, **ERRORS})
def sla_policy_create(request: HttpRequest, payload: SlaPolicyIn):
    data = payload.dict()
    policy = services.policy_create(actor=request.auth, **data)
    return Status(201, selectors.sla_policy_get(user=request.auth, pk=policy.pk))
