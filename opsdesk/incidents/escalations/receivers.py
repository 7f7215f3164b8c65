"""C7: an escalation still in force ends with its incident."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.escalations.services import escalations_close_for_incident
from opsdesk.incidents.signals import incident_closed


@receiver(incident_closed, dispatch_uid="escalations_close_for_incident")
def close_escalations(*, incident: Any, actor: Any, **_: Any) -> None:
    escalations_close_for_incident(incident=incident, actor=actor)
