"""Issue 7: webhooks go only to public addresses over HTTPS — checked when a subscription is saved and
again at delivery after resolving the name — and a failed delivery keeps only a short reason, never
the receiver's answer."""

from __future__ import annotations

import importlib
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from django.apps import apps
from django.test import Client

from opsdesk.core.errors import ValidationFailed
from opsdesk.notifications import delivery
from opsdesk.notifications.models import Channel, Notification, NotificationState, WebhookSubscription
from opsdesk.notifications.services import (
    generate_secret,
    notification_enqueue,
    webhook_subscription_create,
)

API = "/api/v1"

REFUSED_AT_CREATION = [
    "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "https://localhost:5432/",
    "https://db.localhost/",
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",  # 127.0.0.1 as one decimal number
    "https://0x7f000001/",
    "https://0.0.0.0/",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",  # carrier-grade NAT: not public either
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://[::1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:169.254.169.254]/latest/meta-data/",
    "https://[fe80::1]/",
    "https://[fd00::1]/",
    "https://[ff02::1]/",
    "https://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping 169.254.169.254
]


def _post(client: Client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _webhook_row(org) -> Notification:
    rows = notification_enqueue(event="incident.created", organisation=org, subject="P1", payload={"n": 1})
    assert [r.channel for r in rows] == [Channel.WEBHOOK]
    return rows[0]


def _subscribe_directly(org, url: str) -> WebhookSubscription:
    """A subscription saved without the creation check: as if its name resolved publicly when it
    was made (or it predates the check)."""
    return WebhookSubscription.objects.create(organisation=org, url=url, secret=generate_secret())


# --- when a subscription is saved -------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://localhost:5432/"])
def test_the_reported_urls_are_refused_by_the_api(administrator, org_a, settings, url):
    settings.WEBHOOK_ALLOW_HTTP = True  # even where plain HTTP is allowed, the address is refused
    response = _post(_admin_client(administrator), f"{API}/webhook-subscriptions",
                     {"organisation": org_a.pk, "url": url})
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert errors[0]["field"] == "url" and "public" in errors[0]["message"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", REFUSED_AT_CREATION)
def test_non_public_destinations_are_refused_at_creation(administrator, org_a, url):
    with pytest.raises(ValidationFailed) as caught:
        webhook_subscription_create(actor=administrator, organisation=org_a, url=url)
    assert caught.value.errors[0]["field"] == "url"
    assert not WebhookSubscription.objects.exists()


def test_a_url_cannot_be_changed_to_a_private_one(administrator, org_a):
    subscription = webhook_subscription_create(
        actor=administrator, organisation=org_a, url="https://hooks.example.test/in"
    )
    response = _admin_client(administrator).patch(
        f"{API}/webhook-subscriptions/{subscription.pk}",
        data=json.dumps({"url": "https://169.254.169.254/latest/meta-data/"}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{subscription.pk}-{subscription.version}"',
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url"
    assert WebhookSubscription.objects.get(pk=subscription.pk).url == "https://hooks.example.test/in"


def test_plain_http_only_where_a_setting_allows_it(administrator, org_a, settings):
    with pytest.raises(ValidationFailed) as caught:
        webhook_subscription_create(actor=administrator, organisation=org_a, url="http://hooks.example.test/")
    assert caught.value.errors[0]["field"] == "url" and "https://" in caught.value.errors[0]["message"]
    settings.WEBHOOK_ALLOW_HTTP = True
    assert webhook_subscription_create(actor=administrator, organisation=org_a, url="http://hooks.example.test/")


def test_public_addresses_and_names_are_accepted(administrator, org_a):
    for url in ("https://93.184.216.34/hook", "https://[2606:4700::1111]/hook", "https://hooks.example.test/x"):
        assert webhook_subscription_create(actor=administrator, organisation=org_a, url=url).url == url


# --- at delivery ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template, reason",
    [
        ("http://localhost:{port}/hooks", "loopback address"),  # a name (see also the rebinding test)
        ("http://[::1]:{port}/hooks", "loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/hooks", "loopback address"),
        ("http://2130706433:{port}/hooks", "loopback address"),
        ("http://0.0.0.0:{port}/hooks", "unspecified address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address"),
    ],
)
def test_non_public_destinations_are_refused_at_delivery(org_a, receiver, settings, template, reason):
    _subscribe_directly(org_a, template.format(port=receiver.port))
    row = _webhook_row(org_a)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert delivery.deliver(row.pk) is False
    current = Notification.objects.get(pk=row.pk)
    assert current.state == NotificationState.FAILED  # never retried: it can never be allowed
    assert current.last_error == f"destination refused: {reason}"
    assert receiver.requests == []


def test_a_loopback_receiver_is_refused_when_private_destinations_are_not_allowed(
    org_a, administrator, receiver, settings
):
    webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    first = _webhook_row(org_a)
    assert delivery.deliver(first.pk) is True  # allowed (development): it arrives
    settings.WEBHOOK_ALLOW_PRIVATE = False
    second = _webhook_row(org_a)
    assert delivery.deliver(second.pk) is False
    assert Notification.objects.get(pk=second.pk).last_error == "destination refused: loopback address"
    assert len(receiver.requests) == 1


def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(
    org_a, administrator, receiver, settings, monkeypatch
):
    """DNS rebinding: the name is public when checked and 127.0.0.1 a moment later. The delivery
    connects to the address it checked, so the second answer is never used."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])
    looked_up = []

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    webhook_subscription_create(
        actor=administrator, organisation=org_a, url=f"http://hooks.rebind.test:{receiver.port}/hooks"
    )  # accepted: the first answer is public
    looked_up.clear()
    answers = iter(["93.184.216.34"])
    row = _webhook_row(org_a)
    assert delivery.deliver(row.pk) is False  # 93.184.216.34 is unreachable from the test machine
    assert looked_up == ["hooks.rebind.test"]  # resolved once, by the check
    assert receiver.requests == []
    # Resolving to loopback at delivery time is refused before any connection.
    row = _webhook_row(org_a)
    assert delivery.deliver(row.pk) is False
    assert Notification.objects.get(pk=row.pk).last_error == "destination refused: loopback address"
    assert receiver.requests == []


def test_the_checked_address_is_used_with_the_name_in_the_host_header(
    org_a, administrator, receiver, monkeypatch
):
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "hooks.pinned.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    webhook_subscription_create(
        actor=administrator, organisation=org_a, url=f"http://hooks.pinned.test:{receiver.port}/in?x=1"
    )
    row = _webhook_row(org_a)
    assert delivery.deliver(row.pk) is True
    [request] = receiver.requests
    assert request["path"] == "/in?x=1"
    assert request["headers"]["Host"] == f"hooks.pinned.test:{receiver.port}"


# --- what a failure keeps ---------------------------------------------------------------------


def test_an_error_answer_is_not_stored(org_a, administrator, receiver):
    webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    receiver.statuses = [500]
    receiver.reply = b'{"password": "hunter2-internal-secret", "trace": "at db.internal:5432"}'
    row = _webhook_row(org_a)
    assert delivery.deliver(row.pk) is False
    current = Notification.objects.get(pk=row.pk)
    assert current.state == NotificationState.PENDING  # retried later
    assert current.last_error == "HTTP 500"
    client = _admin_client(administrator)
    shown = client.get(f"{API}/notifications/{row.pk}").content.decode()
    assert "HTTP 500" in shown and "hunter2" not in shown and "db.internal" not in shown


def test_a_redirect_is_not_followed(org_a, administrator, receiver):
    webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    receiver.statuses = [302]
    receiver.reply_headers = {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"}
    row = _webhook_row(org_a)
    assert delivery.deliver(row.pk) is False
    assert [r["path"] for r in receiver.requests] == ["/hooks/opsdesk"]
    assert Notification.objects.get(pk=row.pk).last_error == "HTTP 302 (redirect not followed)"


def test_old_error_answers_are_scrubbed_by_the_migration(org_a):
    _subscribe_directly(org_a, "https://hooks.example.test/x")
    row = _webhook_row(org_a)
    Notification.objects.filter(pk=row.pk).update(last_error="HTTP 500: <html>internal secret</html>")
    other = _webhook_row(org_a)
    Notification.objects.filter(pk=other.pk).update(last_error="timeout")
    migration = importlib.import_module("opsdesk.notifications.migrations.0002_scrub_webhook_error_bodies")
    migration.scrub(apps, None)
    assert Notification.objects.get(pk=row.pk).last_error == "HTTP 500"
    assert Notification.objects.get(pk=other.pk).last_error == "timeout"


# --- HTTPS ------------------------------------------------------------------------------------


@pytest.fixture
def tls_receiver():
    """An HTTPS receiver on 127.0.0.1 with a certificate for `localhost` from a test CA; it records
    the server name each client asked for (SNI)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    seen: dict[str, list] = {"sni": [], "requests": []}
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen["requests"].append(dict(self.headers))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ca, server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_https_connects_to_the_address_with_the_name_for_sni_and_certificate(
    org_a, administrator, settings, tls_receiver, monkeypatch
):
    ca, port, seen = tls_receiver
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is local; HTTPS needs no other allowance
    webhook_subscription_create(actor=administrator, organisation=org_a, url=f"https://localhost:{port}/in")

    # Without trusting the test CA the certificate is refused: a short reason, nothing sent.
    first = _webhook_row(org_a)
    assert delivery.deliver(first.pk) is False
    assert Notification.objects.get(pk=first.pk).last_error == "TLS error"
    assert seen["requests"] == []

    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    monkeypatch.setattr(delivery, "_verify", lambda: trusting)
    second = _webhook_row(org_a)
    assert delivery.deliver(second.pk) is True
    assert seen["sni"][-1] == "localhost"  # connected to 127.0.0.1, asked for the name
    assert seen["requests"][-1]["Host"] == f"localhost:{port}"
