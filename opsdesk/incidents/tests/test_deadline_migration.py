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
    made = sorted(Deadline.objects.exclude(owner_id=requested.pk, owner_type="rca").values_list(*FIELDS))
    assert len(made) == 3
    Deadline.objects.all().delete()
    migration.forward(apps, None)
    assert (
        sorted(Deadline.objects.exclude(owner_id=requested.pk, owner_type="rca").values_list(*FIELDS)) == made
    )
    # A P2's request instant is not stored: its deadline starts when the report was created.
    rebuilt = Deadline.objects.get(owner_type="rca", owner_id=requested.pk)
    assert rebuilt.due_at == RootCauseAnalysis.objects.get(pk=requested.pk).due_at
    assert rebuilt.start_at == requested.created_at.replace(microsecond=0)
