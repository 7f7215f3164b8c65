"""Issue 8 (rules out of views): a customer logs as their own named contact. Sending `reported_by`
for someone else is refused — a 422 naming the field from the API, an error on the form from the
page — and nothing is stored; staff may log on behalf of any contact of the organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.directory import services as directory
from opsdesk.incidents.models import Incident
from opsdesk.incidents.tests.conftest import client_for, post
from opsdesk.incidents.tests.test_api import _log_body as _body

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def colleague(world):
    """Another named contact of organisation a (not the customer user's own)."""
    return directory.contact_create(
        actor=world["admin"], organisation=world["org_a"], name="Colleague", email="colleague@a.test"
    )


@pytest.mark.parametrize("other", ["colleague", "contact_b"])
def test_a_customer_sending_someone_elses_reported_by_gets_a_422_and_nothing_is_stored(
    world, colleague, other
):
    other_contact = colleague if other == "colleague" else world[other]
    before = Incident.objects.count()
    r = post(client_for(world["customer_a"]), f"{API}/incidents", _body(world, reported_by=other_contact.pk))
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["reported_by"]
    assert "own named contact" in errors[0]["message"]
    assert Incident.objects.count() == before


def test_a_customer_may_name_themselves_or_leave_it_out(world):
    customer = client_for(world["customer_a"])
    own = post(customer, f"{API}/incidents", _body(world, reported_by=world["contact_a"].pk))
    assert own.status_code == 201 and own.json()["reported_by"]["id"] == world["contact_a"].pk
    left_out = post(customer, f"{API}/incidents", _body(world))
    assert left_out.status_code == 201 and left_out.json()["reported_by"]["id"] == world["contact_a"].pk


def test_staff_log_on_behalf_of_any_contact_of_the_organisation(world, colleague):
    r = post(client_for(world["service_desk"]), f"{API}/incidents", _body(world, reported_by=colleague.pk))
    assert r.status_code == 201 and r.json()["reported_by"]["id"] == colleague.pk


def test_the_page_refuses_a_customer_posting_someone_elses_reported_by(world, colleague):
    customer = client_for(world["customer_a"])
    form = {k: v for k, v in _body(world).items()}
    before = Incident.objects.count()
    response = customer.post(reverse("incidents:log"), {**form, "reported_by": colleague.pk})
    assert response.status_code == 200
    assert "own named contact" in response.context["form"].errors["reported_by"][0]
    assert "own named contact" in response.content.decode()
    assert Incident.objects.count() == before
    # The page itself offers no such choice to a customer, and without it the incident is logged.
    assert 'name="reported_by"' not in customer.get(reverse("incidents:log")).content.decode()
    assert customer.post(reverse("incidents:log"), form).status_code == 302
    assert Incident.objects.latest("pk").reported_by == world["contact_a"]
