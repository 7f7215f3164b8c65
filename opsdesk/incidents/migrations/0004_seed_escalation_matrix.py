"""C7: the customer service plan's escalation matrix and escalation criteria, as seeded data."""

from django.db import migrations

# level, name, role, description, acknowledgement hours, considered-response hours, copied levels,
# copy the service manager (the organisation's CSDM)
LEVELS = [
    (1, "Service desk", "service_desk",
     "Escalation entry, qualification and acceptance (preferred method: telephone)",
     None, None, [], False),
    (2, "Cloud support manager", "cloud_support_manager",
     "Maintains the level 2 contact; escalates to level 3 if the criteria are met at level 2",
     1, 2, [1], False),
    (3, "Head of customer engineering", "head_of_customer_engineering",
     "Maintains the level 3 contact; escalates to level 4 if the criteria are met at level 3",
     None, 3, [2, 1], True),
    (4, "Customer experience director", "customer_experience_director",
     "Senior management",
     None, 4, [3, 1], True),
]

CRITERIA = [
    ("poor_updates", "Poor quality of updates"),
    ("not_satisfied", "Customer is not satisfied with the way the incident is being managed"),
    ("plan_not_met", "Agreed plan of action or timescales at a specific escalation level are not met"),
    ("email_unanswered", "An email was not answered within the target response time of 8 working hours"),
    ("update_frequency", "Frequency of updates does not meet what was agreed with the customer"),
]


def seed(apps, schema_editor):
    Level = apps.get_model("incidents", "EscalationLevel")
    Criterion = apps.get_model("incidents", "EscalationCriterion")
    rows = {}
    for level, name, role, description, ack, considered, _copied, service_manager in LEVELS:
        rows[level], _ = Level.objects.get_or_create(
            level=level,
            defaults={
                "name": name,
                "role": role,
                "description": description,
                "acknowledgement_hours": ack,
                "considered_response_hours": considered,
                "copy_service_manager": service_manager,
            },
        )
    for level, *_rest, copied, _service_manager in LEVELS:
        if not rows[level].copied.exists():
            rows[level].copied.set([rows[c] for c in copied])
    for position, (code, text) in enumerate(CRITERIA, start=1):
        Criterion.objects.get_or_create(code=code, defaults={"text": text, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_escalations_and_rca")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
