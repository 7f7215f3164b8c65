"""D6, E4: every existing blackout, provider maintenance and customer window copied into the
calendar of windows (schedule.Window and its per-service rows), as services.py now does on each
write, so overlap checks, the calendar, the iCal feeds and the status page see what was there
before. Idempotent: keyed by (source, source_id)."""

from django.db import migrations

PHASE = {
    "scheduled": "planned",
    "in_progress": "under_way",
    "verifying": "under_way",
    "completed": "done",
    "cancelled": "cancelled",
}


def backfill(apps, schema_editor):
    Window = apps.get_model("schedule", "Window")
    WindowService = apps.get_model("schedule", "WindowService")
    Blackout = apps.get_model("maintenance", "Blackout")
    ProviderMaintenance = apps.get_model("maintenance", "ProviderMaintenance")
    CustomerWindow = apps.get_model("maintenance", "CustomerWindow")

    def put(source, pk, services, **values):
        window, _ = Window.objects.update_or_create(
            source=source, source_id=pk, defaults={**values, "all_services": not services}
        )
        holds = values["phase"] in ("planned", "under_way")
        WindowService.objects.filter(window=window).delete()
        WindowService.objects.bulk_create(
            WindowService(
                window=window,
                service_id=s,
                starts_at=values["starts_at"],
                ends_at=values["ends_at"],
                holds_slot=holds,
            )
            for s in sorted(set(services))
        )

    for b in Blackout.objects.order_by("pk"):
        put(
            "maintenance.blackout",
            b.pk,
            [],
            kind="blackout",
            organisation_id=b.organisation_id,
            title=b.reason[:200],
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            phase="planned",
            state="",
            reference=f"BLK-{b.pk}",
            description="No changes or maintenance (blackout).",
            public=False,
            components=[],
            url=f"/maintenance/blackouts/{b.pk}/",
        )
    for m in ProviderMaintenance.objects.order_by("pk"):
        wide = m.organisation_id is None
        put(
            "maintenance.provider",
            m.pk,
            list(m.services.values_list("pk", flat=True)),
            kind="provider_maintenance",
            organisation_id=m.organisation_id,
            title=m.title[:200],
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            phase=PHASE.get(m.state, "planned"),
            state=m.state,
            reference=f"MNT-{m.pk}",
            description=m.description or ("Emergency maintenance" if m.is_emergency else "Maintenance"),
            public=wide and m.published,
            components=list(m.components or []) if wide else [],
            url=f"/maintenance/provider/{m.pk}/",
        )
    for w in CustomerWindow.objects.order_by("pk"):
        cancelled = w.cancelled_at is not None
        put(
            "maintenance.customer",
            w.pk,
            list(w.services.values_list("pk", flat=True)),
            kind="customer_maintenance",
            organisation_id=w.organisation_id,
            title=w.title[:200],
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            phase="cancelled" if cancelled else "planned",
            state="cancelled" if cancelled else "declared",
            reference=f"CMW-{w.pk}",
            description=w.description
            or "Customer-led maintenance: alarms on its services and accounts are suppressed.",
            public=False,
            components=[],
            url=f"/maintenance/customer/{w.pk}/",
        )


def unfill(apps, schema_editor):
    Window = apps.get_model("schedule", "Window")
    Window.objects.filter(source__startswith="maintenance.").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0004_status_maintenance_moved"),
        ("schedule", "0001_initial"),
    ]
    operations = [migrations.RunPython(backfill, unfill)]
