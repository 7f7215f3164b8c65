"""The CLI (L5): `opsdesk token …` against the real API (`opsdesk serve` is tested in web/tests)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from opsdesk.core.models import ApiToken, AuditEvent
from opsdesk.core.roles import Role
from opsdesk.directory.models import User

PASSWORD = "a-long-test-password"


@pytest.fixture
def user(db):
    return User.objects.create_user("engineer@provider.test", PASSWORD, full_name="Eve Engineer",
                                    role=Role.ENGINEER)


def token(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def me(secret: str):
    return Client().get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_create_prints_a_token_that_authenticates(user):
    out, err = token("create", "--user", "Engineer@Provider.test", "--name", "ci", "--expires", "30")
    secret = out.strip()
    assert secret.startswith("opsd_") and "\n" not in secret
    assert "shown once" in err
    response = me(secret)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    stored = ApiToken.objects.get(user=user)
    assert stored.name == "ci" and secret not in (stored.digest, stored.prefix)
    assert dt.timedelta(days=29) < stored.expires_at - stored.created_at <= dt.timedelta(days=30)
    assert AuditEvent.objects.filter(object_type="core.apitoken", object_id=str(stored.pk)).exists()


def test_expired_token_is_refused(user):
    secret = token("create", "--user", user.email, "--expires", "1")[0].strip()
    assert me(secret).status_code == 200
    ApiToken.objects.filter(user=user).update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    response = me(secret)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked token."


def test_list_and_revoke(user):
    secret = token("create", "--user", user.email, "--name", "laptop")[0].strip()
    stored = ApiToken.objects.get(user=user)
    listing = token("list", "--user", user.email)[0]
    assert "laptop" in listing and stored.prefix in listing and "active" in listing
    assert secret not in listing

    assert "revoked" in token("revoke", "--id", str(stored.pk))[0]
    assert me(secret).status_code == 401
    assert "revoked" in token("list", "--user", user.email)[0]
    assert "already revoked" in token("revoke", "--id", str(stored.pk))[0]


@pytest.mark.parametrize("args, message", [
    (("create", "--user", "nobody@provider.test"), "No user with the email"),
    (("list", "--user", "nobody@provider.test"), "No user with the email"),
    (("create", "--user", "engineer@provider.test", "--expires", "0"), "between 1 and 365 days"),
    (("create", "--user", "engineer@provider.test", "--expires", "-3"), "between 1 and 365 days"),
    (("create", "--user", "engineer@provider.test", "--expires", "soon"), "not a whole number of days"),
    (("revoke", "--id", "424242"), "No API token with id 424242"),
    (("create",), "--user"),
])
def test_errors_are_command_errors(user, args, message):
    with pytest.raises(CommandError, match=message):
        token(*args)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        token("create", "--user", user.email)
