"""B5 for escalations (C7): a level's targets are sla deadlines on the `uk` calendar, so a bank
holiday added to it moves the targets of an escalation in force; met targets and escalations no
longer in force keep theirs."""

from __future__ import annotations

from datetime import date

from opsdesk.calendars import services as calendars
from opsdesk.calendars.models import Calendar
from opsdesk.incidents.escalations import services as escalation_services
from opsdesk.incidents.escalations.models import Escalation
from opsdesk.incidents.escalations.tests.test_escalations import incident, london, raise_
from opsdesk.sla.models import Deadline


def test_a_bank_holiday_moves_the_targets_of_an_escalation_in_force(
    world, django_capture_on_commit_callbacks
):
    at = london(2026, 12, 1, 16, 30)  # Tue; Wed 2 Dec becomes a bank holiday
    open_ = raise_(world, incident(world), at=at)
    acknowledged = raise_(world, incident(world), at=at)
    acknowledged = escalation_services.escalation_acknowledge(
        actor=world["cloud_support_manager"], escalation=acknowledged, at=london(2026, 12, 1, 16, 45)
    )
    closed = raise_(world, incident(world), at=at)
    closed = escalation_services.escalation_close(
        actor=world["cloud_support_manager"], escalation=closed, reason="Resolved on the phone.", at=at
    )
    assert (open_.acknowledgement_due, open_.considered_response_due) == (
        london(2026, 12, 2, 9, 30),
        london(2026, 12, 2, 10, 30),
    )
    assert Deadline.objects.filter(owner_type="escalation", owner_id=open_.pk).count() == 2

    uk = Calendar.objects.get(name="uk")
    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(
            actor=world["admin"], calendar=uk, date=date(2026, 12, 2), reason="Bank holiday"
        )

    moved = Escalation.objects.get(pk=open_.pk)
    assert (moved.acknowledgement_due, moved.considered_response_due) == (
        london(2026, 12, 3, 9, 30),
        london(2026, 12, 3, 10, 30),
    )
    assert moved.version > open_.version  # an ETag taken before no longer matches
    half = Escalation.objects.get(pk=acknowledged.pk)
    assert half.acknowledgement_due == london(2026, 12, 2, 9, 30)  # met: kept
    assert half.considered_response_due == london(2026, 12, 3, 10, 30)
    untouched = Escalation.objects.get(pk=closed.pk)
    assert (untouched.acknowledgement_due, untouched.considered_response_due) == (
        closed.acknowledgement_due,
        closed.considered_response_due,
    )
    # The copies are the deadlines' due times.
    truth = dict(
        Deadline.objects.filter(owner_type="escalation", owner_id=open_.pk).values_list("kind", "due_at")
    )
    assert truth == {
        "escalation_acknowledgement": moved.acknowledgement_due,
        "escalation_response": moved.considered_response_due,
    }
