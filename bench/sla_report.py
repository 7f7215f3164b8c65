"""SLA report benchmark (issue 9, item 2): 1,000,000 incidents over 24 months on PostgreSQL.

The report reads the monthly roll-up (reports.models.SlaMonth). populate() ends by building it
(`reports.services.rebuild`, timed); a run with --reuse first refreshes what the database triggers
marked since (timed), then checks the roll-up's report against the live aggregation
(`selectors.sla_report_live`) for all organisations and for one.

Times the 12-month report for all organisations and for one organisation, through the selector
(`reports.selectors.sla_report`: the queries and the rows) and through the API
(GET /api/v1/sla-report, middleware and JSON included, via Django's test client), and counts the
queries of each at two sizes: 3 and 12 months, and 50 and 500 organisations (a staff user sees
all of them; the organisations differ only by what they own). Goal: p95 < 300 ms, and a query
count that does not grow with the organisations or the months.

    .venv/bin/python bench/sla_report.py [--incidents 1000000] [--organisations 500] [--runs 30]

Needs PostgreSQL at OPSDESK_BENCH_PG (default postgres://postgres@127.0.0.1:5432); uses and drops
a database named opsdesk_bench_report (OPSDESK_BENCH_DB; --keep keeps it, --reuse re-runs on it).
"""

from __future__ import annotations

import os
import sys
import time

# bench/queue.py would shadow the standard library's queue module, which psycopg imports: move this
# folder to the end of the path (as bench/queue.py does).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import _django  # noqa: E402

DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_report")
GOAL_MS = 300.0
#: The incidents are logged over these 24 months (2025-01 … 2026-12, Europe/London).
START = "2025-01-01 00:00+00"
SPREAD_SECONDS = 729 * 86400


def main() -> int:
    return _django.run_bench(DB, populate, measure, runs=30)


