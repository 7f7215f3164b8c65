"""Reads of attachments: only what the user may see of the incident (tenancy), never an internal
attachment or one on an internal note for a customer, and on an RCA only if they may see the RCA."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Q, QuerySet

from opsdesk.core.errors import NotFound
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.models import Incident
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.incidents.selectors import TimelineEntry


def attachment_list(
    *, user: Any, incident: Incident | None = None, rca: Any = None, include_removed: bool = False
) -> QuerySet:
    """The attachments `user` may see; removed ones only when asked (the timeline's "removed")."""
    qs = Attachment.objects.restrict(user).select_related("uploaded_by", "removed_by", "incident")
    if not include_removed:
        qs = qs.filter(removed_at__isnull=True)
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


def _entry(a: Attachment, kind: str, at: Any, by: Any, prefix: str, **more: Any) -> TimelineEntry:
    actor = str(by) if by is not None else "opsdesk"
    return TimelineEntry(
        at=at, kind=kind, actor=actor, public=a.public, detail=f"{prefix}{a.filename}{_on(a)}", **more
    )


def _on(attachment: Attachment) -> str:
    return {"note": " (on a note)", "rca": " (on the RCA)"}.get(attachment.attached_to, "")


def attachment_timeline(
    *, user: Any, incident: Incident, entries: list[TimelineEntry]
) -> list[TimelineEntry]:
    """The incident's timeline (incidents.selectors.incident_timeline) with its attachments, as
    visible as each attachment: a note's files listed with the note, other files one entry each
    when added, and a removed file one more entry, "removed <name>", when and by whom it was."""
    attachments = list(attachment_list(user=user, incident=incident, include_removed=True))
    if not attachments:
        return entries
    notes = {e.note_id for e in entries if e.note_id}
    on_note: dict[int, list[tuple[int, str]]] = {}
    added = []
    for a in attachments:
        if a.note_id in notes and a.removed_at is None:
            on_note.setdefault(a.note_id, []).append((a.pk, a.filename))
        elif a.note_id not in notes:
            # A removed file is no longer downloadable: its name stays, without a link.
            link = a.pk if a.removed_at is None else None
            added.append(_entry(a, "attachment", a.created_at, a.uploaded_by, "", attachment_id=link))
        if a.removed_at is not None:
            added.append(_entry(a, "attachment_removed", a.removed_at, a.removed_by, "removed "))
    entries = [
        replace(e, attachments=tuple(on_note[e.note_id])) if e.note_id in on_note else e for e in entries
    ]
    return sorted(
        entries + added,
        key=lambda e: (e.at, e.event_id is None, e.note_id or e.event_id or e.attachment_id or 0),
    )
