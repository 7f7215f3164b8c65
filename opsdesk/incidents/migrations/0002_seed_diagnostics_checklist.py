"""C1: the default diagnostics checklist a named contact confirms before logging an incident."""

from django.db import migrations

DEFAULT_CHECKLIST = (
    "Checked the AWS Health Dashboard for the affected region",
    "Confirmed the issue is reproducible and noted the steps",
    "Checked recent changes/deployments",
    "Collected error messages, request ids and timestamps",
)


def seed(apps, schema_editor):
    Item = apps.get_model("incidents", "DiagnosticsChecklistItem")
    for position, text in enumerate(DEFAULT_CHECKLIST, start=1):
        Item.objects.get_or_create(text=text, defaults={"position": position * 10, "active": True})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
