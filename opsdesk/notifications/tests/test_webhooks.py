"""L2: signed webhooks delivered to a real HTTP server on 127.0.0.1, with retries and a dead end."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from django.utils import timezone

from opsdesk.notifications import delivery
from opsdesk.notifications.models import Channel, Notification, NotificationState
from opsdesk.notifications.services import (
    notification_enqueue,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)


def _webhook_row(org, event="incident.created"):
    rows = notification_enqueue(event=event, organisation=org, subject="P1 logged", payload={"incident": 7})
    assert [r.channel for r in rows] == [Channel.WEBHOOK]
    return rows[0]


def test_webhook_is_signed_with_the_subscription_secret(
    org_a, administrator, receiver, django_capture_on_commit_callbacks
):
    subscription = webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        row = _webhook_row(org_a)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body, headers = request["body"], request["headers"]
    expected = "sha256=" + hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Opsdesk-Signature"], expected)
    assert headers["X-Opsdesk-Event"] == "incident.created"
    assert headers["X-Opsdesk-Delivery"] == str(row.pk)
    assert headers["Content-Type"] == "application/json"
    document = json.loads(body)
    assert document["id"] == row.pk
    assert document["event"] == "incident.created"
    assert document["organisation"] == org_a.pk
    assert document["data"] == {"incident": 7}
    assert Notification.objects.get(pk=row.pk).state == NotificationState.SENT
    # A wrong secret does not verify.
    forged = "sha256=" + hmac.new(b"whsec_wrong", body, hashlib.sha256).hexdigest()
    assert headers["X-Opsdesk-Signature"] != forged


def test_a_500_is_retried_with_backoff_then_succeeds(org_a, administrator, receiver):
    webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    receiver.statuses = [500, 503]
    row = _webhook_row(org_a)
    t0 = timezone.now()

    assert delivery.deliver(row.pk, now=t0) is False
    current = Notification.objects.get(pk=row.pk)
    assert current.state == NotificationState.PENDING
    assert current.attempts == 1
    assert current.next_attempt_at == t0 + dt.timedelta(seconds=30)
    assert current.last_error == "HTTP 500"

    # Not due yet: nothing is sent, by a direct delivery or by the sweep.
    assert delivery.deliver(row.pk, now=t0 + dt.timedelta(seconds=29)) is False
    delivery.sweep(now=t0 + dt.timedelta(seconds=29))
    assert len(receiver.requests) == 1

    t1 = t0 + dt.timedelta(seconds=31)
    assert delivery.deliver(row.pk, now=t1) is False
    current = Notification.objects.get(pk=row.pk)
    assert current.attempts == 2 and current.last_error == "HTTP 503"
    assert current.next_attempt_at == t1 + dt.timedelta(seconds=60)

    t2 = t1 + dt.timedelta(seconds=61)
    assert delivery.deliver(row.pk, now=t2) is True
    current = Notification.objects.get(pk=row.pk)
    assert current.state == NotificationState.SENT and current.attempts == 3
    assert len(receiver.requests) == 3
    # Every attempt carried the same delivery id and the same signed body.
    assert {r["headers"]["X-Opsdesk-Delivery"] for r in receiver.requests} == {str(row.pk)}
    assert len({r["body"] for r in receiver.requests}) == 1


def test_the_sweep_retries_a_failed_webhook_when_it_is_due(org_a, administrator, receiver):
    webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    receiver.statuses = [500]
    row = _webhook_row(org_a)
    t0 = timezone.now()
    delivery.deliver(row.pk, now=t0)
    delivery.sweep(now=t0 + dt.timedelta(minutes=1))  # the Huey task runs in immediate mode
    assert Notification.objects.get(pk=row.pk).state == NotificationState.SENT
    assert len(receiver.requests) == 2


def test_dead_after_max_attempts(org_a, administrator, receiver, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    receiver.statuses = [500] * 10
    row = _webhook_row(org_a)
    now = timezone.now()
    for _ in range(5):
        delivery.deliver(row.pk, now=now)
        now += dt.timedelta(hours=2)
    current = Notification.objects.get(pk=row.pk)
    assert current.state == NotificationState.FAILED
    assert current.attempts == 3
    assert len(receiver.requests) == 3
    delivery.sweep(now=now + dt.timedelta(days=1))
    assert len(receiver.requests) == 3


def test_unreachable_receiver_is_a_retried_failure(org_a, administrator, settings):
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE = True  # a local address, on purpose
    webhook_subscription_create(actor=administrator, organisation=org_a, url="http://127.0.0.1:9/nothing")
    row = _webhook_row(org_a)
    assert delivery.deliver(row.pk) is False
    current = Notification.objects.get(pk=row.pk)
    assert current.state == NotificationState.PENDING and current.last_error == "connection refused"


def test_subscriptions_match_by_organisation_and_event(org_a, org_b, administrator):
    provider_wide = webhook_subscription_create(actor=administrator, url="https://hooks.example.test/all")
    alpha_incidents = webhook_subscription_create(
        actor=administrator,
        organisation=org_a,
        url="https://hooks.example.test/a",
        event_types=["incident.created"],
    )
    webhook_subscription_create(actor=administrator, organisation=org_b, url="https://hooks.example.test/b")
    webhook_subscription_create(
        actor=administrator, organisation=org_a, url="https://hooks.example.test/off", active=False
    )

    rows = notification_enqueue(event="incident.created", organisation=org_a)
    assert sorted(r.subscription_id for r in rows) == sorted([provider_wide.pk, alpha_incidents.pk])
    rows = notification_enqueue(event="change.approved", organisation=org_a)
    assert [r.subscription_id for r in rows] == [provider_wide.pk]
    rows = notification_enqueue(event="provider.digest")
    assert [r.subscription_id for r in rows] == [provider_wide.pk]


def test_inactive_or_deleted_subscription_is_dead_without_retry(org_a, administrator, receiver):
    subscription = webhook_subscription_create(actor=administrator, organisation=org_a, url=receiver.url)
    first = _webhook_row(org_a)
    second = _webhook_row(org_a)
    subscription = webhook_subscription_update(actor=administrator, subscription=subscription, active=False)
    assert delivery.deliver(first.pk) is False
    assert Notification.objects.get(pk=first.pk).state == NotificationState.FAILED
    webhook_subscription_delete(actor=administrator, subscription=subscription)
    assert delivery.deliver(second.pk) is False
    current = Notification.objects.get(pk=second.pk)
    assert current.state == NotificationState.FAILED and current.subscription_id is None
    assert "deleted" in current.last_error
    assert receiver.requests == []
