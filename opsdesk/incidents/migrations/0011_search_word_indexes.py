"""On PostgreSQL, two GIN indexes of the incidents' search words (incidents.search): one for all
incidents, one for the open ones (the staff queue's default, a twentieth of the size). In a
migration of its own, so that the row versions 0010 rewrote are dead and left out of the indexes.
SQLite has no such index: it scans (it is for small installations)."""

from django.db import migrations

# incidents.search.WordsStartWith writes the same expression, so that these indexes serve it.
_WORDS = "array_to_tsvector(string_to_array(document, ' '))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS incident_search_words ON incidents_incidentsearch USING gin ({_WORDS})"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS incident_search_open_words ON incidents_incidentsearch "
        f"USING gin ({_WORDS}) WHERE is_open"
    )
    # Statistics of the words, as autovacuum would gather them later.
    schema_editor.execute("ANALYZE incidents_incidentsearch")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_search_words")
        schema_editor.execute("DROP INDEX IF EXISTS incident_search_open_words")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0010_search_words")]
    operations = [migrations.RunPython(forwards, backwards)]
