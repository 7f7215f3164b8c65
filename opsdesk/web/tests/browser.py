"""What the browser flows (L4) share: Debian's Chromium, the demo logins, screenshots, and a real
`opsdesk runserver` process on its own SQLite file with the demo data (see conftest.py).

No live_server/transactional_db: those flush tables, and the append-only audit triggers (L1) refuse
that."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "opsdesk-demo-2026"
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

# The browser flows come last in collection order (opsdesk/web), so each xdist worker reaches them
# after pytest-django has set its test database up. A worker that starts Playwright first (seen with
# --dist loadgroup) fails that set-up with SynchronousOnlyOperation: Playwright's sync API runs an
# event loop in the worker's thread.
BROWSER_FLOWS = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not become healthy:\n{log.read_text()[-3000:]}")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def logout(page) -> None:
    page.locator(".usermenu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")
