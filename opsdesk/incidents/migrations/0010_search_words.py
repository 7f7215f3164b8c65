"""Incident search by words (incidents.search): rebuild every search document as its words and mark
the open incidents; on PostgreSQL drop the trigram index (0011 indexes the words, once the old
versions of the rewritten rows are gone)."""

import re

from django.db import migrations, models

# As incidents.search.search_document at the time of this migration (a migration does not follow
# later changes of the code).
_WORD = re.compile(r"[^\W_]+")
_OPEN_STATES = ["acknowledged", "awaiting_customer", "investigating", "new"]


def _document(*texts):
    words = {}
    for text in texts:
        for word in _WORD.findall((text or "").lower()):
            word = word[:100]
            words[word] = None
            if word.isascii() and word.isdigit() and word[0] == "0" and word.strip("0"):
                words[word.lstrip("0")] = None
    return " ".join(words)


def _rebuild(apps, document, batch_size=2000):
    Incident = apps.get_model("incidents", "Incident")
    IncidentSearch = apps.get_model("incidents", "IncidentSearch")
    rows = Incident.objects.values_list("pk", "reference", "title", "description", "state")
    batch = []
    for pk, reference, title, description, state in rows.iterator(chunk_size=batch_size):
        batch.append(
            IncidentSearch(
                incident_id=pk,
                document=document(reference, title, description),
                is_open=state in _OPEN_STATES,
            )
        )
        if len(batch) >= batch_size:
            _upsert(IncidentSearch, batch)
            batch = []
    _upsert(IncidentSearch, batch)


def _upsert(IncidentSearch, batch):
    if batch:
        IncidentSearch.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["incident"], update_fields=["document", "is_open"]
        )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Drop it first: it would otherwise be updated with every rewritten row.
        schema_editor.execute("DROP INDEX IF EXISTS incident_search_trgm")
    _rebuild(apps, _document)


def backwards(apps, schema_editor):
    _rebuild(apps, lambda *texts: " ".join(t or "" for t in texts))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS incident_search_trgm ON incidents_incidentsearch "
            "USING gin (UPPER(document) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="incidentsearch",
            name="is_open",
            field=models.BooleanField(default=True, help_text="The incident is not resolved or closed."),
        ),
        migrations.AlterField(
            model_name="incidentsearch",
            name="document",
            field=models.TextField(help_text="search.search_document of the incident's text."),
        ),
        migrations.RunPython(forwards, backwards),
    ]
