"""C8/E4 over the REST API (L3): staff create incidents and post updates (201 + ETag), errors name
the field, lists stay N+1-free; provider-wide maintenance comes from the maintenance API."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.statuspage import services
from opsdesk.statuspage.models import StatusIncident
from opsdesk.statuspage.tests.conftest import login

pytestmark = pytest.mark.django_db

API = "/api/v1/status"


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def patch(client, url, body, **headers):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


def test_create_incident_and_post_updates(manager):
    client = login(manager)
    response = post(
        client,
        f"{API}/incidents",
        {
            "title": "Elevated error rates",
            "impact": "major",
            "body": "Investigating.",
            "components": ["AWS eu-west-2 connectivity"],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["ETag"] == f'"{created["id"]}-1"'
    assert (created["state"], created["published"], created["resolved_at"]) == ("investigating", True, None)
    assert [u["body"] for u in created["updates"]] == ["Investigating."]
    assert created["updates"][0]["author"]["email"] == manager.email

    updates = f"{API}/incidents/{created['id']}/updates"
    response = post(client, updates, {"state": "monitoring", "body": "Fix *deployed*."})
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "monitoring"
    assert response.json()["body_html"] == "<p>Fix <em>deployed</em>.</p>\n"

    back = post(client, updates, {"state": "identified", "body": "Oops."})
    assert back.status_code == 422
    assert [e["field"] for e in back.json()["errors"]] == ["state"]
    bogus = post(client, updates, {"state": "fixed", "body": "?"})
    assert bogus.status_code == 422 and bogus.json()["errors"][0]["field"] == "state"

    resolved = post(client, updates, {"state": "resolved", "body": "Done."})
    assert resolved.status_code == 201
    one = client.get(f"{API}/incidents/{created['id']}")
    assert one.json()["state"] == "resolved" and one.json()["resolved_at"]
    assert [u["state"] for u in one.json()["updates"]] == ["resolved", "monitoring", "investigating"]
    assert one["ETag"] == f'"{created["id"]}-3"'


def test_incident_patch_needs_if_match(make_incident, manager):
    incident = make_incident()
    client = login(manager)
    url = f"{API}/incidents/{incident.pk}"
    assert patch(client, url, {"published": False}).status_code == 428
    assert patch(client, url, {"published": False}, HTTP_IF_MATCH='"0-0"').status_code == 412
    response = patch(client, url, {"published": False, "impact": "critical"}, HTTP_IF_MATCH=incident.etag)
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{incident.pk}-2"' and response.json()["published"] is False
    # The state is not a field of the incident patch: it moves only by posting an update.
    ignored = patch(client, url, {"state": "resolved"}, HTTP_IF_MATCH=response["ETag"])
    assert ignored.status_code == 200 and ignored.json()["state"] == "investigating"
    assert StatusIncident.objects.get().state == "investigating"


def test_provider_wide_maintenance_is_scheduled_under_maintenance_and_read_by_the_status_api(
    manager, administrator
):
    """E4: the status page keeps no maintenance of its own (its old endpoints are gone); provider
    maintenance with no organisation, scheduled through /api/v1/maintenance/provider, is what
    GET /api/v1/status shows while it is published, with its components."""
    assert login(manager).get(f"{API}/maintenance").status_code == 404
    client = login(administrator)
    response = post(
        client,
        "/api/v1/maintenance/provider",
        {
            "organisation": None,
            "title": "Core router upgrade",
            "description": "Calls may **drop**.",
            "starts_at": "2030-01-07T19:00:00Z",
            "ends_at": "2030-01-07T21:00:00Z",
            "components": ["Service desk telephony"],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["organisation"], created["provider_wide"], created["published"]) == (None, True, True)
    status = Client().get(API).json()
    [shown] = status["maintenance"]
    assert (shown["title"], shown["state"], shown["phase"], shown["components"]) == (
        "Core router upgrade",
        "scheduled",
        "planned",
        ["Service desk telephony"],
    )
    assert shown["description_html"] == "<p>Calls may <strong>drop</strong>.</p>\n"
    assert status["status"]["indicator"] == "operational"
    url = f"/api/v1/maintenance/provider/{created['id']}"
    hidden = patch(client, url, {"published": False}, HTTP_IF_MATCH=response["ETag"])
    assert hidden.status_code == 200, hidden.content
    assert Client().get(API).json()["maintenance"] == []


def test_staff_endpoints_need_the_permission(make_incident, engineer, customer):
    incident = make_incident()
    assert Client().get(f"{API}/incidents").status_code == 401
    assert post(Client(), f"{API}/incidents", {"title": "T", "body": "B"}).status_code == 401
    for user in (engineer, customer):
        client = login(user)
        assert client.get(f"{API}/incidents").status_code == 403
        assert client.get(f"{API}/incidents/{incident.pk}").status_code == 403
        assert post(client, f"{API}/incidents", {"title": "T", "body": "B"}).status_code == 403
        response = post(client, f"{API}/incidents/{incident.pk}/updates", {"state": "resolved", "body": "x"})
        assert response.status_code == 403
        assert client.get(API).status_code == 200  # the public summary is for everyone
    assert StatusIncident.objects.get().state == "investigating"


def test_incident_list_filters_and_has_no_n_plus_one(make_incident, manager):
    client = login(manager)
    first = make_incident(title="First")
    services.status_incident_post_update(actor=manager, incident=first, state="resolved", body="ok")
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"{API}/incidents").json()["count"] == 1
    for n in range(5):
        make_incident(title=f"More {n}", published=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        data = client.get(f"{API}/incidents").json()
    assert data["count"] == 6 and len(many) == len(one)
    assert [i["title"] for i in client.get(f"{API}/incidents", {"state": "resolved"}).json()["results"]] == [
        "First"
    ]
    assert client.get(f"{API}/incidents", {"state": "ongoing"}).json()["count"] == 5
    assert client.get(f"{API}/incidents", {"published": "false"}).json()["count"] == 2
    assert client.get(f"{API}/incidents", {"state": "bogus"}).status_code == 422
    csv = client.get(f"{API}/incidents", {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
