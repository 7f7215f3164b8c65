"""The data migrations of E4: the status page's own maintenance entries become provider-wide
provider maintenance (maintenance 0004, before statuspage 0002 drops their table), and every
maintenance record gets its window in the schedule (maintenance 0005)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("maintenance", "0003_provider_wide"), ("statuspage", "0001_initial"), ("schedule", "0001_initial")]
AFTER = [("maintenance", "0005_schedule_backfill"), ("statuspage", "0002_status_maintenance_removed")]


# SQLite cannot change its schema inside the test's transaction, so there the test commits for real;
# PostgreSQL changes schemas transactionally, and its append-only audit log (L1) refuses the flush a
# committing test ends with, so there the test runs inside its transaction and is rolled back.
@pytest.mark.django_db(transaction=settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))
def test_status_maintenance_is_moved_and_the_schedule_backfilled():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    StatusMaintenance = old.get_model("statuspage", "StatusMaintenance")
    start = timezone.now() + dt.timedelta(days=3)
    announced = StatusMaintenance.objects.create(
        title="Telephony upgrade",
        description="Calls may drop.",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        state="scheduled",
        components=["Service desk telephony"],
        published=True,
    )
    StatusMaintenance.objects.create(
        title="Called off",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        state="cancelled",
        published=False,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    ProviderMaintenance = new.get_model("maintenance", "ProviderMaintenance")
    Window = new.get_model("schedule", "Window")
    moved = ProviderMaintenance.objects.get(title="Telephony upgrade")
    assert moved.organisation_id is None and moved.state == "scheduled" and moved.published
    assert (moved.starts_at, moved.components) == (announced.starts_at, ["Service desk telephony"])
    assert moved.events.get().note.startswith("Announced on the status page")
    window = Window.objects.get(source="maintenance.provider", source_id=moved.pk)
    assert (window.public, window.organisation_id, window.phase) == (True, None, "planned")
    off = ProviderMaintenance.objects.get(title="Called off")
    assert off.state == "cancelled" and off.cancelled_at is not None and not off.published
    off_window = Window.objects.get(source="maintenance.provider", source_id=off.pk)
    assert (off_window.public, off_window.phase) == (False, "cancelled")
    assert "statuspage_statusmaintenance" not in connection.introspection.table_names()
