"""B5 for RCAs (C6/B7): a report's due date is an sla deadline on the organisation's calendar, so a
bank holiday added to it moves the due date of a report still in draft; a submitted report keeps
its own."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.calendars import services as calendars
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.rca.tests.test_rca import closed_p1, incident, london
from opsdesk.incidents.tests.conftest import SECTIONS
from opsdesk.sla.deadlines import deadlines_close
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


def test_the_recomputation_of_working_day_due_dates_is_set_based(world, django_capture_on_commit_callbacks):
    """B5/B7: the reports' due dates are recomputed in bulk (engine.add_business_days_bulk) and
    written with one UPDATE of the reports and one of the deadlines per batch, however many reports
    move and however many distinct due dates they have; met and closed deadlines keep theirs."""
    opened = [
        RootCauseAnalysis.objects.get(incident=closed_p1(world, closed_at=london(2026, 12, day, hour)))
        for day, hour in ((1, 15), (2, 10), (3, 12), (4, 16))
    ]
    met, closed = opened[2], opened[3]
    staff = world["service_desk"]
    met = rca_services.rca_update(actor=staff, rca=met, **SECTIONS)
    rca_services.rca_action_add(actor=staff, rca=met, description="Alarm on pool usage.")
    met = rca_services.rca_submit(actor=staff, rca=met, at=london(2026, 12, 7, 9))
    # A deadline its owner ended without meeting it (sla.deadlines_close) no longer runs either.
    deadlines_close(owner_type="rca", owner_ids=[closed.pk], at=london(2026, 12, 7, 9))
    # 10 working days: Tue 1 Dec 15:00 → Tue 15 Dec 15:00; Wed 2 Dec 10:00 → Wed 16 Dec 10:00.
    assert [r.due_at for r in opened[:2]] == [london(2026, 12, 15, 15), london(2026, 12, 16, 10)]

    calendar = world["service_a"].organisation.calendar
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(
            actor=world["admin"], calendar=calendar, date=date(2026, 12, 14), reason="Holiday"
        )

    running = [RootCauseAnalysis.objects.get(pk=r.pk) for r in opened[:2]]
    assert [r.due_at for r in running] == [london(2026, 12, 16, 15), london(2026, 12, 17, 10)]
    for before, after in zip(opened, running, strict=False):
        assert after.version > before.version
        assert Deadline.objects.get(owner_type="rca", owner_id=after.pk).due_at == after.due_at
    for kept in (met, closed):
        after = RootCauseAnalysis.objects.get(pk=kept.pk)
        assert (after.due_at, after.version) == (kept.due_at, kept.version)
        assert Deadline.objects.get(owner_type="rca", owner_id=kept.pk).due_at == kept.due_at

    def updates_of(table: str) -> list[str]:
        starts = tuple(f"UPDATE {name} " for name in (table, connection.ops.quote_name(table)))
        return [q["sql"] for q in queries if any(start in q["sql"] for start in starts)]

    assert len(updates_of(RootCauseAnalysis._meta.db_table)) == 1
    assert len(updates_of(Deadline._meta.db_table)) == 1
