"""B3: the customer service plan's response targets are the seeded default policy."""

import datetime as dt

from django.db import migrations

TARGETS = [
    # priority, meaning, clock, initial (hours, fallback, days), considered (hours, fallback, days)
    ("P1", "Business critical: loss of a critical service", "24x7", (0.25, None, None), (1, None, None)),
    ("P2", "Degraded: intermittent loss or degraded performance of a critical service", "24x7",
     (1, None, None), (2, None, None)),
    ("P3", "General, non-critical service-affecting issue", "business",
     (1, dt.time(10), None), (4, dt.time(12), None)),
    ("P4", "General query: change request, technical query, best-practice request", "business",
     (None, None, 1), (None, None, 1)),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Customer service plan",
        defaults={"is_default": True, "description": "Response targets of the managed AWS customer service plan."},
    )
    for priority, meaning, clock, initial, considered in TARGETS:
        SlaTarget.objects.get_or_create(
            policy=policy,
            priority=priority,
            defaults={
                "meaning": meaning,
                "clock": clock,
                "initial_hours": initial[0],
                "initial_fallback": initial[1],
                "initial_business_days": initial[2],
                "considered_hours": considered[0],
                "considered_fallback": considered[1],
                "considered_business_days": considered[2],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
