"""Two workers at once (issue 9 item 1, "a dead worker loses none" and nobody is paged twice): two
real threads, each with its own PostgreSQL connection, claim and run the same due pages at the
same moment (a claim/run loop like the Huey task's, and the minute sweep); every page's step is
delivered exactly once, in the outbox and in who-it-was-sent-to.

PostgreSQL only: the claim's row locks (SELECT ... FOR UPDATE SKIP LOCKED) are what is tested,
and SQLite has none (it serialises writers, and its in-memory test database is one connection).

The test commits for real (transaction=True) so the threads see its rows. `available_apps` limits
the flush after it to on-call's and the outbox's tables: the audit log is append-only and refuses
TRUNCATE (core migration 0004), and the other apps' seeded rows stay. The two staff users it makes
are removed by the fixture; nothing it writes is audited."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from opsdesk.directory.models import User
from opsdesk.notifications.models import Channel, Notification
from opsdesk.oncall import services
from opsdesk.oncall.choices import PageCause
from opsdesk.oncall.models import EscalationPolicy, Page, PageRecipient, Team

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's row locks (FOR UPDATE SKIP LOCKED); SQLite has one writer and no row locks",
    ),
    pytest.mark.django_db(transaction=True, available_apps=["opsdesk.oncall", "opsdesk.notifications"]),
]

PAGES = 24
#: Pages a worker claims at a time in the claim/run loop: small, so the two workers interleave.
CLAIM_BATCH = 3


EMAILS = ("race-first@provider.test", "race-second@provider.test")


def _clean() -> None:
    """What the test committed outside the flushed tables, and the rows that protect it."""
    PageRecipient.objects.all().delete()
    Notification.objects.all().delete()
    Page.objects.all().delete()
    EscalationPolicy.objects.all().delete()
    Team.objects.all().delete()
    User.objects.filter(email__in=EMAILS).delete()


@pytest.fixture
def due_pages():
    """Two staff, a team, the default policy (the first, wait 10 min, the second) and PAGES pages
    whose first step is due now, committed."""
    try:
        first, second = (
            User.objects.create_user(email, "x" * 16, full_name=name, role="engineer")
            for email, name in zip(EMAILS, ("Ray First", "Rae Second"), strict=True)
        )
        policy = EscalationPolicy.objects.create(
            name="Race default",
            team=Team.objects.create(name="Race"),
            steps=[
                {"action": "notify_user", "user": first.pk},
                {"action": "wait", "minutes": 10},
                {"action": "notify_user", "user": second.pk},
            ],
            is_default=True,
        )
        now = timezone.now()
        pages = Page.objects.bulk_create(
            Page(
                source_type="incident",
                source_id=900_000 + n,
                incident_id=900_000 + n,
                cause=PageCause.NEW_INCIDENT,
                title=f"INC-{900_000 + n} P1 down",
                policy=policy,
                raised_at=now,
                next_step_at=now,
            )
            for n in range(PAGES)
        )
        yield {"now": now, "pages": pages, "first": first, "second": second}
    finally:
        _clean()


def claim_and_run(now: dt.datetime, claimed: list[int]) -> int:
    """A worker's loop: claim a few due pages, run them, until none is left to claim."""
    paged = 0
    while claims := services.pages_claim(now=now, limit=CLAIM_BATCH):
        for pk, token in claims:
            claimed.append(pk)
            paged += services.page_run(page_id=pk, token=token, now=now)
    return paged


def sweep(now: dt.datetime, claimed: list[int]) -> int:
    return services.pages_sweep(now=now)


def race(*workers, now: dt.datetime) -> tuple[list[int], list[list[int]]]:
    """Run the workers in two threads, released together; each thread has its own connection."""
    start = threading.Barrier(len(workers))
    paged: list[int] = [0] * len(workers)
    claimed: list[list[int]] = [[] for _ in workers]
    errors: list[BaseException] = []

    def run(i: int, worker) -> None:
        try:
            start.wait(timeout=30)
            paged[i] = worker(now, claimed[i])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return paged, claimed


def delivered(person: User) -> Counter:
    """Per page: how many emails the outbox holds for this person, and how many sendings."""
    emails = Notification.objects.filter(event="oncall.page", channel=Channel.EMAIL, recipient=person.email)
    return Counter(n.payload["page"] for n in emails)


def sent_to(person: User) -> Counter:
    return Counter(PageRecipient.objects.filter(user=person).values_list("page_id", flat=True))


def test_two_workers_claiming_and_running_the_same_pages_deliver_each_step_once(due_pages):
    now, pages = due_pages["now"], due_pages["pages"]
    first, second = due_pages["first"], due_pages["second"]
    every = {p.pk: 1 for p in pages}

    # The first step, due now: both workers run the claim/run loop at the same moment.
    paged, claimed = race(claim_and_run, claim_and_run, now=now)
    assert sum(paged) == PAGES
    assert not set(claimed[0]) & set(claimed[1]), "a page was claimed by both workers"
    assert sorted(claimed[0] + claimed[1]) == sorted(every)
    assert sent_to(first) == every and delivered(first) == every
    assert not sent_to(second)

    # Ten minutes on, the second step: a claim/run worker and the minute sweep at once.
    paged, claimed = race(claim_and_run, sweep, now=now + dt.timedelta(minutes=10))
    assert sum(paged) == PAGES
    assert sent_to(second) == every and delivered(second) == every
    assert sent_to(first) == every and delivered(first) == every  # nobody paged again

    # Then two sweeps at once, and two more claim/run loops: nothing is left to send.
    later = now + dt.timedelta(minutes=30)
    assert race(sweep, sweep, now=later)[0] == [0, 0]
    assert race(claim_and_run, claim_and_run, now=later)[0] == [0, 0]
    assert Notification.objects.filter(event="oncall.page", channel=Channel.EMAIL).count() == 2 * PAGES
    assert PageRecipient.objects.count() == 2 * PAGES
    # Each page was claimed once per step, by one worker.
    assert set(Page.objects.values_list("attempts", flat=True)) == {2}
