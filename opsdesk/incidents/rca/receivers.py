"""C6: closing a P1 opens its root-cause analysis; B5: a calendar change that moves a report's
deadline (sla) moves its due date."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.rca.services import DEADLINE_OWNER, rca_due_at_copy, rca_open_for_closed_p1
from opsdesk.incidents.signals import incident_closed
from opsdesk.sla.signals import copy_when_moved


@receiver(incident_closed, dispatch_uid="rca_open_for_closed_p1")
def open_rca(*, incident: Any, actor: Any, **_: Any) -> None:
    rca_open_for_closed_p1(incident=incident, actor=actor)


copy_when_moved(DEADLINE_OWNER, rca_due_at_copy)