def populate(count: int, organisations: int) -> None:
    """Incidents by _django.insert_incidents, spread evenly over the 24 months (its generator fills
    about 14 at this count), then the facts the report reads: responses (most in time, some late, a
    few never), resolutions, paused time; an escalation for one incident in 50
    (levels 2–4) and an RCA for one P1 in 10 (most on time)."""
    from django.db import connection

    from opsdesk.calendars.models import Calendar
    from opsdesk.directory.models import NamedContact, Organisation, ServicePlan
    from opsdesk.incidents.escalations.models import EscalationCriterion, EscalationLevel

    plan = ServicePlan.objects.get(code="advanced")
    uk = Calendar.objects.get(name="uk")
    Organisation.objects.bulk_create(
        [Organisation(name=f"Customer {i:03d}", service_plan=plan, calendar=uk) for i in range(organisations)]
    )
    ids = list(Organisation.objects.values_list("pk", flat=True))
    _django.insert_incidents(
        count=count,
        organisation_ids=ids,
        calendar_id=uk.pk,
        open_share=0.05,
        start=START,
        spread_seconds=SPREAD_SECONDS,
    )
    contact = NamedContact.objects.create(organisation_id=ids[0], name="Bench contact", email="b@bench.test")
    levels = dict(EscalationLevel.objects.values_list("level", "pk"))
    criterion = EscalationCriterion.objects.order_by("pk").values_list("pk", flat=True)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE incidents_incident AS i SET
              logged_at = s.t,
              initial_response_due = s.t + interval '1 hour',
              considered_response_due = s.t + interval '4 hours',
              initial_warning_at = s.t + interval '48 minutes',
              considered_warning_at = s.t + interval '192 minutes',
              next_target_at = CASE WHEN i.next_target_at IS NOT NULL THEN s.t + interval '1 hour' END,
              initial_response_at = CASE WHEN i.id % 40 = 0 THEN NULL
                  ELSE s.t + ((i.id * 7) % 80) * interval '1 minute' END,
              considered_response_at = CASE WHEN i.id % 40 = 0 OR i.id % 9 = 0 THEN NULL
                  ELSE s.t + (60 + (i.id * 11) % 240) * interval '1 minute' END,
              resolved_at = CASE WHEN i.state IN ('resolved', 'closed')
                  THEN s.t + (120 + (i.id * 13) % 4000) * interval '1 minute' END,
              paused_seconds = CASE WHEN i.id % 6 = 0 THEN (i.id % 7200) ELSE 0 END
            FROM (
              SELECT id, timestamptz '{START}' + ((id * 7919) % {SPREAD_SECONDS}) * interval '1 second' AS t
              FROM incidents_incident
            ) AS s
            WHERE s.id = i.id
            """
        )
        cursor.execute(
            f"""
            INSERT INTO incidents_escalation (
              incident_id, level_id, criterion_id, details, grounds, state, raised_by_contact_id,
              raised_at, best_endeavours, response, closure_reason, closed_at, created_at, updated_at,
              version)
            SELECT id, (ARRAY[{levels[2]}, {levels[3]}, {levels[4]}])[1 + (id / 50) % 3], {criterion},
                   '', '', 'closed', {contact.pk}, logged_at + interval '2 hours', false, '', 'bench',
                   logged_at + interval '1 day', logged_at, logged_at, 1
            FROM incidents_incident WHERE id % 50 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO incidents_rootcauseanalysis (
              incident_id, due_at, chargeable, state, impact, timeline_of_events, monitoring_assessment,
              lessons_learned, recommendations, submitted_at, created_at, updated_at, version)
            SELECT id, logged_at + interval '14 days', false,
                   CASE WHEN id % 7 = 0 THEN 'draft' ELSE 'submitted' END, '', '', '', '', '',
                   CASE WHEN id % 7 = 0 THEN NULL
                        ELSE logged_at + (10 + (id % 6)) * interval '1 day' END,
                   logged_at, logged_at, 1
            FROM incidents_incident WHERE priority = 'P1' AND id % 10 = 0
            """
        )
        cursor.execute("VACUUM ANALYZE incidents_incident")
        cursor.execute("VACUUM ANALYZE incidents_escalation")
        cursor.execute("VACUUM ANALYZE incidents_rootcauseanalysis")
    build_rollup()


def build_rollup() -> None:
    """The roll-up of everything just loaded (the load's statements marked ~12,000 keys)."""
    from django.db import connection

    from opsdesk.incidents.reports import services
    from opsdesk.incidents.reports.models import RollupMark

    marks = RollupMark.objects.count()
    started = time.perf_counter()
    rows = services.rebuild()
    print(f"roll-up rebuilt from {marks:,} marks: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_slamonth")


def measure(runs: int) -> int:
    import datetime as dt

    from django.test import Client

    from opsdesk.directory.models import NamedContact, Organisation, User
    from opsdesk.incidents.models import Incident
    from opsdesk.incidents.reports import selectors

    staff, _ = User.objects.get_or_create(
        email="bench-csdm@provider.example", defaults={"full_name": "Bench CSDM", "role": "csdm"}
    )
    client = Client()
    client.force_login(staff)
    contact = NamedContact.objects.get(email="b@bench.test")
    org = contact.organisation_id
    now = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)

    def report(org_id=None, first="2026-01", last="2026-12", user=staff):
        filters = selectors.report_filters(
            user=user, from_month=first, to_month=last, organisation=org_id, now=now
        )
        return selectors.sla_report(user=user, filters=filters, now=now)

    def api(query: str):
        response = client.get(f"/api/v1/sla-report?{query}")
        assert response.status_code == 200, response.content[:300]
        return response

    from opsdesk.incidents.reports import services

    started = time.perf_counter()
    refreshed = services.refresh_all_marked()
    print(f"marked keys refreshed before measuring: {refreshed:,} in {time.perf_counter() - started:.1f} s")
    for org_id in (None, org):
        started = time.perf_counter()
        filters = selectors.report_filters(
            user=staff, from_month="2026-01", to_month="2026-12", organisation=org_id, now=now
        )
        live = selectors.sla_report_live(user=staff, filters=filters, now=now)
        took = time.perf_counter() - started
        same = live.rows == selectors.sla_report(user=staff, filters=filters, now=now).rows
        which = "all organisations" if org_id is None else "one organisation"
        print(f"roll-up == live aggregation, {which}: {'yes' if same else 'NO'} (live took {took:.2f} s)")
        assert same, which

    total = Incident.objects.count()
    all_rows = len(report().rows)
    one_rows = len(report(org).rows)
    print(f"\n{total:,} incidents, {Organisation.objects.count()} organisations; {runs} timed runs a case")
    print(
        f"12-month report (2026-01 … 2026-12): {all_rows:,} rows for all organisations, {one_rows} for one\n"
    )
    print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    cases = [
        ("selector, all organisations", lambda: report()),
        ("selector, one organisation", lambda: report(org)),
        ("API JSON, all organisations", lambda: api("from_month=2026-01&to_month=2026-12")),
        (
            "API JSON, one organisation",
            lambda: api(f"from_month=2026-01&to_month=2026-12&organisation={org}"),
        ),
    ]
    worst = 0.0
    for label, call in cases:
        p50, p95 = _django.timed(call, runs, warm=2)
        queries = _django.queries(call)
        worst = max(worst, p95)
        print(f"{label:<34} {p50:>8.1f} {p95:>8.1f} {queries:>8}")

    # The query count at several sizes: 3, 12 and 24 months; every organisation against one (as
    # staff, and as a customer of that organisation).
    customer, _ = User.objects.get_or_create(
        email="bench-customer@customer.example",
        defaults={"full_name": "Bench customer", "role": "customer", "contact": contact},
    )

    def count(org_id=None, first="2026-01", user=staff) -> int:
        # The report's queries, once its filters are checked (which looks the organisation up).
        filters = selectors.report_filters(
            user=user, from_month=first, to_month="2026-12", organisation=org_id, now=now
        )
        return _django.queries(lambda: selectors.sla_report(user=user, filters=filters, now=now))

    sizes = {
        "3 months, all organisations": count(first="2026-10"),
        "12 months, all organisations": count(),
        "24 months, all organisations": count(first="2025-01"),
        "12 months, one organisation (staff)": count(org),
        "12 months, a customer's own": count(user=customer),
    }
    print()
    for label, count in sizes.items():
        print(f"queries, {label:<37} {count}")
    steady = len(set(sizes.values())) == 1
    print(
        f"\nworst p95 {worst:.1f} ms; goal < {GOAL_MS:.0f} ms: {'met' if worst < GOAL_MS else 'NOT met'}"
        f"\nquery count independent of months and organisations: {'yes' if steady else 'NO'}"
    )
    return 0 if steady and worst < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
