"""Issue 12: the staff API and pages of the inbox — raw deliveries (filters, the body escaped,
re-processing) and the SNS endpoints (token shown once, rotation). Customers see none of it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opsdesk.directory.models import User
from opsdesk.inbox import registry
from opsdesk.inbox.choices import DeliveryState
from opsdesk.inbox.models import Delivery, SnsSubscription
from opsdesk.inbox.services import token_digest
from opsdesk.inbox.tests import snsfixture as fx

API = "/api/v1/inbox"


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def deliveries(client, endpoint):
    """One accepted (unrouted: no handler for notifications here) and one refused delivery."""
    _, path = endpoint
    accepted = fx.sign(fx.notification(message='{"AlarmName": "<script>alert(1)</script>"}'))
    assert fx.post(client, path, accepted).status_code == 200
    assert fx.post(client, path, fx.sign(fx.notification(topic=fx.OTHER_TOPIC))).status_code == 403
    good = Delivery.objects.get(verified=True)
    good.state = DeliveryState.UNROUTED
    good.save()
    return good, Delivery.objects.get(verified=False)


def test_staff_list_and_filter_deliveries(administrator, deliveries):
    good, refused = deliveries
    api = _as(administrator)
    listed = api.get(f"{API}/deliveries").json()
    assert [d["id"] for d in listed["results"]] == [refused.pk, good.pk]
    only = api.get(f"{API}/deliveries?state=refused").json()["results"]
    assert [(d["id"], d["answered"], d["error"][:8]) for d in only] == [(refused.pk, 403, "TopicArn")]
    assert api.get(f"{API}/deliveries?source=email").json()["results"] == []
    assert api.get(f"{API}/deliveries?state=bogus").status_code == 422
    detail = api.get(f"{API}/deliveries/{good.pk}").json()
    assert detail["verified"] is True and json.loads(detail["body"])["MessageId"] == good.external_id


def test_reprocess_through_the_api(administrator, deliveries, django_capture_on_commit_callbacks):
    good, refused = deliveries
    api = _as(administrator)
    seen = []
    registry.register("sns.notification", lambda d: seen.append(d.pk))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"{API}/deliveries/{good.pk}/reprocess")
    finally:
        registry.unregister("sns.notification")
    assert response.status_code == 200 and response.json()["state"] == "received"
    assert seen == [good.pk]
    good.refresh_from_db()
    assert good.state == DeliveryState.PROCESSED
    refused_answer = api.post(f"{API}/deliveries/{refused.pk}/reprocess")
    assert refused_answer.status_code == 409
    assert refused_answer.json()["detail"] == "A refused delivery is never processed."


def test_customers_and_billing_see_no_delivery(administrator, org, deliveries):
    from opsdesk.directory import services as directory

    good, _ = deliveries
    contact = directory.contact_create(actor=administrator, organisation=org, name="C", email="c@alpha.test")
    customer = User.objects.create_user("c@alpha.test", "pw-customer-1", role="customer", contact=contact)
    billing = User.objects.create_user("bill@provider.test", "pw-billing-1", role="billing")
    for path in (f"{API}/deliveries/{good.pk}", f"{API}/deliveries", f"{API}/sns-subscriptions"):
        assert _as(customer).get(path).status_code == 404, path
        assert _as(billing).get(path).status_code == 403, path
    assert _as(customer).get(f"/inbox/deliveries/{good.pk}/").status_code in (403, 404)


def test_sns_endpoint_token_is_shown_once_and_rotates(administrator, org, client):
    api = _as(administrator)
    created = api.post(
        f"{API}/sns-subscriptions",
        data=json.dumps({"organisation": org.pk, "topic_arns": [fx.TOPIC], "description": "Alarms"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    subscription = SnsSubscription.objects.get(pk=created.json()["id"])
    assert subscription.token_hash == token_digest(token) and token not in json.dumps(
        api.get(f"{API}/sns-subscriptions/{subscription.pk}").json()
    )
    assert client.get(f"/intake/sns/{token}/").status_code == 200
    rotated = api.post(f"{API}/sns-subscriptions/{subscription.pk}/rotate")
    new_token = rotated.json()["token"]
    assert rotated.status_code == 200 and new_token != token
    assert client.get(f"/intake/sns/{token}/").status_code == 404
    assert client.get(f"/intake/sns/{new_token}/").status_code == 200


def test_an_sns_endpoint_refuses_a_bad_topic_arn(administrator, org):
    response = _as(administrator).post(
        f"{API}/sns-subscriptions",
        data=json.dumps({"organisation": org.pk, "topic_arns": ["arn:aws:s3:::bucket"]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "topic_arns"


def test_engineers_may_read_but_not_manage_sns_endpoints(engineer, endpoint):
    subscription, _ = endpoint
    api = _as(engineer)
    assert api.get(f"{API}/sns-subscriptions/{subscription.pk}").status_code == 200
    assert api.post(f"{API}/sns-subscriptions/{subscription.pk}/rotate").status_code == 403


# --- pages -----------------------------------------------------------------------------------


def test_the_delivery_page_shows_the_raw_body_escaped_and_reprocesses(administrator, deliveries):
    good, refused = deliveries
    page = _as(administrator).get(f"/inbox/deliveries/{good.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'data-testid="reprocess"' in text
    answer = _as(administrator).post(f"/inbox/deliveries/{good.pk}/reprocess/")
    assert answer.status_code == 302
    good.refresh_from_db()
    assert good.state in (DeliveryState.RECEIVED, DeliveryState.UNROUTED)
    refused_page = _as(administrator).get(f"/inbox/deliveries/{refused.pk}/").content.decode()
    assert 'data-testid="reprocess"' not in refused_page
    assert "TopicArn: This topic is not on the endpoint" in refused_page


def test_the_inbox_list_filters_by_state_source_and_organisation(administrator, deliveries, org):
    good, refused = deliveries
    staff = _as(administrator)
    everything = staff.get("/inbox/").content.decode()
    assert f"/inbox/deliveries/{good.pk}/" in everything and f"/inbox/deliveries/{refused.pk}/" in everything
    refused_only = staff.get("/inbox/?state=refused").content.decode()
    assert f"/inbox/deliveries/{refused.pk}/" in refused_only
    assert f"/inbox/deliveries/{good.pk}/" not in refused_only
    by_org = staff.get(f"/inbox/?organisation={org.pk}&source=sns").content.decode()
    assert f"/inbox/deliveries/{good.pk}/" in by_org


def test_creating_an_sns_endpoint_in_the_ui_shows_its_address_once(administrator, org):
    staff = _as(administrator)
    page = staff.post(
        "/inbox/sns/new/",
        {"organisation": org.pk, "description": "Alarms", "topic_arns": f"{fx.TOPIC}\n", "active": "on"},
    )
    assert page.status_code == 200
    text = page.content.decode()
    subscription = SnsSubscription.objects.get()
    assert subscription.topic_arns == [fx.TOPIC]
    start = text.index("/intake/sns/") + len("/intake/sns/")
    token = text[start : text.index("/", start)]
    assert token_digest(token) == subscription.token_hash
    assert token not in staff.get(f"/inbox/sns/{subscription.pk}/").content.decode()
    bad = staff.post("/inbox/sns/new/", {"organisation": org.pk, "topic_arns": "not-an-arn"})
    assert bad.status_code == 200 and "Not an SNS topic ARN" in bad.content.decode()
