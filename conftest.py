"""Test-wide fixtures. Tests run on the real SQLite or PostgreSQL (DATABASE_URL), with Huey in
immediate mode. Never use transactional_db: flushing tables would DELETE audit rows, which the
append-only triggers (L1) refuse by design; browser tests run against a separate server process."""

import pytest


@pytest.fixture
def world(db):
    from opsdesk.testing.world import build_world

    return build_world()


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
