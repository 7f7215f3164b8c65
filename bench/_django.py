"""Shared set-up for the database benchmarks: a fresh PostgreSQL database, migrated, with Django
configured against it, and a fast generator of incident rows (one INSERT … SELECT generate_series)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("OPSDESK_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def fresh_database(name: str) -> str:
    """Drop and create `name` on the benchmark server; point Django at it; migrate."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return use_database(name)


def use_database(name: str) -> str:
    """Point Django at an existing benchmark database (kept by an earlier run, or just made);
    migrate."""
    url = f"{SERVER}/{name}"
    os.environ["DATABASE_URL"] = url
    os.environ["OPSDESK_HUEY_IMMEDIATE"] = "1"
    os.environ.setdefault("OPSDESK_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    os.environ.setdefault("OPSDESK_DATA_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_user():
    from opsdesk.directory.models import User

    user, _ = User.objects.get_or_create(
        email="bench-admin@provider.example", defaults={"full_name": "Bench admin", "role": "administrator"}
    )
    return user


WORDS = [
    "database", "latency", "timeout", "disk", "memory", "certificate", "expired", "backup", "failed",
    "gateway", "throttling", "lambda", "cluster", "replica", "network", "dns", "login", "billing",
    "eks", "node", "upgrade", "alarm", "cpu", "storage", "s3", "bucket", "vpn", "tunnel", "down",
]


def insert_incidents(
    *, count: int, organisation_ids: list[int], calendar_id: int, open_share: float,
    start: str = "2026-01-05 09:00+00", spread_seconds: int = 700 * 86400,
) -> None:
    """`count` incidents spread over the organisations: priorities P1–P4, `open_share` of them open
    (new/acknowledged/investigating/awaiting customer), the rest resolved or closed; titles and
    descriptions from a small vocabulary; logged across 2026–2027 with targets a few hours later.
    Targets are placeholders here; benchmarks that need exact ones recompute them first."""
    from django.db import connection

    from opsdesk.incidents.models import Incident

    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    orgs = "ARRAY[" + ",".join(str(i) for i in organisation_ids) + "]::bigint[]"
    table = Incident._meta.db_table
    sql = f"""
    INSERT INTO {table} (
        reference, organisation_id, title, description, priority, source, state,
        telephone_follow_up_required, diagnostics_confirmed, logged_at, sla_calendar_id,
        initial_response_due, considered_response_due, initial_warning_at, considered_warning_at,
        next_target_at, paused_seconds, explanation, closure_reason, escalation_offered,
        created_at, updated_at, version)
    SELECT
        'BENCH-' || g,
        ({orgs})[1 + (g % {len(organisation_ids)})],
        initcap(w[1 + (g * 7) % {len(WORDS)}]) || ' ' || w[1 + (g * 13) % {len(WORDS)}] || ' on '
            || w[1 + (g * 3) % {len(WORDS)}] || ' #' || g
            || CASE WHEN g % 997 = 0 THEN ' kinesis shard iterator' ELSE '' END,
        'Customer reports ' || w[1 + (g * 11) % {len(WORDS)}] || ' and ' || w[1 + (g * 17) % {len(WORDS)}]
            || ' since the last ' || w[1 + (g * 5) % {len(WORDS)}] || ' change.',
        (ARRAY['P1','P2','P3','P4'])[1 + (g % 4)],
        'customer',
        CASE WHEN (g % 1000) < {int(open_share * 1000)}
             THEN (ARRAY['new','acknowledged','investigating','awaiting_customer'])[1 + (g / 7) % 4]
             ELSE (ARRAY['resolved','closed'])[1 + (g % 2)] END,
        false, '[]'::jsonb, t, {calendar_id},
        t + interval '1 hour', t + interval '4 hours', t + interval '48 minutes', t + interval '192 minutes',
        CASE WHEN (g % 1000) < {int(open_share * 1000)} THEN t + interval '1 hour' END,
        0, '{{}}'::jsonb, '', false, t, t, 1
    FROM (
        SELECT g, timestamptz '{start}' + ((g * 37) % {spread_seconds}) * interval '1 second' AS t,
               {words} AS w
        FROM generate_series(1, {count}) AS g
    ) AS s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        # The words of incidents.search.search_document (for this ASCII text: lower-cased runs of
        # letters and digits, one space apart; repeats are left to the index).
        cursor.execute(
            "INSERT INTO incidents_incidentsearch (incident_id, document, is_open) "
            "SELECT id, btrim(lower(regexp_replace(reference || ' ' || title || ' ' || description, "
            "'[^[:alnum:]]+', ' ', 'g'))), "
            "state IN ('new', 'acknowledged', 'investigating', 'awaiting_customer') "
            f"FROM {table} WHERE reference LIKE 'BENCH-%%' ON CONFLICT DO NOTHING"
        )
        cursor.execute("VACUUM ANALYZE incidents_incidentsearch")
        # What autovacuum does to a table soon after a bulk load: statistics and the visibility map.
        cursor.execute(f"VACUUM ANALYZE {table}")


def insert_deadlines() -> None:
    """The sla deadlines of the open incidents, by the INSERT … SELECT of the data migration that
    gave existing incidents theirs (they are rows of their own since issue 8)."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("opsdesk.incidents.migrations.0013_deadlines_for_open_incidents")

    class Editor:
        quote_name = connection.ops.quote_name

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.forward(apps, Editor())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sla_deadline")


def run_bench(db: str, populate, measure, *, runs: int) -> int:
    """The command line every volume bench shares: populate a fresh database (or --reuse one kept
    by --keep), measure, drop it."""
    import argparse
    import time

    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep")
    args = parser.parse_args()
    if args.reuse:
        use_database(db)
    else:
        fresh_database(db)
        started = time.perf_counter()
        populate(args.incidents, args.organisations)
        print(f"populated {args.incidents:,} incidents in {time.perf_counter() - started:.1f} s")
    try:
        return measure(args.runs)
    finally:
        if not args.keep:
            drop_database(db)


# --- timing, shared by the benches -----------------------------------------------------------------


def django_user(email: str, role: str, **extra):
    """A bench user of `role` (made once, reused by --reuse runs)."""
    from opsdesk.directory.models import User

    return User.objects.get_or_create(
        email=email, defaults={"full_name": email.split("@")[0], "role": role, **extra}
    )


def p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]


def timed(call, runs: int, *, warm: int = 3) -> tuple[float, float]:
    """(p50, p95) in milliseconds of `runs` calls, after `warm` untimed ones."""
    import statistics
    import time

    for _ in range(warm):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), p95(samples)


def queries(call) -> int:
    """How many SQL statements one call runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)
