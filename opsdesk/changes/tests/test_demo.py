"""`opsdesk demo`: the catalogue, a pipeline and changes at each level and at several steps, with agreed
windows (one overlapping, one chargeable, one halted), idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from opsdesk.changes.models import ApprovedPipeline, Change, ChangeWindow, StandardChange
from opsdesk.notifications.models import Notification
from opsdesk.schedule.models import Window

pytestmark = pytest.mark.django_db


def test_the_demo_has_changes_at_each_level_and_runs_twice(db):
    call_command("demo", stdout=io.StringIO())
    assert StandardChange.objects.count() == 3 and ApprovedPipeline.objects.count() == 1
    assert set(Change.objects.values_list("level", flat=True)) == {1, 2, 3}
    assert {"approval", "implementation", "planning", "consultation", "reviewed"} <= set(
        Change.objects.values_list("state", flat=True)
    )
    assert Notification.objects.filter(event="change.confirmed").exists()
    # D6: agreed windows, one overlapping another change on its service, one chargeable, one halted
    assert {"scheduled", "halted"} <= set(Change.objects.values_list("state", flat=True))
    windows = ChangeWindow.objects.filter(superseded_at__isnull=True)
    assert windows.filter(chargeable=True).exists() and windows.exclude(overlaps=[]).exists()
    assert Notification.objects.filter(event="change.halted").exists()
    assert Window.objects.filter(kind="change").count() == windows.count()
    count = Change.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Change.objects.count() == count
