"""The SLA report's figures on a hand-built data set (dataset.py), exact, on whichever database the
suite runs on (SQLite by default, PostgreSQL with DATABASE_URL: the same expectations on both)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.incidents.reports import selectors, services
from opsdesk.incidents.reports.aggregates import percentile_stream
from opsdesk.incidents.reports.tests.dataset import NOW, build

pytestmark = pytest.mark.django_db


def _report(user, **filters):
    return selectors.sla_report(
        user=user, filters=selectors.report_filters(user=user, now=NOW, **filters), now=NOW
    )


def _rows(report):
    return {(r.organisation_id, r.priority, f"{r.month:%Y-%m}"): r for r in report.rows}


def test_figures_of_the_hand_built_set(world):
    build(world)
    a, b = world["org_a"].pk, world["org_b"].pk
    report = _report(world["csdm"], from_month="2026-01", to_month="2026-04")
    rows = _rows(report)
    assert sorted(rows) == sorted(
        [
            (a, "P1", "2026-01"),
            (b, "P1", "2026-01"),
            (a, "P1", "2026-02"),
            (a, "P3", "2026-02"),
            (a, "P2", "2026-04"),
        ]
    )

    jan = rows[(a, "P1", "2026-01")]
    assert (jan.logged, jan.initial_met, jan.initial_breached) == (3, 1, 2)
    assert (jan.considered_met, jan.considered_breached) == (1, 2)
    assert (jan.initial_compliance, jan.considered_compliance, jan.compliance) == (33.3, 33.3, 33.3)
    assert jan.paused_seconds == 300
    assert (jan.respond_mean, jan.respond_p90) == (900, 1140)  # 600 and 1200 s
    assert (jan.resolve_mean, jan.resolve_p90) == (14400, 17280)  # 10,800 and 18,000 s
    assert jan.escalations == {2: 1, 3: 1}
    assert (jan.rca_due, jan.rca_on_time, jan.rca_late) == (0, 0, 0)
    assert jan.organisation == world["org_a"].name

    rcas = rows[(a, "P1", "2026-02")]  # the RCAs fall due in February, nothing was logged then
    assert (rcas.logged, rcas.rca_due, rcas.rca_on_time, rcas.rca_late) == (0, 2, 1, 1)
    assert rcas.compliance is None

    feb = rows[(a, "P3", "2026-02")]
    assert (feb.logged, feb.initial_met, feb.initial_breached) == (3, 3, 0)
    assert (feb.considered_met, feb.considered_breached) == (1, 0)  # i5 paused, i6 resolved unmet
    assert feb.compliance == 100.0
    assert feb.paused_seconds == 3600
    assert (feb.respond_mean, feb.respond_p90) == (1400, 1800)  # 600, 1800, 1800 s
    assert (feb.resolve_mean, feb.resolve_p90) == (46800, 78480)  # 7,200 and 86,400 s
    assert feb.escalations == {}

    april = rows[(a, "P2", "2026-04")]  # 23:30 UTC on 31 March is April in London
    assert (april.logged, april.initial_breached, april.considered_breached, april.compliance) == (
        1,
        1,
        1,
        0.0,
    )
    assert april.respond_mean is None and april.respond_p90 is None

    other = rows[(b, "P1", "2026-01")]
    assert (other.logged, other.compliance, other.respond_p90, other.resolve_p90) == (1, 100.0, 300, 7200)

    assert [t.label for t in report.by_month] == ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026"]
    assert [(t.met, t.breached, t.compliance) for t in report.by_month] == [
        (4, 4, 50.0),
        (4, 0, 100.0),
        (0, 0, None),
        (0, 2, 0.0),
    ]
    assert [(t.key, t.logged) for t in report.by_priority] == [("P1", 4), ("P2", 1), ("P3", 3), ("P4", 0)]
    assert [(t.label, t.breached) for t in report.by_organisation] == [
        (world["org_a"].name, 6),
        (world["org_b"].name, 0),
    ]
    assert report.levels[0][0] == 2


def test_filters_narrow_the_report(world):
    build(world)
    a = world["org_a"].pk
    report = _report(world["csdm"], from_month="2026-02", to_month="2026-02", organisation=a, priority="P3")
    assert [(r.priority, f"{r.month:%Y-%m}", r.logged) for r in report.rows] == [("P3", "2026-02", 3)]
    assert [t.key for t in report.by_priority] == ["P3"]


def test_a_customer_sees_only_their_organisation(world):
    build(world)
    report = _report(world["customer_a"], from_month="2026-01", to_month="2026-04")
    assert {r.organisation_id for r in report.rows} == {world["org_a"].pk}
    assert report.filters.organisation == world["org_a"]
    with pytest.raises(NotFound, match=f"no organisation with id {world['org_b'].pk}"):
        _report(world["customer_a"], organisation=world["org_b"].pk)


@pytest.mark.parametrize(
    ("filters", "field", "words"),
    [
        ({"to_month": "2026-05"}, "to_month", "2026-05 is in the future"),
        ({"from_month": "2026-13"}, "from_month", "the month is 01 to 12"),
        ({"from_month": "March"}, "from_month", "write it as YYYY-MM"),
        (
            {"from_month": "2023-01", "to_month": "2026-04"},
            "to_month",
            "40 months: a report covers at most 24",
        ),
        ({"from_month": "2026-04", "to_month": "2026-01"}, "from_month", "is after to_month"),
        ({"priority": "P9"}, "priority", "'P9' is not a priority"),
        ({"organisation": "x"}, "organisation", "'x' is not an organisation id"),
    ],
)
def test_bad_filters_are_refused_naming_the_problem(world, filters, field, words):
    with pytest.raises(ValidationFailed) as caught:
        selectors.report_filters(user=world["csdm"], now=NOW, **filters)
    assert caught.value.errors[0]["field"] == field
    assert words in caught.value.errors[0]["message"]


def test_the_query_count_does_not_grow_with_organisations_or_months(world):
    build(world)
    services.refresh_all_marked()
    counts = []
    for months in (("2026-04", "2026-04"), ("2025-05", "2026-04")):
        with CaptureQueriesContext(connection) as queries:
            _report(world["csdm"], from_month=months[0], to_month=months[1])
        counts.append(len(queries))
    # From the roll-up: the marks of the range, the rows with the organisations' names, the due-time
    # lists of the rows straddling NOW, the levels.
    assert counts[0] == counts[1] == 4


def test_the_desk_trend_agrees_with_the_report(world):
    build(world)
    trend = selectors.compliance_trend(user=world["csdm"], months=4, now=NOW)
    report = _report(world["csdm"], from_month="2026-01", to_month="2026-04")
    assert [(t.label, t.compliance) for t in trend] == [(t.label, t.compliance) for t in report.by_month]


def test_percentile_stream_interpolates_like_percentile_cont():
    rows = [("a", 1), ("a", 2), ("a", 3), ("a", 4), ("a", 10), ("b", 7)]
    found = percentile_stream(rows, {"a": 5, "b": 1}, 0.9)
    assert found == {"a": 4 + (10 - 4) * (0.9 * 4 - 3), "b": 7.0}
    assert dt.timedelta(seconds=found["a"]) == dt.timedelta(seconds=7.6)
