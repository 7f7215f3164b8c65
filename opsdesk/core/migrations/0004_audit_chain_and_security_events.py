"""L1: the audit log is hash-chained (core.auditchain), carries the request id and source address,
has security actions, and TRUNCATE is refused on PostgreSQL.

Existing rows are chained here in id order. That needs UPDATEs the append-only triggers refuse, so
the migration (run as the table owner) lifts them for its own transaction and puts them back.
On SQLite the table is rebuilt by the AlterFields, which drops its triggers anyway; they are
recreated at the end.
"""

import django.utils.timezone
from django.db import migrations, models

from opsdesk.core import auditchain

SQLITE_TRIGGERS = [
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]
# core_auditevent_append_only() (migration 0003) raises with TG_OP, so TRUNCATE reuses it.
POSTGRES_TRUNCATE_UP = [
    """CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only()""",
]
POSTGRES_TRUNCATE_DOWN = ["DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent"]
POSTGRES_LIFT = ["ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only"]
POSTGRES_RESTORE = ["ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only"]

BATCH = 2000


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def chain_existing_rows(apps, schema_editor):
    """Hash every existing row in id order, a batch at a time (memory stays flat)."""
    AuditEvent = apps.get_model("core", "AuditEvent")
    db = schema_editor.connection.alias
    fields = ("id", *auditchain.HASHED_FIELDS)
    prev, last_id = auditchain.GENESIS, 0
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":  # no append may interleave
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [auditchain.ADVISORY_LOCK_KEY])
        while True:
            rows = list(
                AuditEvent.objects.using(db).filter(id__gt=last_id).order_by("id").values(*fields)[:BATCH]
            )
            if not rows:
                break
            updates = []
            for row in rows:
                digest = auditchain.digest(row, prev)
                updates.append((prev, digest, row["id"]))
                prev = digest
            cursor.executemany("UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", updates)
            last_id = rows[-1]["id"]


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_only")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_LIFT}),
            _run({"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_RESTORE}),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Updated"),
                    ("delete", "Deleted"),
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("sign_out", "Signed out"),
                    ("token_used", "API token used"),
                    ("permission_denied", "Permission denied"),
                    ("lockout", "Locked out"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="request_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="source_address",
            field=models.CharField(blank=True, default="", max_length=45),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE_TRIGGERS, "postgresql": [*POSTGRES_RESTORE, *POSTGRES_TRUNCATE_UP]}),
            _run({"sqlite": SQLITE_DROP, "postgresql": [*POSTGRES_TRUNCATE_DOWN, *POSTGRES_LIFT]}),
        ),
    ]
