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


def unregister(kind: str) -> None:
    _HANDLERS.pop(kind, None)


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
