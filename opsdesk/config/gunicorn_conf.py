"""gunicorn's configuration for opsdesk: threaded workers, a real listen backlog, bounded database use.

Used by `opsdesk serve` and by a hand-run gunicorn alike (README, "Scaling out"):

    gunicorn --config python:opsdesk.config.gunicorn_conf --bind 0.0.0.0:8000 opsdesk.config.wsgi

Why threads (gthread) and these numbers: each worker process runs a fixed pool of
OPSDESK_WEB_THREADS threads, and Django keeps at most one database connection per thread (reused for
OPSDESK_DB_CONN_MAX_AGE seconds). So the connections the web server can hold are bounded:

    web connections  = OPSDESK_WEB_WORKERS × OPSDESK_WEB_THREADS
    all connections  = web connections + OPSDESK_WORKER_THREADS (per `opsdesk worker` process)

Requests beyond the threads wait in the listen backlog and the workers' queues instead of being reset
(Django's development server had a backlog of 10 and a thread, hence a connection, per request).

SQLite: one worker process by default (the WAL database is shared safely by several processes, but
one writer at a time; threads are enough for `make run`). PostgreSQL: two by default.
"""

from __future__ import annotations

import os

#: The listen queue: connections the kernel holds while every thread is busy.
BACKLOG = 2048
DEFAULT_THREADS = 8


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}.")
    if not 1 <= value <= 256:
        raise ValueError(f"{name} must be between 1 and 256, not {value}.")
    return value


def uses_sqlite() -> bool:
    return os.environ.get("DATABASE_URL", "sqlite:").strip().lower().startswith("sqlite")


def web_workers() -> int:
    return _positive_int("OPSDESK_WEB_WORKERS", 1 if uses_sqlite() else 2)


def web_threads() -> int:
    return _positive_int("OPSDESK_WEB_THREADS", DEFAULT_THREADS)


def web_connection_bound() -> int:
    """Most database connections the web server holds: one per thread of every worker process."""
    return web_workers() * web_threads()


# --- the settings gunicorn reads (names are gunicorn's) -------------------------------------------

wsgi_app = "opsdesk.config.wsgi:application"
worker_class = "gthread"
workers = web_workers()
threads = web_threads()
backlog = BACKLOG
timeout = 30
graceful_timeout = 8  # below `opsdesk serve`'s 10 s grace, so a stop is graceful, not a kill
keepalive = 5
# Errors and gunicorn's own messages on stderr, at opsdesk's level; every request is already logged
# once by RequestLogMiddleware, so gunicorn's access log is off unless OPSDESK_WEB_ACCESS_LOG names a
# file ("-" for stdout).
errorlog = "-"
loglevel = os.environ.get("OPSDESK_LOG_LEVEL", "info").lower()
accesslog = os.environ.get("OPSDESK_WEB_ACCESS_LOG") or None
proc_name = "opsdesk-web"
# gunicorn ≥ 25 opens a control socket in ~/.gunicorn by default; several servers on one machine
# would fight over it, and opsdesk does not use it (older gunicorns ignore this name).
control_socket_disable = True
