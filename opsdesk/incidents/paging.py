"""How incident handling calls for a human (issue 9 item 1, "a human is always told"): the one
place that turns an incident (or one of its escalations or RCAs) and a cause into an on-call page,
through oncall's seam `page_raise` (a lower layer). Called by the incident's services and by the
receivers of sla's warning and breach signals; holds no rule of on-call itself.

Imports only the incident core, so incidents.services may use it (the incident core imports no
escalations or RCAs)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opsdesk.incidents.choices import Priority
from opsdesk.incidents.models import Incident
from opsdesk.oncall.choices import PageCause
from opsdesk.oncall.services import page_raise

#: New incidents of these priorities page whoever is on call, however they came in (C1, C3).
PAGED_PRIORITIES = frozenset({Priority.P1, Priority.P2})


def page_incident(
    incident: Incident,
    *,
    cause: str,
    detail: str,
    source_type: str = "incident",
    source_id: int | None = None,
    actor: Any = None,
) -> Any:
    """One page per (source, cause): a repeat (a second sweep, a retried service) adds nothing."""
    return page_raise(
        source_type=source_type,
        source_id=source_id if source_id is not None else incident.pk,
        cause=cause,
        title=f"{incident.reference} {incident.priority} {incident.organisation.name}: {incident.title}",
        body=detail,
        url=reverse("incidents:detail", args=[incident.pk]),
        organisation=incident.organisation,
        priority=incident.priority,
        incident_id=incident.pk,
        actor=actor,
    )


def page_new_incident(incident: Incident) -> None:
    if incident.priority in PAGED_PRIORITIES:
        page_incident(
            incident,
            cause=PageCause.NEW_INCIDENT,
            detail=f"A new {incident.get_priority_display()} incident was logged: respond within its target.",
            actor=incident.created_by,
        )


def page_sla_event(incident: Incident, *, target: str, kind: str, detail: str) -> None:
    """B6: each warning and breach of an incident's initial or considered response target."""
    page_incident(incident, cause=f"sla_{kind}_{target}", detail=detail)


def page_escalation_raised(escalation: Any) -> None:
    """C7: an escalation raised (or moved up a level) pages, one page per escalation row."""
    level = escalation.level
    page_incident(
        escalation.incident,
        cause=PageCause.ESCALATION_RAISED,
        detail=f"Escalated to level {level.level} ({level.name}): {escalation.details}".strip(),
        source_type="escalation",
        source_id=escalation.pk,
        actor=escalation.raised_by,
    )


def page_escalation_target_missed(escalation: Any, *, kind: str) -> None:
    """C7: an escalation level's acknowledgement or considered response target missed."""
    page_incident(
        escalation.incident,
        cause=PageCause.ESCALATION_TARGET_MISSED,
        detail=f"Escalation level {escalation.level.level}: the {kind.replace('_', ' ')} target was missed.",
        source_type="escalation",
        source_id=escalation.pk,
    )


def page_rca_overdue(rca: Any) -> None:
    """C6: a root-cause analysis past its due date."""
    page_incident(
        rca.incident,
        cause=PageCause.RCA_OVERDUE,
        detail="The root-cause analysis is past its due date.",
        source_type="rca",
        source_id=rca.pk,
    )
