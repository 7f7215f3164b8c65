"""Tenancy-walk declarations of the shell's own pages: sign-in, password, home (see
opsdesk/testing/routes.py). Each app declares its own pages in its tests/routes.py."""

from types import SimpleNamespace
from typing import Any

from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from opsdesk.testing.routes import Route, form


def _login(w: dict[str, Any]) -> dict:
    return {"username": "nobody@example.test", "password": "wrong-password"}


def _password_change(w: dict[str, Any]) -> dict:
    new = "a-new-password-9"
    return {"old_password": "not-the-password", "new_password1": new, "new_password2": new}


ROUTES = [
    *form("web:login", _login, public=True),
    Route("ui", "web:logout", "POST", public=True),
    *form("web:password_reset", lambda w: {"email": w["customer_a"].email}, public=True),
    Route("ui", "web:password_reset_done", public=True),
    # A link with a token that is not valid: the page must say only that.
    Route(
        "ui",
        "web:password_reset_confirm",
        public=True,
        params={"uidb64": "reset_link_uid", "token": "reset_link_token"},
    ),
    *form("web:password_change", _password_change),
    Route("ui", "web:home"),
]

def world_extras(world: dict[str, Any]) -> None:
    """The reset-link page takes a user id and a token, not a world object: give it both."""
    world["reset_link_uid"] = SimpleNamespace(pk=urlsafe_base64_encode(force_bytes(world["customer_a"].pk)))
    world["reset_link_token"] = SimpleNamespace(pk="cxyz12-0123456789abcdef0123456789abcdef")
