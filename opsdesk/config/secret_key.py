"""The secret key: never a built-in one (issue 7).

A production deployment (PostgreSQL, or secure cookies on) must set OPSDESK_SECRET_KEY, and starting
without it fails. The embedded default (SQLite, plain HTTP on a laptop) needs no set-up, so it
generates a random key into the data folder on first start and reads it on every start after.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MISSING = (
    "OPSDESK_SECRET_KEY is not set. A deployment with PostgreSQL (DATABASE_URL) or "
    "OPSDESK_SECURE_COOKIES on needs its own secret key, the same in every process; make one with "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and set OPSDESK_SECRET_KEY."
)


def stored_secret_key(path: Path) -> str:
    """The key in `path`, created (mode 0600) if missing. The new key is written to a private
    temporary file and hard-linked into place, which fails if the file exists: of two processes
    starting together one wins and both read its key."""
    if not path.exists():
        key = secrets.token_urlsafe(50)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as out:
                out.write(key + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(
            f"{path} holds no usable secret key (fewer than 32 characters); remove it to have a new one "
            "generated, or set OPSDESK_SECRET_KEY."
        )
    return key


def secret_key(*, data_dir: Path, embedded: bool) -> str:
    """OPSDESK_SECRET_KEY; else, for the embedded default only, the generated key in the data folder."""
    key = os.environ.get("OPSDESK_SECRET_KEY", "").strip()
    if key:
        return key
    if not embedded:
        raise ImproperlyConfigured(MISSING)
    return stored_secret_key(data_dir / "secret_key")
