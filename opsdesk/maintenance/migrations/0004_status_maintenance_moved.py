"""E4: the status page's maintenance entries become provider-wide provider maintenance (no
organisation), so the status page shows these records instead of a second copy. Each keeps its
title, description, window, state, components and whether it is published; its timeline says where
it came from. statuspage 0002 removes the old table after this has run."""

from django.db import migrations

#: The status page's states are a subset of the maintenance lifecycle's.
STATES = {"scheduled", "in_progress", "completed", "cancelled"}


def move(apps, schema_editor):
    StatusMaintenance = apps.get_model("statuspage", "StatusMaintenance")
    ProviderMaintenance = apps.get_model("maintenance", "ProviderMaintenance")
    MaintenanceEvent = apps.get_model("maintenance", "MaintenanceEvent")
    for old in StatusMaintenance.objects.order_by("pk"):
        state = old.state if old.state in STATES else "scheduled"
        done = old.updated_at if state in ("completed", "cancelled") else None
        new = ProviderMaintenance.objects.create(
            organisation=None,
            title=old.title[:200],
            description=old.description[:10_000],
            starts_at=old.starts_at,
            ends_at=old.ends_at,
            state=state,
            in_window=False,
            notice_given_at=old.created_at,
            notice_period_ends_on=old.created_at.date(),
            started_at=old.starts_at if state in ("in_progress", "completed") else None,
            ended_at=old.ends_at if state == "completed" else None,
            completed_at=done if state == "completed" else None,
            cancelled_at=done if state == "cancelled" else None,
            components=list(old.components or []),
            published=old.published,
        )
        ProviderMaintenance.objects.filter(pk=new.pk).update(
            created_at=old.created_at, updated_at=old.updated_at, version=old.version
        )
        MaintenanceEvent.objects.create(
            maintenance=new,
            from_state="",
            to_state=state,
            actor=None,
            at=old.created_at,
            note=f"Announced on the status page (status maintenance #{old.pk}); moved here.",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0003_provider_wide"),
        ("statuspage", "0001_initial"),
    ]
    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
