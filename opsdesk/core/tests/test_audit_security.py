"""L1: security events land in the audit log with who, from where (source address) and which
request (X-Request-ID): sign-in, failed sign-in, sign-out, token use, refused writes. Staff see
them in the audit API; customers never do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.audit import audit_security_event
from opsdesk.core.models import ApiToken, AuditAction, AuditEvent
from opsdesk.core.tokens import token_create
from opsdesk.testing.world import PASSWORD

ADDRESS = "203.0.113.7"


def client_from(address: str = ADDRESS) -> Client:
    return Client(REMOTE_ADDR=address)


def only_event(action: str, **filters) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action, **filters))
    assert len(events) == 1, events
    return events[0]


def test_sign_in_is_recorded_with_address_and_request_id(world):
    user = world["customer_a"]
    response = client_from().post(
        "/login/", {"username": user.email, "password": PASSWORD}, HTTP_X_REQUEST_ID="req-sign-in-1"
    )
    assert response.status_code == 302
    event = only_event(AuditAction.SIGN_IN)
    assert (event.actor_id, event.actor_label) == (user.pk, user.email)
    assert (event.request_id, event.source_address) == ("req-sign-in-1", ADDRESS)
    assert (event.object_type, event.object_id) == ("directory.user", str(user.pk))
    assert event.organisation_id == world["org_a"].pk and event.public is False


def test_failed_sign_in_records_the_email_tried_never_the_password(world):
    user = world["customer_a"]
    response = client_from().post(
        "/login/", {"username": user.email, "password": "not-the-password-42"}, HTTP_X_REQUEST_ID="req-bad-1"
    )
    assert response.status_code == 200  # the form again, with its error
    event = only_event(AuditAction.SIGN_IN_FAILED)
    assert event.after == {"email": user.email} and event.actor_id is None
    assert event.actor_label == "anonymous" and event.public is False
    assert (event.request_id, event.source_address) == ("req-bad-1", ADDRESS)
    assert (event.object_type, event.object_id) == ("directory.user", str(user.pk))
    stored = str(AuditEvent.objects.filter(pk=event.pk).values().get())
    assert "not-the-password-42" not in stored


def test_failed_sign_in_for_an_unknown_email(world):
    client_from().post("/login/", {"username": "nobody@nowhere.test", "password": "x" * 12})
    event = only_event(AuditAction.SIGN_IN_FAILED)
    assert event.after == {"email": "nobody@nowhere.test"} and event.object_id == ""
    assert "nobody@nowhere.test" in event.note


def test_sign_out_is_recorded(world):
    client = client_from()
    client.force_login(world["admin"])
    response = client.post("/logout/", HTTP_X_REQUEST_ID="req-out-1")
    assert response.status_code == 302
    event = only_event(AuditAction.SIGN_OUT)
    assert event.actor_id == world["admin"].pk
    assert (event.request_id, event.source_address) == ("req-out-1", ADDRESS)


def test_token_use_is_recorded_once_per_token_per_five_minutes(world):
    token, secret = token_create(actor=world["admin"], user=world["customer_a"])
    client = client_from()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/v1/users/me", HTTP_X_REQUEST_ID="req-token-1", **auth).status_code == 200
    assert client.get("/api/v1/users/me", HTTP_X_REQUEST_ID="req-token-2", **auth).status_code == 200
    event = only_event(AuditAction.TOKEN_USED)
    assert (event.actor_id, event.object_type, event.object_id) == (
        world["customer_a"].pk,
        "core.apitoken",
        str(token.pk),
    )
    assert (event.request_id, event.source_address) == ("req-token-1", ADDRESS)
    assert token.prefix in event.note and secret not in str(
        AuditEvent.objects.filter(pk=event.pk).values().get()
    )
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=6))
    assert client.get("/api/v1/users/me", HTTP_X_REQUEST_ID="req-token-3", **auth).status_code == 200
    events = AuditEvent.objects.filter(action=AuditAction.TOKEN_USED).order_by("id")
    assert [e.request_id for e in events] == ["req-token-1", "req-token-3"]


def test_refused_api_write_is_recorded(world):
    client = client_from()
    client.force_login(world["customer_a"])
    response = client.post(
        "/api/v1/accounts",
        {"organisation": world["org_a"].pk, "account_id": "666666666601", "name": "x", "regions": []},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-403-api",
    )
    assert response.status_code == 403
    event = only_event(AuditAction.PERMISSION_DENIED)
    assert event.actor_id == world["customer_a"].pk and event.public is False
    assert event.after == {"method": "POST", "path": "/api/v1/accounts"}
    assert (event.request_id, event.source_address) == ("req-403-api", ADDRESS)
    assert event.note == response.json()["detail"]


def test_refused_ui_write_is_recorded(world):
    client = client_from("2001:db8::5")
    client.force_login(world["customer_a"])
    path = reverse("directory:contact_verify", args=[world["contact_a"].pk])
    assert client.post(path, HTTP_X_REQUEST_ID="req-403-ui").status_code == 403
    event = only_event(AuditAction.PERMISSION_DENIED)
    assert event.after == {"method": "POST", "path": path} and event.actor_id == world["customer_a"].pk
    assert (event.request_id, event.source_address) == ("req-403-ui", "2001:db8::5")


def test_refused_reads_are_not_recorded(world):
    client = client_from()
    client.force_login(world["customer_a"])
    assert client.get(reverse("directory:account_create")).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).exists()


def test_every_audit_row_written_during_a_request_carries_it(world):
    client = client_from()
    client.force_login(world["admin"])
    before = AuditEvent.objects.order_by("-id").first().id
    response = client.post(
        "/api/v1/tokens", {"name": "ci"}, content_type="application/json", HTTP_X_REQUEST_ID="req-create-1"
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(id__gt=before, action=AuditAction.CREATE, object_type="core.apitoken")
    assert (event.request_id, event.source_address) == ("req-create-1", ADDRESS)


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "198.51.100.1", ADDRESS),  # no proxy trusted: X-Forwarded-For is whatever the client says
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the left part is the client's own claim
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (1, "not-an-address", ADDRESS),
        (1, "::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_source_address_behind_trusted_proxies(world, settings, hops, forwarded, expected):
    settings.OPSDESK_TRUSTED_PROXY_HOPS = hops
    client_from().post(
        "/login/", {"username": "x@y.test", "password": "x" * 12}, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert only_event(AuditAction.SIGN_IN_FAILED).source_address == expected


def test_staff_see_security_events_in_the_audit_api_customers_do_not(world):
    client_from().post("/login/", {"username": world["customer_a"].email, "password": "wrong-password-1"})
    staff = client_from()
    staff.force_login(world["admin"])
    account = {"organisation": world["org_a"].pk, "account_id": "333333333301", "name": "new", "regions": []}
    created = staff.post("/api/v1/accounts", account, content_type="application/json")
    assert created.status_code == 201
    body = staff.get("/api/v1/audit-events", {"action": "sign_in_failed"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["after"] == {"email": world["customer_a"].email} and row["source_address"] == ADDRESS
    assert row["request_id"]
    by_object = staff.get(
        "/api/v1/audit-events", {"object_type": "directory.user", "object_id": str(world["customer_a"].pk)}
    ).json()
    assert "sign_in_failed" in {r["action"] for r in by_object["results"]}
    csv = staff.get("/api/v1/audit-events", {"action": "sign_in_failed", "format": "csv"})
    exported = b"".join(csv.streaming_content).decode()
    # The export carries the staff-only columns as the JSON list does.
    assert csv.status_code == 200 and "sign_in_failed" in exported and ADDRESS in exported
    bad = staff.get("/api/v1/audit-events", {"action": "reboot"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "action"

    customer = Client()
    customer.force_login(world["customer_a"])
    mine = customer.get("/api/v1/audit-events", {"limit": 500}).json()
    assert mine["count"] > 0
    assert not {r["action"] for r in mine["results"]} & {a.value for a in AuditAction} - {
        "create",
        "update",
        "delete",
    }
    seen = {r["object_id"]: r for r in mine["results"] if r["object_type"] == "directory.cloudaccount"}
    # The customer sees the staff member's change to their account, but not where it was made from.
    assert seen[str(created.json()["id"])]["source_address"] == ""
    assert {(r["source_address"], r["request_id"]) for r in mine["results"]} == {("", "")}
    as_staff = staff.get("/api/v1/audit-events", {"object_type": "directory.cloudaccount"}).json()
    assert ADDRESS in {r["source_address"] for r in as_staff["results"]}
    assert customer.get("/api/v1/audit-events", {"action": "sign_in_failed"}).json()["count"] == 0


def test_audit_security_event_is_callable_by_other_apps(world):
    """E.g. a lockout recorded by whatever enforces it."""
    event = audit_security_event(action=AuditAction.LOCKOUT, actor=None, note="locked out: x@y.test")
    assert event.public is False and event.actor_label == "system" and event.hash
    with pytest.raises(ValueError):
        audit_security_event(action=AuditAction.CREATE)


def test_staff_see_an_accounts_security_events_on_its_history_page(world):
    customer = world["customer_a"]
    client_from().post("/login/", {"username": customer.email, "password": "wrong-password-2"})
    signed_in = client_from()
    signed_in.post("/login/", {"username": customer.email, "password": PASSWORD})
    signed_in.post("/logout/")
    staff = Client()
    staff.force_login(world["admin"])
    page = staff.get(reverse("directory:user_history", args=[customer.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Sign-in failed" in text and "Signed in" in text and "Signed out" in text


def test_anonymous_refused_writes_are_not_recorded(world):
    """A CSRF failure without a session costs the sender nothing: it must not grow the audit log."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ADDRESS)
    path = reverse("directory:contact_verify", args=[world["contact_a"].pk])
    assert client.post(path).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).exists()
