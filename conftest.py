"""Test-wide fixtures. Tests run on the real SQLite or PostgreSQL (DATABASE_URL), with Huey in
immediate mode. Never use transactional_db: flushing tables would DELETE audit rows, which the
append-only triggers (L1) refuse by design; browser tests run against a separate server process."""

import uuid

import pytest

from opsdesk.testing.databases import forget_migrated_sqlite, migrated_sqlite


def pytest_configure(config):
    """One id per test run, shared by the xdist workers (xdist hands the controller's
    --testrunuid to each): it names the run's migrated SQLite file (opsdesk/testing/databases.py)."""
    if hasattr(config, "workerinput"):
        config.opsdesk_run_id = config.workerinput["testrunuid"]
        return
    config.opsdesk_run_id = getattr(config.option, "testrunuid", None) or uuid.uuid4().hex
    if hasattr(config.option, "testrunuid"):
        config.option.testrunuid = config.opsdesk_run_id


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        forget_migrated_sqlite(config.opsdesk_run_id)


@pytest.fixture(scope="session")
def migrated_sqlite_copy(request):
    """Copies a fully migrated SQLite database to a path, for a real server process to use."""
    return lambda dest: migrated_sqlite(dest, request.config.opsdesk_run_id)


@pytest.fixture
def world(db):
    from opsdesk.testing.world import build_world

    return build_world()


@pytest.fixture(scope="module")
def _world_with_extras_once(django_db_setup, django_db_blocker):
    from opsdesk.testing import walk
    from opsdesk.testing.once import rolled_back
    from opsdesk.testing.world import build_world

    with rolled_back(django_db_blocker):
        with django_db_blocker.unblock():
            world = build_world()
            walk.apply_world_extras(world)
        yield world


@pytest.fixture
def world_with_extras(_world_with_extras_once, db):
    """The `world` with every routes module's `world_extras` (the objects the tenancy walk calls its
    routes on: incidents, changes, orders in each state...). Building them costs seconds of CPU, so
    they are built once per test module (opsdesk/testing/once.py); each test gets its own copy of the
    objects and its database changes are rolled back after it. Do not use with `world` in one test."""
    from opsdesk.testing.once import fresh

    return fresh(_world_with_extras_once)


@pytest.fixture
def admin(world):
    return world["admin"]


#: The password of the people the fixtures below make (no test signs in with it: they force_login).
PASSWORD = "fixture-password-1"


@pytest.fixture
def administrator(db):
    """A provider administrator, for tests that do not need the whole `world`."""
    from opsdesk.directory.models import User

    return User.objects.create_user(
        "admin@provider.test", PASSWORD, full_name="Ada Admin", role="administrator"
    )


@pytest.fixture
def engineer(db):
    """A provider engineer (no management permissions)."""
    from opsdesk.directory.models import User

    return User.objects.create_user("eng@provider.test", PASSWORD, full_name="Eve Engineer", role="engineer")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the API rate-limit counters (issue 7) are keyed by user
    id and client address, which repeat from test to test, so counts must not carry over."""
    from django.core.cache import cache

    cache.clear()
    yield
