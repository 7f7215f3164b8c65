"""B5 for RCAs (C6/B7): a report's due date is an sla deadline on the organisation's calendar, so a
bank holiday added to it moves the due date of a report still in draft; a submitted report keeps
its own."""

from __future__ import annotations

from datetime import date

from opsdesk.calendars import services as calendars
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.rca.tests.test_rca import closed_p1, incident, london
from opsdesk.incidents.tests.conftest import SECTIONS
from opsdesk.sla.models import Deadline


def test_a_bank_holiday_moves_the_due_date_of_an_open_rca(world, django_capture_on_commit_callbacks):
    requested = rca_services.rca_request(
        actor=world["customer_a"], incident=incident(world, priority="P2"), at=london(2026, 12, 1, 10)
    )
    opened = RootCauseAnalysis.objects.get(incident=closed_p1(world, closed_at=london(2026, 12, 1, 15)))
    submitted = rca_services.rca_request(
        actor=world["customer_a"], incident=incident(world, priority="P2"), at=london(2026, 12, 1, 10)
    )
    staff = world["service_desk"]
    submitted = rca_services.rca_update(actor=staff, rca=submitted, **SECTIONS)
    rca_services.rca_action_add(actor=staff, rca=submitted, description="Alarm on pool usage.")
    submitted = rca_services.rca_submit(actor=staff, rca=submitted, at=london(2026, 12, 1, 16))
    # 10 working days from Tue 1 Dec: Tue 15 Dec.
    assert requested.due_at == london(2026, 12, 15, 10) and opened.due_at == london(2026, 12, 15, 15)

    calendar = world["service_a"].organisation.calendar
    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(
            actor=world["admin"], calendar=calendar, date=date(2026, 12, 7), reason="Holiday"
        )

    for before in (requested, opened):
        after = RootCauseAnalysis.objects.get(pk=before.pk)
        assert after.due_at == before.due_at.replace(day=16)  # one working day later
        assert after.version > before.version
        assert Deadline.objects.get(owner_type="rca", owner_id=after.pk).due_at == after.due_at
    assert RootCauseAnalysis.objects.get(pk=submitted.pk).due_at == london(2026, 12, 15, 10)
    assert Deadline.objects.get(owner_type="rca", owner_id=submitted.pk).met_at == london(2026, 12, 1, 16)
