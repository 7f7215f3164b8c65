"""Teams, rotas, overrides and escalation policies through the CRUD kit's common checks
(core.testing.crud). They are the provider's own: a customer is refused the whole kind (403)."""

from __future__ import annotations

import datetime as dt

from opsdesk.core.testing.crud import CrudCases
from opsdesk.oncall import api, services, views
from opsdesk.oncall.tests.conftest import london


def _once(world, key, make):
    if key not in world:
        world[key] = make()
    return world[key]


def _team(world, name):
    return _once(
        world,
        f"team:{name}",
        lambda: services.team_create(actor=world["admin"], name=name, members=[world["engineer"].pk]),
    )


def _rota(world, name):
    return _once(
        world,
        f"rota:{name}",
        lambda: services.rota_create(
            actor=world["admin"],
            team=_team(world, f"{name} team").pk,
            name=name,
            handover_time=dt.time(9),
            starts_on=dt.date(2026, 11, 30),
            participants=[world["engineer"].pk],
        ),
    )


class OnCall:
    """What the four entities share: provider-wide, found by their canary names."""

    outsider_status = 403
    list_filter = "q=Canary"


class TestTeams(OnCall, CrudCases):
    api = api.TEAMS
    pages = views.TEAMS
    invalid_body = {"name": "Bad", "members": [987654]}
    patch_body = {"description": "patched"}

    def target(self, world):
        return _team(world, "Canary night team")

    def other(self, world):
        return _team(world, "Day team")

    def create_body(self, world):
        return {"name": "Kit team", "members": [world["engineer"].pk]}


class TestRotas(OnCall, CrudCases):
    api = api.ROTAS
    pages = views.ROTAS
    invalid_body = {
        "team": 1,
        "name": "Bad",
        "handover_time": "09:00",
        "starts_on": "2026-12-01",
        "participants": [],
    }
    patch_body = {"name": "Canary rota (patched)"}

    def target(self, world):
        return _rota(world, "Canary rota")

    def other(self, world):
        return _rota(world, "Day rota")

    def create_body(self, world):
        return {
            "team": _team(world, "Kit team").pk,
            "name": "Kit rota",
            "handover": "daily",
            "handover_time": "08:30",
            "starts_on": "2026-12-01",
            "participants": [world["engineer"].pk],
        }


class TestOverrides(OnCall, CrudCases):
    api = api.OVERRIDES
    pages = views.OVERRIDES
    invalid_body = {
        "rota": 1,
        "user": 1,
        "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2020-01-02T00:00:00Z",
    }
    patch_body = {"reason": "Canary swap (patched)"}

    def _make(self, world, reason, day, rota="Canary rota"):
        return services.rota_override_create(
            actor=world["admin"],
            rota=_rota(world, rota).pk,
            user=world["cloud_support_manager"].pk,
            starts_at=london(2026, 12, day, 18),
            ends_at=london(2026, 12, day + 1, 9),
            reason=reason,
        )

    def target(self, world):
        return _once(world, "override", lambda: self._make(world, "Canary swap", 10))

    def other(self, world):
        return _once(world, "override_other", lambda: self._make(world, "Holiday", 20, rota="Day rota"))

    def create_body(self, world):
        return {
            "rota": _rota(world, "Canary rota").pk,
            "user": world["engineer"].pk,
            "starts_at": "2026-12-24T18:00:00Z",
            "ends_at": "2026-12-27T09:00:00Z",
            "reason": "Christmas",
        }


class TestPolicies(OnCall, CrudCases):
    api = api.POLICIES
    pages = views.POLICIES
    invalid_body = {"name": "Empty", "team": 1, "steps": []}
    patch_body = {"repeat_count": 2}

    def _make(self, world, name, rota="Canary rota"):
        rota = _rota(world, rota)
        return services.escalation_policy_create(
            actor=world["admin"],
            name=name,
            team=rota.team_id,
            steps=[{"action": "notify_rota", "rota": rota.pk}, {"action": "wait", "minutes": 15}],
        )

    def target(self, world):
        return _once(world, "policy", lambda: self._make(world, "Canary policy"))

    def other(self, world):
        return _once(world, "policy_other", lambda: self._make(world, "Day policy", rota="Day rota"))

    def create_body(self, world):
        rota = _rota(world, "Canary rota")
        return {
            "name": "Kit policy",
            "team": rota.team_id,
            "steps": [{"action": "notify_rota", "rota": rota.pk}, {"action": "wait", "minutes": 5}],
            "repeat_count": 1,
            "is_default": True,
        }
