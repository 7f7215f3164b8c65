"""L2: the outbox loses nothing on a crash and sends nothing twice; rollbacks send nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.notifications import delivery, tasks
from opsdesk.notifications.models import Notification, NotificationState
from opsdesk.notifications.services import notification_enqueue, webhook_subscription_create


def _enqueue_one(org, **extra):
    rows = notification_enqueue(
        event="incident.created",
        organisation=org,
        recipients=["duty@alpha.test"],
        subject="P1 incident logged",
        body="An incident was logged.",
        payload={"incident": 42},
        **extra,
    )
    assert len(rows) == 1
    return rows[0]


def _state(row: Notification) -> Notification:
    return Notification.objects.get(pk=row.pk)


def test_crash_before_send_is_recovered_and_sent_exactly_once(org_a, settings):
    """THE crash test: a worker claims, dies before sending; after the lease the sweep recovers it."""
    row = _enqueue_one(org_a)  # inside the test's transaction: no on-commit hand-off happens
    t0 = timezone.now()

    stale = delivery.claim(row.pk, now=t0)  # a worker takes it ... and is killed before sending
    assert stale is not None and stale.claim_token is not None
    assert _state(row).state == NotificationState.SENDING
    assert delivery.claim(row.pk, now=t0) is None  # nobody else can take it while the lease holds

    # Before the lease ends the sweep leaves it alone.
    delivery.sweep(now=t0 + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS - 1))
    assert _state(row).state == NotificationState.SENDING
    assert len(mail.outbox) == 0

    after_lease = t0 + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    delivery.sweep(now=after_lease)
    delivery.deliver(row.pk, now=after_lease)
    assert len(mail.outbox) == 1
    current = _state(row)
    assert current.state == NotificationState.SENT
    assert current.attempts == 2
    assert current.sent_at is not None

    # Running everything again sends nothing more.
    later = after_lease + dt.timedelta(hours=2)
    delivery.sweep(now=later)
    delivery.deliver(row.pk, now=later)
    tasks.deliver_notification(row.pk)
    assert len(mail.outbox) == 1

    # The killed worker wakes up with its old claim: it can neither send nor mark.
    assert delivery.send_claimed(row.pk, stale.claim_token) is False
    assert delivery.mark_sent(row.pk, stale.claim_token) is False
    assert delivery.mark_failed(stale, "late failure") is False
    assert len(mail.outbox) == 1
    assert _state(row).state == NotificationState.SENT
    assert _state(row).sent_at == current.sent_at


def test_stale_claim_cannot_mark_a_row_reclaimed_by_another_worker(org_a, settings):
    row = _enqueue_one(org_a)
    t0 = timezone.now()
    first = delivery.claim(row.pk, now=t0)
    delivery.requeue_expired(now=t0 + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    second = delivery.claim(row.pk, now=t0 + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 2))
    assert second is not None and second.claim_token != first.claim_token
    assert delivery.mark_sent(row.pk, first.claim_token) is False
    assert delivery.send_claimed(row.pk, first.claim_token) is False
    assert len(mail.outbox) == 0
    assert delivery.send_claimed(row.pk, second.claim_token) is True
    assert len(mail.outbox) == 1


def test_email_is_sent_on_commit_with_a_stable_message_id(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = _enqueue_one(org_a)
        assert len(mail.outbox) == 0  # nothing leaves before the cause commits
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["duty@alpha.test"]
    assert message.subject == "P1 incident logged"
    assert message.extra_headers["Message-ID"] == f"<opsdesk-notification-{row.pk}@localhost>"
    assert message.extra_headers["X-Opsdesk-Delivery"] == str(row.pk)
    assert delivery.message_id(row) == message.extra_headers["Message-ID"]  # the same on every attempt
    assert _state(row).state == NotificationState.SENT


def test_rolled_back_notifications_are_never_sent(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                _enqueue_one(org_a)
                raise RuntimeError("the cause failed")
    assert callbacks == []
    assert Notification.objects.count() == 0
    delivery.sweep(now=timezone.now() + dt.timedelta(days=1))
    assert len(mail.outbox) == 0


def test_a_repeated_dedup_key_makes_no_second_row(org_a, administrator, django_capture_on_commit_callbacks):
    webhook_subscription_create(actor=administrator, organisation=org_a, url="https://hooks.example.test/x")
    alarm = {
        "event": "alarm.received",
        "organisation": org_a,
        "recipients": ["a@alpha.test", "b@alpha.test"],
        "subject": "Alarm",
        "body": "",
        "dedup_key": "sns:1f2e",
    }
    with django_capture_on_commit_callbacks() as callbacks:
        first = notification_enqueue(**alarm)
        again = notification_enqueue(**alarm)
    assert len(first) == 3  # two emails and one webhook
    assert sorted(r.pk for r in again) == sorted(r.pk for r in first)
    assert Notification.objects.count() == 3
    assert len(callbacks) == 3  # only the first call scheduled deliveries
    other = notification_enqueue(
        event="alarm.received", organisation=org_a, recipients=["a@alpha.test"], dedup_key="sns:9a9a"
    )
    assert len(other) == 2 and Notification.objects.count() == 5  # another key is another event
    # Without a key nothing is de-duplicated.
    notification_enqueue(event="alarm.received", organisation=org_a, recipients=["a@alpha.test"])
    notification_enqueue(event="alarm.received", organisation=org_a, recipients=["a@alpha.test"])
    assert Notification.objects.count() == 9


def test_enqueue_validates_its_input(org_a):
    with pytest.raises(ValidationFailed):
        notification_enqueue(event="x", organisation=org_a, recipients=["not-an-address"])
    with pytest.raises(ValidationFailed):
        notification_enqueue(event="", organisation=org_a, recipients=["a@alpha.test"])
    rows = notification_enqueue(
        event="x", organisation=org_a, recipients=["A@Alpha.test", "a@alpha.test"], subject="two\r\nlines"
    )
    assert len(rows) == 1 and rows[0].recipient == "a@alpha.test"
    assert rows[0].subject == "two lines"  # no header injection, and no row that can never send


def test_reply_to_is_stored_and_every_attempt_carries_it(org_a, settings):
    """The caller's Reply-To is kept on the row: a resend after a crash carries the same header."""
    row = _enqueue_one(org_a, reply_to="incident+7.0123456789abcdef@alpha.test")
    assert _state(row).reply_to == "incident+7.0123456789abcdef@alpha.test"
    t0 = timezone.now()
    delivery.deliver(row.pk, now=t0)  # sent, but the worker dies before it can mark the row
    Notification.objects.filter(pk=row.pk).update(state=NotificationState.SENDING, lease_until=t0)
    delivery.sweep(now=t0 + dt.timedelta(seconds=1))
    delivery.deliver(row.pk, now=t0 + dt.timedelta(seconds=1))
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.reply_to == ["incident+7.0123456789abcdef@alpha.test"]
        assert message.message()["Reply-To"] == "incident+7.0123456789abcdef@alpha.test"
    assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]


