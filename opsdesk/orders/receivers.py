"""Orders hear what happened to their acceptance deadlines through sla's seams (README ›
Architecture): a calendar change moved one (B5), a warning or a breach came due (B6)."""

from typing import Any

from django.dispatch import receiver

from opsdesk.orders.services import DEADLINE_OWNER, order_acceptance_deadline_event, order_due_copy
from opsdesk.sla.signals import copy_when_moved, deadline_breached, deadline_warned

copy_when_moved(DEADLINE_OWNER, order_due_copy)


@receiver(deadline_warned, dispatch_uid="order_acceptance_warning")
def acceptance_warning(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type == DEADLINE_OWNER:
        order_acceptance_deadline_event(deadline=deadline, kind="warning")


@receiver(deadline_breached, dispatch_uid="order_acceptance_breach")
def acceptance_breach(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type == DEADLINE_OWNER:
        order_acceptance_deadline_event(deadline=deadline, kind="breach")
