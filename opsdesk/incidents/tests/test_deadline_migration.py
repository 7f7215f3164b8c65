"""The data migration that gives existing RCAs and escalations their sla deadlines makes the rows
the services make today (due times as stored, warnings at the B6 fraction)."""

from __future__ import annotations

import importlib

from django.apps import apps

from opsdesk.incidents.escalations.tests.test_escalations import raise_
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.rca.tests.test_rca import closed_p1, incident, london
from opsdesk.sla.models import Deadline

migration = importlib.import_module("opsdesk.incidents.migrations.0012_deadlines_for_rcas_and_escalations")

FIELDS = (
    "owner_type",
    "owner_id",
    "kind",
    "calendar_id",
    "start_at",
    "hours",
    "working_days",
    "due_at",
    "warn_at",
)


def test_existing_rcas_and_escalations_get_the_deadlines_the_services_give(world):
    closed_p1(world, closed_at=london(2026, 12, 1, 15))
    raise_(world, incident(world), at=london(2026, 12, 1, 16, 30))
    requested = rca_services.rca_request(
        actor=world["customer_a"], incident=incident(world, priority="P2"), at=london(2026, 12, 1, 10)
    )
    theirs = Deadline.objects.filter(owner_type__in=["rca", "escalation"])
    made = sorted(theirs.exclude(owner_id=requested.pk, owner_type="rca").values_list(*FIELDS))
    assert len(made) == 3
    theirs.delete()
    migration.forward(apps, None)
    assert sorted(theirs.exclude(owner_id=requested.pk, owner_type="rca").values_list(*FIELDS)) == made
    # A P2's request instant is not stored: its deadline starts when the report was created.
    rebuilt = Deadline.objects.get(owner_type="rca", owner_id=requested.pk)
    assert rebuilt.due_at == RootCauseAnalysis.objects.get(pk=requested.pk).due_at
    assert rebuilt.start_at == requested.created_at.replace(microsecond=0)


incidents_migration = importlib.import_module(
    "opsdesk.incidents.migrations.0013_deadlines_for_open_incidents"
)

ALL_FIELDS = (
    *FIELDS,
    "fallback",
    "business_days",
    "warning_fraction",
    "paused_at",
    "paused_seconds",
    "met_at",
    "warned_at",
    "breached_at",
)


def test_open_incidents_get_the_deadlines_the_services_give(world):
    from django.db import connection

    from opsdesk.incidents import services
    from opsdesk.incidents.tests.conftest import log

    desk = world["service_desk"]
    log(world, priority="P3", at=london(2026, 12, 1, 16, 30))
    log(world, priority="P4", at=london(2026, 12, 1, 11))
    acknowledged = services.incident_acknowledge(
        actor=desk, incident=log(world, at=london(2026, 12, 1, 10)), at=london(2026, 12, 1, 10, 30)
    )
    services.incident_await_customer(
        actor=desk, incident=acknowledged, note="Logs?", at=london(2026, 12, 1, 11)
    )
    log(world, priority="P2", at=london(2026, 12, 1, 9))
    services.sla_sweep(now=london(2026, 12, 1, 12))  # warnings and breaches recorded on the P2
    closed = closed_p1(world, closed_at=london(2026, 12, 1, 15))  # its deadlines no longer matter
    running = Deadline.objects.filter(owner_type="incident").exclude(owner_id=closed.pk)
    made = sorted(running.values_list(*ALL_FIELDS))
    assert len(made) == 8 and any(row[-1] for row in made) and any(row[-5] for row in made)
    Deadline.objects.filter(owner_type="incident").delete()

    class Editor:
        quote_name = connection.ops.quote_name

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    incidents_migration.forward(apps, Editor())
    assert sorted(Deadline.objects.filter(owner_type="incident").values_list(*ALL_FIELDS)) == made
