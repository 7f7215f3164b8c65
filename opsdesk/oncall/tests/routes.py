"""Tenancy-walk declarations of the on-call pages (see opsdesk/testing/routes.py).

Every page is staff only: "oncall.view" to read (all staff), "oncall.manage" to change. The world's
page was sent to every member of staff, so each may acknowledge it. The emailed acknowledgement
link and the rota's signed feed need no sign-in (the signed token is the proof)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from opsdesk.testing.routes import Route

VIEW = "oncall.view"
MANAGE = "oncall.manage"


def _version(obj) -> int:
    return type(obj)._default_manager.get(pk=obj.pk).version


def _staff(target: str, method: str = "GET", *, manage: bool = False, **kwargs: Any) -> Route:
    return Route(
        "ui", f"oncall:{target}", method, staff_only=True, permission=MANAGE if manage else VIEW, **kwargs
    )


def _team(w: dict[str, Any]) -> dict:
    return {"name": "Walk team", "description": "Walk", "members": [w["engineer"].pk]}


def _rota(w: dict[str, Any]) -> dict:
    return {
        "team": w["oncall_team"].pk,
        "name": "Walk rota",
        "handover": "weekly",
        "handover_time": "09:00",
        "starts_on": "2026-11-30",
        "participants": w["engineer"].email,
    }


def _override(w: dict[str, Any]) -> dict:
    return {
        "user": w["cloud_support_manager"].pk,
        "starts_at": "2026-12-10T18:00",
        "ends_at": "2026-12-11T09:00",
        "reason": "Walk swap",
    }


def _policy(w: dict[str, Any]) -> dict:
    return {
        "name": "Walk policy",
        "team": w["oncall_team"].pk,
        "steps": "rota Walk primary\nwait 10",
        "repeat_count": 0,
    }


def _edit(key: str, make):
    return lambda w: {**make(w), "version": _version(w[key])}


def _crud(name: str, key: str, spare: str, body, *, detail: bool = True) -> list[Route]:
    one = {"pk": key}
    routes = [
        _staff(f"{name}_list"),
        _staff(f"{name}_create", manage=True),
        _staff(f"{name}_create", "POST", manage=True, body=body),
        _staff(f"{name}_update", params=one, manage=True),
        _staff(f"{name}_update", "POST", params=one, manage=True, body=_edit(key, body)),
        _staff(f"{name}_history", params=one),
        _staff(f"{name}_delete", params={"pk": spare}, manage=True),
        _staff(
            f"{name}_delete",
            "POST",
            params={"pk": spare},
            manage=True,
            body=lambda w: {"version": _version(w[spare])},
        ),
    ]
    if detail:
        routes.append(_staff(f"{name}_detail", params=one))
    return routes


ROUTES = [
    _staff("page_list"),
    _staff("page_list", query="state=open&mine=yes"),
    _staff("page_detail", params={"pk": "oncall_page"}),
    _staff("page_history", params={"pk": "oncall_page"}),
    _staff("page_acknowledge", "POST", params={"pk": "oncall_page"}),
    Route("ui", "oncall:page_ack_link", params={"token": "oncall_ack_token"}, public=True),
    *_crud("team", "oncall_team", "oncall_team_spare", _team),
    *_crud("rota", "oncall_rota", "oncall_rota_spare", _rota),
    _staff("rota_calendar", params={"pk": "oncall_rota"}),
    Route("ui", "oncall:rota_feed", params={"token": "oncall_feed_token"}, public=True),
    *_crud(
        "override",
        "oncall_override",
        "oncall_override",
        lambda w: {**_override(w), "rota": w["oncall_rota"].pk},
        detail=False,
    ),
    *_crud("policy", "oncall_policy", "oncall_policy_spare", _policy),
]
# An override's edit form has no rota field (it stays on its rota).
ROUTES = [
    r
    if not (r.target == "oncall:override_update" and r.method == "POST")
    else Route(
        r.kind,
        r.target,
        r.method,
        params=r.params,
        staff_only=True,
        permission=MANAGE,
        body=_edit("oncall_override", _override),
    )
    for r in ROUTES
]


def world_extras(world: dict[str, Any]) -> None:
    """On-call arrangements (provider-wide, no tenant owns them) and a page sent to every member of
    staff, about tenant A's organisation."""
    import datetime as dt

    from opsdesk.core.roles import STAFF_ROLES
    from opsdesk.oncall import feeds, services
    from opsdesk.oncall.models import PageRecipient
    from opsdesk.oncall.tests.conftest import london

    if "oncall_team" in world:
        return
    admin, engineer = world["admin"], world["engineer"]
    team = services.team_create(
        actor=admin, name="Walk platform", members=[engineer.pk, world["cloud_support_manager"].pk]
    )
    rota = services.rota_create(
        actor=admin,
        team=team.pk,
        name="Walk primary",
        handover_time=dt.time(9),
        starts_on=dt.date(2026, 11, 30),
        participants=[engineer.pk],
    )
    policy = services.escalation_policy_create(
        actor=admin,
        name="Walk default",
        team=team.pk,
        steps=[{"action": "notify_rota", "rota": rota.pk}],
        is_default=True,
    )
    spare_team = services.team_create(actor=admin, name="Walk spare team")
    spare_rota = services.rota_create(
        actor=admin,
        team=team.pk,
        name="Walk spare rota",
        handover_time=dt.time(9),
        starts_on=dt.date(2026, 11, 30),
        participants=[engineer.pk],
    )
    spare_policy = services.escalation_policy_create(
        actor=admin,
        name="Walk spare policy",
        team=team.pk,
        steps=[{"action": "notify_team", "team": team.pk}],
    )
    override = services.rota_override_create(
        actor=admin,
        rota=rota.pk,
        user=world["cloud_support_manager"].pk,
        starts_at=london(2026, 12, 20, 18),
        ends_at=london(2026, 12, 21, 9),
        reason="Walk holiday",
    )
    page = services.page_raise(
        source_type="incident",
        source_id=1,
        cause="new_incident",
        title="INC-1 P1 walk",
        organisation=world["org_a"],
        priority="P1",
    )
    now = dt.datetime.now(dt.UTC)
    for role in sorted(STAFF_ROLES):
        PageRecipient.objects.create(page=page, user=world[role], cycle=0, step=0, notified_at=now)
    world.update(
        oncall_team=team,
        oncall_rota=rota,
        oncall_policy=policy,
        oncall_team_spare=spare_team,
        oncall_rota_spare=spare_rota,
        oncall_policy_spare=spare_policy,
        oncall_override=override,
        oncall_page=page,
        oncall_ack_token=SimpleNamespace(pk=services.ack_token(page, engineer)),
        oncall_feed_token=SimpleNamespace(pk=feeds.feed_token(rota)),
    )
