"""The on-call world on top of the two-tenant test world: team Platform (two engineers and the
cloud support manager), a weekly rota of the two engineers handing over on Mondays at 09:00
London time, and the default policy: the rota, wait 10 min, the cloud support manager, wait 10
min, the whole team; once more after that."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from opsdesk.directory.models import User
from opsdesk.oncall import services
from opsdesk.testing.world import PASSWORD

LONDON = ZoneInfo("Europe/London")
#: A Monday: the rota's first hand-over.
START = dt.date(2026, 11, 30)


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def oncall(world):
    admin = world["admin"]
    first = world["engineer"]
    second = User.objects.create_user(
        "second-engineer@provider.test", PASSWORD, full_name="Sam Second", role="engineer"
    )
    manager = world["cloud_support_manager"]
    team = services.team_create(actor=admin, name="Platform", members=[first.pk, second.pk, manager.pk])
    rota = services.rota_create(
        actor=admin,
        team=team.pk,
        name="Platform primary",
        handover="weekly",
        handover_time=dt.time(9, 0),
        starts_on=START,
        participants=[first.pk, second.pk],
    )
    policy = services.escalation_policy_create(
        actor=admin,
        name="P1/P2 default",
        team=team.pk,
        steps=[
            {"action": "notify_rota", "rota": rota.pk},
            {"action": "wait", "minutes": 10},
            {"action": "notify_user", "user": manager.pk},
            {"action": "wait", "minutes": 10},
            {"action": "notify_team", "team": team.pk},
        ],
        repeat_count=1,
        is_default=True,
    )
    world.update(oncall_team=team, rota=rota, policy=policy, first=first, second=second, manager=manager)
    return world
