"""`opsdesk serve` (L5): its arguments, and a real process serving until terminated."""

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
from django.core.management import get_commands
from django.core.management.base import CommandError

from opsdesk.web.management.commands.serve import Command as ServeCommand

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
def test_serve_runs_web_and_worker_until_terminated(tmp_path: Path, migrated_sqlite_copy):
    """A real `opsdesk serve` on a temporary SQLite database: /healthz and a static file answer,
    the banner shows the URL, and SIGTERM stops it and its children."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "OPSDESK_"))}
    env.update(OPSDESK_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
               DJANGO_SETTINGS_MODULE="opsdesk.config.settings", OPSDESK_LOG_LEVEL="WARNING")
    opsdesk = [sys.executable, "-m", "opsdesk"]
    migrated_sqlite_copy(tmp_path / "serve.sqlite3")
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
