"""The CLI (L5): `opsdesk token …` against the real API, and `opsdesk serve` as a real process."""

import datetime as dt
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.test import Client

from opsdesk.core.management.commands.serve import Command as ServeCommand
from opsdesk.core.models import ApiToken, AuditEvent
from opsdesk.core.roles import Role
from opsdesk.directory.models import User

PASSWORD = "a-long-test-password"


@pytest.fixture
def user(db):
    return User.objects.create_user("engineer@provider.test", PASSWORD, full_name="Eve Engineer",
                                    role=Role.ENGINEER)


def token(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def me(secret: str):
    return Client().get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_create_prints_a_token_that_authenticates(user):
    out, err = token("create", "--user", "Engineer@Provider.test", "--name", "ci", "--expires", "30")
    secret = out.strip()
    assert secret.startswith("opsd_") and "\n" not in secret
    assert "shown once" in err
    response = me(secret)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    stored = ApiToken.objects.get(user=user)
    assert stored.name == "ci" and secret not in (stored.digest, stored.prefix)
    assert dt.timedelta(days=29) < stored.expires_at - stored.created_at <= dt.timedelta(days=30)
    assert AuditEvent.objects.filter(object_type="core.apitoken", object_id=str(stored.pk)).exists()


def test_expired_token_is_refused(user):
    secret = token("create", "--user", user.email, "--expires", "1")[0].strip()
    assert me(secret).status_code == 200
    ApiToken.objects.filter(user=user).update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    response = me(secret)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked token."


def test_list_and_revoke(user):
    secret = token("create", "--user", user.email, "--name", "laptop")[0].strip()
    stored = ApiToken.objects.get(user=user)
    listing = token("list", "--user", user.email)[0]
    assert "laptop" in listing and stored.prefix in listing and "active" in listing
    assert secret not in listing

    assert "revoked" in token("revoke", "--id", str(stored.pk))[0]
    assert me(secret).status_code == 401
    assert "revoked" in token("list", "--user", user.email)[0]
    assert "already revoked" in token("revoke", "--id", str(stored.pk))[0]


@pytest.mark.parametrize("args, message", [
    (("create", "--user", "nobody@provider.test"), "No user with the email"),
    (("list", "--user", "nobody@provider.test"), "No user with the email"),
    (("create", "--user", "engineer@provider.test", "--expires", "0"), "between 1 and 365 days"),
    (("create", "--user", "engineer@provider.test", "--expires", "-3"), "between 1 and 365 days"),
    (("create", "--user", "engineer@provider.test", "--expires", "soon"), "not a whole number of days"),
    (("revoke", "--id", "424242"), "No API token with id 424242"),
    (("create",), "--user"),
])
def test_errors_are_command_errors(user, args, message):
    with pytest.raises(CommandError, match=message):
        token(*args)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        token("create", "--user", user.email)


# --- opsdesk serve ---------------------------------------------------------------------------------


def test_serve_arguments():
    parser = ServeCommand().create_parser("opsdesk", "serve")
    options = parser.parse_args([])
    assert (options.host, options.port, options.no_worker) == ("127.0.0.1", 8000, False)
    options = parser.parse_args(["--host", "0.0.0.0", "--port", "9001"])
    assert (options.host, options.port) == ("0.0.0.0", 9001)
    for bad in ("0", "70000", "http"):
        with pytest.raises(CommandError):
            parser.parse_args(["--port", bad])
    commands = ServeCommand().commands("::1", 9001, worker=True)
    web = commands["web server"]
    assert web[:3] == [sys.executable, "-m", "gunicorn"]  # not Django's development server (issue 7)
    assert web[web.index("--bind") + 1] == "[::1]:9001"
    assert web[-1] == "opsdesk.config.wsgi:application"
    assert commands["worker"] == [sys.executable, "-m", "opsdesk", "worker"]
    assert "worker" not in ServeCommand().commands("127.0.0.1", 9001, worker=False)


@pytest.mark.parametrize("name, value", [("OPSDESK_WEB_WORKERS", "many"), ("OPSDESK_WEB_THREADS", "0")])
def test_serve_refuses_a_bad_web_server_size(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(CommandError, match=name):
        ServeCommand().commands("127.0.0.1", 9001, worker=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, response.read()


@pytest.mark.server
def test_serve_runs_web_and_worker_until_terminated(tmp_path: Path):
    """A real `opsdesk serve` on a temporary SQLite database: /healthz and a static file answer,
    the banner shows the URL, and SIGTERM stops it and its children."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(OPSDESK_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
               DJANGO_SETTINGS_MODULE="opsdesk.config.settings", OPSDESK_LOG_LEVEL="WARNING")
    opsdesk = [sys.executable, "-m", "opsdesk"]
    subprocess.run([*opsdesk, "migrate", "--no-input", "-v0"], env=env, check=True, timeout=300)
    port = _free_port()
    # The worker command belongs to the notifications app; without it, serve runs the web server alone.
    worker = "worker" in get_commands()
    argv = [*opsdesk, "serve", "--port", str(port), *([] if worker else ["--no-worker"])]
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 45  # generous: a loaded 2-core CI machine starts two processes
        status, body = 0, b""
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200 and json.loads(body)["status"] == "ok"
        static = next(Path(__file__).resolve().parents[2].glob("*/static/**/*.css"), None)
        if static is not None:  # WhiteNoise serves the apps' static files with DEBUG off
            relative = static.as_posix().split("/static/", 1)[1]
            assert _get(f"http://127.0.0.1:{port}/static/{relative}")[0] == 200
        while "running at" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)  # gunicorn stops gracefully (up to 8 s), on a busy machine
    output = (tmp_path / "serve.log").read_text()
    assert f"running at http://127.0.0.1:{port}/" in output
    assert code == 0, output
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/healthz")
