"""`opsdesk token create|list|revoke`: API tokens from the shell (L3, L5), e.g. for scripts and CI.

`create` writes the secret alone on stdout (so `TOKEN=$(opsdesk token create --user …)` works) and
its details on stderr; the secret is never shown again. The shell has no signed-in user, so the
audit log records these as done by "system".
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from opsdesk.core.errors import ApplicationError
from opsdesk.core.models import ApiToken
from opsdesk.core.tokens import expiry_problem, token_create, token_revoke


def expiry_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of days.")
    problem = expiry_problem(days)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem[0].lower()}{problem[1:-1]}, not {days}.")
    return days


def _user(email: str) -> Any:
    """The user with this email; core reaches the user model through settings.AUTH_USER_MODEL."""
    user = get_user_model().objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No user with the email {email!r}.")
    return user


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


class Command(BaseCommand):
    # A tool for people and scripts: the system checks (which import every URL and API schema)
    # would triple its start-up time; `opsdesk check` and `serve` run them.
    requires_system_checks = []
    help = "Create, list and revoke API tokens (Authorization: Bearer <token>)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{create,list,revoke}", required=True)
        create = sub.add_parser("create", help="Create a token for a user and print it once.")
        create.add_argument("--user", required=True, metavar="EMAIL",
                            help="Email of the user the token acts as.")
        create.add_argument("--expires", type=expiry_days, metavar="DAYS",
                            help=f"Expire after this many days (default {settings.TOKEN_DEFAULT_DAYS}, "
                                 f"at most {settings.TOKEN_MAX_DAYS}).")
        create.add_argument("--name", default="", help="A label, e.g. where the token is used.")
        listing = sub.add_parser("list", help="List a user's tokens (never their secrets).")
        listing.add_argument("--user", required=True, metavar="EMAIL")
        revoke = sub.add_parser("revoke", help="Revoke a token at once.")
        revoke.add_argument("--id", required=True, type=int, dest="token_id", metavar="N",
                            help="The token id shown by `opsdesk token list`.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.detail)

    def _create(self, options: dict[str, Any]) -> None:
        user = _user(options["user"])
        token, secret = token_create(actor=None, user=user, name=options["name"],
                                     expires_in_days=options["expires"])
        self.stderr.write(
            f"Token {token.pk} for {user.email} (expires {_when(token.expires_at)}). "
            "It is shown once; store it now:"
        )
        self.stdout.write(secret)

    def _list(self, options: dict[str, Any]) -> None:
        user = _user(options["user"])
        tokens = list(ApiToken.objects.filter(user=user).order_by("created_at", "pk"))
        if not tokens:
            self.stdout.write(f"{user.email} has no API tokens.")
            return
        rows = [("ID", "Name", "Prefix", "Created", "Expires", "Last used", "Status")]
        rows += [
            (str(t.pk), t.name or "-", t.prefix + "…", _when(t.created_at), _when(t.expires_at),
             _when(t.last_used_at), _status(t))
            for t in tokens
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    def _revoke(self, options: dict[str, Any]) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=options["token_id"]).first()
        if token is None:
            raise CommandError(f"No API token with id {options['token_id']}.")
        if token.revoked_at is not None:
            self.stdout.write(f"Token {token.pk} of {token.user.email} was already revoked.")
            return
        token_revoke(actor=None, token=token)
        self.stdout.write(f"Token {token.pk} of {token.user.email} revoked.")
