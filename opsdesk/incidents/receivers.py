"""Incidents hear what happened to their deadlines through sla's seams (README › Architecture):
a calendar change moved them (B5), a warning or a breach came due (B6)."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.choices import SlaEventKind
from opsdesk.incidents.services import DEADLINE_OWNER, incident_sla_event_record, incident_targets_copy
from opsdesk.sla.signals import copy_when_moved, deadline_breached, deadline_warned

copy_when_moved(DEADLINE_OWNER, incident_targets_copy)


@receiver(deadline_warned, dispatch_uid="incident_sla_warning")
def record_warning(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type == DEADLINE_OWNER:
        incident_sla_event_record(deadline=deadline, kind=SlaEventKind.WARNING)


@receiver(deadline_breached, dispatch_uid="incident_sla_breach")
def record_breach(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type == DEADLINE_OWNER:
        incident_sla_event_record(deadline=deadline, kind=SlaEventKind.BREACH)
