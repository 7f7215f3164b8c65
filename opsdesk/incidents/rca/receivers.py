"""C6: closing a P1 opens its root-cause analysis; B5: a calendar change that moves a report's
deadline (sla) moves its due date; issue 9: a report past due pages on call."""

from typing import Any

from django.dispatch import receiver

from opsdesk.incidents.paging import page_rca_overdue
from opsdesk.incidents.rca.models import RcaState, RootCauseAnalysis
from opsdesk.incidents.rca.services import DEADLINE_OWNER, rca_due_at_copy, rca_open_for_closed_p1
from opsdesk.incidents.signals import incident_closed
from opsdesk.sla.signals import copy_when_moved, deadline_breached


@receiver(incident_closed, dispatch_uid="rca_open_for_closed_p1")
def open_rca(*, incident: Any, actor: Any, **_: Any) -> None:
    rca_open_for_closed_p1(incident=incident, actor=actor)


copy_when_moved(DEADLINE_OWNER, rca_due_at_copy)


@receiver(deadline_breached, dispatch_uid="rca_overdue_page")
def page_overdue(*, deadline: Any, **_: Any) -> None:
    if deadline.owner_type != DEADLINE_OWNER:
        return
    rca = (
        RootCauseAnalysis.objects.select_related("incident__organisation")
        .filter(pk=deadline.owner_id, state=RcaState.DRAFT)
        .first()
    )
    if rca is not None:
        page_rca_overdue(rca)
