"""C7: an escalation still in force ends with its incident; B5: a calendar change that moves an
escalation's deadlines (sla) moves its targets."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.escalations.services import (
    DEADLINE_OWNER,
    escalation_due_copy,
    escalations_close_for_incident,
)
from opsdesk.incidents.signals import incident_closed
from opsdesk.sla.signals import copy_when_moved


@receiver(incident_closed, dispatch_uid="escalations_close_for_incident")
def close_escalations(*, incident: Any, actor: Any, **_: Any) -> None:
    escalations_close_for_incident(incident=incident, actor=actor)


copy_when_moved(DEADLINE_OWNER, escalation_due_copy)
