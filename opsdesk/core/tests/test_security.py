"""Issue 7, sign-in fit for production: token lifetimes, security headers, no caching of signed-in
answers, the secret key, /metrics, quiet 403 logs, API rate limits and `check --deploy`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import ApiToken
from opsdesk.core.tokens import token_create

ROOT = Path(__file__).resolve().parents[3]


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post_json(client: Client, url: str, body: dict, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


# --- 1. API tokens expire by default, within a bounded maximum ------------------------------------


@pytest.mark.parametrize("days", [1_000_000_000, 1_000_000, 366, 0, -1])
def test_token_lifetime_out_of_bounds_is_422_naming_the_field(world, days):
    _token, secret = token_create(actor=None, user=world["customer_a"], expires_in_days=1)
    before = ApiToken.objects.count()
    response = post_json(Client(), "/api/v1/tokens", {"name": "x", "expires_in_days": days}, **bearer(secret))
    assert response.status_code == 422, response.content
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["expires_in_days"]
    assert ApiToken.objects.count() == before


def test_token_without_lifetime_gets_the_default_and_the_maximum_is_accepted(world):
    _token, secret = token_create(actor=None, user=world["customer_a"], expires_in_days=1)
    client = Client()
    default = post_json(client, "/api/v1/tokens", {"name": "default"}, **bearer(secret))
    assert default.status_code == 201
    lifetime = dt.datetime.fromisoformat(default.json()["expires_at"]) - timezone.now()
    assert dt.timedelta(days=89, hours=23) < lifetime <= dt.timedelta(days=90)
    longest = post_json(client, "/api/v1/tokens", {"name": "max", "expires_in_days": 365}, **bearer(secret))
    assert longest.status_code == 201
    assert dt.datetime.fromisoformat(longest.json()["expires_at"]).year <= timezone.now().year + 1


def test_token_default_and_maximum_follow_the_settings(world, settings):
    settings.TOKEN_DEFAULT_DAYS = 7
    settings.TOKEN_MAX_DAYS = 10
    token, _secret = token_create(actor=None, user=world["customer_a"])
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    _token, secret = token_create(actor=None, user=world["customer_a"], expires_in_days=10)
    response = post_json(Client(), "/api/v1/tokens", {"expires_in_days": 11}, **bearer(secret))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Must be between 1 and 10 days."


def test_cli_token_create_refuses_a_lifetime_over_the_maximum(tmp_path):
    """`opsdesk token create --expires 1000000` in a real process: a message and a non-zero exit
    (the days are checked before the user is looked up)."""
    env = production_env(tmp_path, OPSDESK_SECURE_COOKIES="false",
                         DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = opsdesk(env, "token", "create", "--user", "nobody@example.test", "--expires", "1000000")
    assert result.returncode != 0
    assert "must be between 1 and 365 days, not 1000000" in result.stderr
    assert result.stdout == ""


# --- 2. Content-Security-Policy --------------------------------------------------------------------


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_pages_carry_a_strict_content_security_policy(world):
    client = Client()
    client.force_login(world["admin"])
    for url in ("/", "/login/", "/status/"):
        response = client.get(url) if url != "/login/" else Client().get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]


def test_staff_home_has_no_inline_script_or_style(world):
    client = Client()
    client.force_login(world["admin"])
    html = client.get("/").content.decode()
    assert "style=" not in html
    assert "<script>" not in html and "<script " not in html.replace("<script src=", "")
    assert '"includeIndicatorStyles": false' in html  # htmx must not inject its own <style>


def test_api_docs_use_the_bundled_swagger_ui_with_their_own_policy(world):
    client = Client()
    client.force_login(world["admin"])
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui-init.js" in html
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200


# --- 3. Cache-Control: no-store for signed-in answers ---------------------------------------------


def test_signed_in_answers_are_not_stored(world):
    client = Client()
    client.force_login(world["customer_a"])
    for url in ("/", "/api/v1/users/me"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], url
    _token, secret = token_create(actor=None, user=world["customer_a"], expires_in_days=1)
    response = Client().get("/api/v1/accounts", **bearer(secret))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_anonymous_status_page_and_static_files_may_be_cached(world):
    status_page = Client().get("/status/")
    assert status_page.status_code == 200
    assert "no-store" not in status_page.get("Cache-Control", "")
    signed_in = Client()
    signed_in.force_login(world["customer_a"])
    static = signed_in.get("/static/opsdesk/opsdesk.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


# --- 4 and 9. HTTPS settings; `check --deploy` with production settings ---------------------------


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_") and k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="opsdesk.config.settings",
        OPSDESK_DATA_DIR=str(tmp_path),
        OPSDESK_SECRET_KEY=secrets.token_urlsafe(50),
        OPSDESK_SECURE_COOKIES="true",
        OPSDESK_DEBUG="false",
        OPSDESK_ALLOWED_HOSTS="opsdesk.example.com",
        DATABASE_URL="postgres://opsdesk@127.0.0.1:5432/opsdesk",
    )
    env.update(extra)
    return env


def opsdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opsdesk", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = opsdesk(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_secure_cookies_turn_on_hsts_https_redirect_and_secure_cookies(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json; print(json.dumps("
        "[s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_REDIRECT_EXEMPT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_SAMESITE, "
        "s.CSRF_COOKIE_SAMESITE, s.SECURE_PROXY_SSL_HEADER]))"
    )
    run = subprocess.run([sys.executable, "-c", code], env=production_env(tmp_path), cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [True, 31536000, True, ["^healthz$"], True, True, "Lax", "Lax", None]
    proxied = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env=production_env(tmp_path, OPSDESK_BEHIND_HTTPS_PROXY="true"), timeout=60)
    assert json.loads(proxied.stdout)[-1] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_https_redirect_spares_healthz(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert Client().get("/healthz").status_code == 200
    redirected = Client().get("/status/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


# --- 5. No built-in secret key ---------------------------------------------------------------------


def test_postgresql_without_a_secret_key_refuses_to_start(tmp_path):
    env = production_env(tmp_path, OPSDESK_SECURE_COOKIES="false")
    del env["OPSDESK_SECRET_KEY"]
    result = opsdesk(env, "check")
    assert result.returncode != 0
    assert "OPSDESK_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_secure_cookies_without_a_secret_key_refuse_to_start_even_on_sqlite(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["OPSDESK_SECRET_KEY"]
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "OPSDESK_SECRET_KEY" in result.stderr


def test_embedded_default_generates_a_private_key_once_and_reuses_it(tmp_path):
    env = production_env(tmp_path, OPSDESK_SECURE_COOKIES="false", OPSDESK_ALLOWED_HOSTS="127.0.0.1",
                         DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["OPSDESK_SECRET_KEY"]
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    together = [start() for _ in range(3)]  # processes starting at once agree on one key
    keys = {p.communicate(timeout=60)[0].strip() for p in together}
    key_file = tmp_path / "secret_key"
    assert keys == {key_file.read_text().strip()}
    assert len(keys.pop()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []
    again = start().communicate(timeout=60)[0].strip()
    assert again == key_file.read_text().strip()


# --- 6. /metrics -----------------------------------------------------------------------------------


def test_metrics_refused_to_anonymous_and_customers(world):
    anonymous = Client().get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": anonymous.json()["detail"], "errors": []}
    assert "django_http" not in anonymous.content.decode()
    customer = Client()
    customer.force_login(world["customer_a"])
    refused = customer.get("/metrics")
    assert refused.status_code == 403 and refused.json()["errors"] == []
    staff = Client()
    staff.force_login(world["engineer"])
    assert staff.get("/metrics").status_code == 200


def test_metrics_token_lets_the_scraper_in(db, settings):
    settings.METRICS_TOKEN = "scrape-" + secrets.token_urlsafe(24)
    response = Client().get("/metrics", **bearer(settings.METRICS_TOKEN))
    assert response.status_code == 200
    assert "django_http_requests" in response.content.decode()
    wrong = Client().get("/metrics", **bearer(settings.METRICS_TOKEN + "x"))
    assert wrong.status_code == 401 and "django_http" not in wrong.content.decode()
    # The metrics token is not an API token.
    assert Client().get("/api/v1/users/me", **bearer(settings.METRICS_TOKEN)).status_code == 401


def test_metrics_token_unset_means_no_bearer_gets_in(db, settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


# --- 7. An ordinary 403 is one log line without a traceback ---------------------------------------


def test_forbidden_is_logged_without_traceback(world, caplog):
    client = Client()
    client.force_login(world["customer_a"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("directory:organisation_create"))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].getMessage().startswith("Forbidden")
    assert records[0].exc_info is None and records[0].exc_text is None
    assert "Traceback" not in caplog.text


def test_csrf_failure_is_logged_without_traceback(world, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    with caplog.at_level(logging.WARNING):
        response = post_json(client, "/api/v1/tokens", {"name": "x"})
    assert response.status_code == 403
    assert caplog.records and all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text


# --- 8. API rate limits ----------------------------------------------------------------------------


def test_api_rate_limit_per_token(world, settings):
    settings.API_RATE_PER_MINUTE = 3
    _a, first = token_create(actor=None, user=world["customer_a"], expires_in_days=1)
    _b, second = token_create(actor=None, user=world["customer_a"], expires_in_days=1)
    client = Client()
    answers = [client.get("/api/v1/users/me", **bearer(first)) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.json() == {"detail": limited.json()["detail"], "errors": []}
    assert "at most 3 API requests a minute" in limited.json()["detail"]
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another token of the same user is counted on its own.
    assert client.get("/api/v1/users/me", **bearer(second)).status_code == 200
    # Pages are not API requests.
    assert client.get("/status/").status_code == 200


def test_api_rate_limit_for_session_and_anonymous_callers(world, settings):
    settings.API_RATE_PER_MINUTE = 2
    signed_in = Client()
    signed_in.force_login(world["customer_a"])
    assert [signed_in.get("/api/v1/users/me").status_code for _ in range(3)] == [200, 200, 429]
    other = Client()
    other.force_login(world["customer_b"])
    assert other.get("/api/v1/users/me").status_code == 200
    anonymous = Client(REMOTE_ADDR="203.0.113.9")
    assert [anonymous.get("/api/v1/users/me").status_code for _ in range(3)] == [401, 401, 429]


def test_api_rate_limit_behind_the_proxy_counts_the_forwarded_address(db, settings):
    settings.API_RATE_PER_MINUTE = 1
    settings.OPSDESK_TRUSTED_PROXY_HOPS = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    first = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert proxy.get("/api/v1/users/me", **first).status_code == 401
    assert proxy.get("/api/v1/users/me", **first).status_code == 429
    # Another client behind the same proxy; a forged earlier entry does not change who is counted.
    second = {"HTTP_X_FORWARDED_FOR": "198.51.100.7, 198.51.100.8"}
    assert proxy.get("/api/v1/users/me", **second).status_code == 401


def test_a_misspelt_security_paging_severity_refuses_to_start(tmp_path):
    """It decides who is woken at night: a typo must stop the start, not quietly fall back."""
    env = production_env(tmp_path, OPSDESK_SECURITY_PAGE_SEVERITY="hihg")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "OPSDESK_SECURITY_PAGE_SEVERITY must be low, medium or high" in result.stderr
    upper = production_env(tmp_path, OPSDESK_SECURITY_PAGE_SEVERITY=" High ")
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.SECURITY_PAGE_SEVERITY)"
    run = subprocess.run([sys.executable, "-c", code], env=upper, cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert (run.returncode, run.stdout.strip()) == (0, "high"), run.stderr
