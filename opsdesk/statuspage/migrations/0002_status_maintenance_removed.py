"""E4: the status page's own maintenance entries are gone; maintenance 0003 moved each into provider
maintenance with no organisation (provider-wide), which the page now reads through the schedule."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("statuspage", "0001_initial"),
        ("maintenance", "0004_status_maintenance_moved"),
    ]
    operations = [migrations.DeleteModel(name="StatusMaintenance")]
