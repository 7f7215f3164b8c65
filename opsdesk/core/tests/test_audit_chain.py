"""L1: the audit log cannot be emptied (TRUNCATE refused on PostgreSQL) and tampering with it by
whoever gets past the triggers (the table owner) shows: rows are hash-chained and
`opsdesk audit verify` reports the first broken link."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from opsdesk.core import auditchain
from opsdesk.core.audit import audit_bulk_update
from opsdesk.core.models import AuditEvent
from opsdesk.directory import services
from opsdesk.directory.models import NamedContact

SQLITE_TRIGGERS = {
    "core_auditevent_no_update": "UPDATE",
    "core_auditevent_no_delete": "DELETE",
}


@contextlib.contextmanager
def triggers_lifted():
    """Tamper as the table owner would: switch the append-only triggers off (inside the test's
    transaction, which rolls back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        else:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")
        else:
            for name, op in SQLITE_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {op} ON core_auditevent "
                    f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: {op} refused'); END"
                )


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def ids() -> list[int]:
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def test_intact_chain_verifies(world):
    audit_bulk_update(
        actor=world["admin"], queryset=NamedContact.objects.all(), note="bulk", availability_in_hours="24x7"
    )
    count = AuditEvent.objects.count()
    assert count > 10
    assert verify().splitlines()[0] == f"ok, {count} events verified"
    assert verify("--batch-size", "3").splitlines()[0] == f"ok, {count} events verified"
    rows = list(AuditEvent.objects.order_by("id").values_list("prev_hash", "hash"))
    assert rows[0][0] == auditchain.GENESIS
    assert all(prev == before[1] for before, (prev, _) in zip(rows, rows[1:], strict=False))
    assert len({h for _, h in rows}) == count


def test_empty_log_verifies(db):
    assert verify().splitlines() == ["ok, 0 events verified"]


def test_deleted_row_is_reported_at_the_next_row(world):
    first, victim, following = ids()[:3]
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [victim])
    with pytest.raises(
        CommandError, match=f"broken at event {following}: its link does not match event {first}"
    ):
        verify()


def test_deleting_the_oldest_rows_is_reported(world):
    first, second = ids()[:2]
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [first])
    with pytest.raises(CommandError, match=f"broken at event {second}: .*the start of the log"):
        verify()


def test_edited_row_is_reported(world):
    victim = ids()[4]
    with triggers_lifted() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_label = 'someone else' WHERE id = %s", [victim])
    with pytest.raises(CommandError, match=f"broken at event {victim}: its content does not match"):
        verify()


def test_edited_json_is_reported(world):
    victim = AuditEvent.objects.filter(after__isnull=False).order_by("id").first()
    forged = {**victim.after, "name": "forged"}
    with triggers_lifted():
        AuditEvent.objects.filter(pk=victim.pk).update(after=forged)
    with pytest.raises(CommandError, match=f"broken at event {victim.pk}: its content"):
        verify()


def test_edited_and_rehashed_row_breaks_the_next_link(world):
    victim, following = ids()[2:4]
    event = AuditEvent.objects.get(pk=victim)
    event.note = "forged"
    forged_hash = auditchain.digest(event.chain_values(), event.prev_hash)
    with triggers_lifted() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET note = 'forged', hash = %s WHERE id = %s", [forged_hash, victim]
        )
    with pytest.raises(
        CommandError, match=f"broken at event {following}: its link does not match event {victim}"
    ):
        verify()


def test_verify_exits_non_zero_from_the_command_line(world):
    """What a cron job sees: CommandError is exit status 1 with the message on stderr."""
    victim = ids()[1]
    with triggers_lifted() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [victim])
    from django.core.management import ManagementUtility

    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        ManagementUtility(["opsdesk", "audit", "verify"]).execute()
    assert exit_.value.code == 1 and "audit chain broken" in err.getvalue()


def test_bad_batch_size_is_refused(db):
    with pytest.raises(CommandError, match="batch_size|batch-size"):
        verify("--batch-size", "0")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncate_is_refused(world):
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == count > 0


def test_rows_cannot_be_saved_twice(world):
    event = AuditEvent.objects.first()
    event.note = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_services_writing_in_one_transaction_keep_one_chain(world):
    admin = world["admin"]
    with transaction.atomic():
        contact = services.contact_create(
            actor=admin, organisation=world["org_a"], name="C", email="c@a.test"
        )
        services.contact_update(actor=admin, contact=contact, phone="+44 20 7946 0001")
    assert verify().startswith("ok, ")


