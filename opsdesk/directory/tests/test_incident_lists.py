"""Organisation and service pages list their incidents in the HTML the server sends (issue 9, item 5):
open ones first, then the most recent, paginated, with the queue's priority, state and due labels;
a customer sees only their organisation's."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from opsdesk.incidents import services as incident_services
from opsdesk.incidents.templatetags import incident_lists
from opsdesk.incidents.tests.conftest import client_for, log, logged_by_desk

pytestmark = pytest.mark.django_db


def references(html: str) -> list[str]:
    """The incidents listed in the page's Incidents section, in order."""
    section = html[html.index('id="incidents"') :]
    section = section[: section.index("</article>")]
    return re.findall(r'data-reference="([^"]+)"', section)


def test_the_organisation_page_lists_its_incidents_without_javascript(world):
    desk = world["service_desk"]
    closed_one = logged_by_desk(world, title="Old outage", description="Fixed", priority="P3")
    incident_services.incident_acknowledge(actor=desk, incident=closed_one)
    incident_services.incident_resolve(actor=desk, incident=closed_one, summary="Restarted.")
    urgent = logged_by_desk(world, title="Checkout down", description="503s", priority="P1")
    general = logged_by_desk(world, title="Slow reports", description="Slow", priority="P3")
    other_org = log(
        world, who="customer_b", title="Tenant B outage", service_reference=world["service_b"].reference
    )

    html = (
        client_for(desk)
        .get(reverse("directory:organisation_detail", args=[world["org_a"].pk]))
        .content.decode()
    )
    assert 'hx-trigger="load"' not in html and "Loading incidents" not in html
    listed = references(html)
    # Open ones first by their next target (the P1's is sooner), the resolved one after them.
    assert listed == [urgent.reference, general.reference, closed_one.reference]
    assert other_org.reference not in html
    section = html[html.index('id="incidents"') :]
    # The queue's labels: priority badge, state, the next target's due time.
    assert 'class="badge badge-p1"' in section and "Resolved" in section and 'class="countdown"' in section
    assert "Checkout down" in section and world["service_a"].reference in section


def test_the_service_page_lists_its_incidents_for_the_customer_too(world):
    mine = log(world, title="API errors")
    theirs = log(
        world, who="customer_b", title="Tenant B outage", service_reference=world["service_b"].reference
    )
    customer = client_for(world["customer_a"])
    page = customer.get(reverse("directory:service_detail", args=[world["service_a"].pk]))
    assert page.status_code == 200
    assert references(page.content.decode()) == [mine.reference]
    own_org = customer.get(
        reverse("directory:organisation_detail", args=[world["org_a"].pk])
    ).content.decode()
    assert references(own_org) == [mine.reference] and theirs.reference not in own_org
    # Another organisation's pages are not found, incidents and all.
    assert customer.get(reverse("directory:organisation_detail", args=[world["org_b"].pk])).status_code == 404
    assert customer.get(reverse("directory:service_detail", args=[world["service_b"].pk])).status_code == 404


def test_the_list_is_paginated(world, monkeypatch):
    monkeypatch.setattr(incident_lists, "PAGE_SIZE", 2)
    logged = [logged_by_desk(world, title=f"Incident {n}", description="x", priority="P3") for n in range(3)]
    staff = client_for(world["service_desk"])
    url = reverse("directory:organisation_detail", args=[world["org_a"].pk])
    first = staff.get(url).content.decode()
    assert len(references(first)) == 2 and "Page 1 of 2" in first and "3 incidents" in first
    next_url = re.search(r'href="([^"]*incidents_page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    second = staff.get(next_url).content.decode()
    assert "Page 2 of 2" in second
    assert sorted(references(first) + references(second)) == sorted(i.reference for i in logged)
