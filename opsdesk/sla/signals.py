"""The seams through which the owners of deadlines (incidents, escalations, RCAs, and the coming
domains) hear what happened to them, without sla importing any owner (README › Architecture).

Receivers run synchronously inside sla's transaction, so the copies they keep (an incident's
next_target_at, an RCA's due_at) and the events they record commit with the deadline or not at
all. A receiver ignores owner types that are not its own.
"""

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

#: Sent by the recomputation after a calendar change (B5), inside each batch's transaction and
#: before the deadlines themselves are written (owners are locked before deadlines, as in the
#: owners' services), with `owner_type` and `moved`: a list of `sla.deadlines.Moved` (owner_id,
#: kind, due_at, warn_at as epoch seconds). One send per owner type and batch: set-based.
deadlines_moved = Signal()



def copy_when_moved(owner: str, copy: Callable[..., None]) -> None:
    """How an owner keeps its copies of due times in step after a calendar change (B5): `copy`
    (called with `moved=`) hears deadlines_moved for the deadlines of owner type `owner` only."""

    def receive(*, owner_type: str, moved: list[Any], **_: Any) -> None:
        if owner_type == owner:
            copy(moved=moved)

    deadlines_moved.connect(receive, weak=False, dispatch_uid=f"{owner}:{copy.__name__}")


#: Sent by the sweep (B6) inside the transaction that records it, with `deadline` (warned_at set).
#: The sweep holds the deadline's row lock, so a receiver locks its owner without waiting
#: (SKIP LOCKED) and raises Postpone when the owner is busy: nothing is recorded, and the next run
#: tries again (an agent's transaction locks the owner first and the deadline second).
deadline_warned = Signal()

#: Sent by the sweep (B6) inside the transaction that records it, with `deadline` (breached_at set);
#: as deadline_warned.
deadline_breached = Signal()


class Postpone(Exception):
    """Raised by a deadline_warned / deadline_breached receiver whose owner is locked by another
    transaction: the sweep records nothing for that deadline this time."""
