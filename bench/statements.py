"""Statements benchmark (issue 10, speed and scale): 2,000 engagements, 12 months, 500,000 time
entries on PostgreSQL.

Times every organisation's statement of one month through the real selector
(`ood.selectors.month_statements`, the code the statement page, CSV, PDF and API read) against the
floor: one plain SQL `GROUP BY` of the same month's time entries, timed in the same run. Both an
open month (live figures) and a closed one (the lines stored at the close) are timed. Prints the
time, the ratio to the floor and the query count, and the query count at two sizes (every
organisation against one organisation, and for a customer), which must be the same. Then times the
engagement page with its burn-down chart through Django's test client.

Goals: all statements of a month ≤ 2 s and ≤ 3× the floor; a query count that does not grow with
the organisations or engagements; the engagement page p95 < 50 ms.

    .venv/bin/python bench/statements.py [--engagements 2000] [--organisations 500]
                                         [--entries 500000] [--runs 40] [--keep] [--reuse]

Needs PostgreSQL at OPSDESK_BENCH_PG (default postgres://postgres@127.0.0.1:5432); uses and drops
a database named opsdesk_bench_statements (OPSDESK_BENCH_DB; --keep keeps it, --reuse re-runs on it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# bench/queue.py would shadow the standard library's queue module, which psycopg imports: move this
# folder to the end of the path (as bench/queue.py does).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import _django  # noqa: E402

DB = os.environ.get("OPSDESK_BENCH_DB", "opsdesk_bench_statements")
GOAL_S = 2.0
GOAL_RATIO = 3.0
PAGE_GOAL_MS = 50.0
OFFERINGS = [
    ("EKS maintenance", "1450.00", "GBP"),
    ("Control Tower operations", "1200.00", "GBP"),
    ("SAP cluster management", "2100.00", "GBP"),
    ("Landing zone hygiene", "900.00", "EUR"),
    ("Database upgrades", "1300.00", "GBP"),
]


def _months():
    """The 12 complete months before the current one (first days), oldest first."""
    from django.utils import timezone

    from opsdesk.ood import rules

    this = timezone.localdate().replace(day=1)
    return [rules.first_of_month_after(this, -n) for n in range(12, 0, -1)]


def populate(engagements: int, organisations: int, entries: int) -> None:
    """Organisations with one request each and `engagements` engagements spread over them (one
    account each): most monthly from the first of the 12 months, one in 10 one-time in one month,
    one in 7 with more blocks from the seventh month, one in 9 ended after the ninth; 1–5 blocks.
    Each offering's rate rises from the seventh month. Then `entries` time entries by one
    INSERT … SELECT, each on a day its engagement was active; then the oldest month is closed for
    every organisation through the service (its statement lines stored)."""
    import datetime as dt

    from django.db import connection

    from opsdesk.calendars.models import Calendar
    from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, ServicePlan
    from opsdesk.ood import rules, services
    from opsdesk.ood.models import (
        Engagement,
        EngagementAllocation,
        Offering,
        OfferingRate,
        OodRequest,
        RequestLine,
    )

    months = _months()
    admin = _django.admin_user()
    plan = ServicePlan.objects.get(code="advanced")
    uk = Calendar.objects.get(name="uk")
    Organisation.objects.bulk_create(
        [Organisation(name=f"Customer {i:04d}", service_plan=plan, calendar=uk) for i in range(organisations)]
    )
    orgs = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    offerings = Offering.objects.bulk_create([Offering(name=name) for name, _, _ in OFFERINGS])
    for offering in offerings:
        offering.plans.add(plan)
    OfferingRate.objects.bulk_create(
        [
            OfferingRate(offering=o, rate=rate, currency=currency, effective_from=months[0])
            for o, (_, rate, currency) in zip(offerings, OFFERINGS, strict=True)
        ]
        + [
            OfferingRate(
                offering=o, rate=int(float(rate) * 1.05), currency=currency, effective_from=months[6]
            )
            for o, (_, rate, currency) in zip(offerings, OFFERINGS, strict=True)
        ]
    )
    CloudAccount.objects.bulk_create(
        [
            CloudAccount(
                organisation_id=orgs[i % organisations],
                account_id=f"{900000000000 + i:012d}",
                onboarding_state="onboarded",
            )
            for i in range(engagements + organisations)
        ]
    )
    accounts = list(CloudAccount.objects.order_by("pk").values_list("pk", "organisation_id"))
    NamedContact.objects.bulk_create(
        [NamedContact(organisation_id=o, name=f"Contact {o}", email=f"c{o}@bench.test") for o in orgs]
    )
    contacts = dict(NamedContact.objects.values_list("organisation_id", "pk"))
    submitting = {org: pk for pk, org in accounts[engagements:]}
    approved = dt.datetime.combine(months[0] - dt.timedelta(days=20), dt.time(12), tzinfo=dt.UTC)
    OodRequest.objects.bulk_create(
        [
            OodRequest(
                organisation_id=o,
                contact_id=contacts[o],
                submitting_account_id=submitting[o],
                state="approved",
                decided_at=approved,
                decided_by=admin,
            )
            for o in orgs
        ]
    )
    requests = dict(OodRequest.objects.values_list("organisation_id", "pk"))
    specs = []
    for i, (account, org) in enumerate(accounts[:engagements]):
        one_time = i % 10 == 3
        start = months[(i * 7) % 12] if one_time else months[0]
        end = start if one_time else (months[8] if i % 9 == 4 else None)
        specs.append((i, account, org, offerings[i % len(offerings)], one_time, start, end, 1 + i % 5))
    RequestLine.objects.bulk_create(
        [
            RequestLine(
                request_id=requests[org],
                position=i + 1,
                offering=offering,
                blocks=blocks + 2,
                approved_blocks=blocks + 2,
                recurrence="one_time" if one_time else "monthly",
            )
            for i, account, org, offering, one_time, start, end, blocks in specs
        ]
    )
    lines = dict(RequestLine.objects.values_list("position", "pk"))
    Engagement.objects.bulk_create(
        [
            Engagement(
                organisation_id=org,
                line_id=lines[i + 1],
                offering=offering,
                account_id=account,
                recurrence="one_time" if one_time else "monthly",
                start_date=start,
                end_month=end,
                approved_on=approved.date(),
            )
            for i, account, org, offering, one_time, start, end, blocks in specs
        ]
    )
    ids = dict(Engagement.objects.values_list("line_id", "pk"))
    allocations = []
    for i, _account, _org, _offering, one_time, start, _end, blocks in specs:
        engagement = ids[lines[i + 1]]
        allocations.append(EngagementAllocation(engagement_id=engagement, from_month=start, blocks=blocks))
        if not one_time and i % 7 == 2:
            allocations.append(
                EngagementAllocation(engagement_id=engagement, from_month=months[6], blocks=blocks + 1)
            )
    EngagementAllocation.objects.bulk_create(allocations)

    period_end = rules.first_of_month_after(months[-1], 1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO ood_timeentry (organisation_id, engagement_id, account_id, engineer_id, work_date,
                                       month, hours, description, created_at, updated_at, version)
            WITH ids AS (SELECT array_agg(id ORDER BY id) AS a FROM ood_engagement),
                 picks AS (SELECT g, ids.a[1 + g % {engagements}] AS id
                           FROM generate_series(1, {entries}) AS g, ids)
            SELECT e.organisation_id, e.id, e.account_id, NULL, d.day,
                   date_trunc('month', d.day)::date, 0.25 * (1 + (g * 7) % 16),
                   'Bench work #' || g, now(), now(), 1
            FROM picks AS p
            JOIN ood_engagement AS e ON e.id = p.id
            CROSS JOIN LATERAL (
              SELECT e.start_date + ((g::bigint * 7919) % (
                  COALESCE((e.end_month + interval '1 month')::date, date '{period_end}') - e.start_date
              ))::int AS day
            ) AS d
            """
        )
        cursor.execute("VACUUM ANALYZE ood_timeentry")
        cursor.execute("VACUUM ANALYZE ood_engagement")
        cursor.execute("VACUUM ANALYZE ood_engagementallocation")
    billing, _ = _django.django_user("bench-billing@provider.example", "billing")
    started = time.perf_counter()
    for org in Organisation.objects.order_by("pk"):
        services.month_close(actor=billing, organisation=org, month=months[0])
    print(
        f"closed {months[0]:%Y-%m} for {organisations} organisations in {time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ood_statementline")
        cursor.execute("VACUUM ANALYZE ood_monthclose")




