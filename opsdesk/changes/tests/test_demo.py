"""`opsdesk demo`: the catalogue, a pipeline and changes at each level and at several steps, idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from opsdesk.changes.models import ApprovedPipeline, Change, StandardChange
from opsdesk.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_demo_has_changes_at_each_level_and_runs_twice(db):
    call_command("demo", stdout=io.StringIO())
    assert StandardChange.objects.count() == 3 and ApprovedPipeline.objects.count() == 1
    assert set(Change.objects.values_list("level", flat=True)) == {1, 2, 3}
    assert {"approval", "implementation", "planning", "consultation", "reviewed"} <= set(
        Change.objects.values_list("state", flat=True)
    )
    assert Notification.objects.filter(event="change.confirmed").exists()
    count = Change.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Change.objects.count() == count
