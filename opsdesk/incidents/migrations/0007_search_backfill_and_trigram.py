"""Fill the search table for existing incidents and, on PostgreSQL, index it with trigrams so the
staff queue's text search reads only matching rows (SQLite scans: it is for small installations)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    IncidentSearch = apps.get_model("incidents", "IncidentSearch")
    batch = []
    for pk, reference, title, description in Incident.objects.values_list(
        "pk", "reference", "title", "description"
    ).iterator(chunk_size=2000):
        batch.append(IncidentSearch(incident_id=pk, document=f"{reference or ''} {title} {description}"))
        if len(batch) >= 2000:
            IncidentSearch.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    IncidentSearch.objects.bulk_create(batch, ignore_conflicts=True)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS incident_search_trgm ON incidents_incidentsearch "
            "USING gin (UPPER(document) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_incident_search")]
    operations = [migrations.RunPython(forwards, backwards)]
