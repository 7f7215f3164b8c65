"""Issue 8 (rules out of views): what a user may do next with an incident is one selector,
incident_allowed_actions. For every state and for staff, a customer and a read-only member of staff,
the incident page offers exactly the steps it lists, the API returns the same list (detail and list
rows), every listed step goes through and every other one is refused — which is what makes the list
true, not a copy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.incidents import services
from opsdesk.incidents.choices import IncidentState
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import STEP_PERMISSIONS, incident_allowed_actions
from opsdesk.incidents.tests.conftest import client_for, log, post

pytestmark = pytest.mark.django_db

API = "/api/v1"

#: Who looks: the service desk (works incidents), the customer who reported it, and an account
#: manager (provider staff who may see incidents but not work them).
USERS = ("service_desk", "customer_a", "account_manager")

#: Each step's endpoint and a valid body (the If-Match is added for the steps that require it).
ENDPOINTS = {
    "acknowledge": ("acknowledge", lambda w, who: {}),
    "investigate": ("investigate", lambda w, who: {"note": ""}),
    "await_customer": ("await-customer", lambda w, who: {"note": "Which region do you see it in?"}),
    "resume": ("resume", lambda w, who: {}),
    "resolve": ("resolve", lambda w, who: {"summary": "Restarted the pool."}),
    "close": (
        "close",
        lambda w, who: (
            {"customer_confirmed": True}
            if who == "customer_a"
            else {"customer_confirmed": True, "reason": "Confirmed by phone."}
        ),
    ),
    "note": ("notes", lambda w, who: {"body": "A short update for everyone.", "public": True}),
    "call": ("calls", lambda w, who: {"summary": "Called the customer."}),
    "assign": ("assign", lambda w, who: {"assignee": w["engineer"].pk}),
    "priority": ("priority", lambda w, who: {"priority": "P4", "reason": "Workaround in place."}),
}


def moved_to(world, state: str) -> Incident:
    """A P3 incident of tenant a, reported by customer a and moved by the service desk to `state`."""
    desk = world["service_desk"]
    incident = log(world)
    if state != IncidentState.NEW:
        incident = services.incident_acknowledge(actor=desk, incident=incident)
    if state == IncidentState.INVESTIGATING:
        incident = services.incident_start_investigating(actor=desk, incident=incident)
    if state == IncidentState.AWAITING_CUSTOMER:
        incident = services.incident_await_customer(actor=desk, incident=incident, note="Which region?")
    if state in (IncidentState.RESOLVED, IncidentState.CLOSED):
        incident = services.incident_resolve(actor=desk, incident=incident, summary="Restarted the pool.")
    if state == IncidentState.CLOSED:
        incident = services.incident_close(
            actor=desk, incident=incident, customer_confirmed=True, reason="Confirmed by phone."
        )
    incident.refresh_from_db()
    assert incident.state == state
    return incident


def test_every_step_has_an_endpoint():
    assert set(ENDPOINTS) == set(STEP_PERMISSIONS)


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("state", IncidentState.values)
def test_page_and_api_offer_what_the_selector_allows_and_it_is_true(world, state, who):
    user = world[who]
    client = client_for(user)
    incident = moved_to(world, state)
    allowed = incident_allowed_actions(user=user, incident=incident)

    page = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert page.status_code == 200
    offered = [p["name"] for p in page.context["panels"] if p["name"] in STEP_PERMISSIONS]
    assert offered == list(allowed)
    assert client.get(f"{API}/incidents/{incident.pk}").json()["allowed_actions"] == list(allowed)
    rows = client.get(f"{API}/incidents", {"state": state}).json()["results"]
    assert next(r for r in rows if r["id"] == incident.pk)["allowed_actions"] == list(allowed)

    for step, (path, body) in ENDPOINTS.items():
        fresh = moved_to(world, state)  # each step on an incident of its own, in `state`
        etag = client.get(f"{API}/incidents/{fresh.pk}")["ETag"]
        r = post(client, f"{API}/incidents/{fresh.pk}/{path}", body(world, who), HTTP_IF_MATCH=etag)
        if step in allowed:
            assert r.status_code in (200, 201), (step, r.content)
        else:
            assert r.status_code in (403, 422), (step, r.status_code, r.content)
            fresh_after = Incident.objects.get(pk=fresh.pk)
            assert fresh_after.version == fresh.version, step  # nothing changed


def test_the_lists_say_who_does_what(world):
    """The shape of the rule, in the words of C4/C5: staff work the lifecycle; the customer adds
    updates, resumes while awaited and confirms closure; a read-only account manager does nothing."""
    new = moved_to(world, IncidentState.NEW)
    awaiting = moved_to(world, IncidentState.AWAITING_CUSTOMER)
    resolved = moved_to(world, IncidentState.RESOLVED)
    closed = moved_to(world, IncidentState.CLOSED)
    desk, customer, manager = (world[u] for u in USERS)
    assert incident_allowed_actions(user=desk, incident=new) == (
        "acknowledge",
        "note",
        "call",
        "assign",
        "priority",
    )
    assert incident_allowed_actions(user=customer, incident=new) == ("note",)
    assert incident_allowed_actions(user=customer, incident=awaiting) == ("resume", "note")
    assert incident_allowed_actions(user=customer, incident=resolved) == ("close", "note")
    assert incident_allowed_actions(user=desk, incident=closed) == ()
    assert all(incident_allowed_actions(user=manager, incident=i) == () for i in (new, awaiting, resolved))
