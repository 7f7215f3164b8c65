"""Which handler processes which kind of delivery (issue 12): the seam between the inbox and the
domains that act on what arrives (alerts, maintenance's Health notices…).

The inbox sits below the domains and never imports one. A domain offers a handler (a function of one
`Delivery`, raising to fail it); the shell registers it at start-up (web/apps.py ready()):

    inbox.registry.register("cloudwatch.alarm", alerts.services.alarm_from_delivery)

A delivery whose kind has no handler is `unrouted`: kept, listed, and re-processable once one is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any], None]

_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """One handler per kind; registering the same handler again is harmless (ready() may run twice)."""
    current = _HANDLERS.get(kind)
    if current is not None and current is not handler:
        raise ValueError(f"A handler for {kind!r} is already registered: {current!r}.")
    _HANDLERS[kind] = handler


BatchHandler = Callable[[list[Any]], list[Any]]
_BATCH_HANDLERS: dict[str, BatchHandler] = {}


def register_batch(kind: str, handler: BatchHandler) -> None:
    """Optionally, a handler of several deliveries of `kind` at once (received order), for kinds
    that arrive in storms (alarms): it takes those it can do in a few writes (returning them) with
    the same result the one-by-one handler would leave, and the inbox processes the rest one by one.
    It is all or nothing: when it raises, every delivery is processed one by one instead."""
    _BATCH_HANDLERS[kind] = handler


def unregister(kind: str) -> None:
    _HANDLERS.pop(kind, None)
    _BATCH_HANDLERS.pop(kind, None)


def batch_handler_for(kind: str) -> BatchHandler | None:
    return _BATCH_HANDLERS.get(kind)


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)


# --- intake checks ----------------------------------------------------------------------------

Check = Callable[[bytes, Any], None]
_CHECKS: dict[str, Check] = {}


def register_check(kind: str, check: Check) -> None:
    """A check an intake runs on a body of `kind` before storing it (`check(body, organisation_id)`,
    raising core.errors.ValidationFailed naming the field): a sender whose payload can never be
    processed is told at once (400) instead of finding a failed delivery later."""
    _CHECKS[kind] = check


def check_for(kind: str) -> Check | None:
    return _CHECKS.get(kind)
