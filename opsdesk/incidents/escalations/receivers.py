"""C7: an escalation still in force ends with its incident; B5: a calendar change that moves an
escalation's deadlines (sla) moves its targets; issue 9: a missed target pages on call."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.escalations.models import ACTIVE_ESCALATION_STATES, Escalation
from opsdesk.incidents.escalations.services import (
    DEADLINE_OWNER,
    escalation_due_copy,
    escalations_close_for_incident,
)
from opsdesk.incidents.paging import page_escalation_target_missed
from opsdesk.incidents.signals import incident_closed
from opsdesk.sla.signals import copy_when_moved, deadline_breached


@receiver(incident_closed, dispatch_uid="escalations_close_for_incident")
def close_escalations(*, incident: Any, actor: Any, **_: Any) -> None:
    escalations_close_for_incident(incident=incident, actor=actor)


copy_when_moved(DEADLINE_OWNER, escalation_due_copy)


@receiver(deadline_breached, dispatch_uid="escalation_target_missed_page")
def page_missed_target(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type != DEADLINE_OWNER:
        return
    escalation = (
        Escalation.objects.select_related("incident__organisation", "level")
        .filter(pk=deadline.owner_id, state__in=ACTIVE_ESCALATION_STATES)
        .first()
    )
    if escalation is not None:
        page_escalation_target_missed(escalation, kind=deadline.kind)
