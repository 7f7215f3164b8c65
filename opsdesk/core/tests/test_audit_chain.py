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
