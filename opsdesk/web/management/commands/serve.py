"""`opsdesk serve`: the web server and the task worker together, for `make run` (L5). Part of the
shell (it starts everything and prints the demo logins), so it lives in web/, not in core.

Two child processes — gunicorn with threaded workers (configured by opsdesk/config/gunicorn_conf.py:
a fixed thread pool, so a bounded number of database connections, and a listen backlog of 2048;
WhiteNoise serves /static/) and `opsdesk worker` — supervised by this one: Ctrl-C or SIGTERM is passed
on to both, and when either exits the other is stopped, so the pair lives and dies together. At
scale the same gunicorn configuration and several `opsdesk worker` processes run separately (README).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from opsdesk.directory.demo import DEMO_PASSWORD, demo_logins, format_logins

#: How long children get to stop after being asked, before they are killed.
STOP_GRACE_SECONDS = 10.0
#: How long to wait for /healthz before printing the banner anyway.
READY_TIMEOUT_SECONDS = 30.0


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number.")
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 1 and 65535.")
    return port


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _local_url(host: str, port: int) -> str:
    """Where this machine reaches the server (a wildcard bind is reached on loopback)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://{_bind_address(host, port)}/"


def _web_config():
    """The gunicorn configuration module; a bad OPSDESK_WEB_* value is a clear error, not a traceback."""
    try:  # imported here: the module reads OPSDESK_WEB_* as it loads, and may raise ValueError
        from opsdesk.config import gunicorn_conf

        gunicorn_conf.web_connection_bound()  # reads OPSDESK_WEB_WORKERS/THREADS now, as gunicorn will
    except ValueError as exc:
        raise CommandError(str(exc))
    return gunicorn_conf


def _child_setup() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Own process group, so a terminal's Ctrl-C reaches only the supervisor, which passes it on
    exactly once; and on Linux a SIGTERM if the supervisor itself is killed, so no orphan keeps
    the port."""
    os.setpgid(0, 0)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the process group is enough
        pass


class Command(BaseCommand):
    help = "Run the web server and the task worker together; Ctrl-C stops both."
    # Django's system checks run here, once: gunicorn does not run them (runserver did).

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=port_number, default=8000,
                            help="Port to listen on (default 8000).")
        parser.add_argument("--no-worker", action="store_true",
                            help="Run only the web server (when workers run elsewhere).")

    def commands(self, host: str, port: int, worker: bool) -> dict[str, list[str]]:
        opsdesk = [sys.executable, "-m", "opsdesk"]
        gunicorn_conf = _web_config()
        web = [
            sys.executable, "-m", "gunicorn",
            "--config", f"python:{gunicorn_conf.__name__}",
            "--bind", _bind_address(host, port),
            gunicorn_conf.wsgi_app,
        ]
        commands = {"web server": web}
        if worker:
            commands["worker"] = [*opsdesk, "worker"]
        return commands

    def handle(self, *args: Any, host: str, port: int, no_worker: bool, **options: Any) -> None:
        if settings.HUEY.get("immediate"):
            # Tasks run inside the web process; `opsdesk worker` refuses to start in this mode.
            self.stdout.write("OPSDESK_HUEY_IMMEDIATE is on: tasks run in the web process; no worker.")
            no_worker = True
        connections.close_all()  # children open their own; nothing shared across fork
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
        received: list[int] = []

        def on_signal(signum: int, frame: Any) -> None:
            received.append(signum)

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        children: dict[str, subprocess.Popen] = {}
        try:
            for name, argv in self.commands(host, port, not no_worker).items():
                children[name] = subprocess.Popen(argv, env=env, preexec_fn=_child_setup)
            url = _local_url(host, port)
            if self._wait_until_ready(url, children, received):
                self._banner(url, worker=not no_worker)
            died = self._watch(children, received)
        finally:
            self._stop(children, received[0] if received else signal.SIGTERM)
            for s, handler in previous.items():
                signal.signal(s, handler)
        if died is not None:
            name, code = died
            raise CommandError(f"The {name} exited (code {code}); stopped the rest.")

    def _wait_until_ready(self, url: str, children: dict[str, subprocess.Popen], received: list[int]) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not received:
            if any(p.poll() is not None for p in children.values()):
                return False
            try:
                with urllib.request.urlopen(url + "healthz", timeout=1) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.2)
        return not received

    def _banner(self, url: str, *, worker: bool) -> None:
        what = "web server and task worker" if worker else "web server only"
        self.stdout.write(self.style.SUCCESS(f"\nopsdesk is running at {url} ({what}). Ctrl-C stops it.\n"))
        conf = _web_config()
        self.stdout.write(
            f"Web server: gunicorn, {conf.web_workers()} process(es) × {conf.web_threads()} threads; "
            f"at most {conf.web_connection_bound()} database connections from it.\n"
        )
        try:
            rows = demo_logins()
        except DatabaseError as exc:
            self.stdout.write(f"Could not read the demo logins ({exc}); has `opsdesk migrate` run?\n")
        else:
            if rows:
                self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):\n")
            self.stdout.write(format_logins(rows))
        finally:
            connections.close_all()
        self.stdout.flush()

    def _watch(self, children: dict[str, subprocess.Popen], received: list[int]) -> tuple[str, int] | None:
        """Until a signal arrives (None) or a child exits on its own (its name and exit code)."""
        while not received:
            for name, process in children.items():
                code = process.poll()
                if code is not None:
                    return name, code
            time.sleep(0.2)
        return None

    def _stop(self, children: dict[str, subprocess.Popen], signum: int) -> None:
        alive = [p for p in children.values() if p.poll() is None]
        for process in alive:
            try:
                process.send_signal(signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in alive:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
