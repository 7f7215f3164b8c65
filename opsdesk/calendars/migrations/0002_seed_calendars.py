from django.db import migrations


def seed(apps, schema_editor):
    Calendar = apps.get_model("calendars", "Calendar")
    Calendar.objects.get_or_create(
        name="uk",
        defaults={"timezone": "Europe/London", "description": "UK business hours, Mon–Fri 09:00–17:00, "
                  "closed on England and Wales bank holidays"},
    )
    Calendar.objects.get_or_create(
        name="24x7", defaults={"timezone": "UTC", "description": "Always open", "always_open": True}
    )


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
