"""Escalations (C7): reads of escalations and of the matrix, restricted to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opsdesk.core.permissions import has_permission
from opsdesk.core.selectors import get_or_not_found
from opsdesk.incidents.escalations.models import (
    ACTIVE_ESCALATION_STATES,
    Escalation,
    EscalationCriterion,
    EscalationLevel,
)
from opsdesk.incidents.models import Incident


def escalation_level_list() -> QuerySet:
    """The matrix is provider reference data: every signed-in user may read it."""
    return EscalationLevel.objects.prefetch_related("copied").order_by("level")


def escalation_criterion_list(*, active_only: bool = True) -> QuerySet:
    qs = EscalationCriterion.objects.all()
    return qs.filter(active=True) if active_only else qs


def escalation_list(
    *, user: Any, incident: Any = None, state: str | None = None, active: bool | None = None
) -> QuerySet:
    if not has_permission(user, "incidents.view"):  # billing staff: no operational access
        return Escalation.objects.none()
    qs = Escalation.objects.restrict(user).select_related(
        "incident__organisation",
        "level",
        "criterion",
        "raised_by",
        "raised_by_contact",
        "acknowledged_by",
        "responded_by",
    )
    if incident is not None:
        qs = qs.filter(incident=incident)
    if state:
        qs = qs.filter(state=state)
    if active is not None:
        qs = (
            qs.filter(state__in=ACTIVE_ESCALATION_STATES)
            if active
            else qs.exclude(state__in=ACTIVE_ESCALATION_STATES)
        )
    return qs


def escalation_get(*, user: Any, pk: Any) -> Escalation:
    return get_or_not_found(escalation_list(user=user), pk)


def escalation_incident_get(*, user: Any, pk: Any) -> Incident:
    """The incident an escalation or RCA request is about, within the user's tenancy (A4)."""
    return get_or_not_found(Incident.objects.restrict(user).select_related("organisation", "service"), pk)


def active_escalation(incident: Incident) -> Escalation | None:
    """The escalation in force on an incident (at most one, by constraint)."""
    return (
        Escalation.objects.select_related("level", "incident__organisation")
        .filter(incident=incident, state__in=ACTIVE_ESCALATION_STATES)
        .first()
    )


def incident_escalations(*, user: Any, incident: Incident) -> dict[str, Any]:
    """An incident's escalations, newest first, with whether escalation is offered: an SLA breach
    sets `escalation_offered` on the incident (B6 → C7), which is shown, not changed, here."""
    escalations = list(escalation_list(user=user, incident=incident))
    active = next((e for e in escalations if e.is_active), None)
    return {
        "incident_id": incident.pk,
        "escalation_offered": incident.escalation_offered,
        "active_escalation_id": active.pk if active else None,
        "results": escalations,
    }
