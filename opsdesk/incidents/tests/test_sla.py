"""The SLA clock of incidents: warnings and breaches recorded and notified once (B6), and the bulk
recomputation after a calendar change (B5), checked against the scalar engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from opsdesk.calendars import services as calendars
from opsdesk.calendars.models import Calendar
from opsdesk.core.models import AuditEvent
from opsdesk.directory.models import Organisation
from opsdesk.incidents import services
from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident, IncidentEvent, SlaEvent
from opsdesk.incidents.tests.conftest import log, london
from opsdesk.notifications.models import Notification
from opsdesk.sla import deadlines
from opsdesk.sla import services as sla


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _sla_notifications(incident: Incident, target: str, kind: str):
    return Notification.objects.filter(dedup_key__startswith=f"sla:{incident.pk}:{target}:{kind}|")


# --- warnings and breaches (B6) ----------------------------------------------------------------


def test_warning_then_breach_each_recorded_and_notified_once(world):
    # P3 logged Tue 10:00: initial due 11:00 (warning 10:48), considered due 14:00 (warning 13:12).
    incident = log(world, at=london(2026, 12, 1, 10, 0))
    assert incident.initial_warning_at == utc(2026, 12, 1, 10, 48)
    assert incident.considered_warning_at == utc(2026, 12, 1, 13, 12)

    assert services.sla_sweep(now=utc(2026, 12, 1, 10, 47)) == 0
    assert services.sla_sweep(now=utc(2026, 12, 1, 10, 50)) == 1
    assert services.sla_sweep(now=utc(2026, 12, 1, 10, 51)) == 0  # a second run is a no-op
    warning = SlaEvent.objects.get(incident=incident)
    assert (warning.target, warning.kind, warning.at) == ("initial", "warning", utc(2026, 12, 1, 10, 48))
    # One email per recipient: the organisation's CSDM (no assignee yet); the contact is not told.
    mails = _sla_notifications(incident, "initial", "warning")
    assert list(mails.values_list("recipient", flat=True)) == [world["csdm"].email]
    incident.refresh_from_db()
    assert incident.escalation_offered is False

    assert services.sla_sweep(now=utc(2026, 12, 1, 11, 5)) == 1
    assert services.sla_sweep(now=utc(2026, 12, 1, 11, 5)) == 0
    breach = SlaEvent.objects.get(incident=incident, kind="breach")
    assert (breach.target, breach.at) == ("initial", utc(2026, 12, 1, 11))
    incident.refresh_from_db()
    assert incident.escalation_offered is True
    recipients = set(_sla_notifications(incident, "initial", "breach").values_list("recipient", flat=True))
    assert recipients == {world["csdm"].email, world["contact_a"].email}
    kinds = list(
        IncidentEvent.objects.filter(incident=incident).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds.count(EventKind.WARNING) == 1 and kinds.count(EventKind.BREACH) == 1

    # Everything due at once later on: the considered warning and breach, once each.
    assert services.sla_sweep(now=utc(2026, 12, 1, 15)) == 2
    assert services.sla_sweep(now=utc(2026, 12, 1, 16)) == 0
    assert SlaEvent.objects.filter(incident=incident).count() == 4
    assert Notification.objects.filter(event__startswith="incident.sla_").count() == 6


def test_a_met_target_is_neither_warned_nor_breached(world, desk):
    incident = log(world, at=london(2026, 12, 1, 10, 0))
    services.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 12, 1, 10, 30))
    assert services.sla_sweep(now=utc(2026, 12, 1, 12)) == 0
    assert services.sla_sweep(now=utc(2026, 12, 1, 14, 1)) == 2  # considered: warning and breach
    assert set(SlaEvent.objects.values_list("target", flat=True)) == {"considered"}


def test_a_paused_clock_does_not_breach(world, desk):
    incident = log(world, priority="P4", at=london(2026, 12, 1, 10, 0))
    incident = services.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 12, 1, 10, 5))
    services.incident_await_customer(
        actor=desk, incident=incident, note="Which account?", at=london(2026, 12, 1, 11)
    )
    assert services.sla_sweep(now=utc(2026, 12, 3, 9)) == 0
    assert not SlaEvent.objects.exists()


def test_the_sweep_reads_only_due_incidents(world, django_assert_max_num_queries):
    for hour in range(9, 16):
        log(world, at=london(2026, 12, 1, hour, 0))
    with django_assert_max_num_queries(4):  # four set-based queries, nothing due
        assert services.sla_sweep(now=utc(2026, 12, 1, 9, 30)) == 0


def test_the_periodic_task_runs_the_sweep(world):
    from opsdesk.sla.tasks import deadlines_sweep_task

    log(world, at=london(2020, 12, 1, 10, 0))  # long overdue
    deadlines_sweep_task.call_local()
    assert SlaEvent.objects.count() == 4


# --- bulk recomputation (B5) ---------------------------------------------------------------------


def _expected(incident: Incident) -> dict[str, datetime]:
    """What the scalar engine says the stored instants should be, for the unmet targets."""
    organisation = Organisation.objects.select_related("calendar", "sla_policy").get(
        pk=incident.organisation_id
    )
    targets = sla.incident_targets(
        organisation=organisation, priority=incident.priority, logged_at=incident.logged_at
    )
    fraction = sla.warning_fraction(organisation)
    clock = targets.clock
    paused = timedelta(seconds=incident.paused_seconds)
    out = {}
    for name, due in (
        ("initial", targets.initial_response_due),
        ("considered", targets.considered_response_due),
    ):
        warning = deadlines.warning_instant(clock, incident.logged_at, due, fraction)
        out[f"{name}_response_due"] = clock.add_business_time(due, paused)
        out[f"{name}_warning_at"] = clock.add_business_time(warning, paused)
    return out


@pytest.fixture
def varied_incidents(world, desk):
    """Open incidents on `uk` across a closure day: P3 and P4 at awkward times, one with its initial
    response met, one paused and resumed, one still paused, one closed (never recomputed)."""
    made = []
    for day, hour, minute, priority in [
        (1, 16, 30, "P3"),
        (1, 13, 30, "P3"),
        (1, 20, 0, "P3"),
        (2, 8, 0, "P4"),
        (1, 11, 0, "P4"),
        (1, 16, 59, "P4"),
        (2, 10, 15, "P3"),
        (3, 9, 0, "P3"),
    ]:
        made.append(log(world, priority=priority, at=london(2026, 12, day, hour, minute)))
    met = services.incident_acknowledge(actor=desk, incident=made[4], at=london(2026, 12, 1, 11, 30))
    paused = services.incident_acknowledge(actor=desk, incident=made[5], at=london(2026, 12, 1, 16, 59, 30))
    paused = services.incident_await_customer(
        actor=desk, incident=paused, note="Logs?", at=london(2026, 12, 1, 17)
    )
    paused = services.incident_resume(actor=desk, incident=paused, at=london(2026, 12, 3, 10, 30))
    still = services.incident_acknowledge(actor=desk, incident=made[6], at=london(2026, 12, 2, 10, 20))
    still = services.incident_await_customer(
        actor=desk, incident=still, note="Logs?", at=london(2026, 12, 2, 11)
    )
    closed = log(world, priority="P3", at=london(2026, 12, 1, 16, 0))
    closed = services.incident_acknowledge(actor=desk, incident=closed, at=london(2026, 12, 1, 16, 10))
    closed = services.incident_resolve(
        actor=desk, incident=closed, summary="Fixed.", at=london(2026, 12, 1, 16, 20)
    )
    closed = services.incident_close(actor=desk, incident=closed, customer_confirmed=True, reason="Phone.")
    p1 = log(world, priority="P1", at=london(2026, 12, 1, 16, 30))  # on 24x7: untouched by uk
    return {"open": made, "met": met, "paused": paused, "still": still, "closed": closed, "p1": p1}


def test_bulk_recompute_after_a_closure_matches_the_scalar_engine(world, varied_incidents):
    uk = Calendar.objects.get(name="uk")
    closed_before = Incident.objects.get(pk=varied_incidents["closed"].pk)
    p1_before = Incident.objects.get(pk=varied_incidents["p1"].pk)
    met_before = Incident.objects.get(pk=varied_incidents["met"].pk)
    audits_before = AuditEvent.objects.count()

    calendars.closure_add(actor=world["admin"], calendar=uk, date=date(2026, 12, 2), reason="Office move")
    uk.refresh_from_db()
    changed = deadlines.deadlines_recompute(calendar=uk, actor=world["admin"], batch_size=3)
    # Deadlines, not incidents: the considered targets of every open one on uk but the one logged
    # Thursday 3rd, after the closure (7), and the unmet initial targets due after Tuesday (3; the
    # one logged Tue 13:30 is due Tue 14:30 and stays).
    assert changed == 7 + 3

    for incident in Incident.objects.filter(
        sla_calendar=uk, state__in=["new", "acknowledged", "investigating", "awaiting_customer"]
    ):
        expected = _expected(incident)
        for name, value in expected.items():
            target = name.split("_")[0]
            if getattr(incident, f"{target}_response_at") is not None:
                continue
            assert getattr(incident, name) == value, (incident.reference, name)
        unmet = [
            getattr(incident, f"{t}_response_due")
            for t in ("initial", "considered")
            if getattr(incident, f"{t}_response_at") is None
        ]
        # A paused incident has no next target (it sorts after the running ones).
        assert incident.next_target_at == (min(unmet, default=None) if incident.paused_at is None else None)

    # The worked example of row 3 moves a day: Wed 2 Dec is closed.
    row3 = Incident.objects.get(pk=varied_incidents["open"][0].pk)
    assert (row3.initial_response_due, row3.considered_response_due) == (
        utc(2026, 12, 3, 10),
        utc(2026, 12, 3, 12),
    )
    assert row3.version == varied_incidents["open"][0].version + 1
    # Met targets, closed incidents and other calendars are left alone.
    met_after = Incident.objects.get(pk=met_before.pk)
    assert met_after.initial_response_due == met_before.initial_response_due
    assert (
        Incident.objects.get(pk=closed_before.pk).considered_response_due
        == closed_before.considered_response_due
    )
    assert Incident.objects.get(pk=p1_before.pk).initial_response_due == p1_before.initial_response_due
    # One audit event for the recomputation (plus the closure's own), not one per incident.
    recompute = AuditEvent.objects.filter(note="deadlines recomputed after calendar change")
    assert recompute.count() == 1
    assert recompute.get().object_type == "calendars.calendar"
    assert recompute.get().after["deadlines_recomputed"] == changed
    assert AuditEvent.objects.count() - audits_before <= 3

    # Recomputing again changes nothing; removing the closure restores the original targets.
    assert deadlines.deadlines_recompute(calendar=uk) == 0
    calendars.closure_remove(actor=world["admin"], closure=uk.closures.get(date=date(2026, 12, 2)))
    uk.refresh_from_db()
    deadlines.deadlines_recompute(calendar=uk)
    row3 = Incident.objects.get(pk=varied_incidents["open"][0].pk)
    assert (row3.initial_response_due, row3.considered_response_due) == (
        utc(2026, 12, 2, 10),
        utc(2026, 12, 2, 12),
    )


def test_bulk_recompute_builds_no_incident_objects(world, varied_incidents, monkeypatch):
    uk = Calendar.objects.get(name="uk")
    calendars.closure_add(actor=world["admin"], calendar=uk, date=date(2026, 12, 2), reason="Office move")
    uk.refresh_from_db()
    made = []
    original = Incident.__init__

    def spy(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Incident, "__init__", spy)
    assert deadlines.deadlines_recompute(calendar=uk) > 0
    assert made == []
