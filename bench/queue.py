"""Staff-queue benchmark (issue: 1,000,000 incidents across 500 organisations on PostgreSQL).

The first page (25 rows sorted by next target) with and without filters by organisation, priority
and state, and a text search — through the same API code the UI and clients use
(GET /api/v1/incidents, middleware included, via Django's test client) and through the staff
queue page when it exists. Prints p50/p95 per case and the query count per request at 25 and 100
rows a page (it must not grow with the page). Goal: p95 < 50 ms.

    .venv/bin/python bench/queue.py [--incidents 1000000] [--organisations 500] [--runs 40]

Needs PostgreSQL at OPSDESK_BENCH_PG (default postgres://postgres@127.0.0.1:5432); uses and drops
a database named opsdesk_bench_queue (keep it with --keep to re-run quickly with --reuse).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

# This file is named queue.py, like the standard library's queue module that psycopg imports: move
# its folder to the end of the path so `import queue` finds the standard library first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import _django  # noqa: E402

#: OPSDESK_BENCH_DB names another database, so that two people can run the bench on one server.
DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_queue")
GOAL_MS = 50.0


def main() -> int:
    return _django.run_bench(DB, populate, measure, runs=40)


def populate(count: int, organisations: int) -> None:
    from opsdesk.calendars.models import Calendar
    from opsdesk.directory.models import Organisation, ServicePlan

    admin = _django.admin_user()
    plan = ServicePlan.objects.get(code="advanced")
    uk = Calendar.objects.get(name="uk")
    # Organisations straight into the table: the benchmark is about incidents, not 500 audited creates.
    Organisation.objects.bulk_create(
        [Organisation(name=f"Customer {i:03d}", service_plan=plan, calendar=uk) for i in range(organisations)]
    )
    ids = list(Organisation.objects.values_list("pk", flat=True))
    _django.insert_incidents(count=count, organisation_ids=ids, calendar_id=uk.pk, open_share=0.05)
    del admin


def _time(client, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
    return statistics.median(samples), p95, len(ctx.captured_queries)


def measure(runs: int) -> int:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from opsdesk.directory.models import Organisation, User
    from opsdesk.incidents.models import Incident

    staff, _ = User.objects.get_or_create(
        email="bench-desk@provider.example", defaults={"full_name": "Bench desk", "role": "service_desk"}
    )
    client = Client()
    client.force_login(staff)
    # An organisation whose filters below find something: only some have open incidents, and each
    # has one priority (see _django.insert_incidents).
    new_p2 = Incident.objects.filter(state="new", priority="P2").order_by("pk")
    org = new_p2.values_list("organisation_id", flat=True)[0]
    total = Incident.objects.count()
    cases = [
        ("open queue", "state=open"),
        ("all incidents", ""),
        ("open, one organisation", f"state=open&organisation={org}"),
        ("open, priority P1", "state=open&priority=P1"),
        ("state new", "state=new"),
        ("open, org + P2 + new", f"state=new&organisation={org}&priority=P2"),
        ("search, rare word (0.1 %)", "q=kinesis"),
        ("open + rare word", "state=open&q=kinesis"),
        ("search, common word (~20 %)", "q=certificate"),
    ]
    paths = [("API", "/api/v1/incidents?limit={limit}&{query}")]
    try:
        paths.append(("UI", reverse("incidents:queue") + "?{query}"))
    except NoReverseMatch:
        pass
    print(f"\n{total:,} incidents, {Organisation.objects.count()} organisations; {runs} timed runs a case\n")
    print(f"{'case':<28} {'via':<4} {'p50 ms':>8} {'p95 ms':>8} {'queries@25':>11} {'queries@100':>12}")
    worst = 0.0
    growing = []
    for label, query in cases:
        for via, template in paths:
            url = template.format(limit=25, query=query)
            p50, p95, q25 = _time(client, url, runs)
            q100 = _time(client, template.format(limit=100, query=query), 3)[2] if via == "API" else q25
            worst = max(worst, p95)
            if q100 != q25:
                growing.append(label)
            print(f"{label:<28} {via:<4} {p50:>8.1f} {p95:>8.1f} {q25:>11} {q100:>12}")
    print(f"\nworst p95 {worst:.1f} ms; goal < {GOAL_MS:.0f} ms: {'met' if worst < GOAL_MS else 'NOT met'}")
    print(f"query count independent of page size: {'yes' if not growing else 'NO: ' + ', '.join(growing)}")
    return 0 if not growing else 1


if __name__ == "__main__":
    sys.exit(main())
