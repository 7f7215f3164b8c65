"""B5 benchmark: 100,000 open incidents on PostgreSQL, a bank holiday is added to their calendar,
and every open target is recomputed (closure_add → the recomputation task, in-process: sla moves
the incidents' 200,000 deadlines and incidents copy them onto the incident rows). Printed
beside it, timed in the same run, is the floor: one plain bulk UPDATE of the same rows with
precomputed values. Goal: ≤ 3 s end to end and within 2× of the floor.

    .venv/bin/python bench/sla_recompute.py [--incidents 100000] [--rounds 3]

On a shared machine single timings vary by 2× from minute to minute: the bank holiday is added,
removed and added again (--rounds), each change timed with its floor right after it, and the
ratio is taken of the medians.

Needs PostgreSQL at OPSDESK_BENCH_PG (default postgres://postgres@127.0.0.1:5432); uses and drops
a database named opsdesk_bench_recompute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

# bench/ holds queue.py, named like the standard library's queue module (psycopg imports it): keep
# this folder at the end of the path so `import queue` finds the standard library first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import _django  # noqa: E402

#: OPSDESK_BENCH_DB names another database, so that two people can run the bench on one server.
DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_recompute")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="changes timed: add, remove, add, …")
    args = parser.parse_args()
    _django.fresh_database(DB)
    try:
        return run(args.incidents, args.rounds)
    finally:
        _django.drop_database(DB)


class _RollBack(Exception):
    pass


def run(count: int, rounds: int) -> int:
    from django.db import connection, transaction

    from opsdesk.calendars.models import Calendar, Closure
    from opsdesk.calendars.services import closure_add, closure_remove
    from opsdesk.directory.services import organisation_create
    from opsdesk.incidents.models import Incident
    from opsdesk.sla.deadlines import deadlines_recompute

    admin = _django.admin_user()
    uk = Calendar.objects.get(name="uk")
    orgs = [
        organisation_create(actor=admin, name=f"Bench customer {i}", service_plan="advanced").pk
        for i in range(20)
    ]
    # Open incidents logged during Monday 2026-06-01's business hours; P3 and P4 (business-hours
    # clocks), so the bank holiday added on Tuesday 2026-06-02 moves nearly every target.
    _django.insert_incidents(
        count=count,
        organisation_ids=orgs,
        calendar_id=uk.pk,
        open_share=1.0,
        start="2026-06-01 08:00+00",
        spread_seconds=8 * 3600,
    )
    Incident.objects.filter(priority__in=["P1", "P3"]).update(priority="P3")
    Incident.objects.filter(priority__in=["P2", "P4"]).update(priority="P4")
    _django.insert_deadlines()  # the incidents' deadlines, as the data migration makes them
    started = time.perf_counter()
    deadlines_recompute(calendar=uk)  # exact targets before the change
    warm = time.perf_counter() - started
    open_count = Incident.objects.filter(sla_calendar=uk).count()

    # The change: a new bank holiday in the middle of the incidents' span, added, removed and
    # added again (--rounds); each change is timed end to end, and after each the floor.
    holiday = dt.date(2026, 6, 2)
    before = dict(Incident.objects.filter(pk__lte=5).values_list("pk", "considered_response_due"))
    table = Incident._meta.db_table
    columns = ", ".join(
        ["initial_response_due", "considered_response_due", "initial_warning_at", "considered_warning_at"]
        + ["next_target_at", "version"]
    )
    timings: list[tuple[str, float, float, int]] = []
    for round_ in range(rounds):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {columns} FROM {table} WHERE sla_calendar_id = %s", [uk.pk])
            previous = {row[0]: row for row in cursor.fetchall()}
        started = time.perf_counter()
        if round_ % 2 == 0:
            closure_add(actor=admin, calendar=uk, date=holiday, reason="Bench bank holiday")
        else:
            closure_remove(actor=admin, closure=Closure.objects.get(calendar=uk, date=holiday))
        end_to_end = time.perf_counter() - started
        uk.refresh_from_db()
        assert uk.recomputed_version == uk.version, "the recomputation did not run"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, version FROM {table} WHERE sla_calendar_id = %s", [uk.pk])
            changed_ids = [pk for pk, version in cursor.fetchall() if version != previous[pk][-1]]
        # The floor: one bulk UPDATE of the same rows to values already computed. The values must
        # differ from what is stored (PostgreSQL skips index work when indexed values do not
        # change), so the floor writes the targets as they were before the change back over the
        # recomputed ones: the same rows, the same columns, the same amount of change. It is rolled
        # back, so the next round starts from the recomputed state.
        rows = [previous[pk][:-1] for pk in changed_ids]
        started = time.perf_counter()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE bench_values (id bigint, a timestamptz, b timestamptz, "
                    "c timestamptz, d timestamptz, e timestamptz) ON COMMIT DROP"
                )
                with cursor.copy("COPY bench_values FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"UPDATE {table} AS t SET initial_response_due = v.a, considered_response_due = v.b, "
                    f"initial_warning_at = v.c, considered_warning_at = v.d, next_target_at = v.e, "
                    f"version = t.version + 1 FROM bench_values v WHERE t.id = v.id"
                )
                floor = time.perf_counter() - started
                raise _RollBack
        except _RollBack:
            pass
        timings.append(("add" if round_ % 2 == 0 else "remove", end_to_end, floor, len(changed_ids)))
    changed = timings[0][3]

    # Check a few against the scalar engine.
    from opsdesk.sla.services import incident_targets

    bad = 0
    for incident in Incident.objects.filter(pk__lte=200).select_related("organisation__calendar"):
        expected = incident_targets(
            organisation=incident.organisation, priority=incident.priority, logged_at=incident.logged_at
        )
        if expected.considered_response_due.astimezone(dt.UTC) != incident.considered_response_due:
            bad += 1
    # Every row, not a sample: the same recomputation run again inside a transaction (so without
    # write-behind, read and write in one transaction per batch) must find nothing left to change.
    with transaction.atomic():
        leftover = deadlines_recompute(calendar=uk)
    moved = sum(
        1
        for pk, due in Incident.objects.filter(pk__lte=5).values_list("pk", "considered_response_due")
        if due != before[pk]
    )
    end_to_end = statistics.median(t[1] for t in timings)
    floor = statistics.median(t[2] for t in timings)
    for change, took, floor_took, count in timings:
        print(
            f"{change:<7} {count:>7,} incidents moved: end to end {took:7.3f} s, "
            f"floor {floor_took:7.3f} s, {took / floor_took:5.2f} ×"
        )

    print(f"open incidents on the calendar     {open_count:>12,}")
    print(f"initial recomputation (warm-up)    {warm:>12.3f} s")
    print(f"incidents whose targets moved      {changed:>12,}")
    print(f"a bank holiday, end to end, median {end_to_end:>12.3f} s   (goal ≤ 3 s)")
    print(f"floor: bulk UPDATE, same rows, med {floor:>12.3f} s")
    print(f"ratio of the medians               {end_to_end / floor:>12.2f} ×  (goal ≤ 2×)")
    print(f"spot check against the scalar engine: {200 - bad}/200 agree; {moved}/5 sample targets moved")
    print(f"sequential recomputation afterwards moved {leftover} deadlines (expected 0)")
    return 0 if bad == 0 and leftover == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
