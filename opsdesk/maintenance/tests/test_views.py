"""Maintenance pages (E2, E3, E4): the calendar with the feed address, forms whose refusals land on
the field that is wrong (nothing written), and the lifecycle actions on a maintenance page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.maintenance.models import AgreedWindow, CustomerWindow, ProviderMaintenance
from opsdesk.maintenance.tests.conftest import client_for
from opsdesk.maintenance.tests.factory import (
    LONDON,
    agreed_window,
    customer_window,
    in_window_maintenance,
    weekday_noon,
)

pytestmark = pytest.mark.django_db


def _local(at: dt.datetime) -> str:
    return at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def test_staff_record_the_agreed_window_from_a_form(world):
    staff = client_for(world["csdm"])
    r = staff.post(
        reverse("maintenance:window_create"),
        {
            "organisation": world["org_a"].pk,
            "weekday": 6,
            "start": "02:00",
            "end": "06:00",
            "timezone": "Europe/London",
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    assert str(AgreedWindow.objects.get(organisation=world["org_a"])) == "Sunday 02:00–06:00 Europe/London"
    r = staff.post(
        reverse("maintenance:window_create"),
        {
            "organisation": world["org_b"].pk,
            "weekday": 6,
            "start": "02:00",
            "end": "06:00",
            "timezone": "Moon/Base",
        },
    )
    assert r.status_code == 200 and "Unknown time zone" in r.content.decode()
    assert not AgreedWindow.objects.filter(organisation=world["org_b"]).exists()


def test_short_notice_outside_the_window_is_a_form_error(world):
    agreed_window(world)
    staff = client_for(world["engineer"])
    start = weekday_noon(2)
    r = staff.post(
        reverse("maintenance:maintenance_create"),
        {
            "organisation": world["org_a"].pk,
            "title": "Resize",
            "services": [world["service_a"].pk],
            "starts_at": _local(start),
            "ends_at": _local(start + dt.timedelta(hours=1)),
        },
    )
    page = r.content.decode()
    assert r.status_code == 200 and "10 working days" in page and 'id="starts_at-error"' in page
    assert not ProviderMaintenance.objects.exists()


def test_the_maintenance_page_offers_the_next_step_and_records_it(world):
    agreed_window(world)
    maintenance = in_window_maintenance(world)
    staff = client_for(world["engineer"])
    page = staff.get(reverse("maintenance:maintenance_detail", args=[maintenance.pk])).content.decode()
    assert "Start the maintenance" in page and "Cancel the maintenance" in page and "Complete" not in page
    assert "Inside the agreed window" in page
    r = staff.post(
        reverse("maintenance:maintenance_start", args=[maintenance.pk]),
        {"note": "Go", "version": maintenance.version},
    )
    assert r.status_code == 302
    page = staff.get(reverse("maintenance:maintenance_detail", args=[maintenance.pk])).content.decode()
    assert "In progress" in page and "End the work and verify" in page and "Staff engineer" in page
    # a customer sees the page but no actions
    page = client_for(world["customer_a"]).get(
        reverse("maintenance:maintenance_detail", args=[maintenance.pk])
    )
    assert page.status_code == 200 and "End the work and verify" not in page.content.decode()
    assert (
        client_for(world["customer_b"])
        .get(reverse("maintenance:maintenance_detail", args=[maintenance.pk]))
        .status_code
        == 404
    )


def test_a_customer_declares_a_window_and_sees_it_on_the_calendar_with_the_feed(world):
    customer = client_for(world["customer_a"])
    soon = timezone.now() + dt.timedelta(hours=5)
    body = {
        "title": "Power work",
        "services": [world["service_a"].pk],
        "starts_at": _local(soon),
        "ends_at": _local(soon + dt.timedelta(hours=2)),
    }
    r = customer.post(reverse("maintenance:customer_window_create"), body)
    assert r.status_code == 200 and "24 hours" in r.content.decode()
    assert not CustomerWindow.objects.exists()
    later = timezone.now() + dt.timedelta(days=2)
    r = customer.post(
        reverse("maintenance:customer_window_create"),
        {**body, "starts_at": _local(later), "ends_at": _local(later + dt.timedelta(hours=2))},
    )
    assert r.status_code == 302, r.content.decode()[:800]
    page = customer.get(reverse("maintenance:calendar")).content.decode()
    assert "Customer maintenance: Power work" in page and "/maintenance/feeds/" in page
    other = client_for(world["customer_b"]).get(reverse("maintenance:calendar")).content.decode()
    assert "Power work" not in other


def test_lists_show_only_the_customers_own(world):
    agreed_window(world)
    agreed_window(world, "b")
    in_window_maintenance(world, "a")
    in_window_maintenance(world, "b")
    customer_window(world, "b")
    page = client_for(world["customer_a"]).get(reverse("maintenance:maintenance_list")).content.decode()
    assert "Patch a" in page and "Patch b" not in page
    page = client_for(world["customer_a"]).get(reverse("maintenance:customer_window_list")).content.decode()
    assert "Power work b" not in page
