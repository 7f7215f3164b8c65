"""H1: order references are unique under concurrency (PostgreSQL: the counter row is locked)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from opsdesk.orders import services
from opsdesk.orders.models import OrderReferenceCounter

pytestmark = [
    pytest.mark.django_db,
    # Row locks across connections are PostgreSQL's (SQLite serialises writers); `make test` runs
    # this on PostgreSQL, which CI requires.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"),
]
#: A year no other test gives references in: the workers commit on their own connections.
YEAR = 2099


def _in_thread(work):
    errors: list[BaseException] = []

    def run():
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    return run, errors


def test_concurrent_acceptances_never_share_a_reference():
    at = dt.datetime(YEAR, 6, 1, 12, tzinfo=dt.UTC)
    workers, per_worker = 6, 10
    barrier = threading.Barrier(workers)
    taken: list[str] = []
    lock = threading.Lock()

    def take():
        barrier.wait()
        for _ in range(per_worker):
            with transaction.atomic():
                reference = services._next_reference(at)
            with lock:
                taken.append(reference)

    threads, failures = [], []
    for _ in range(workers):
        run, errors = _in_thread(take)
        failures.append(errors)
        threads.append(threading.Thread(target=run))
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(failures), failures
        assert sorted(taken) == [f"ORD-{YEAR}-{n:06d}" for n in range(1, workers * per_worker + 1)]
    finally:
        run, _errors = _in_thread(lambda: OrderReferenceCounter.objects.filter(year=YEAR).delete())
        cleanup = threading.Thread(target=run)
        cleanup.start()
        cleanup.join(30)
