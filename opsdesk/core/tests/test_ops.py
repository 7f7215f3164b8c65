"""Operations of opsdesk itself (L6): health endpoint, Prometheus metrics, request ids, JSON logs."""

import json
import logging

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_authentication():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_only_answers_get():
    assert Client().post("/healthz").status_code == 405


def test_metrics_in_prometheus_text_format(world):
    client = Client()
    client.force_login(world["engineer"])  # staff only (issue 7); the scraper's token: test_security
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests" in text
    assert "# TYPE " in text


@pytest.mark.parametrize("method, path, headers", [
    ("get", "/healthz", {}),
    ("get", "/metrics", {}),
    ("get", "/api/v1/users/me", {}),
    ("get", "/api/v1/users/me", {"HTTP_AUTHORIZATION": "Bearer opsd_not-a-real-token"}),
    ("get", "/api/v1/no-such-endpoint", {}),
    ("get", "/login/", {}),
    ("post", "/api/v1/accounts", {}),
])
def test_every_response_carries_a_request_id(method, path, headers):
    response = getattr(Client(), method)(path, **headers)
    assert len(response["X-Request-ID"]) == 32


def test_request_id_from_the_caller_is_echoed():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a2c")
    assert response["X-Request-ID"] == "lb-7f3a2c"
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="x" * 500)
    assert response["X-Request-ID"] == "x" * 64


def _console_formatter() -> logging.Formatter:
    """The formatter of the handler settings.LOGGING puts on the root logger."""
    formatters = [h.formatter for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert formatters, "the root logger has no JSON handler (OPSDESK_LOG_FORMAT=text?)"
    return formatters[0]


def test_one_json_log_line_per_request(caplog):
    with caplog.at_level(logging.INFO, logger="opsdesk.request"):
        response = Client().get("/healthz", HTTP_X_REQUEST_ID="req-42")
    records = [r for r in caplog.records if r.name == "opsdesk.request"]
    assert len(records) == 1
    line = _console_formatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["logger"] == "opsdesk.request" and entry["level"] == "INFO" and entry["time"]
    assert entry["request_id"] == response["X-Request-ID"] == "req-42"
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert entry["duration_ms"] >= 0 and entry["user_id"] is None
