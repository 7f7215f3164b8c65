"""`opsdesk serve` under a burst (issue 7): no connection is reset, and the database connections it
holds stay within the documented bound (web processes × threads), on a real PostgreSQL database.

Django's development server, which `opsdesk serve` used to run, reset 20–24 of 50 concurrent
connections (listen queue 10) and kept one PostgreSQL connection per request thread (CONN_MAX_AGE)
until PostgreSQL refused new clients. Only PostgreSQL shows the connection pile-up, so the test runs
there (CI has it) and is skipped on SQLite.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the connection pile-up is PostgreSQL's; SQLite has no server connections",
    ),
]

WORKERS, THREADS = 2, 4
BOUND = WORKERS * THREADS  # README: web connections ≤ OPSDESK_WEB_WORKERS × OPSDESK_WEB_THREADS
BURST = 50
PASSWORD = "a-long-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_connection() -> psycopg.Connection:
    """A connection to the server's maintenance database, outside any test transaction."""
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )


@pytest.fixture
def scratch_database() -> tuple[str, str]:
    """A fresh, temporary PostgreSQL database (name, URL), dropped afterwards."""
    base = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = f"{base.path.lstrip('/') or 'opsdesk'}_burst_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, base._replace(path=f"/{name}").geturl()
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connections(admin: psycopg.Connection, name: str) -> int:
    return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()[0]


def _request(port: int, path: str, headers: dict[str, str], start: threading.Barrier) -> str:
    """The status code as text, or the name of the error (e.g. ConnectionResetError)."""
    start.wait()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return str(response.status)
    except OSError as exc:
        return type(exc).__name__
    finally:
        connection.close()


def test_a_burst_of_50_requests_is_served_within_the_connection_bound(scratch_database, tmp_path: Path):
    name, url = scratch_database
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(
        OPSDESK_DATA_DIR=str(tmp_path),
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="opsdesk.config.settings",
        OPSDESK_LOG_LEVEL="WARNING",
        OPSDESK_DB_CONN_MAX_AGE="60",
        OPSDESK_WEB_WORKERS=str(WORKERS),
        OPSDESK_WEB_THREADS=str(THREADS),
        OPSDESK_SECRET_KEY=secrets.token_urlsafe(50),  # PostgreSQL: required, never generated
        OPSDESK_API_RATE_PER_MINUTE="0",  # the burst measures the server, not the rate limit
    )
    opsdesk = [sys.executable, "-m", "opsdesk"]
    subprocess.run([*opsdesk, "migrate", "--no-input", "-v0"], env=env, check=True, timeout=300)
    made = subprocess.run(
        [*opsdesk, "shell", "-c",
         "from opsdesk.directory.models import User\n"
         "from opsdesk.core.tokens import token_create\n"
         f"user = User.objects.create_user('burst@provider.test', '{PASSWORD}', full_name='Burst',"
         " role='engineer')\n"
         "print(token_create(actor=None, user=user, name='burst')[1])\n"],
        env=env, check=True, timeout=120, capture_output=True, text=True,
    )
    secret = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("w+")
    process = subprocess.Popen([*opsdesk, "serve", "--no-worker", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    peak = [0]
    watching = threading.Event()
    try:
        deadline = time.monotonic() + 120  # serve prints the banner once /healthz answers (≤ 30 s)
        while "running at" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)

        with _admin_connection() as admin:
            def watch() -> None:
                while not watching.is_set():
                    peak[0] = max(peak[0], _connections(admin, name))
                    time.sleep(0.02)

            watcher = threading.Thread(target=watch)
            watcher.start()
            try:
                paths = [
                    ("/healthz", {}),
                    ("/api/v1/incidents", {"Authorization": f"Bearer {secret}"}),
                    ("/login/", {}),
                ]
                outcomes: list[str] = []
                for _ in range(2):  # a second burst reuses the connections the first one opened
                    start = threading.Barrier(BURST)
                    results: list[str] = [""] * BURST

                    def one(i: int, start=start, results=results) -> None:
                        path, headers = paths[i % len(paths)]
                        results[i] = _request(port, path, headers, start)

                    threads = [threading.Thread(target=one, args=(i,)) for i in range(BURST)]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join(timeout=120)
                    outcomes += results
                time.sleep(0.5)
                after = _connections(admin, name)
            finally:
                watching.set()
                watcher.join(timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)

    assert outcomes == ["200"] * (2 * BURST), {o: outcomes.count(o) for o in set(outcomes)}
    assert 0 < peak[0] <= BOUND, f"{peak[0]} connections to {name}; the bound is {BOUND}"
    assert after <= BOUND
    assert code == 0, log_path.read_text()
