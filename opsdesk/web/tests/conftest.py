"""Fixtures of the browser flows: one demo server per test session (per xdist worker), and
Playwright launching Debian's Chromium."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from opsdesk.web.tests.browser import CHROMIUM, ROOT, free_port, wait_healthy


@pytest.fixture(scope="session")
def e2e_dir():
    """The demo server's data directory (its database, its log, and its emails under mail/)."""
    tmp = Path(tempfile.mkdtemp(prefix="opsdesk-e2e-"))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server_mail_dir(e2e_dir):
    """Where the demo server writes every email it sends, one file per batch (file backend)."""
    return e2e_dir / "mail"


@pytest.fixture(scope="session")
def server_url(e2e_dir, migrated_sqlite_copy):
    tmp = e2e_dir
    port = free_port()
    env = {
        **os.environ,
        "OPSDESK_DATA_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.sqlite3'}",
        "OPSDESK_HUEY_IMMEDIATE": "1",
        "OPSDESK_LOG_FORMAT": "text",
        "OPSDESK_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "opsdesk.config.settings",
        "EMAIL_URL": f"file:///{tmp / 'mail'}",
        "OPSDESK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("OPSDESK_TESTING", None)
    opsdesk = [sys.executable, "-m", "opsdesk"]
    migrated_sqlite_copy(tmp / "e2e.sqlite3")
    subprocess.run([*opsdesk, "demo"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*opsdesk, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1360, "height": 900}}


@pytest.fixture
def page(page):
    page.set_default_timeout(20_000)  # a loaded 2-core CI machine runs two workers beside Chromium
    return page
