"""D5: the approval matrix seeded from the service description, as rows (changes.ApprovalRule)."""

from django.db import migrations

#: (level, side, required, roles, description)
MATRIX = [
    (1, "provider", True, ["service_desk", "change_manager"],
     "Provider service desk confirms the standard change."),
    (1, "customer", False, [],
     "Customer confirmed in advance (the RFC); notified via the ticket."),
    (2, "provider", True, ["service_desk", "engineer"],
     "Provider service desk or cloud engineering approves."),
    (2, "customer", True, [],
     "The customer's nominated change approver approves."),
    (3, "incident_owner", True,
     ["service_desk", "engineer", "cloud_support_manager", "head_of_customer_engineering",
      "customer_experience_director", "csdm", "administrator"],
     "The incident owner assesses, decides and contacts the customer where appropriate."),
    (3, "customer", False, [],
     "Customer incident contacts, contacted where appropriate; documented afterwards."),
]


def seed(apps, schema_editor):
    rule = apps.get_model("changes", "ApprovalRule")
    for level, side, required, roles, description in MATRIX:
        rule.objects.update_or_create(
            level=level, side=side, defaults={"required": required, "roles": roles, "description": description}
        )


def unseed(apps, schema_editor):
    apps.get_model("changes", "ApprovalRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
