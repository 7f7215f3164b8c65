"""Issue 8 (rules out of views), I3: a named contact is due re-verification when never verified or
last verified more than OPSDESK_CONTACT_REVERIFY_DAYS (90 by default) days ago. One selector says
so; the staff dashboard, the contacts page and the contacts API's filter all read it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from opsdesk.directory import services
from opsdesk.directory.models import NamedContact
from opsdesk.directory.selectors import contact_reverification_due, contacts_due_reverification
from opsdesk.incidents.tests.conftest import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/contacts"


@pytest.fixture
def verified(world):
    """Contacts of organisation a last verified 1, 31, 89 and 91 days ago (contact a: never)."""
    now = timezone.now()
    out = {}
    for days in (1, 31, 89, 91):
        contact = services.contact_create(
            actor=world["admin"],
            organisation=world["org_a"],
            name=f"Verified {days}",
            email=f"v{days}@a.test",
        )
        NamedContact.objects.filter(pk=contact.pk).update(last_verified_at=now - dt.timedelta(days=days))
        out[days] = NamedContact.objects.get(pk=contact.pk)
    return out


def _due_ids(qs) -> set[int]:
    return set(contacts_due_reverification(qs).values_list("pk", flat=True))


def test_the_threshold_is_90_days_by_default(world, verified):
    qs = NamedContact.objects.filter(organisation=world["org_a"])
    assert _due_ids(qs) == {verified[91].pk, world["contact_a"].pk}
    assert not contact_reverification_due(verified[89]) and contact_reverification_due(verified[91])


@override_settings(CONTACT_REVERIFY_DAYS=30)
def test_the_threshold_is_a_setting(world, verified):
    qs = NamedContact.objects.filter(organisation=world["org_a"])
    assert _due_ids(qs) == {verified[31].pk, verified[89].pk, verified[91].pk, world["contact_a"].pk}
    assert contact_reverification_due(verified[31])


@pytest.mark.parametrize("days", [90, 30])
def test_the_api_filter_the_page_and_the_dashboard_agree(world, verified, days):
    staff = client_for(world["service_desk"])
    with override_settings(CONTACT_REVERIFY_DAYS=days):
        due = {
            c["id"] for c in staff.get(API, {"reverification_due": "true", "limit": 200}).json()["results"]
        }
        not_due = {
            c["id"] for c in staff.get(API, {"reverification_due": "false", "limit": 200}).json()["results"]
        }
        everyone = {c["id"] for c in staff.get(API, {"limit": 200}).json()["results"]}
        page = staff.get(reverse("directory:contact_list"), {"verification": "stale", "per_page": 200})
        home = staff.get(reverse("web:home"))
    assert verified[1].pk in not_due and due | not_due == everyone and not due & not_due
    assert (verified[31].pk in due) is (days == 30) and verified[89].pk in (due if days == 30 else not_due)
    assert {c.pk for c in page.context["listing"].page} == due
    assert home.context["stale_contact_count"] == len(due)
    assert home.context["verification_days"] == days
    assert f"Contacts not verified in {days} days" in home.content.decode()
