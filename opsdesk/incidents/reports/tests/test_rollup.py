"""The monthly roll-up (reports.models.SlaMonth) gives the report exactly the figures of the live
aggregation (selectors.sla_report_live) over a varied data set, after every kind of change to an
incident, escalation or RCA, at several `now`s (the current month included), on SQLite and
PostgreSQL; and a report reads a fixed number of queries however many organisations and months."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.directory.models import Organisation
from opsdesk.incidents.escalations.models import Escalation, EscalationCriterion, EscalationLevel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.reports import selectors, services, tasks
from opsdesk.incidents.reports.models import RollupMark, SlaMonth
from opsdesk.incidents.reports.tests.dataset import LONDON, NOW

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)
#: Report instants: the dataset's now, a week earlier (running targets not yet due) and later.
NOWS = (NOW, NOW - dt.timedelta(days=7), NOW + dt.timedelta(hours=3))
OPEN = ("new", "acknowledged", "investigating", "awaiting_customer")


def _organisations(world: dict[str, Any], extra: int, seed: int) -> list[Organisation]:
    base = world["org_a"]
    made = [
        Organisation.objects.create(
            name=f"Rollup {seed}-{i}", service_plan=base.service_plan, calendar=base.calendar
        )
        for i in range(extra)
    ]
    return [world["org_a"], world["org_b"], *made]


def _varied(world: dict[str, Any], *, count: int = 160, seed: int = 9, extra_orgs: int = 2) -> list[Incident]:
    """Incidents over 15 months up to NOW (two summer-time changes), of several organisations and
    every priority: responses met, late and missing; running, paused, resolved and closed; with
    microseconds on the instants; escalations of levels 2–4 and RCAs on time, late and unsubmitted."""
    rnd = random.Random(seed)
    orgs = _organisations(world, extra_orgs, seed)
    start = dt.datetime(2025, 2, 1, 0, 0, tzinfo=LONDON)
    span = int((NOW + dt.timedelta(days=10) - start).total_seconds())
    made = []
    for _ in range(count):
        org = rnd.choice(orgs)
        logged = start + dt.timedelta(seconds=rnd.randrange(span), microseconds=rnd.randrange(10**6))
        state = rnd.choice([*OPEN, "resolved", "closed", "resolved"])

        def at(low: int, high: int, none: float = 0.0, logged: dt.datetime = logged) -> dt.datetime | None:
            if rnd.random() < none:
                return None
            return logged + rnd.randint(low, high) * MIN + dt.timedelta(microseconds=rnd.randrange(10**6))

        ended = state not in OPEN
        resolved = at(30, 6000) if ended else None
        initial_due, considered_due = at(15, 240), at(60, 9000)
        made.append(
            Incident.objects.create(
                organisation=org,
                service=world["service_a"] if org == world["org_a"] else None,
                title="Varied",
                description="Roll-up case",
                priority=rnd.choice(["P1", "P2", "P3", "P4"]),
                logged_at=logged,
                sla_calendar=org.calendar,
                initial_response_due=initial_due,
                considered_response_due=considered_due,
                initial_warning_at=initial_due,
                considered_warning_at=considered_due,
                initial_response_at=at(0, 300, none=0.3),
                considered_response_at=at(20, 9000, none=0.4),
                resolved_at=resolved,
                closed_at=(resolved + dt.timedelta(hours=2)) if state == "closed" and resolved else None,
                state=state,
                paused_at=at(5, 400) if not ended and rnd.random() < 0.3 else None,
                paused_seconds=rnd.choice([0, 0, 90, 3600, 7201]),
            )
        )
    criterion = EscalationCriterion.objects.order_by("position", "id").first()
    levels = list(EscalationLevel.objects.filter(level__gte=2).order_by("level"))
    for incident in rnd.sample(made, min(30, count)):
        Escalation.objects.create(
            incident=incident,
            level=rnd.choice(levels),
            criterion=criterion,
            raised_by_contact=world["contact_a"],
            raised_at=incident.logged_at + rnd.randint(10, 60 * 24 * 40) * MIN,
            state="escalated",
        )
    for incident in rnd.sample(made, min(25, count)):
        due = incident.logged_at + dt.timedelta(days=rnd.randint(3, 30), minutes=rnd.randint(0, 900))
        submitted = rnd.choice([None, due - dt.timedelta(hours=5), due + dt.timedelta(hours=5)])
        RootCauseAnalysis.objects.create(
            incident=incident, due_at=due, submitted_at=submitted, state="submitted" if submitted else "draft"
        )
    return made


def _figures(report: selectors.SlaReport) -> list[dict[str, Any]]:
    return [dataclasses.asdict(r) for r in report.rows]


def _filters(user: Any, now: dt.datetime, **more: Any) -> selectors.ReportFilters:
    return selectors.report_filters(
        user=user, from_month=more.pop("from_month", "2025-05"), to_month=f"{now:%Y-%m}", now=now, **more
    )


def assert_same(world: dict[str, Any], *, nows: tuple[dt.datetime, ...] = NOWS) -> None:
    """The roll-up's report equals the live one: all organisations, one, a priority, a customer's."""
    org_b = world["org_b"].pk
    for now in nows:
        for user, more in (
            (world["csdm"], {}),
            (world["csdm"], {"organisation": org_b}),
            (world["csdm"], {"priority": "P2", "from_month": "2025-02"}),
            (world["customer_a"], {}),
        ):
            filters = _filters(user, now, **dict(more))
            live = selectors.sla_report_live(user=user, filters=filters, now=now)
            rolled = selectors.sla_report(user=user, filters=filters, now=now)
            assert _figures(rolled) == _figures(live), (now, more)
            assert rolled.levels == live.levels


def test_the_roll_up_gives_the_live_figures(world):
    _varied(world)
    live = selectors.sla_report_live(user=world["csdm"], filters=_filters(world["csdm"], NOW), now=NOW)
    # The data set covers what the report distinguishes.
    assert sum(r.initial_breached for r in live.rows) and sum(r.initial_met for r in live.rows)
    assert sum(r.rca_late for r in live.rows) and sum(r.escalation_total for r in live.rows)
    assert any(r.respond_p90 for r in live.rows) and any(r.resolve_p90 for r in live.rows)
    assert_same(world)
    # What was marked outside the ranges asked for (escalations and RCAs after NOW) waits for the task.
    assert all(mark.month >= dt.date(2026, 4, 1) for mark in RollupMark.objects.all())


def test_running_targets_count_as_breached_once_due_in_the_current_month(world):
    """An unanswered running target logged this month is not breached before it is due and is
    breached after, with no write in between: the roll-up keeps its due time beside the row."""
    org = world["org_a"]
    logged = NOW - dt.timedelta(hours=1)
    incident = Incident.objects.create(
        organisation=org, service=world["service_a"], title="Now", description="d", priority="P1",
        logged_at=logged, sla_calendar=org.calendar, state="new",
        initial_response_due=logged + 90 * MIN, considered_response_due=logged + 300 * MIN,
        initial_warning_at=logged + 80 * MIN, considered_warning_at=logged + 290 * MIN,
    )  # fmt: skip
    before = NOW
    after = logged + 90 * MIN
    for now, breached in ((before, 0), (after, 1), (after + 300 * MIN, 2)):
        report = selectors.sla_report(user=world["csdm"], filters=_filters(world["csdm"], now), now=now)
        [row] = [r for r in report.rows if r.month == dt.date(2026, 4, 1)]
        assert (row.logged, row.initial_breached + row.considered_breached) == (1, breached)
    assert SlaMonth.objects.get(organisation=org, month=dt.date(2026, 4, 1)).pending == {
        "initial": [services.epoch_us(incident.initial_response_due)],
        "considered": [services.epoch_us(incident.considered_response_due)],
    }
    assert_same(world, nows=(before, after))


def _change_each_way(world: dict[str, Any], made: list[Incident]) -> list[tuple[str, Any]]:
    rnd = random.Random(3)
    org_c = Organisation.objects.filter(name__startswith="Rollup").order_by("pk").first()
    open_ones = [i for i in made if i.state in OPEN]
    first, second, third, fourth, fifth, sixth = open_ones[:6]
    level4 = EscalationLevel.objects.get(level=4)
    levels = list(EscalationLevel.objects.filter(level__in=(2, 3)))
    escalation = Escalation.objects.order_by("pk").first()
    rca = RootCauseAnalysis.objects.filter(submitted_at__isnull=True).order_by("pk").first()

    def save(incident: Incident, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(incident, name, value)
        incident.save()

    return [
        ("logged", lambda: _varied(world, count=6, seed=rnd.randrange(99), extra_orgs=0)),
        (
            "responded",
            lambda: save(first, initial_response_at=first.logged_at + 7 * MIN, state="investigating"),
        ),
        ("considered", lambda: save(second, considered_response_at=NOW - 3 * MIN)),
        ("paused", lambda: save(third, paused_at=third.logged_at + 2 * MIN)),
        ("resumed", lambda: save(third, paused_at=None, paused_seconds=third.paused_seconds + 120)),
        ("resolved", lambda: save(fourth, state="resolved", resolved_at=fourth.logged_at + 500 * MIN)),
        ("closed", lambda: save(fourth, state="closed", closed_at=fourth.logged_at + 600 * MIN)),
        (
            "priority",
            lambda: save(
                escalation.incident, priority="P4" if escalation.incident.priority != "P4" else "P1"
            ),
        ),
        (
            "organisation",
            lambda: save(
                rca.incident,
                organisation=org_c if rca.incident.organisation_id != org_c.pk else world["org_b"],
            ),
        ),
        ("target moved", lambda: Incident.objects.filter(pk=fifth.pk).update(initial_response_due=NOW + MIN)),
        ("logged moved", lambda: save(sixth, logged_at=sixth.logged_at - dt.timedelta(days=40))),
        (
            "escalated",
            lambda: Escalation.objects.create(
                incident=fifth,
                level=level4,
                criterion=escalation.criterion,
                raised_by_contact=world["contact_a"],
                raised_at=NOW - dt.timedelta(days=50),
                state="escalated",
            ),
        ),
        (
            "escalation level",
            lambda: Escalation.objects.filter(pk=escalation.pk).update(
                level=level4 if escalation.level_id != level4.pk else levels[0]
            ),
        ),
        ("escalation deleted", lambda: Escalation.objects.filter(pk=escalation.pk).delete()),
        (
            "rca submitted",
            lambda: RootCauseAnalysis.objects.filter(pk=rca.pk).update(submitted_at=rca.due_at),
        ),
        (
            "rca due moved",
            lambda: RootCauseAnalysis.objects.filter(pk=rca.pk).update(
                due_at=rca.due_at - dt.timedelta(days=45)
            ),
        ),
        ("rca deleted", lambda: RootCauseAnalysis.objects.filter(pk=rca.pk).delete()),
        ("incident deleted", lambda: Incident.objects.get(pk=second.pk).delete()),
        ("bulk update", lambda: Incident.objects.filter(priority="P3").update(priority="P2")),
    ]


def test_every_kind_of_change_reaches_the_report(world):
    made = _varied(world)
    assert_same(world, nows=(NOW,))
    for label, change in _change_each_way(world, made):
        services.refresh_all_marked()
        change()
        assert RollupMark.objects.exists(), label
        assert_same(world, nows=(NOW,))


def test_the_minute_task_refreshes_what_was_marked(world):
    made = _varied(world, count=60)
    tasks.rollup_refresh_task()
    assert not RollupMark.objects.exists()
    for _label, change in _change_each_way(world, made):
        change()
    assert RollupMark.objects.exists()
    tasks.rollup_refresh_task()  # immediate mode in tests: runs now
    assert not RollupMark.objects.exists()
    assert_same(world, nows=(NOW,))


def test_an_unrelated_edit_marks_nothing(world):
    made = _varied(world, count=10)
    services.refresh_all_marked()
    made[0].title = "A better title"
    made[0].save()
    assert not RollupMark.objects.exists()


def test_the_rebuild_command_recomputes_everything(world, capsys):
    _varied(world, count=60)
    services.refresh_all_marked()
    SlaMonth.objects.filter(priority="P1").update(logged=999, respond_p90=1.0)
    call_command("reports", "rebuild")
    assert "rows written" in capsys.readouterr().out
    assert not SlaMonth.objects.filter(logged=999).exists()
    assert_same(world, nows=(NOW,))


def _count(user: Any, first: str, last: str = "2026-04") -> int:
    filters = selectors.report_filters(user=user, from_month=first, to_month=last, now=NOW)
    with CaptureQueriesContext(connection) as queries:
        selectors.sla_report(user=user, filters=filters, now=NOW)
    return len(queries)


def test_the_query_count_does_not_grow_with_organisations_or_months(world):
    _varied(world, count=40, extra_orgs=1)
    services.refresh_all_marked()
    few = (_count(world["csdm"], "2026-04"), _count(world["csdm"], "2024-05"))
    _varied(world, count=120, seed=4, extra_orgs=6)
    services.refresh_all_marked()
    many = (
        _count(world["csdm"], "2026-04"),
        _count(world["csdm"], "2024-05"),
        _count(world["customer_a"], "2025-01"),
    )
    # The marks of the range, the rows with the organisations' names, the due-time lists of the
    # rows straddling NOW, the escalation levels.
    assert set(few) == set(many) == {4}
    assert SlaMonth.objects.values("organisation").distinct().count() == 9
