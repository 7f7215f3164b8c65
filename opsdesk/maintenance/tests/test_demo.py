"""`opsdesk demo`: AWS Health notices to triage, agreed windows, a blackout, provider maintenance (in
window, with notice, an emergency under way, provider-wide on the status page) and a customer window,
idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from opsdesk.maintenance.models import (
    AgreedWindow,
    Blackout,
    CustomerWindow,
    HealthNotice,
    ProviderMaintenance,
)
from opsdesk.notifications.models import Notification
from opsdesk.schedule.models import Window

pytestmark = pytest.mark.django_db


def test_the_demo_has_maintenance_of_every_kind_and_runs_twice(db):
    call_command("demo", stdout=io.StringIO())
    assert AgreedWindow.objects.count() == 2 and Blackout.objects.count() == 1
    kinds = {(m.in_window, m.is_emergency, m.state) for m in ProviderMaintenance.objects.all()}
    assert kinds == {(True, False, "scheduled"), (False, False, "scheduled"), (False, True, "in_progress")}
    assert CustomerWindow.objects.get().covers.exists()
    # E4: the provider-wide maintenance is on the public status page, through the schedule.
    wide = ProviderMaintenance.objects.get(organisation=None)
    assert wide.components == ["Service desk telephony"]
    assert Window.objects.get(source="maintenance.provider", source_id=wide.pk).public
    assert wide.title in Client().get("/status/").content.decode()
    # Every record has its copy in the schedule.
    assert Window.objects.filter(source__startswith="maintenance.").count() == (
        ProviderMaintenance.objects.count() + CustomerWindow.objects.count() + Blackout.objects.count()
    )
    assert Notification.objects.filter(event="maintenance.scheduled").exists()
    notices = {(n.category, n.state, n.organisation_id is None) for n in HealthNotice.objects.all()}
    assert notices == {
        ("scheduledChange", "contacted", False),
        ("issue", "new", False),
        ("accountNotification", "assessed", False),
        ("scheduledChange", "new", True),
    }
    kinds = (ProviderMaintenance, CustomerWindow, Blackout, HealthNotice)
    counts = [m.objects.count() for m in kinds]
    deliveries = sorted(HealthNotice.objects.values_list("deliveries", flat=True))
    call_command("demo", stdout=io.StringIO())
    assert [m.objects.count() for m in kinds] == counts
    assert sorted(HealthNotice.objects.values_list("deliveries", flat=True)) == deliveries
