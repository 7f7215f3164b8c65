"""Write-behind for bulk jobs on PostgreSQL: while a worker thread (its own connection, its own
transactions) writes batch k, the caller reads and computes batch k+1 on its connection. A bulk
recomputation then costs about the larger of (read + compute) and write instead of their sum; the
two PostgreSQL sessions run on separate cores.

Only where it is safe: PostgreSQL (SQLite has a single writer) and outside a transaction (another
connection could not see the caller's uncommitted rows). Writes must not depend on each other's
order beyond the one kept here (at most one batch in flight, results in order), and must guard
themselves against concurrent change (e.g. by version), as reads and writes are no longer in one
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

B = TypeVar("B")
R = TypeVar("R")


def write_behind_possible(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def write_behind(batches: Iterable[B], write: Callable[[B], R]) -> list[R]:
    """[write(batch) for batch in batches], each write in one worker thread while the next batch
    is produced by the caller. An exception in either side stops the job and is raised here after
    the write in flight has finished."""
    results: list[R] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-behind") as pool:
        pending: Future[R] | None = None
        try:
            for batch in batches:
                if pending is not None:
                    results.append(pending.result())
                pending = pool.submit(write, batch)
            if pending is not None:
                results.append(pending.result())
                pending = None
        finally:
            if pending is not None:
                pending.exception()  # wait: never leave a write running behind an error
            pool.submit(connections.close_all).result()
    return results
