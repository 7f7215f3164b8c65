"""Issue 12: the alerts API and pages — customers read their own organisation's alerts (another's is
404), security events and priority rules are staff-only, billing is refused (403); CSV; the alert
page shows its occurrences, its incident link and its suppressing window."""

from __future__ import annotations

import pytest
from django.test import Client

from opsdesk.alerts.models import Alert, AlertOccurrence
from opsdesk.alerts.tests.routes import world_extras


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alerts_world(world):
    world_extras(world)
    return world


def test_customers_see_their_own_alerts_only(alerts_world):
    w = alerts_world
    listed = _as(w["customer_a"]).get("/api/v1/alerts").json()
    ids = {item["id"] for item in listed["results"]}
    assert ids == {w["alert_a"].pk}
    assert _as(w["customer_a"]).get(f"/api/v1/alerts/{w['alert_b'].pk}").status_code == 404
    assert _as(w["customer_a"]).get(f"/alerts/{w['alert_b'].pk}/").status_code == 404
    staff = _as(w["service_desk"]).get("/api/v1/alerts?state=open")
    assert {w["alert_a"].pk, w["alert_b"].pk} <= {i["id"] for i in staff.json()["results"]}


def test_billing_is_refused_and_customers_do_not_see_security_or_rules(alerts_world):
    w = alerts_world
    for path in ("/api/v1/alerts", "/api/v1/security-events", "/api/v1/alert-priority-rules", "/alerts/"):
        assert _as(w["billing"]).get(path).status_code == 403, path
    assert _as(w["customer_a"]).get("/api/v1/security-events").status_code == 404
    assert _as(w["customer_a"]).get(f"/alerts/security-events/{w['security_event_a'].pk}/").status_code == 404
    assert _as(w["customer_a"]).get("/api/v1/alert-priority-rules").status_code == 404


def test_alerts_csv_and_filters(alerts_world):
    w = alerts_world
    response = _as(w["service_desk"]).get(f"/api/v1/alerts?format=csv&organisation={w['org_a'].pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert w["alert_a"].name in text and w["alert_b"].name not in text


def test_the_alert_page_shows_occurrences_incident_and_window(alerts_world):
    w = alerts_world
    alert = w["alert_a"]
    Alert.objects.filter(pk=alert.pk).update(incident_id=4242, suppressed_by_window_id=77, occurrences=2)
    AlertOccurrence.objects.create(
        alert=alert,
        state_value="ALARM",
        reason="Threshold crossed",
        outcome="opened",
        occurred_at=alert.first_seen_at,
    )
    page = _as(w["customer_a"]).get(f"/alerts/{alert.pk}/").content.decode()
    assert 'href="/incidents/4242/"' in page and "maintenance window #77" in page
    assert "Threshold crossed" in page
