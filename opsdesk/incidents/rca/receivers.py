"""C6: closing a P1 opens its root-cause analysis."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.rca.services import rca_open_for_closed_p1
from opsdesk.incidents.signals import incident_closed


@receiver(incident_closed, dispatch_uid="rca_open_for_closed_p1")
def open_rca(*, incident: Any, actor: Any, **_: Any) -> None:
    rca_open_for_closed_p1(incident=incident, actor=actor)
