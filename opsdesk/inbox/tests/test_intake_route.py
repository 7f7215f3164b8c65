"""The intake's own route (inbox/middleware.py): a sender's POST is answered from the first
middleware, with the request id, the log line, the rate limit and the security headers the rest of
the stack would have given it; anything that is not a plain intake POST goes down the stack."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError

from opsdesk.inbox import services
from opsdesk.inbox.models import Delivery
from opsdesk.inbox.tests import snsfixture as fx


def test_a_notification_is_answered_by_the_route_with_its_headers(client, endpoint, caplog):
    _, path = endpoint
    with caplog.at_level(logging.INFO, logger="opsdesk.request"):
        response = fx.post(client, path, fx.sign(fx.notification()), HTTP_X_REQUEST_ID="sns-req-1")
    assert response.status_code == 200, response.content
    assert Delivery.objects.filter(pk=response.json()["id"], verified=True).exists()
    assert response["X-Request-ID"] == "sns-req-1"
    assert response["Content-Length"] == str(len(response.content))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    # Past the stack: no session was looked at, so nothing varies by cookie.
    assert not response.has_header("Vary")
    lines = [r for r in caplog.records if r.name == "opsdesk.request"]
    assert len(lines) == 1
    assert lines[0].status == 200 and lines[0].request_id == "sns-req-1"
    assert lines[0].path.startswith("/intake/sns/<token>") and fx.TOPIC not in lines[0].path
    token = path.split("/")[3]
    assert token not in lines[0].path


def test_the_route_rate_limits_per_address(client, endpoint, settings):
    _, path = endpoint
    settings.INTAKE_RATE_PER_MINUTE = 2
    answers = [fx.post(client, path, fx.sign(fx.notification())) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) >= 1
    assert answers[2].json()["detail"].startswith("Too many requests: at most 2 intake requests")
    assert Delivery.objects.count() == 2


def test_a_query_string_goes_down_the_stack_to_the_edge(client, endpoint):
    _, path = endpoint
    response = fx.post(client, path + "?x=%00", fx.sign(fx.notification()))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "x", "message": "Null characters are not allowed."}]
    assert Delivery.objects.count() == 0


def test_a_probe_goes_down_the_stack(client, endpoint):
    _, path = endpoint
    response = client.get(path)
    assert response.status_code == 200
    assert response.json()["detail"].startswith("Amazon SNS endpoint")


def test_an_unknown_intake_path_is_not_taken_by_the_route(client):
    response = client.post("/intake/nothing-here/", data="{}", content_type="application/json")
    assert response.status_code == 404


def test_a_failure_while_storing_answers_503_in_the_one_shape(client, endpoint, monkeypatch, caplog):
    """The sender retries a 5xx; the answer says so and carries the request id, never a traceback."""
    _, path = endpoint

    def database_gone(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(services, "sns_receive", database_gone)
    with caplog.at_level(logging.ERROR, logger="opsdesk.inbox"):
        response = fx.post(client, path, fx.sign(fx.notification()), HTTP_X_REQUEST_ID="req-503")
    assert response.status_code == 503
    body = response.json()
    assert body["detail"].startswith("The delivery could not be stored; retry.")
    assert body["request_id"] == "req-503" and body["errors"] == []
    assert "went away" not in response.content.decode()
    assert any("intake failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("forwarded, status", [("", 301), ("https", 200)])
def test_with_https_required_a_plain_http_post_is_redirected(client, endpoint, settings, forwarded, status):
    _, path = endpoint
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    extra = {"HTTP_X_FORWARDED_PROTO": forwarded} if forwarded else {}
    response = fx.post(client, path, fx.sign(fx.notification()), **extra)
    assert response.status_code == status
    if status == 200:
        assert response["Strict-Transport-Security"].startswith("max-age=3600")


@pytest.mark.parametrize("given", ["a\x00b", "has space", "é", "tab\there"])
def test_a_request_id_that_is_not_printable_ascii_is_replaced(client, endpoint, given):
    _, path = endpoint
    response = fx.post(client, path, fx.sign(fx.notification()), HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    assert response["X-Request-ID"] != given and len(response["X-Request-ID"]) == 32
