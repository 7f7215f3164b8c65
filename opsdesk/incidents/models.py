"""Incidents (C1–C5) with their SLA targets (B3–B6): the incident, its notes and timeline, the
SLA warnings and breaches recorded once each, and the diagnostics checklist a named contact
confirms when logging.

Every write goes through services.py; nothing here has side effects in save() or signals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.incidents.choices import (
    OPEN_STATES,
    EmailOutcome,
    EventKind,
    IncidentState,
    Priority,
    SlaEventKind,
    SlaTarget,
    Source,
    TriageState,
)


class DiagnosticsChecklistItem(BaseModel):
    """C1: one check a named contact confirms before logging. Provider-wide reference data the
    service desk extends; only active items must be confirmed."""

    text = models.CharField(max_length=300)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Incident(BaseModel):
    """An incident (C1–C4) and its two response targets (B3), stored when logged so that queues,
    warnings and breaches are plain indexed queries (B6)."""

    tenant_path = "organisation"

    reference = models.CharField(
        max_length=20, unique=True, null=True, blank=True, editable=False, help_text="e.g. INC-000123"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="incidents",
        db_index=False,
    )
    service = models.ForeignKey(
        "directory.Service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        help_text="Empty only for proactive incidents not tied to a service.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=20_000)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CUSTOMER)
    reported_by = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_reported",
        db_index=False,
    )
    contact_to_reach = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_to_reach",
        help_text="C3: the technical contact (in or out of hours) to reach about a proactive incident.",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_created",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_assigned",
    )
    state = models.CharField(max_length=20, choices=IncidentState.choices, default=IncidentState.NEW)
    telephone_follow_up_required = models.BooleanField(default=False)
    telephone_call_recorded_at = models.DateTimeField(null=True, blank=True)
    diagnostics_confirmed = models.JSONField(
        default=list, blank=True, help_text="Ids of the checklist items the reporter confirmed (C1)."
    )

    # -- the SLA clock (B3–B6) ----------------------------------------------------------------
    logged_at = models.DateTimeField()
    sla_calendar = models.ForeignKey(
        "calendars.Calendar", on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    initial_response_due = models.DateTimeField()
    considered_response_due = models.DateTimeField()
    initial_response_at = models.DateTimeField(null=True, blank=True)
    considered_response_at = models.DateTimeField(null=True, blank=True)
    initial_warning_at = models.DateTimeField(help_text="B6: the instant at 80 % of the initial response.")
    considered_warning_at = models.DateTimeField(
        help_text="B6: the instant at 80 % of the considered response."
    )
    next_target_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The earliest unmet target; empty when both are met, closed or paused.",
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.BigIntegerField(default=0, help_text="Business seconds paused so far (B4).")
    explanation = models.JSONField(
        default=dict, blank=True, help_text="The steps of both target explanations, as logged."
    )

    # -- lifecycle (C4) ---------------------------------------------------------------------
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.TextField(blank=True, max_length=2_000)
    customer_confirmed_at = models.DateTimeField(null=True, blank=True)
    escalation_offered = models.BooleanField(
        default=False, help_text="B6/C7: a target was breached, so escalation is offered."
    )
    awaiting_reply_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="C7: a customer's email arrived at this instant and no public reply has been posted "
        "since (its email_reply deadline is 8 working hours later).",
    )

    class Meta:
        ordering = ["-logged_at", "-id"]
        indexes = [
            # The staff queue: ORDER BY next_target_at NULLS LAST, logged_at, id — each index below
            # gives that order for one shape of filter, so a first page reads a few index entries.
            # Every index costs on every target recomputation (B5), so there are no more than needed.
            models.Index(fields=["next_target_at", "logged_at", "id"], name="incident_next_target"),
            models.Index(
                fields=["next_target_at", "logged_at", "id"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="incident_open_queue",
            ),
            models.Index(
                fields=["priority", "next_target_at", "logged_at", "id"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="incident_open_priority",
            ),
            # The open queue's capped count of a common search checks the ids the text index gave
            # against the open states: probing this small index answers without a heap visit.
            models.Index(fields=["id"], condition=Q(state__in=sorted(OPEN_STATES)), name="incident_open_ids"),
            models.Index(fields=["organisation", "state"], name="incident_org_state"),
            # B5 and B6 read the deadlines (sla.Deadline), not these copies: no index for them here.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(paused_seconds__gte=0), name="incident_paused_seconds_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference or 'INC-?'} {self.title}"

    @property
    def is_open(self) -> bool:
        from opsdesk.incidents.choices import OPEN_STATES

        return self.state in OPEN_STATES


class IncidentSearch(models.Model):
    """The searchable words of an incident (reference, title, description; see incidents.search),
    kept beside the incident rather than in it: the incident row is rewritten whenever its targets
    are recomputed (B5), and a text index on it would be rewritten with every one of those updates.
    `is_open` follows the incident's state (services._move), so that the open queue's searches
    have an index of their own: a twentieth of the size of the one for all incidents. On
    PostgreSQL both are GIN indexes of the words (migration 0011)."""

    incident = models.OneToOneField(
        Incident, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    document = models.TextField(help_text="search.search_document of the incident's text.")
    is_open = models.BooleanField(default=True, help_text="The incident is not resolved or closed.")

    def __str__(self) -> str:
        return f"search text of incident {self.incident_id}"


class IncidentNote(BaseModel):
    """C5: an update on an incident, public (the customer sees it) or internal (staff only)."""

    tenant_path = "incident__organisation"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(max_length=50_000, help_text="Markdown")
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_note_time")]

    def __str__(self) -> str:
        return f"{'Public' if self.public else 'Internal'} note on incident {self.incident_id}"


class IncidentEvent(BaseModel):
    """C4/C5: one entry of an incident's timeline (transitions, calls, pauses, SLA events)."""

    tenant_path = "incident__organisation"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    from_state = models.CharField(max_length=20, choices=IncidentState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=IncidentState.choices, blank=True)
    detail = models.TextField(blank=True, max_length=5_000)
    public = models.BooleanField(default=True, help_text="Shown to the customer.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on incident {self.incident_id}"


class SlaEvent(BaseModel):
    """B6: a warning or breach of one target, recorded once (the unique constraint makes a second
    sweep, or a concurrent worker, a no-op)."""

    tenant_path = "incident__organisation"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sla_events")
    target = models.CharField(max_length=12, choices=SlaTarget.choices)
    kind = models.CharField(max_length=10, choices=SlaEventKind.choices)
    at = models.DateTimeField(help_text="The instant of the warning or breach (not when it was noticed).")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "target", "kind"], name="sla_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.kind} on incident {self.incident_id}"



class InboundEmail(BaseModel):
    """C5 (issue 12 item 5): what became of one inbound email (an inbox delivery): a note on an
    incident, a new incident, a triage item, or ignored (auto-reply, loop) with the reason. Triage
    items (unknown sender, rate-limited) are worked by staff: open -> assigned -> dismissed, or an
    incident opened from them."""

    tenant_path = "organisation"

    delivery_id = models.BigIntegerField(unique=True, help_text="The inbox delivery (raw message).")
    message_id = models.CharField(max_length=255, blank=True)
    sender = models.EmailField(max_length=254, blank=True, db_index=True)
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(db_index=True)
    body_text = models.TextField(blank=True, max_length=50_000, help_text="The text, HTML sanitised.")
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "directory.NamedContact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=EmailOutcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    triage_state = models.CharField(max_length=10, choices=TriageState.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    note = models.ForeignKey(IncidentNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attachments_refused = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["sender", "received_at"], name="inbound_email_sender_time")]

    def __str__(self) -> str:
        return f"Email from {self.sender}: {self.subject}"[:200]
