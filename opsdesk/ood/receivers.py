"""Engagements hear what happened to their start deadline through sla's seams (README ›
Architecture): a calendar change moved it (B5), its warning or breach came due (B6)."""

from typing import Any

from django.dispatch import receiver

from opsdesk.ood.services import DEADLINE_OWNER, engagement_start_due_copy, engagement_start_missed
from opsdesk.sla.signals import copy_when_moved, deadline_breached, deadline_warned

copy_when_moved(DEADLINE_OWNER, engagement_start_due_copy)


@receiver(deadline_warned, dispatch_uid="ood_engagement_start_warning")
def start_warning(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type == DEADLINE_OWNER:
        engagement_start_missed(deadline=deadline, breached=False)


@receiver(deadline_breached, dispatch_uid="ood_engagement_start_breach")
def start_breach(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type == DEADLINE_OWNER:
        engagement_start_missed(deadline=deadline, breached=True)
