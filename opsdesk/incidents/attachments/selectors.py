"""Reads of attachments: only what the user may see of the incident (tenancy), never an internal
attachment or one on an internal note for a customer, and on an RCA only if they may see the RCA."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.incidents.selectors import TimelineEntry


def attachment_list(*, user: Any, incident: Incident | None = None, rca: Any = None) -> QuerySet:
    qs = Attachment.objects.restrict(user).select_related("uploaded_by", "incident")
    qs = qs.filter(incident__in=incident_selectors.incident_list(user=user, related=()))
    if not incident_selectors.sees_internal(user):
        qs = qs.filter(public=True).filter(Q(note__isnull=True) | Q(note__public=True))
        qs = qs.filter(Q(rca__isnull=True) | Q(rca__in=rca_selectors.rca_list(user=user).values("pk")))
    if incident is not None:
        qs = qs.filter(incident=incident)
    if rca is not None:
        qs = qs.filter(rca=rca)
    return qs.order_by("created_at", "pk")


def attachment_get(*, user: Any, pk: Any) -> Attachment:
    try:
        return attachment_list(user=user).get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound()


def _on(attachment: Attachment) -> str:
    return {"note": " (on a note)", "rca": " (on the RCA)"}.get(attachment.attached_to, "")


def attachment_timeline(
    *, user: Any, incident: Incident, entries: list[TimelineEntry]
) -> list[TimelineEntry]:
    """The incident's timeline (incidents.selectors.incident_timeline) with its attachments in
    time order, one entry each, as visible as the attachment."""
    added = [
        TimelineEntry(
            at=a.created_at,
            kind="attachment",
            actor=str(a.uploaded_by) if a.uploaded_by else "opsdesk",
            public=a.public,
            detail=f"{a.filename}{_on(a)}",
            attachment_id=a.pk,
        )
        for a in attachment_list(user=user, incident=incident)
    ]
    if not added:
        return entries
    return sorted(
        entries + added,
        key=lambda e: (e.at, e.event_id is None, e.note_id or e.event_id or e.attachment_id or 0),
    )
