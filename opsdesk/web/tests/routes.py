"""Tenancy-walk declarations of the shell's own pages: sign-in, password, home (see
opsdesk/testing/routes.py). Each app declares its own pages in its tests/routes.py."""

from types import SimpleNamespace
from typing import Any

from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from opsdesk.testing.routes import Route

ROUTES = [
    Route("ui", "web:login", public=True),
    Route(
        "ui",
        "web:login",
        "POST",
        public=True,
        body=lambda w: {"username": "nobody@example.test", "password": "wrong-password"},
    ),
    Route("ui", "web:logout", "POST", public=True),
    Route("ui", "web:password_reset", public=True),
    Route(
        "ui",
        "web:password_reset",
        "POST",
        public=True,
        body=lambda w: {"email": w["customer_a"].email},
    ),
    Route("ui", "web:password_reset_done", public=True),
    # A link with a token that is not valid: the page must say only that.
    Route(
        "ui",
        "web:password_reset_confirm",
        public=True,
        params={"uidb64": "reset_link_uid", "token": "reset_link_token"},
    ),
    Route("ui", "web:password_change"),
    Route(
        "ui",
        "web:password_change",
        "POST",
        body=lambda w: {
            "old_password": "not-the-password",
            "new_password1": "a-new-password-9",
            "new_password2": "a-new-password-9",
        },
    ),
    Route("ui", "web:home"),
]


def world_extras(world: dict[str, Any]) -> None:
    """The reset-link page takes a user id and a token, not a world object: give it both."""
    world["reset_link_uid"] = SimpleNamespace(pk=urlsafe_base64_encode(force_bytes(world["customer_a"].pk)))
    world["reset_link_token"] = SimpleNamespace(pk="cxyz12-0123456789abcdef0123456789abcdef")
