"""The triggers that keep the SLA roll-up honest (reports.models): every write to an incident,
escalation or RCA that moves the report's figures marks its (organisation, UTC month) in
reports_rollupmark, in the same transaction, whatever wrote it (the ORM, a bulk UPDATE, raw SQL).

PostgreSQL: statement-level triggers with transition tables (one set-based INSERT a statement, so a
bulk load of a million rows marks ~12,000 keys in one go). SQLite: row-level triggers. An update
marks only when a column the report reads changed; an incident whose organisation or priority
changed marks the months of its escalations and RCA too. The marks of existing data are written
here as well, so the first refresh builds the roll-up of a database that had none.
"""

from __future__ import annotations

from django.db import migrations

#: The columns whose change moves a figure.
INCIDENT_COLUMNS = (
    "organisation_id",
    "priority",
    "logged_at",
    "state",
    "paused_at",
    "paused_seconds",
    "initial_response_at",
    "initial_response_due",
    "considered_response_at",
    "considered_response_due",
    "resolved_at",
    "closed_at",
)
ESCALATION_COLUMNS = ("incident_id", "level_id", "raised_at")
RCA_COLUMNS = ("incident_id", "due_at", "submitted_at")
MARKS = "reports_rollupmark"
UPSERT = (
    "ON CONFLICT (organisation_id, month) DO UPDATE SET generation = reports_rollupmark.generation + 1"
)


def _pg_month(column: str) -> str:
    return f"date_trunc('month', {column} AT TIME ZONE 'UTC')::date"


def _pg_changed(old: str, new: str, columns: tuple[str, ...]) -> str:
    left = ", ".join(f"{old}.{c}" for c in columns)
    right = ", ".join(f"{new}.{c}" for c in columns)
    return f"ROW({left}) IS DISTINCT FROM ROW({right})"


def _pg_function(name: str, select: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {MARKS} (organisation_id, month, generation) "
        f"SELECT DISTINCT k.org, k.m, 0 FROM ({select}) AS k WHERE k.m IS NOT NULL {UPSERT}; "
        "RETURN NULL; END $$"
    )


def _pg_incident_select(rows: str) -> str:
    """The keys of the incidents in transition table `rows`, and of their escalations and RCAs."""
    return (
        f"SELECT r.organisation_id AS org, {_pg_month('r.logged_at')} AS m FROM {rows} r "
        f"UNION ALL SELECT r.organisation_id, {_pg_month('e.raised_at')} FROM {rows} r "
        "JOIN incidents_escalation e ON e.incident_id = r.id "
        f"UNION ALL SELECT r.organisation_id, {_pg_month('a.due_at')} FROM {rows} r "
        "JOIN incidents_rootcauseanalysis a ON a.incident_id = r.id"
    )


def _pg_child_select(rows: str, column: str) -> str:
    return (
        f"SELECT i.organisation_id AS org, {_pg_month(f'r.{column}')} AS m FROM {rows} r "
        "JOIN incidents_incident i ON i.id = r.incident_id"
    )


