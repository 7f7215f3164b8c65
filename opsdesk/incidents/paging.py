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
from opsdesk.oncall.services import page_raise, pages_stop

#: New incidents of these priorities page whoever is on call, however they came in (C1, C3).
PAGED_PRIORITIES = frozenset({Priority.P1, Priority.P2})
#: Most urgent first: a move to the left is a raise.
_URGENCY = (Priority.P1, Priority.P2, Priority.P3, Priority.P4)
#: The pages whose purpose was the incident's initial response (a human responding ends them).
INITIAL_RESPONSE_CAUSES = (
    PageCause.NEW_INCIDENT,
    PageCause.PRIORITY_RAISED,
    PageCause.SLA_WARNING_INITIAL,
    PageCause.SLA_BREACH_INITIAL,
)
CONSIDERED_RESPONSE_CAUSES = (PageCause.SLA_WARNING_CONSIDERED, PageCause.SLA_BREACH_CONSIDERED)
#: An escalation's pages by the target each calls for (sla.DeadlineKind values).
ESCALATION_MISSED_CAUSES = {
    "escalation_acknowledgement": PageCause.ESCALATION_ACKNOWLEDGEMENT_MISSED,
    "escalation_response": PageCause.ESCALATION_RESPONSE_MISSED,
}
_TARGET_NAMES = {
    "escalation_acknowledgement": "acknowledgement",
    "escalation_response": "considered response",
}
#: The pages an escalation's acknowledgement answers.
ESCALATION_ACKNOWLEDGED_CAUSES = (PageCause.ESCALATION_RAISED, PageCause.ESCALATION_ACKNOWLEDGEMENT_MISSED)
#: Every page about the incident itself or its escalations; an RCA's pages run on past closure.
INCIDENT_CAUSES = tuple(c for c in PageCause.values if c != PageCause.RCA_OVERDUE)


def page_incident(
    incident: Incident,
    *,
    cause: str,
    detail: str,
    source_type: str = "incident",
    source_id: int | None = None,
    occurrence: str = "",
    actor: Any = None,
) -> Any:
    """One page per (source, cause, occurrence): a repeat (a second sweep, a retried service) adds
    nothing."""
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
        occurrence=occurrence,
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


def page_priority_raised(incident: Incident, *, previous: str, actor: Any = None) -> None:
    """A P3/P4 raised to P1/P2 (or a P2 to P1: the target tightened) pages, once per raise: the
    occurrence is the move and the incident's version it made, so saving it again adds nothing."""
    if incident.priority not in PAGED_PRIORITIES or previous not in _URGENCY or not incident.is_open:
        return
    if _URGENCY.index(incident.priority) >= _URGENCY.index(previous):
        return
    page_incident(
        incident,
        cause=PageCause.PRIORITY_RAISED,
        detail=f"Raised from {previous} to {incident.priority}: respond within its target.",
        occurrence=f"{previous}->{incident.priority} v{incident.version}",
        actor=actor,
    )


def stop_incident_pages(incident: Incident, *, actor: Any = None) -> int:
    """Resolved or closed: nobody needs calling about it or its escalations any more."""
    return pages_stop(
        incident_id=incident.pk,
        causes=INCIDENT_CAUSES,
        reason=f"Incident {incident.reference} was {incident.get_state_display().lower()}.",
        actor=actor,
    )


def stop_response_pages(incident: Incident, *, target: str, actor: Any = None) -> int:
    """The initial (or considered) response was given: its pages have done their work."""
    initial = target == "initial"
    return pages_stop(
        incident_id=incident.pk,
        source_type="incident",
        source_id=incident.pk,
        causes=INITIAL_RESPONSE_CAUSES if initial else CONSIDERED_RESPONSE_CAUSES,
        reason=f"The {'initial' if initial else 'considered'} response was given.",
        actor=actor,
    )


def stop_escalation_pages(escalation: Any, *, reason: str, causes: Any = None, actor: Any = None) -> int:
    """An escalation acknowledged, answered, moved up or closed: the pages it no longer needs."""
    return pages_stop(
        source_type="escalation", source_id=escalation.pk, causes=causes, reason=reason, actor=actor
    )


def stop_rca_pages(rca: Any, *, actor: Any = None) -> int:
    """A report submitted is no longer past due."""
    return pages_stop(
        source_type="rca", source_id=rca.pk, reason="The root-cause analysis was submitted.", actor=actor
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
    """C7: an escalation level's acknowledgement or considered response target missed: each
    target of each level pages once (the cause names the target, the occurrence the level)."""
    level = escalation.level.level
    page_incident(
        escalation.incident,
        cause=ESCALATION_MISSED_CAUSES.get(kind, PageCause.ESCALATION_TARGET_MISSED),
        detail=f"Escalation level {level}: the {_TARGET_NAMES.get(kind, 'escalation')} target was missed.",
        source_type="escalation",
        source_id=escalation.pk,
        occurrence=f"level {level}",
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
