"""A fully migrated SQLite file, made once per test run and copied for every real process the
tests start (the browser flows' demo server, `opsdesk serve`).

Migrating a fresh database costs about 20 s of CPU (Django renders the state of every one of the
project's migrations); paid once per server per xdist worker, it was a large part of `make test`.
The workers of one run share the file through an exclusive lock: the first migrates, the others
wait for it and copy."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _template_dir(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"opsdesk-migrated-{run_id}"


def migrated_sqlite(dest: Path, run_id: str) -> Path:
    """Copy the run's migrated database to `dest` (made on first use) and return `dest`."""
    directory = _template_dir(run_id)
    directory.mkdir(exist_ok=True)
    template = directory / "migrated.sqlite3"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            partial = directory / "partial.sqlite3"
            partial.unlink(missing_ok=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST"))}
            env.pop("OPSDESK_TESTING", None)
            env.update(DATABASE_URL=f"sqlite:///{partial}", OPSDESK_DATA_DIR=str(directory))
            subprocess.run(
                [sys.executable, "-m", "opsdesk", "migrate", "--no-input", "-v0"],
                env=env, cwd=ROOT, check=True, capture_output=True, timeout=600,
            )
            os.replace(partial, template)
    shutil.copyfile(template, dest)
    return dest


def forget_migrated_sqlite(run_id: str) -> None:
    shutil.rmtree(_template_dir(run_id), ignore_errors=True)
