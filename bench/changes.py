"""Changes and maintenance benchmark (issue 11, speed): 100,000 scheduled changes and maintenance
windows over 2,000 services and 500 organisations on PostgreSQL.

The windows are rows of the calendar of windows (schedule.Window, with their per-service rows
schedule.WindowService), as the changes and maintenance services write them; the changes also have
their changes.Change rows, which the change board reads. One organisation (the first) has 2,000
windows in its iCalendar feed's range. Measures:

  (a) the overlap check of a new window against changes on the same services and the
      organisation's blackouts (`schedule.selectors.overlapping`, what changes and maintenance
      call): p95 < 20 ms;
  (b) that organisation's iCal feed with 2,000 entries, through its real secret URL: p95 < 200 ms;
  (c) the change board's first page (/changes/ as staff): p95 < 50 ms, the same number of
      queries at two sizes, and the selector's bounded (the cards, and one capped count per full
      column).

Prints p50/p95, the ratio to each goal, the query counts and the machine's load (other work on a
shared machine shows in the figures).

    .venv/bin/python bench/changes.py [--windows 100000] [--services 2000] [--organisations 500]
                                      [--feed 2000] [--runs 100] [--keep] [--reuse]

Needs PostgreSQL at OPSDESK_BENCH_PG (default postgres://postgres@127.0.0.1:5432); uses and drops
a database named opsdesk_bench_changes (OPSDESK_BENCH_DB; --keep keeps it, --reuse re-runs on it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

# bench/queue.py would shadow the standard library's queue module, which psycopg imports: move this
# folder to the end of the path (as bench/queue.py does).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import _django  # noqa: E402

DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_changes")
OVERLAP_GOAL_MS = 20.0
FEED_GOAL_MS = 200.0
BOARD_GOAL_MS = 50.0
#: Shares of the windows by kind: most are changes, then provider maintenance, customer windows,
#: blackouts.
SHARES = (("change", 0.6), ("provider_maintenance", 0.25), ("customer_maintenance", 0.1), ("blackout", 0.05))
SOURCES = {
    "change": "changes.change",
    "provider_maintenance": "maintenance.provider",
    "customer_maintenance": "maintenance.customer",
    "blackout": "maintenance.blackout",
}
BATCH = 5_000


def populate(windows: int, services: int, organisations: int, feed: int) -> None:
    """Organisations with services spread evenly; `windows` windows from 90 days back to 270 days
    ahead, each of 1–8 hours on one or two of its organisation's services (blackouts on none),
    `feed` of them on the first organisation; a change row for each change window."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from opsdesk.calendars.models import Calendar
    from opsdesk.changes.models import Change
    from opsdesk.directory.models import Organisation, Service, ServicePlan
    from opsdesk.maintenance.models import IcalFeed
    from opsdesk.schedule.models import Window, WindowService

    rng = random.Random(11)
    admin = _django.admin_user()
    plan = ServicePlan.objects.get(code="advanced")
    uk = Calendar.objects.get(name="uk")
    Organisation.objects.bulk_create(
        [Organisation(name=f"Customer {i:04d}", service_plan=plan, calendar=uk) for i in range(organisations)]
    )
    orgs = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    Service.objects.bulk_create(
        [
            Service(
                organisation_id=orgs[i % organisations],
                reference=f"SVC-{i:05d}",
                name=f"Service {i}",
                environment="production",
            )
            for i in range(services)
        ],
        batch_size=BATCH,
    )
    by_org: dict[int, list[int]] = {}
    for pk, org in Service.objects.order_by("pk").values_list("pk", "organisation_id"):
        by_org.setdefault(org, []).append(pk)
    IcalFeed.objects.create(organisation_id=orgs[0], secret="bench-feed-secret")

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    kinds = [k for k, share in SHARES for _ in range(round(share * 100))]
    change_states = ["planning", "approval", "implementation", "testing", "closed", "confirm_need"]
    specs = []
    for i in range(windows):
        kind = kinds[i % len(kinds)]
        org = orgs[0] if i < feed else orgs[rng.randrange(1, organisations)]
        start = now + dt.timedelta(hours=rng.randrange(-90 * 24, 270 * 24))
        end = start + dt.timedelta(hours=rng.randrange(1, 9))
        chosen = [] if kind == "blackout" else rng.sample(by_org[org], rng.choice((1, 1, 2)))
        phase = "done" if end < now else ("cancelled" if i % 17 == 0 else "planned")
        specs.append((kind, org, start, end, chosen, phase))

    started = time.perf_counter()
    change_specs = [(i, s) for i, s in enumerate(specs) if s[0] == "change"]
    ids: dict[int, int] = {}
    for n in range(0, len(change_specs), BATCH):
        chunk = change_specs[n : n + BATCH]
        made = Change.objects.bulk_create(
            [
                Change(
                    organisation_id=org,
                    reference=f"CHG-B-{i:07d}",
                    title=f"Bench change {i}",
                    level=2,
                    state=change_states[i % len(change_states)],
                    requested_by=admin,
                    requested_start=start,
                    requested_end=end,
                )
                for i, (_, org, start, end, _, _) in chunk
            ]
        )
        ids.update((i, c.pk) for (i, _), c in zip(chunk, made, strict=True))
    print(f"{len(ids):,} changes in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    for n in range(0, len(specs), BATCH):
        chunk = list(enumerate(specs[n : n + BATCH], start=n))
        made = Window.objects.bulk_create(
            [
                Window(
                    source=SOURCES[kind],
                    source_id=ids.get(i, i + 1),
                    kind=kind,
                    organisation_id=org,
                    reference=f"CHG-B-{i:07d}" if kind == "change" else f"W-{i}",
                    title=f"Bench {kind.replace('_', ' ')} {i}",
                    description="Benchmark window.",
                    state=phase,
                    phase=phase,
                    starts_at=start,
                    ends_at=end,
                    all_services=not chosen,
                    url=f"/changes/{ids[i]}/" if kind == "change" else "",
                )
                for i, (kind, org, start, end, chosen, phase) in chunk
            ]
        )
        WindowService.objects.bulk_create(
            [
                WindowService(
                    window_id=w.pk,
                    service_id=s,
                    starts_at=w.starts_at,
                    ends_at=w.ends_at,
                    holds_slot=w.phase in ("planned", "under_way"),
                )
                for w, (_, (_, _, _, _, chosen, _)) in zip(made, chunk, strict=True)
                for s in chosen
            ]
        )
    print(f"{len(specs):,} windows in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        for table in ("schedule_window", "schedule_windowservice", "changes_change"):
            cursor.execute(f"VACUUM ANALYZE {table}")




def _line(label: str, p50: float, p95: float, goal: float, extra: str = "") -> bool:
    ok = p95 < goal
    print(
        f"{label:<52} p50 {p50:>7.1f} ms  p95 {p95:>7.1f} ms  goal < {goal:.0f} ms  "
        f"p95/goal {p95 / goal:>4.2f}  {'met' if ok else 'NOT met'}{extra}"
    )
    return ok


def measure(runs: int) -> int:
    import datetime as dt

    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from icalendar import Calendar

    from opsdesk.changes import selectors as changes
    from opsdesk.changes.choices import BOARD
    from opsdesk.changes.models import Change
    from opsdesk.directory.models import Organisation, Service
    from opsdesk.maintenance.models import IcalFeed
    from opsdesk.schedule import selectors as schedule
    from opsdesk.schedule.models import Window, WindowService

    rng = random.Random(7)
    now = timezone.now()
    orgs = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    by_org: dict[int, list[int]] = {}
    for pk, org in Service.objects.values_list("pk", "organisation_id"):
        by_org.setdefault(org, []).append(pk)
    print(
        f"\n{Window.objects.count():,} windows ({WindowService.objects.count():,} per-service rows), "
        f"{Service.objects.count():,} services, {len(orgs)} organisations; vendor {connection.vendor}; "
        f"{runs} timed runs a case; load averages {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"(a shared machine: other sessions' work shows in these figures)\n"
    )
    ok = True

    # (a) the overlap check: a new 4-hour window on one or two services of a random organisation.
    probes = []
    for _ in range(runs + 3):
        org = rng.choice(orgs)
        start = now + dt.timedelta(hours=rng.randrange(0, 270 * 24))
        probes.append((org, start, start + dt.timedelta(hours=4), rng.sample(by_org[org], 2)))
    turn = iter(probes * 2)
    found_sizes = []

    def overlap():
        org, start, end, services = next(turn)
        found_sizes.append(
            len(schedule.overlapping(organisation_id=org, starts_at=start, ends_at=end, service_ids=services))
        )

    p50, p95 = _django.timed(overlap, runs)
    queries = _django.queries(overlap)
    ok &= _line(
        "(a) overlap check (changes on its services, blackouts)",
        p50,
        p95,
        OVERLAP_GOAL_MS,
        f"; {queries} query; {statistics.mean(found_sizes):.2f} windows found on average",
    )

    # (b) the organisation's iCal feed, through the real URL, as a calendar app fetches it.
    feed = IcalFeed.objects.get(organisation_id=orgs[0])
    client = Client()
    url = f"/maintenance/feeds/{feed.secret}.ics"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    entries = len(Calendar.from_ical(response.content).walk("VEVENT"))

    def ical():
        r = client.get(url)
        assert r.status_code == 200

    p50, p95 = _django.timed(ical, max(20, runs // 3))
    ok &= _line(
        f"(b) iCal feed of one organisation ({entries:,} entries)",
        p50,
        p95,
        FEED_GOAL_MS,
        f"; {_django.queries(ical)} queries; {len(response.content) // 1024} KiB",
    )

    # (c) the change board's first page as staff; its query count at two sizes.
    staff, _ = _django.django_user("bench-desk@provider.example", "service_desk")
    board = Client()
    board.force_login(staff)

    def page():
        r = board.get("/changes/")
        assert r.status_code == 200, r.status_code

    p50, p95 = _django.timed(page, runs)
    ok &= _line("(c) change board, first page (/changes/ as staff)", p50, p95, BOARD_GOAL_MS)
    # The page's query count at two sizes: as it is, and with 6,000 more changes on the board.
    small = orgs[len(orgs) // 2]
    sizes = {
        "selector, every organisation": _django.queries(lambda: changes.change_board(user=staff)),
        "selector, one organisation": _django.queries(
            lambda: changes.change_board(user=staff, organisation=small)
        ),
        f"page, {Change.objects.count():,} changes": _django.queries(page),
    }
    admin = _django.admin_user()
    Change.objects.bulk_create(
        Change(
            organisation_id=orgs[i % len(orgs)],
            reference=f"CHG-X-{i:07d}",
            title=f"More {i}",
            level=2,
            state=("planning", "approval", "testing")[i % 3],
            requested_by=admin,
        )
        for i in range(6_000)
    )
    sizes[f"page, {Change.objects.count():,} changes"] = _django.queries(page)
    Change.objects.filter(reference__startswith="CHG-X-").delete()
    for label, count in sizes.items():
        print(f"    queries, {label:<44} {count}")
    # The page reads the same number at both sizes; the selector one query for the cards and one
    # per full column for its capped count, whatever the number of changes.
    steady = len(set(list(sizes.values())[2:])) == 1
    bounded = max(list(sizes.values())[:2]) <= 1 + len(BOARD)
    print(f"    page's query count the same at both sizes: {'yes' if steady else 'NO'}; "
          f"selector's at most 1 + one per column ({1 + len(BOARD)}): {'yes' if bounded else 'NO'}")
    ok &= steady and bounded
    print(f"\ngoals: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=2_000)
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--feed", type=int, default=2_000, help="windows in the first organisation's feed")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep")
    args = parser.parse_args()
    if args.reuse:
        _django.use_database(DB)
    else:
        _django.fresh_database(DB)
        started = time.perf_counter()
        populate(args.windows, args.services, args.organisations, args.feed)
        print(f"populated in {time.perf_counter() - started:.1f} s")
    try:
        return measure(args.runs)
    finally:
        if not args.keep:
            _django.drop_database(DB)


if __name__ == "__main__":
    sys.exit(main())