def _pg_sql() -> list[str]:
    sql: list[str] = []
    # Incidents: the incident's own month; its escalations' and RCA's months when it is deleted or
    # its organisation or priority changed (those rows then belong to another key).
    moved = "ROW(o.organisation_id, o.priority) IS DISTINCT FROM ROW(n.organisation_id, n.priority)"
    changed = _pg_changed("o", "n", INCIDENT_COLUMNS)
    incident_update = (
        f"SELECT o.organisation_id AS org, {_pg_month('o.logged_at')} AS m "
        f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed} "
        f"UNION ALL SELECT n.organisation_id, {_pg_month('n.logged_at')} "
        f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed} "
        f"UNION ALL SELECT x.org, {_pg_month('e.raised_at')} FROM ("
        f"SELECT o.id, o.organisation_id AS org FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {moved} "
        f"UNION ALL SELECT n.id, n.organisation_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {moved}"
        ") x JOIN incidents_escalation e ON e.incident_id = x.id "
        f"UNION ALL SELECT x.org, {_pg_month('a.due_at')} FROM ("
        f"SELECT o.id, o.organisation_id AS org FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {moved} "
        f"UNION ALL SELECT n.id, n.organisation_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {moved}"
        ") x JOIN incidents_rootcauseanalysis a ON a.incident_id = x.id"
    )
    functions = {
        "incident_ins": (
            "incidents_incident",
            "INSERT",
            "NEW TABLE AS new_rows",
            f"SELECT organisation_id AS org, {_pg_month('logged_at')} AS m FROM new_rows",
        ),
        "incident_upd": ("incidents_incident", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", incident_update),
        "incident_del": ("incidents_incident", "DELETE", "OLD TABLE AS old_rows", _pg_incident_select("old_rows")),
    }
    for table, prefix, column, columns in (
        ("incidents_escalation", "escalation", "raised_at", ESCALATION_COLUMNS),
        ("incidents_rootcauseanalysis", "rca", "due_at", RCA_COLUMNS),
    ):
        changed = _pg_changed("o", "n", columns)
        functions[f"{prefix}_ins"] = (table, "INSERT", "NEW TABLE AS new_rows", _pg_child_select("new_rows", column))
        functions[f"{prefix}_del"] = (table, "DELETE", "OLD TABLE AS old_rows", _pg_child_select("old_rows", column))
        functions[f"{prefix}_upd"] = (
            table,
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"SELECT i.organisation_id AS org, {_pg_month(f'o.{column}')} AS m FROM old_rows o "
            f"JOIN new_rows n ON n.id = o.id JOIN incidents_incident i ON i.id = o.incident_id WHERE {changed} "
            f"UNION ALL SELECT i.organisation_id, {_pg_month(f'n.{column}')} FROM old_rows o "
            f"JOIN new_rows n ON n.id = o.id JOIN incidents_incident i ON i.id = n.incident_id WHERE {changed}",
        )
    for suffix, (table, event, referencing, select) in functions.items():
        name = f"reports_mark_{suffix}"
        sql.append(_pg_function(name, select))
        sql.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return sql


def _lite_month(column: str) -> str:
    return f"strftime('%Y-%m-01', {column})"


def _lite_mark(select: str) -> str:
    return (
        f"INSERT INTO {MARKS} (organisation_id, month, generation) SELECT k.org, k.m, 0 FROM ({select}) AS k "
        f"WHERE k.m IS NOT NULL {UPSERT};"
    )


def _lite_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _lite_sql() -> list[str]:
    def children(row: str) -> list[str]:
        return [
            _lite_mark(
                f"SELECT {row}.organisation_id AS org, {_lite_month('raised_at')} AS m "
                f"FROM incidents_escalation WHERE incident_id = {row}.id"
            ),
            _lite_mark(
                f"SELECT {row}.organisation_id AS org, {_lite_month('due_at')} AS m "
                f"FROM incidents_rootcauseanalysis WHERE incident_id = {row}.id"
            ),
        ]

    def own(row: str) -> str:
        return _lite_mark(f"SELECT {row}.organisation_id AS org, {_lite_month(f'{row}.logged_at')} AS m")

    def child(row: str, column: str) -> str:
        return _lite_mark(
            f"SELECT organisation_id AS org, {_lite_month(f'{row}.{column}')} AS m "
            f"FROM incidents_incident WHERE id = {row}.incident_id"
        )

    triggers = {
        "incident_ins": ("AFTER INSERT ON incidents_incident", [own("NEW")]),
        "incident_upd": (
            f"AFTER UPDATE ON incidents_incident WHEN {_lite_changed(INCIDENT_COLUMNS)}",
            [own("OLD"), own("NEW")],
        ),
        "incident_moved": (
            "AFTER UPDATE ON incidents_incident WHEN OLD.organisation_id IS NOT NEW.organisation_id "
            "OR OLD.priority IS NOT NEW.priority",
            [*children("OLD"), *children("NEW")],
        ),
        "incident_del": ("BEFORE DELETE ON incidents_incident", [own("OLD"), *children("OLD")]),
    }
    for table, prefix, column, columns in (
        ("incidents_escalation", "escalation", "raised_at", ESCALATION_COLUMNS),
        ("incidents_rootcauseanalysis", "rca", "due_at", RCA_COLUMNS),
    ):
        triggers[f"{prefix}_ins"] = (f"AFTER INSERT ON {table}", [child("NEW", column)])
        triggers[f"{prefix}_upd"] = (
            f"AFTER UPDATE ON {table} WHEN {_lite_changed(columns)}",
            [child("OLD", column), child("NEW", column)],
        )
        triggers[f"{prefix}_del"] = (f"AFTER DELETE ON {table}", [child("OLD", column)])
    return [
        f"CREATE TRIGGER reports_mark_{name} {when} BEGIN {' '.join(body)} END"
        for name, (when, body) in triggers.items()
    ]


def _existing() -> list[str]:
    """Marks for the data already there: the first refresh computes its roll-up."""
    return [
        "INSERT INTO {marks} (organisation_id, month, generation) SELECT DISTINCT k.org, k.m, 0 FROM ("
        "SELECT organisation_id AS org, {inc} AS m FROM incidents_incident "
        "UNION SELECT i.organisation_id, {esc} FROM incidents_escalation e "
        "JOIN incidents_incident i ON i.id = e.incident_id "
        "UNION SELECT i.organisation_id, {rca} FROM incidents_rootcauseanalysis a "
        "JOIN incidents_incident i ON i.id = a.incident_id"
        ") AS k WHERE k.m IS NOT NULL {upsert}"
    ]


def forward(apps, schema_editor) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    month = _pg_month if pg else _lite_month
    statements = _pg_sql() if pg else _lite_sql()
    statements += [
        s.format(
            marks=MARKS,
            inc=month("logged_at"),
            esc=month("e.raised_at"),
            rca=month("a.due_at"),
            upsert=UPSERT,
        )
        for s in _existing()
    ]
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def backward(apps, schema_editor) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    names = [
        f"{kind}_{event}"
        for kind in ("incident", "escalation", "rca")
        for event in ("ins", "upd", "del")
    ] + ([] if pg else ["incident_moved"])
    tables = {"incident": "incidents_incident", "escalation": "incidents_escalation", "rca": "incidents_rootcauseanalysis"}
    with schema_editor.connection.cursor() as cursor:
        for name in names:
            if pg:
                cursor.execute(f"DROP TRIGGER IF EXISTS reports_mark_{name} ON {tables[name.split('_')[0]]}")
                cursor.execute(f"DROP FUNCTION IF EXISTS reports_mark_{name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS reports_mark_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("incidents", "0016_attachments"),
    ]

    operations = [migrations.RunPython(forward, backward)]
