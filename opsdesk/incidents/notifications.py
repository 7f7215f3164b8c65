"""What incidents tell people (C5, B6), through the outbox (L2). Each function runs inside the
caller's transaction and carries a dedup key, so a retried service or a second sweep sends nothing
twice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from opsdesk.core import humanize
from opsdesk.incidents.addresses import reply_address
from opsdesk.incidents.models import Incident, IncidentEvent, IncidentNote, SlaEvent
from opsdesk.notifications.services import notification_enqueue


def _local(incident: Incident, at: datetime | None) -> str:
    """An instant in the organisation's own zone, as people read it."""
    if at is None:
        return "—"
    return humanize.when(at, ZoneInfo(incident.organisation.calendar.timezone))


def _contact_emails(incident: Incident) -> list[str]:
    contact = incident.reported_by or incident.contact_to_reach
    return [contact.email] if contact is not None and contact.email else []


def _staff_emails(incident: Incident) -> list[str]:
    people = [incident.assignee, incident.organisation.csdm]
    return sorted({p.email for p in people if p is not None and p.is_active and p.email})


def _payload(incident: Incident, **extra: object) -> dict:
    return {
        "incident": incident.pk,
        "reference": incident.reference,
        "organisation": incident.organisation_id,
        "priority": incident.priority,
        "state": incident.state,
        "initial_response_due": incident.initial_response_due.isoformat(),
        "considered_response_due": incident.considered_response_due.isoformat(),
        **extra,
    }


def _subject(incident: Incident, text: str) -> str:
    return f"[{incident.reference}] {text}: {incident.title}"


def notify_logged(incident: Incident) -> None:
    """C1/C5: the named contact gets the reference and both targets."""
    service = f"Service: {incident.service.reference}\n" if incident.service_id else ""
    body = (
        f"Incident {incident.reference} has been logged.\n\n"
        f"{service}Priority: {incident.priority}\n"
        f"Initial response due: {_local(incident, incident.initial_response_due)}\n"
        f"Considered response due: {_local(incident, incident.considered_response_due)}\n"
    )
    if incident.telephone_follow_up_required:
        body += "\nAs this is a P1/P2 incident, the service desk will follow up by telephone.\n"
    notification_enqueue(
        event="incident.logged",
        organisation=incident.organisation,
        recipients=_contact_emails(incident),
        subject=_subject(incident, "Incident logged"),
        body=body,
        payload=_payload(incident),
        dedup_key=f"incident:{incident.pk}:logged",
        reply_to=reply_address(incident.pk),
    )


def notify_note(incident: Incident, note: IncidentNote) -> None:
    """C5: a public update reaches the named contact (their own notes are not echoed back)."""
    recipients = _contact_emails(incident)
    contact_id = incident.reported_by_id or incident.contact_to_reach_id
    author_contact = note.author.contact_id if note.author is not None else None
    if author_contact is not None and author_contact == contact_id:
        recipients = []
    notification_enqueue(
        event="incident.note",
        organisation=incident.organisation,
        recipients=recipients,
        subject=_subject(incident, "Update"),
        body=note.body,
        payload=_payload(incident, note=note.pk),
        dedup_key=f"incident-note:{note.pk}",
        reply_to=reply_address(incident.pk),
    )


def notify_event(incident: Incident, event: IncidentEvent) -> None:
    """C4/C5: a public lifecycle step (acknowledged, awaiting you, resolved, closed…)."""
    label = event.get_kind_display()
    state = incident.get_state_display()
    if event.to_state and state.lower() != label.lower():
        label = f"{label}: {state}"
    body = f"{label}\n\n{event.detail}".strip() + "\n"
    notification_enqueue(
        event=f"incident.{event.kind}",
        organisation=incident.organisation,
        recipients=_contact_emails(incident),
        subject=_subject(incident, label),
        body=body,
        payload=_payload(incident, timeline_event=event.pk, kind=event.kind, to_state=event.to_state),
        dedup_key=f"incident-event:{event.pk}",
        reply_to=reply_address(incident.pk),
    )


def notify_sla(incident: Incident, sla_event: SlaEvent) -> None:
    """B6: a warning tells the people working the incident; a breach also tells the named contact,
    who may now escalate (C7). Once per incident, target and kind."""
    target = sla_event.get_target_display().lower()
    due = incident.initial_response_due if sla_event.target == "initial" else incident.considered_response_due
    if sla_event.kind == "warning":
        subject = _subject(incident, f"SLA warning ({target})")
        body = f"The {target} target of {incident.reference} is due {_local(incident, due)}.\n"
        recipients = _staff_emails(incident)
    else:
        subject = _subject(incident, f"SLA breached ({target})")
        body = (
            f"The {target} target of {incident.reference} was due {_local(incident, due)} and has not "
            "been met. You may escalate this incident.\n"
        )
        recipients = sorted(set(_staff_emails(incident)) | set(_contact_emails(incident)))
    notification_enqueue(
        event=f"incident.sla_{sla_event.kind}",
        organisation=incident.organisation,
        recipients=recipients,
        subject=subject,
        body=body,
        payload=_payload(incident, target=sla_event.target, kind=sla_event.kind, at=sla_event.at.isoformat()),
        dedup_key=f"sla:{incident.pk}:{sla_event.target}:{sla_event.kind}",
        reply_to=reply_address(incident.pk),
    )
