"""Staff status pages: create an incident, post updates, with inline errors from the services and
stale-version protection (L4); the maintenance tab leads to the maintenance pages (E4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.core.ui.views import STALE_EDIT_MESSAGE
from opsdesk.statuspage import services
from opsdesk.statuspage.models import StatusIncident
from opsdesk.statuspage.tests.conftest import login

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"statuspage:{name}", args=args or None)


def test_create_incident_then_post_updates_to_resolution(manager):
    client = login(manager)
    response = client.post(
        url("incident_create"),
        {
            "title": "Service desk telephony unavailable",
            "impact": "major",
            "state": "investigating",
            "components": "Service desk telephony\n\nAWS eu-west-2 connectivity\n",
            "body": "Calls to the service desk fail.",
            "published": "on",
        },
    )
    incident = StatusIncident.objects.get()
    assert response.status_code == 302 and response["Location"] == url("incident_detail", incident.pk)
    assert incident.components == ["Service desk telephony", "AWS eu-west-2 connectivity"]
    assert incident.started_at is not None and incident.updates.count() == 1

    detail = client.get(url("incident_detail", incident.pk)).content.decode()
    assert "Calls to the service desk fail." in detail and "by Dana Deskworth" in detail
    assert f'action="{url("incident_post_update", incident.pk)}"' in detail

    response = client.post(
        url("incident_post_update", incident.pk), {"state": "resolved", "body": "Restored."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.resolved_at is not None
    detail = client.get(url("incident_detail", incident.pk)).content.decode()
    assert "a resolved incident is final" in detail and "Post update</button>" not in detail


def test_create_form_shows_errors_inline(manager):
    response = login(manager).post(
        url("incident_create"), {"title": "", "impact": "minor", "state": "investigating", "body": ""}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "body"}
    assert 'id="title-error"' in response.content.decode()
    assert not StatusIncident.objects.exists()


def test_a_stale_update_form_gets_the_service_error_on_the_state_field(make_incident, manager, administrator):
    incident = make_incident()
    client = login(manager)
    page = client.get(url("incident_post_update", incident.pk))
    assert [c for c, _ in page.context["form"].fields["state"].choices] == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
    # Someone else moves the incident on while the form is open.
    services.status_incident_post_update(actor=administrator, incident=incident, state="monitoring", body="m")
    response = client.post(url("incident_post_update", incident.pk), {"state": "identified", "body": "late"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Select a valid choice" in errors["state"][0]  # no longer offered
    incident.refresh_from_db()
    assert incident.state == "monitoring" and incident.updates.count() == 2

    services.status_incident_post_update(actor=administrator, incident=incident, state="resolved", body="r")
    response = client.post(url("incident_post_update", incident.pk), {"state": "resolved", "body": "again"})
    assert response.status_code == 200
    assert response.context["form"].errors["state"] == [
        "The incident is resolved; a resolved incident is final."
    ]


def test_edit_incident_publishes_a_draft_with_version_check(make_incident, manager):
    incident = make_incident(published=False)
    client = login(manager)
    form = client.get(url("incident_update", incident.pk)).context["form"]
    data = {
        "title": "Renamed",
        "impact": "critical",
        "components": "EC2 eu-west-1",
        "started_at": form["started_at"].value(),
        "published": "on",
        "version": incident.version,
    }
    assert client.post(url("incident_update", incident.pk), data).status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.impact, incident.published, incident.components) == (
        "Renamed",
        "critical",
        True,
        ["EC2 eu-west-1"],
    )
    stale = client.post(url("incident_update", incident.pk), {**data, "title": "Stale"})
    assert stale.status_code == 200 and STALE_EDIT_MESSAGE in stale.content.decode()
    assert StatusIncident.objects.get().title == "Renamed"


def test_lists_filter_and_the_status_nav_link(make_incident, manager, engineer):
    make_incident(title="Ongoing one")
    make_incident(title="Draft one", published=False)
    client = login(manager)
    listing = client.get(url("incident_list"), {"published": "no"})
    assert [i.title for i in listing.context["listing"].page] == ["Draft one"]
    assert [i.title for i in client.get(url("incident_list"), {"q": "ongoing"}).context["listing"].page] == [
        "Ongoing one"
    ]
    # E4: the maintenance tab leads to the maintenance pages, where provider-wide maintenance is kept.
    maintenance = reverse("maintenance:maintenance_list")
    assert f'href="{maintenance}" data-testid="status-maintenance-link"' in listing.content.decode()
    moved = client.get(url("maintenance_list"))
    assert moved.status_code == 302 and moved["Location"] == maintenance
    # The staff navigation links to the status pages only for those who may manage them.
    nav = f'href="{url("incident_list")}" aria-current="page">Status</a>'
    assert nav in listing.content.decode()
    assert ">Status</a>" not in login(engineer).get("/").content.decode()


def test_invalid_edits_are_shown_again_on_their_own_pages(make_incident, manager):
    client = login(manager)
    incident = make_incident()
    response = client.post(url("incident_update", incident.pk), {"title": "", "version": incident.version})
    assert response.status_code == 200 and "title" in response.context["form"].errors
    assert response.context["intro"] == "The state moves by posting an update, not here."
    assert response.context["cancel_url"] == url("incident_detail", incident.pk)


def test_a_resolved_incident_says_so_on_the_update_form(make_incident, manager):
    incident = make_incident()
    services.status_incident_post_update(actor=manager, incident=incident, state="resolved", body="r")
    page = login(manager).get(url("incident_post_update", incident.pk))
    assert page.context["intro"] == "This incident is resolved; a resolved incident is final."
    assert page.context["title"] == f"Post an update · {incident.title}"