# --- migration 0004 on a log that already has rows -------------------------------------------------

OLD_ROWS = [  # as migration 0003's schema stored them, in id order
    (
        "2024-01-02 03:04:05.123456",
        None,
        "system",
        "create",
        "directory.organisation",
        "1",
        "Org",
        1,
        None,
        '{"name": "Org", "ratio": 1.0, "big": 1e20, "tiny": 1.5e-07}',
        1,
        "",
    ),
    (
        "2024-01-02 03:04:06",
        7,
        "a@b.test",
        "update",
        "directory.organisation",
        "1",
        "Org ünïcode",
        1,
        '{"name": "Org"}',
        '{"name": "Org ✓", "tags": [1, 2.5, null, true]}',
        0,
        "renamed",
    ),
    (
        "2024-01-03 00:00:00",
        None,
        "system",
        "delete",
        "directory.namedcontact",
        "9",
        "",
        None,
        '{"x": {"nested": [1, 2]}}',
        None,
        1,
        "",
    ),
]
INSERT_OLD_ROW = (
    "INSERT INTO core_auditevent (at, actor_id, actor_label, action, object_type, object_id, object_repr, "
    "organisation_id, before, after, public, note) VALUES ({})"
)


def _opsdesk_env(tmp_path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(
        OPSDESK_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}",
        DJANGO_SETTINGS_MODULE="opsdesk.config.settings",
        OPSDESK_LOG_LEVEL="WARNING",
    )
    return env


def test_migration_chains_existing_rows_and_the_cli_reports_tampering(tmp_path):
    """SQLite, as real processes: a database at migration 0003 with rows in it is migrated; the
    rows are chained in id order and `opsdesk audit verify` exits 0; after a row is deleted by
    the owner (trigger dropped), it exits 1 naming the row after the gap."""
    import sqlite3
    import subprocess
    import sys

    env = _opsdesk_env(tmp_path)
    opsdesk = [sys.executable, "-m", "opsdesk"]
    subprocess.run(
        [*opsdesk, "migrate", "core", "0003", "--no-input", "-v0"], env=env, check=True, timeout=300
    )
    db = sqlite3.connect(tmp_path / "old.sqlite3")
    for row in OLD_ROWS:
        db.execute(INSERT_OLD_ROW.format(", ".join("?" * len(row))), row)
    db.commit()
    # Forward to the migration that chains the rows (the rest of the project's migrations do not
    # touch the audit log, and rendering all of them costs most of this test's time).
    subprocess.run(
        [*opsdesk, "migrate", "core", "0004", "--no-input", "-v0"], env=env, check=True, timeout=300
    )
    done = subprocess.run([*opsdesk, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "ok, 3 events verified"
    links = db.execute("SELECT id, prev_hash, hash FROM core_auditevent ORDER BY id").fetchall()
    assert links[0][1] == auditchain.GENESIS and links[1][1] == links[0][2] and links[2][1] == links[1][2]
    assert {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")} >= set(
        SQLITE_TRIGGERS
    )
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM core_auditevent WHERE id = ?", [links[1][0]])
    db.execute("DROP TRIGGER core_auditevent_no_delete")
    db.execute("DELETE FROM core_auditevent WHERE id = ?", [links[1][0]])
    db.commit()
    db.close()
    broken = subprocess.run(
        [*opsdesk, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert broken.returncode == 1
    assert f"audit chain broken at event {links[2][0]}" in broken.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite: see the test above")
def test_migration_chains_existing_rows_on_postgresql(world):
    """Inside the test's transaction (PostgreSQL DDL is transactional): back to 0003, add rows the
    old way, forward again; the chain covers old and new rows and TRUNCATE is refused again."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_audit_append_only")])
    with connection.cursor() as cursor:
        for row in OLD_ROWS:
            values = (f"{row[0]}+00", *row[1:10], bool(row[10]), row[11])
            cursor.execute(INSERT_OLD_ROW.format(", ".join(["%s"] * len(values))), values)
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0004_audit_chain_and_security_events")])
    count = AuditEvent.objects.count()
    assert verify().splitlines()[0] == f"ok, {count} events verified"
    services.contact_create(actor=world["admin"], organisation=world["org_a"], name="After", email="n@a.test")
    assert verify().splitlines()[0] == f"ok, {count + 1} events verified"
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditevent")
