"""B1: the `uk` calendar is Mon–Fri 09:00–17:00 Europe/London, closed on England and Wales bank holidays."""

import datetime as dt

from django.db import migrations


def seed(apps, schema_editor):
    Calendar = apps.get_model("calendars", "Calendar")
    WorkingHours = apps.get_model("calendars", "WorkingHours")
    uk = Calendar.objects.get(name="uk")
    uk.holiday_country, uk.holiday_subdivision = "GB", "ENG"
    uk.save(update_fields=["holiday_country", "holiday_subdivision"])
    for weekday in range(5):
        WorkingHours.objects.get_or_create(calendar=uk, weekday=weekday, start=dt.time(9), end=dt.time(17))


class Migration(migrations.Migration):
    dependencies = [("calendars", "0003_working_hours_and_closures")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
