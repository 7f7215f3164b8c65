"""Issue 7: failed webhook deliveries stored up to 300 characters of the receiver's answer in
last_error ("HTTP 500: <body>"), readable by every staff role. Keep only "HTTP 500"."""

import re

from django.db import migrations

_STATUS_WITH_BODY = re.compile(r"^HTTP (\d{3}):")


def scrub(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = Notification.objects.filter(channel="webhook", last_error__startswith="HTTP ")
    changed = []
    for row in rows.only("pk", "last_error").iterator(chunk_size=500):
        match = _STATUS_WITH_BODY.match(row.last_error)
        if match:
            row.last_error = f"HTTP {match.group(1)}"
            changed.append(row)
    Notification.objects.bulk_update(changed, ["last_error"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop, elidable=True)]
