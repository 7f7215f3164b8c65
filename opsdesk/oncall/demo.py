"""Demo on-call (issue 9 item 1): team Service operations, a weekly rota of the demo engineer and
the cloud support manager handing over on Mondays at 09:00 (from this week's Monday, so someone is
on call now), and the default escalation policy. Idempotent by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.oncall import services
from opsdesk.oncall.models import EscalationPolicy, Rota, Team

TEAM = "Service operations"
ROTA = "Primary on-call"
POLICY = "Default paging"


def build_oncall(demo: Any) -> None:
    staff, admin = demo.staff, demo.admin
    people = [Role.ENGINEER, Role.CLOUD_SUPPORT_MANAGER, Role.HEAD_OF_CUSTOMER_ENGINEERING, Role.SERVICE_DESK]
    team = demo.ensure(
        Team.objects.filter(name=TEAM).first(),
        lambda: services.team_create(
            actor=admin,
            name=TEAM,
            description="Engineers and managers who answer pages out of hours.",
            members=[staff[r].pk for r in people],
        ),
    )
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    rota = demo.ensure(
        Rota.objects.filter(name=ROTA).first(),
        lambda: services.rota_create(
            actor=admin,
            team=team.pk,
            name=ROTA,
            handover="weekly",
            handover_time=dt.time(9, 0),
            starts_on=monday,
            participants=[staff[Role.ENGINEER].pk, staff[Role.CLOUD_SUPPORT_MANAGER].pk],
        ),
    )
    demo.ensure(
        EscalationPolicy.objects.filter(name=POLICY).first(),
        lambda: services.escalation_policy_create(
            actor=admin,
            name=POLICY,
            team=team.pk,
            steps=[
                {"action": "notify_rota", "rota": rota.pk},
                {"action": "wait", "minutes": 15},
                {"action": "notify_user", "user": staff[Role.HEAD_OF_CUSTOMER_ENGINEERING].pk},
                {"action": "wait", "minutes": 15},
                {"action": "notify_team", "team": team.pk},
                {"action": "wait", "minutes": 30},
            ],
            repeat_count=2,
            is_default=True,
        ),
    )
