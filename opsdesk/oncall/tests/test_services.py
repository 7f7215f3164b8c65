"""Bad input of issue 9 item 1 ("Bad input"): each a clear error naming the problem, and nothing
changes. Also who may change on-call at all."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.oncall import selectors, services
from opsdesk.oncall.models import EscalationPolicy, EscalationPolicyRota, Rota, RotaOverride
from opsdesk.oncall.tests.conftest import london

pytestmark = pytest.mark.django_db


def refused(call, field: str) -> str:
    with pytest.raises(ValidationFailed) as info:
        call()
    assert [e["field"] for e in info.value.errors] == [field], info.value.errors
    return info.value.errors[0]["message"]


def policy(world, **kw):
    data = {"actor": world["admin"], "name": "Bad", "team": world["oncall_team"].pk, "steps": []}
    return services.escalation_policy_create(**{**data, **kw})


def test_a_policy_with_no_step_or_nobody_to_notify_is_refused(oncall):
    before = EscalationPolicy.objects.count()
    assert "at least one step" in refused(lambda: policy(oncall), "steps")
    assert "must notify someone" in refused(
        lambda: policy(oncall, steps=[{"action": "wait", "minutes": 5}]), "steps"
    )
    assert "Step 2: no rota with id 999" in refused(
        lambda: policy(
            oncall, steps=[{"action": "wait", "minutes": 5}, {"action": "notify_rota", "rota": 999}]
        ),
        "steps",
    )
    assert "Step 1: wait between 1 and 1440" in refused(
        lambda: policy(oncall, steps=[{"action": "wait", "minutes": 0}]), "steps"
    )
    assert "unknown action" in refused(lambda: policy(oncall, steps=[{"action": "shout"}]), "steps")
    assert "needs a wait step" in refused(
        lambda: policy(
            oncall, steps=[{"action": "notify_team", "team": oncall["oncall_team"].pk}], repeat_count=2
        ),
        "repeat_count",
    )
    assert EscalationPolicy.objects.count() == before


def test_only_one_default_policy(oncall):
    second = policy(
        oncall, steps=[{"action": "notify_team", "team": oncall["oncall_team"].pk}], is_default=True
    )
    assert selectors.default_policy() == second
    assert EscalationPolicy.objects.filter(is_default=True).count() == 1


def override(world, **kw):
    data = {
        "actor": world["admin"],
        "rota": world["rota"].pk,
        "user": world["manager"].pk,
        "starts_at": london(2026, 12, 24, 18),
        "ends_at": london(2026, 12, 27, 9),
        "reason": "Christmas cover",
    }
    return services.rota_override_create(**{**data, **kw})


def test_an_override_outside_the_rota_period_or_backwards_is_refused(oncall):
    rota = oncall["rota"]
    message = refused(lambda: override(oncall, starts_at=london(2026, 11, 29, 9)), "starts_at")
    assert "The rota Platform primary starts at Mon 30 Nov 2026 09:00 GMT" in message
    services.rota_update(actor=oncall["admin"], rota=rota, ends_on=dt.date(2026, 12, 31))
    assert "ends at Fri 01 Jan 2027 09:00 GMT" in refused(
        lambda: override(oncall, starts_at=london(2026, 12, 31, 18), ends_at=london(2027, 1, 2, 9)), "ends_at"
    )
    assert "must end after it starts" in refused(
        lambda: override(oncall, ends_at=london(2026, 12, 24, 17)), "ends_at"
    )
    assert not RotaOverride.objects.exists()
    # Inside the period: accepted, and the rota cannot then shrink away from it.
    override(oncall)
    rota.refresh_from_db()
    assert "override(s) would fall outside" in refused(
        lambda: services.rota_update(actor=oncall["admin"], rota=rota, ends_on=dt.date(2026, 12, 20)),
        "ends_on",
    )
    rota.refresh_from_db()
    assert rota.ends_on == dt.date(2026, 12, 31)


def test_rota_participants_must_be_active_team_members(oncall):
    data = {
        "actor": oncall["admin"],
        "team": oncall["oncall_team"].pk,
        "name": "Secondary",
        "handover_time": dt.time(9),
        "starts_on": dt.date(2026, 12, 1),
    }
    assert "at least one participant" in refused(
        lambda: services.rota_create(**data, participants=[]), "participants"
    )
    assert "Not a member of team Platform: Staff service_desk" in refused(
        lambda: services.rota_create(**data, participants=[oncall["service_desk"].pk]), "participants"
    )
    assert "No active member of staff" in refused(
        lambda: services.rota_create(**data, participants=[oncall["customer_a"].pk]), "participants"
    )
    assert "listed twice" in refused(
        lambda: services.rota_create(**data, participants=[oncall["first"].pk, oncall["first"].pk]),
        "participants",
    )
    assert not Rota.objects.filter(name="Secondary").exists()


def test_only_on_call_managers_change_it_and_changes_are_audited(oncall):
    with pytest.raises(PermissionDenied):
        services.team_create(actor=oncall["engineer"], name="Rogue")
    with pytest.raises(PermissionDenied):
        selectors.rota_list(user=oncall["customer_a"])
    team = services.team_create(
        actor=oncall["service_desk"], name="Desk", members=[oncall["service_desk"].pk]
    )
    assert AuditEvent.objects.filter(
        object_type="oncall.team", object_id=str(team.pk), action="create"
    ).exists()


def test_the_schedule_reports_gaps_and_overlaps(oncall):
    rota = oncall["rota"]
    a = override(oncall, starts_at=london(2026, 12, 2, 9), ends_at=london(2026, 12, 2, 17), reason="a")
    b = override(
        oncall, user=oncall["second"].pk, starts_at=london(2026, 12, 2, 12), ends_at=london(2026, 12, 2, 20)
    )
    plan = selectors.rota_schedule(rota=rota, start=london(2026, 11, 29), end=london(2026, 12, 7))
    assert [(x.override_id, y.override_id) for x, y in plan.overlaps] == [(a.pk, b.pk)]
    assert [(g.starts_at, g.ends_at) for g in plan.gaps] == [(london(2026, 11, 29), london(2026, 11, 30, 9))]
    oncall_now = selectors.rota_oncall(rota=rota, at=london(2026, 12, 2, 18))
    assert oncall_now.now.user == oncall["second"] and oncall_now.next.user == oncall["first"]


def test_a_rota_a_policy_notifies_cannot_be_deleted_until_the_policy_stops_using_it(oncall):
    admin, rota, team = oncall["admin"], oncall["rota"], oncall["oncall_team"]
    spare = services.rota_create(
        actor=admin,
        team=team.pk,
        name="Platform spare",
        handover_time=dt.time(9, 0),
        starts_on=dt.date(2026, 11, 30),
        participants=[oncall["first"].pk],
    )
    other = policy(
        oncall,
        name="Weekend",
        steps=[
            {"action": "notify_rota", "rota": rota.pk},
            {"action": "wait", "minutes": 5},
            {"action": "notify_rota", "rota": rota.pk},
        ],
    )
    message = refused(lambda: services.rota_delete(actor=admin, rota=rota), "__all__")
    assert message == (
        "Rota Platform primary is used by escalation policies P1/P2 default, Weekend; "
        "remove it from their steps first."
    )
    assert Rota.objects.filter(pk=rota.pk).exists()
    # A rota no policy notifies goes at once.
    services.rota_delete(actor=admin, rota=spare)
    assert not Rota.objects.filter(pk=spare.pk).exists()
    # Each policy changed to notify the team instead: the rota can go.
    for p in (oncall["policy"], other):
        services.escalation_policy_update(
            actor=admin,
            escalation_policy=p,
            steps=[{"action": "notify_team", "team": team.pk}],
            repeat_count=0,
        )
        if p is oncall["policy"]:
            message = refused(lambda: services.rota_delete(actor=admin, rota=rota), "__all__")
            assert "used by escalation policy Weekend;" in message
    services.rota_delete(actor=admin, rota=rota)
    assert not Rota.objects.filter(pk=rota.pk).exists()


def test_the_migration_gives_existing_policies_their_rota_references(oncall):
    """Policies saved before the references existed: the data migration finds their rotas, so a
    rota they notify is still refused deletion."""
    migration = importlib.import_module("opsdesk.oncall.migrations.0002_page_stop_occurrence_policy_rota")
    rota = oncall["rota"]
    EscalationPolicyRota.objects.all().delete()
    migration.rota_refs_from_steps(apps, None)
    assert list(EscalationPolicyRota.objects.values_list("policy__name", "rota__name")) == [
        ("P1/P2 default", "Platform primary")
    ]
    assert "P1/P2 default" in refused(
        lambda: services.rota_delete(actor=oncall["admin"], rota=rota), "__all__"
    )
