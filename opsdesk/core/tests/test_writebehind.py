"""Write-behind (core.writebehind): the bulk recomputation's writes run on a worker while the next
batch is computed; order, errors and the one-in-flight bound are what keep that safe."""

import threading
import time

import pytest
from django.db import connection, transaction

from opsdesk.core.writebehind import write_behind, write_behind_possible


def test_writes_run_on_a_worker_in_order_one_at_a_time():
    in_flight = 0
    most_in_flight = 0
    threads = set()
    lock = threading.Lock()

    def write(batch):
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        threads.add(threading.current_thread().name)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        return batch * 10

    assert write_behind(iter(range(6)), write) == [0, 10, 20, 30, 40, 50]
    assert most_in_flight == 1
    assert threads and all(name.startswith("write-behind") for name in threads)


def test_the_next_batch_is_produced_while_a_write_runs():
    events = []

    def produced():
        for n in range(3):
            events.append(f"produced {n}")
            yield n

    def write(batch):
        time.sleep(0.05)
        events.append(f"written {batch}")
        return batch

    write_behind(produced(), write)
    # Batch 1 was produced before batch 0's write finished.
    assert events.index("produced 1") < events.index("written 0")


def test_a_failed_write_stops_the_job_and_is_raised():
    produced = []

    def batches():
        for n in range(10):
            produced.append(n)
            yield n

    def write(batch):
        if batch == 1:
            raise RuntimeError("write failed")
        return batch

    with pytest.raises(RuntimeError, match="write failed"):
        write_behind(batches(), write)
    assert len(produced) <= 3  # no more than one batch beyond the failure


def test_a_failed_producer_waits_for_the_write_in_flight():
    written = []

    def batches():
        yield 1
        raise ValueError("read failed")

    def write(batch):
        time.sleep(0.05)
        written.append(batch)
        return batch

    with pytest.raises(ValueError, match="read failed"):
        write_behind(batches(), write)
    assert written == [1]


@pytest.mark.django_db
def test_only_on_postgresql_outside_a_transaction():
    # pytest-django wraps each test in a transaction: never possible here, on either database.
    assert connection.in_atomic_block
    assert not write_behind_possible()
    with transaction.atomic():
        assert not write_behind_possible()