def measure(runs: int) -> int:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from opsdesk.directory.models import NamedContact, Organisation
    from opsdesk.ood import charts, selectors
    from opsdesk.ood.models import Engagement, TimeEntry

    months = _months()
    staff, _ = _django.django_user("bench-billing@provider.example", "billing")
    contact = NamedContact.objects.order_by("pk").first()
    customer, _ = _django.django_user("bench-customer@customer.example", "customer", contact=contact)
    org = contact.organisation_id
    open_month, closed_month = months[-1], months[0]

    def floor(month):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT engagement_id, SUM(hours) FROM ood_timeentry WHERE month = %s GROUP BY engagement_id",
                [month],
            )
            return cursor.fetchall()

    def statements(month, user=staff, organisation=None):
        return selectors.month_statements(user=user, month=month, organisation=organisation)

    engagements = Engagement.objects.count()
    total = TimeEntry.objects.count()
    organisations = Organisation.objects.count()
    print(
        f"\n{total:,} time entries, {engagements:,} engagements, {organisations} organisations, "
        f"{months[0]:%Y-%m} … {months[-1]:%Y-%m}; {runs} timed runs a case; load {os.getloadavg()[0]:.2f}"
    )
    ok = True
    print(
        f"\n{'all statements of one month':<38} {'entries':>8} {'lines':>6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'floor p50':>9} {'ratio':>6} {'queries':>8}"
    )
    for label, month in (("open (live figures)", open_month), ("closed (stored lines)", closed_month)):
        found = statements(month)
        lines = sum(len(s.lines) for s in found)
        entries = TimeEntry.objects.filter(month=month).count()
        floor_p50, _ = _django.timed(lambda m=month: floor(m), runs, warm=2)
        p50, p95 = _django.timed(lambda m=month: statements(m), runs, warm=2)
        queries = _django.queries(lambda m=month: statements(m))
        ratio = p50 / floor_p50
        print(
            f"{label + ' ' + format(month, '%Y-%m'):<38} {entries:>8,} {lines:>6,} {p50:>8.1f} {p95:>8.1f} "
            f"{floor_p50:>9.1f} {ratio:>6.2f} {queries:>8}"
        )
        ok = ok and p95 / 1000 <= GOAL_S and ratio <= GOAL_RATIO

    # The same month's figures, statement by statement, equal month_figures' (the engagement page's).
    live = {line.engagement_id: line for s in statements(open_month) for line in s.lines}
    figures = selectors.month_figures(user=staff, month=open_month)
    same = len(figures) == len(live) and all(
        (f.hours_used, f.billed_blocks, f.amount)
        == (
            live[f.engagement.pk].hours_used,
            live[f.engagement.pk].billed_blocks,
            live[f.engagement.pk].amount,
        )
        for f in figures
    )
    print(f"\nstatements' lines == month_figures for {len(figures):,} engagements: {'yes' if same else 'NO'}")

    statements(open_month, user=customer)  # the customer's scope is looked up once, then cached on them
    sizes = {
        f"every organisation ({engagements:,} engagements)": _django.queries(lambda: statements(open_month)),
        "one organisation (staff)": _django.queries(lambda: statements(open_month, organisation=org)),
        "a customer's own": _django.queries(lambda: statements(open_month, user=customer)),
    }
    for label, count in sizes.items():
        print(f"queries, {label:<40} {count}")
    steady = len(set(sizes.values())) == 1
    print(f"query count independent of organisations and engagements: {'yes' if steady else 'NO'}")

    client = Client()
    client.force_login(staff)
    busiest = (
        TimeEntry.objects.filter(month=open_month)
        .values("engagement")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("engagement", flat=True)
        .first()
    )
    url = f"/ood/engagements/{busiest}/?month={open_month:%Y-%m}"

    def page():
        response = client.get(url)
        assert response.status_code == 200 and b"burn-down" in response.content, response.status_code
        return response

    p50, p95 = _django.timed(page, runs, warm=2)
    queries = _django.queries(page)
    print(
        f"\nengagement page with its burn-down ({url}): p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} queries"
    )
    # The burn-down's own share of the page (its one query and the SVG), and two other pages of the
    # same run for scale: what the machine gives any page at this moment.
    engagement = selectors.engagement_get(user=staff, pk=busiest)
    chart_p50, chart_p95 = _django.timed(
        lambda: charts.burn_down_svg(
            selectors.burn_down(user=staff, engagement=engagement, month=open_month)
        ),
        runs,
        warm=2,
    )
    print(f"  of which the burn-down (selector + SVG): p50 {chart_p50:.1f} ms, p95 {chart_p95:.1f} ms")
    for label, other in (
        ("the engagements list", "/ood/engagements/"),
        ("one organisation's statement page", f"/ood/statements/{org}/?month={open_month:%Y-%m}"),
    ):
        other_p50, other_p95 = _django.timed(lambda u=other: client.get(u), runs, warm=2)
        print(f"  for scale, {label}: p50 {other_p50:.1f} ms, p95 {other_p95:.1f} ms")
    ok = ok and same and steady and p95 < PAGE_GOAL_MS
    print(
        f"\ngoals (all statements ≤ {GOAL_S:.0f} s and ≤ {GOAL_RATIO:.0f}× the floor; steady query count; "
        f"page p95 < {PAGE_GOAL_MS:.0f} ms): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engagements", type=int, default=2_000)
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--entries", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep")
    args = parser.parse_args()
    if args.reuse:
        _django.use_database(DB)
    else:
        _django.fresh_database(DB)
        started = time.perf_counter()
        populate(args.engagements, args.organisations, args.entries)
        print(f"populated in {time.perf_counter() - started:.1f} s")
    try:
        return measure(args.runs)
    finally:
        if not args.keep:
            _django.drop_database(DB)


if __name__ == "__main__":
    sys.exit(main())
