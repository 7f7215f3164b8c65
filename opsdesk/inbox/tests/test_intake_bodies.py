"""Issue 12, "Bad input": the /intake/ endpoints hold a body to the edge's one JSON check, as the API
does (core.edge.json_body_problem) — a NUL or a lone surrogate in a \\u escape, nesting 1000 deep, a
number no column holds, a body that is not JSON, and a body over the limit are refused with 4xx in
the one JSON error shape naming the problem; nothing is stored for processing. An SNS endpoint records
each refusal as a refused delivery (it answers senders it has identified)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opsdesk.inbox import services
from opsdesk.inbox.models import Delivery
from opsdesk.inbox.tests import snsfixture as fx

IDENTITY = '"identity": "checkout", "state": "alarm", "summary": "Checkout slow"'
BAD_BODIES = [
    # (body, status, field named, words in the answer)
    (b'{' + IDENTITY.encode() + b', "resource": "a\\u0000b"}', 422, "resource", "Null characters"),
    (b'{' + IDENTITY.encode() + b', "resource": "\\ud800"}', 422, "resource", "Unpaired surrogate"),
    (b'{"identity": ' + b"[" * 1000 + b"]" * 1000 + b"}", 400, "body", "nested"),
    (b"{" + IDENTITY.encode() + b', "count": 1234567890123456789012345}', 422, "count", "Must be between"),
    (b'{' + IDENTITY.encode() + b', "ratio": 1e999}', 422, "ratio", "finite"),
    (b'{' + IDENTITY.encode() + b', "ratio": NaN}', 400, "body", "NaN is not valid JSON"),
    (b"identity=checkout&state=alarm", 400, "body", "Cannot parse request body"),
]


def _refused(response, status: int, field: str, words: str) -> dict:
    assert response.status_code == status, response.content
    answer = response.json()
    assert set(answer) == {"detail", "errors"}  # the one error shape
    assert answer["errors"][0]["field"] == field and answer["detail"].startswith(f"{field}: "), answer
    assert words in answer["detail"], answer
    return answer


@pytest.fixture
def webhook_path(administrator, org):
    key = services.intake_key_create(actor=administrator, purpose="webhook", organisation=org)
    return f"/intake/webhook/{key.token}/"


@pytest.fixture
def eventbridge_key(administrator, org):
    return services.intake_key_create(actor=administrator, purpose="eventbridge", organisation=org).token


@pytest.mark.parametrize(("body", "status", "field", "words"), BAD_BODIES)
def test_the_webhook_refuses_what_the_edge_refuses(webhook_path, body, status, field, words):
    response = Client().post(webhook_path, data=body, content_type="application/json")
    _refused(response, status, field, words)
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(("body", "status", "field", "words"), BAD_BODIES)
def test_the_eventbridge_intake_refuses_what_the_edge_refuses(eventbridge_key, body, status, field, words):
    response = Client().post(
        "/intake/eventbridge/", data=body, content_type="application/json",
        HTTP_X_OPSDESK_INTAKE_KEY=eventbridge_key,
    )
    _refused(response, status, field, words)
    assert not Delivery.objects.exists()


def test_the_key_is_checked_before_the_body(eventbridge_key):
    """An unauthenticated sender learns nothing about its body."""
    response = Client().post("/intake/eventbridge/", data=b"not json", content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(("body", "status", "field", "words"), BAD_BODIES)
def test_an_sns_endpoint_refuses_and_records_what_the_edge_refuses(endpoint, body, status, field, words):
    _, path = endpoint
    _refused(fx.post(Client(), path, body), status, field, words)
    delivery = Delivery.objects.get()
    assert delivery.state == "refused" and not delivery.verified and delivery.answered == status
    assert delivery.error.startswith(f"{field}: ")


def test_a_body_over_1_mb_is_refused_413_without_being_read(webhook_path, eventbridge_key, endpoint):
    huge = json.dumps({"identity": "x", "state": "alarm", "summary": "y" * (1024 * 1024 + 1)}).encode()
    client = Client()
    for response in (
        client.post(webhook_path, data=huge, content_type="application/json"),
        client.post("/intake/eventbridge/", data=huge, content_type="application/json",
                    HTTP_X_OPSDESK_INTAKE_KEY=eventbridge_key),
        fx.post(client, endpoint[1], huge),
    ):
        _refused(response, 413, "body", "Too large")
    # Only the SNS endpoint's refusal is recorded, without the body.
    assert list(Delivery.objects.values_list("state", "body")) == [("refused", "")]


def test_a_good_body_is_still_accepted(webhook_path):
    body = json.dumps({"identity": "checkout", "state": "alarm", "summary": "Checkout slow \u00e9"})
    response = Client().post(webhook_path, data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert Delivery.objects.get().state in ("received", "processed")


def test_a_nul_in_a_stored_header_is_kept_as_a_replacement_not_a_failure(webhook_path, endpoint):
    """Some headers are stored with the delivery; a NUL in one must not make the insert fail (a 5xx
    the sender would retry for ever)."""
    _, sns_path = endpoint
    client = Client()
    answers = [
        fx.post(client, sns_path, fx.sign(fx.notification()), HTTP_USER_AGENT="agent\x00x"),
        client.post(
            webhook_path, data=json.dumps({"identity": "a", "state": "alarm", "summary": "s"}),
            content_type="application/json", HTTP_IDEMPOTENCY_KEY="key\x00x",
        ),
    ]
    assert [a.status_code for a in answers] == [200, 200], [a.content for a in answers]
    kept = {d.source: d.headers for d in Delivery.objects.all()}
    assert kept["sns"]["user-agent"] == "agent\ufffdx"
    assert kept["webhook"]["idempotency-key"] == "key\ufffdx"
