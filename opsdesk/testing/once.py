"""Test data made once for a whole test module, as Django's `TestCase.setUpTestData` does: inside a
transaction opened before the module's first test that needs it and rolled back after its last.
Each test runs in a savepoint of it (pytest-django's `db`), rolled back after the test, so every
test starts from the same data; `fresh` gives each test its own copies of the objects, so what one
test changes on them in memory the next does not see. The transaction stays open until the
module's last test, so the module's other database tests after the first that used it see its rows
too: use it in modules whose tests all use the data (or do not mind it)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from opsdesk.core.tenancy import UNRESTRICTED


@contextmanager
def rolled_back(django_db_blocker: Any) -> Iterator[None]:
    """A transaction held open across the block and rolled back at its end. The database stays
    blocked in between, except where a test asks for it (`db`) as usual."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def fresh(data: dict[str, Any]) -> dict[str, Any]:
    """The test's own copy of data made once (model instances included, as setUpTestData's). The
    tenancy sentinel a user caches (core.tenancy.UNRESTRICTED, compared with `is`) stays itself."""
    return copy.deepcopy(data, {id(UNRESTRICTED): UNRESTRICTED})
