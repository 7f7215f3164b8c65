"""L2/L3: webhook subscriptions and the outbox over the REST API (A4 tenancy, secret shown once)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opsdesk.core.models import AuditEvent
from opsdesk.notifications.models import WebhookSubscription
from opsdesk.notifications.services import notification_enqueue, webhook_subscription_create

API = "/api/v1"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def _patch(client, url, body, **headers):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def subscription_a(administrator, org_a):
    return webhook_subscription_create(
        actor=administrator, organisation=org_a, url="https://hooks.alpha.test/in"
    )


def test_create_returns_the_secret_once(administrator, org_a):
    client = _client(administrator)
    response = _post(
        client,
        f"{API}/webhook-subscriptions",
        {
            "organisation": org_a.pk,
            "url": "https://hooks.alpha.test/in",
            "event_types": ["incident.created"],
            "description": "Alpha SIEM",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert response["ETag"] == f'"{created["id"]}-1"'
    assert WebhookSubscription.objects.get(pk=created["id"]).secret == created["secret"]

    listed = client.get(f"{API}/webhook-subscriptions").json()
    assert listed["count"] == 1
    assert "secret" not in listed["results"][0]
    assert created["secret"] not in client.get(f"{API}/webhook-subscriptions").content.decode()
    one = client.get(f"{API}/webhook-subscriptions/{created['id']}")
    assert one.status_code == 200 and "secret" not in one.json()
    assert created["secret"] not in client.get(f"{API}/webhook-subscriptions?format=csv").getvalue().decode()

    # L1: audited, but the secret never reaches the audit log.
    event = AuditEvent.objects.get(
        object_type="notifications.webhooksubscription", object_id=str(created["id"])
    )
    assert event.action == "create" and "secret" not in event.after
    assert created["secret"] not in json.dumps(event.after)


def test_create_validates(administrator, org_b):
    client = _client(administrator)
    response = _post(client, f"{API}/webhook-subscriptions", {"url": "ftp://example.test/x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    response = _post(
        client, f"{API}/webhook-subscriptions", {"url": "https://x.test/", "event_types": ["a", "a"]}
    )
    assert response.status_code == 422
    response = _post(
        client, f"{API}/webhook-subscriptions", {"url": "https://x.test/", "organisation": 98765}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "organisation"
    response = _post(client, f"{API}/webhook-subscriptions", {"url": "https://x.test/"})
    assert response.status_code == 201 and response.json()["organisation_id"] is None  # provider-wide


def test_update_needs_if_match_and_delete(administrator, subscription_a):
    client = _client(administrator)
    url = f"{API}/webhook-subscriptions/{subscription_a.pk}"
    assert _patch(client, url, {"active": False}).status_code == 428
    assert _patch(client, url, {"active": False}, HTTP_IF_MATCH='"1-99"').status_code == 412
    response = _patch(
        client, url, {"active": False, "event_types": ["change.approved"]}, HTTP_IF_MATCH=subscription_a.etag
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False and response.json()["event_types"] == ["change.approved"]
    assert response["ETag"] == f'"{subscription_a.pk}-2"'
    assert "secret" not in response.json()
    assert client.delete(url, HTTP_IF_MATCH=subscription_a.etag).status_code == 412
    assert client.delete(url, HTTP_IF_MATCH=response["ETag"]).status_code == 204
    assert client.get(url).status_code == 404


def test_only_administrators_manage_webhooks(engineer, subscription_a, org_a):
    client = _client(engineer)
    assert client.get(f"{API}/webhook-subscriptions").status_code == 403
    assert client.get(f"{API}/webhook-subscriptions/{subscription_a.pk}").status_code == 403
    response = _post(
        client, f"{API}/webhook-subscriptions", {"organisation": org_a.pk, "url": "https://x.test/"}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action.", "errors": []}
    url = f"{API}/webhook-subscriptions/{subscription_a.pk}"
    assert _patch(client, url, {"active": False}, HTTP_IF_MATCH=subscription_a.etag).status_code == 403
    assert client.delete(url, HTTP_IF_MATCH=subscription_a.etag).status_code == 403
    assert WebhookSubscription.objects.get(pk=subscription_a.pk).active is True


def test_customers_get_404_for_another_tenant_and_403_for_their_own(customer_a, customer_b, subscription_a):
    url = f"{API}/webhook-subscriptions/{subscription_a.pk}"
    other = _client(customer_b)
    missing = other.get(f"{API}/webhook-subscriptions/987654321")
    response = other.get(url)
    assert response.status_code == 404
    assert response.json() == missing.json()
    assert _patch(other, url, {"active": False}, HTTP_IF_MATCH=subscription_a.etag).status_code == 404
    assert other.delete(url, HTTP_IF_MATCH=subscription_a.etag).status_code == 404
    assert other.get(f"{API}/webhook-subscriptions").status_code == 403
    assert _client(customer_a).get(url).status_code == 403
    assert Client().get(url).status_code == 401


def test_notifications_list_for_staff(engineer, customer_a, customer_b, org_a, org_b):
    for org in (org_a, org_b):
        notification_enqueue(
            event="incident.created",
            organisation=org,
            recipients=["x@example.test"],
            subject=f"Incident for {org.name}",
        )
    staff = _client(engineer)
    response = staff.get(f"{API}/notifications?limit=1")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2 and len(page["results"]) == 1
    assert set(page["results"][0]) >= {"id", "channel", "state", "attempts", "next_attempt_at", "event"}
    filtered = staff.get(f"{API}/notifications?organisation={org_a.pk}&state=pending&channel=email").json()
    assert [r["subject"] for r in filtered["results"]] == ["Incident for Alpha Ltd"]
    one_id = filtered["results"][0]["id"]
    one = staff.get(f"{API}/notifications/{one_id}")
    assert one.status_code == 200 and one["ETag"]
    assert staff.get(f"{API}/notifications?state=nonsense").status_code == 422

    assert _client(customer_a).get(f"{API}/notifications").status_code == 403
    # Issue 7: a customer cannot tell an existing notification from a missing one.
    existing = _client(customer_a).get(f"{API}/notifications/{one_id}")
    missing = _client(customer_a).get(f"{API}/notifications/999999")
    assert existing.status_code == missing.status_code == 404
    assert existing.content == missing.content
    assert _client(customer_b).get(f"{API}/notifications/{one_id}").status_code == 404
