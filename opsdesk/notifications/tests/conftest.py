"""Fixtures of the notification tests: people, two organisations and a real local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsdesk.directory import services as directory
from opsdesk.directory.models import User

PASSWORD = "notify-test-password-1"


@pytest.fixture
def org_a(administrator):
    return directory.organisation_create(
        actor=administrator, name="Alpha Ltd", service_plan="advanced", calendar="uk"
    )


@pytest.fixture
def org_b(administrator):
    return directory.organisation_create(
        actor=administrator, name="Bravo plc", service_plan="advanced", calendar="uk"
    )


def _customer(administrator, org, email):
    contact = directory.contact_create(
        actor=administrator, organisation=org, name=f"Contact {email}", email=email
    )
    return User.objects.create_user(
        email, PASSWORD, full_name=f"Customer {email}", role="customer", contact=contact
    )


@pytest.fixture
def customer_a(administrator, org_a) -> User:
    return _customer(administrator, org_a, "cust@alpha.test")


@pytest.fixture
def customer_b(administrator, org_b) -> User:
    return _customer(administrator, org_b, "cust@bravo.test")


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 answering with the queued statuses (then 200), with `reply`
    as the body when set and `reply_headers` as extra headers."""

    url: str
    port: int = 0
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    reply: bytes | None = None
    reply_headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """The receiver is plain HTTP on loopback, which webhooks refuse outside development (issue 7):
    the tests that use it allow both explicitly."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = state.statuses.pop(0) if state.statuses else 200
            reply = state.reply if state.reply is not None else json.dumps({"ok": status < 300}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in state.reply_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    state.url = f"http://127.0.0.1:{state.port}/hooks/opsdesk"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