def test_without_reply_to_answers_go_to_the_sender(org_a):
    row = _enqueue_one(org_a)
    delivery.deliver(row.pk)
    assert mail.outbox[0].reply_to == [] and mail.outbox[0].message()["Reply-To"] is None


@pytest.mark.parametrize("bad", ["not-an-address", "a@alpha.test\r\nBcc: x@evil.test", "a\x00@alpha.test"])
def test_a_bad_reply_to_is_refused_naming_the_field(org_a, bad):
    with pytest.raises(ValidationFailed) as caught:
        _enqueue_one(org_a, reply_to=bad)
    assert [e["field"] for e in caught.value.errors] == ["reply_to"]
    assert Notification.objects.count() == 0


def test_backoff_is_exponential_and_capped():
    assert [delivery.backoff(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert delivery.backoff(50) == dt.timedelta(hours=1)


def test_sweep_hands_out_due_rows_only_and_batches_skip_claimed_rows(org_a):
    due = _enqueue_one(org_a)
    future = _enqueue_one(org_a)
    now = timezone.now()
    Notification.objects.filter(pk=future.pk).update(next_attempt_at=now + dt.timedelta(minutes=5))
    handed = []
    assert delivery.sweep(now=now, dispatch=lambda pk, token: handed.append((pk, token))) == 1
    assert [pk for pk, _ in handed] == [due.pk]
    assert delivery.claim_batch(now=now) == []  # already claimed by the sweep
    assert delivery.send_claimed(*handed[0]) is True
    assert len(mail.outbox) == 1
    assert [r.pk for r in delivery.claim_batch(now=now + dt.timedelta(minutes=6))] == [future.pk]


def test_a_lease_expiring_on_the_last_attempt_is_dead(org_a, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    row = _enqueue_one(org_a)
    t0 = timezone.now()
    delivery.claim(row.pk, now=t0)
    delivery.sweep(now=t0 + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    current = _state(row)
    assert current.state == NotificationState.FAILED
    assert "lease expired" in current.last_error
    assert len(mail.outbox) == 0


def test_periodic_tasks_run(org_a, administrator):
    from opsdesk.core.models import IdempotencyKey

    row = _enqueue_one(org_a)
    tasks.outbox_sweep()  # enqueued and run at once: Huey is in immediate mode in tests
    assert _state(row).state == NotificationState.SENT
    old = IdempotencyKey.objects.create(user=administrator, key="old", fingerprint="f")
    fresh = IdempotencyKey.objects.create(user=administrator, key="fresh", fingerprint="f")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    tasks.idempotency_keys_purge()
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_payload_may_carry_datetimes(org_a):
    at = timezone.now()
    row = notification_enqueue(
        event="sla.breached", organisation=org_a, recipients=["a@alpha.test"], payload={"due_at": at}
    )[0]
    assert _state(row).payload == {"due_at": DjangoJSONEncoder().default(at)}
