from django.db import migrations

PLANS = [
    ("essentials", "Essentials", "Monitoring and incident response on business hours."),
    ("advanced", "Advanced", "Managed AWS with 24x7 P1/P2 response, change management and reviews."),
    ("accelerate", "Accelerate", "Advanced plus Operations on Demand and a named CSDM."),
]


def seed(apps, schema_editor):
    ServicePlan = apps.get_model("directory", "ServicePlan")
    for code, name, description in PLANS:
        ServicePlan.objects.get_or_create(code=code, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
