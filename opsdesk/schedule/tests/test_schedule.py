"""The calendar of windows: copies kept in step with their source, overlaps (D6), the feed and the
public maintenance (E4), and tenancy of the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opsdesk.directory.models import Service
from opsdesk.schedule import selectors, services
from opsdesk.schedule.models import Window, WindowService

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def t0():
    return (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)


def put(world, source_id, start, end, *, kind="change", tag="a", service_ids=None, **extra):
    org = world[f"org_{tag}"]
    ids = [world[f"service_{tag}"].pk] if service_ids is None else service_ids
    return services.window_put(
        source=f"test.{kind}",
        source_id=source_id,
        kind=kind,
        organisation_id=org.pk,
        title=f"{kind} {source_id}",
        starts_at=start,
        ends_at=end,
        service_ids=ids,
        **extra,
    )


def titles(windows):
    return [w.title for w in windows]


def test_put_replaces_the_copy_and_its_services(world, t0):
    put(world, 1, t0, t0 + H)
    other = Service.objects.create(
        organisation=world["org_a"], reference="second", name="Second", environment="production"
    )
    put(world, 1, t0 + H, t0 + 3 * H, service_ids=[other.pk], phase="under_way", state="Implementing")
    window = Window.objects.get(source="test.change", source_id=1)
    assert (window.starts_at, window.ends_at, window.state) == (t0 + H, t0 + 3 * H, "Implementing")
    covers = list(WindowService.objects.filter(window=window).values_list("service_id", "starts_at"))
    assert covers == [(other.pk, t0 + H)]
    assert Window.objects.count() == 1


def test_remove_deletes_the_window(world, t0):
    put(world, 1, t0, t0 + H)
    services.window_remove(source="test.change", source_id=1)
    assert not Window.objects.exists() and not WindowService.objects.exists()


def test_an_overlap_on_the_same_service_is_found_and_touching_windows_are_not(world, t0):
    put(world, 1, t0, t0 + 2 * H)
    service = world["service_a"].pk
    found = selectors.overlapping(
        organisation_id=world["org_a"].pk, starts_at=t0 + H, ends_at=t0 + 3 * H, service_ids=[service]
    )
    assert titles(found) == ["change 1"]
    after = selectors.overlapping(
        organisation_id=world["org_a"].pk, starts_at=t0 + 2 * H, ends_at=t0 + 3 * H, service_ids=[service]
    )
    assert after == []


def test_another_service_does_not_overlap_but_a_blackout_and_an_organisation_wide_window_do(world, t0):
    other = Service.objects.create(
        organisation=world["org_a"], reference="second", name="Second", environment="production"
    )
    put(world, 1, t0, t0 + 2 * H)
    put(world, 2, t0, t0 + 2 * H, kind="blackout", service_ids=[])
    put(world, 3, t0, t0 + 2 * H, kind="provider_maintenance", service_ids=[])
    found = selectors.overlapping(
        organisation_id=world["org_a"].pk, starts_at=t0, ends_at=t0 + H, service_ids=[other.pk]
    )
    assert titles(found) == ["blackout 2", "provider_maintenance 3"]


def test_cancelled_and_done_windows_hold_no_slot_and_the_proposal_itself_is_excluded(world, t0):
    put(world, 1, t0, t0 + H, phase="cancelled")
    put(world, 2, t0, t0 + H, phase="done")
    put(world, 3, t0, t0 + H)
    found = selectors.overlapping(
        organisation_id=world["org_a"].pk,
        starts_at=t0,
        ends_at=t0 + H,
        service_ids=[world["service_a"].pk],
        exclude=("test.change", 3),
    )
    assert found == []


def test_another_organisations_blackout_is_not_an_overlap(world, t0):
    put(world, 1, t0, t0 + H, kind="blackout", tag="b", service_ids=[])
    found = selectors.overlapping(organisation_id=world["org_a"].pk, starts_at=t0, ends_at=t0 + H)
    assert found == []


def test_the_feed_holds_the_organisations_windows_and_provider_wide_public_ones_only(world, t0):
    put(world, 1, t0, t0 + H)
    put(world, 2, t0, t0 + H, tag="b")
    services.window_put(
        source="test.provider_maintenance",
        source_id=9,
        kind="provider_maintenance",
        organisation_id=None,
        title="Platform upgrade",
        starts_at=t0,
        ends_at=t0 + H,
        public=True,
    )
    assert titles(selectors.feed_windows(organisation_id=world["org_a"].pk)) == [
        "change 1",
        "Platform upgrade",
    ]
    assert titles(selectors.public_maintenance()) == ["Platform upgrade"]


def test_old_windows_leave_the_feed(world):
    long_ago = timezone.now() - dt.timedelta(days=120)
    put(world, 1, long_ago, long_ago + H)
    assert selectors.feed_windows(organisation_id=world["org_a"].pk) == []


def test_the_calendar_shows_a_customer_only_their_organisation(world, t0):
    put(world, 1, t0, t0 + H)
    put(world, 2, t0, t0 + H, tag="b")
    assert titles(selectors.calendar(user=world["customer_a"])) == ["change 1"]
    assert titles(selectors.calendar(user=world["admin"])) == ["change 1", "change 2"]
