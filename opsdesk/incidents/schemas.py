"""API shapes of incidents: <Entity>In for creates and commands, <Entity>Patch for updates, <Entity>Out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, FilterSchema, Schema

from opsdesk.core.limits import Id
from opsdesk.incidents import selectors
from opsdesk.incidents.choices import EmailOutcome, IncidentState, Priority, Source, TriageState


class UserRef(Schema):
    id: int
    full_name: str


class ContactRef(Schema):
    id: int
    name: str
    email: str
    phone: str


class ServiceRef(Schema):
    id: int
    reference: str
    name: str
    environment: str


class IncidentOut(Schema):
    id: int
    reference: str
    organisation_id: int
    organisation: str = Field(..., alias="organisation.name")
    service: ServiceRef | None = None
    title: str
    description: str
    priority: Priority
    source: Source
    state: IncidentState
    reported_by: ContactRef | None = None
    contact_to_reach: ContactRef | None = None
    assignee: UserRef | None = None
    telephone_follow_up_required: bool
    telephone_call_recorded_at: datetime | None
    logged_at: datetime
    sla_calendar: str = Field(..., alias="sla_calendar.name")
    initial_response_due: datetime
    initial_warning_at: datetime
    initial_response_at: datetime | None
    considered_response_due: datetime
    considered_warning_at: datetime
    considered_response_at: datetime | None
    next_target_at: datetime | None = Field(
        None,
        description="The earliest unmet target of an open incident; empty while the SLA clock is paused.",
    )
    paused_at: datetime | None
    paused_seconds: int = Field(..., description="Business seconds the SLA clock has been paused (B4).")
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    closure_reason: str
    customer_confirmed_at: datetime | None
    escalation_offered: bool
    version: int
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str] = Field(
        ...,
        description="What the caller may do next with this incident, in its present state: the action "
        "endpoints they may call (acknowledge, investigate, await_customer → await-customer, resume, "
        "resolve, close, note → notes, call → calls, assign, priority).",
    )

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:
        return list(selectors.incident_allowed_actions(user=context["request"].auth, incident=obj))


class TargetOut(Schema):
    due: datetime
    warning_at: datetime
    met_at: datetime | None
    met_in_time: bool | None = Field(None, description="Empty while the target is open.")
    explanation: list[str] = Field(
        ..., description="Why the target is due when it is, as it is now (B3, B4)."
    )


class TargetsOut(Schema):
    calendar: str
    warning_fraction: float | None = None
    initial: TargetOut
    considered: TargetOut


class TimelineAttachmentOut(Schema):
    id: int
    filename: str
    download: str


class TimelineEntryOut(Schema):
    at: datetime
    kind: str
    actor: str
    public: bool
    detail: str
    body: str
    body_html: str
    from_state: str
    to_state: str
    note_id: int | None
    event_id: int | None
    attachment_id: int | None = Field(
        None, description="An attachment: download it from /attachments/{attachment_id}/download."
    )
    attachments: list[TimelineAttachmentOut] = Field(
        default_factory=list, description="A note's files, posted with it or attached to it later."
    )

    @staticmethod
    def resolve_attachments(obj) -> list[dict]:
        return [
            {"id": pk, "filename": name, "download": f"/api/v1/attachments/{pk}/download"}
            for pk, name in getattr(obj, "attachments", ())
        ]

    @staticmethod
    def resolve_body_html(obj) -> str:
        from opsdesk.core.richtext import render_markdown

        return render_markdown(obj.body) if obj.body else ""


class IncidentDetailOut(IncidentOut):
    diagnostics_confirmed: list[int]
    targets: TargetsOut
    timeline: list[TimelineEntryOut]

    @staticmethod
    def resolve_targets(obj) -> dict:
        explanation = obj.explanation or {}
        steps = selectors.target_explanations(obj)

        def target(name: str) -> dict:
            met = getattr(obj, f"{name}_response_at")
            due = getattr(obj, f"{name}_response_due")
            return {
                "due": due,
                "warning_at": getattr(obj, f"{name}_warning_at"),
                "met_at": met,
                "met_in_time": None if met is None else met <= due,
                "explanation": steps[name],
            }

        return {
            "calendar": obj.sla_calendar.name,
            "warning_fraction": explanation.get("warning_fraction"),
            "initial": target("initial"),
            "considered": target("considered"),
        }


class IncidentIn(Schema):
    """C1: reactive logging by a named contact."""

    service_reference: str = Field("", description="The service reference quoted by the customer (A5).")
    title: str = ""
    description: str = ""
    priority: str = Field("", description="P1–P4 (P1/P2 on production services only, C2).")
    diagnostics_confirmed: list[int] = Field(
        [], description="Ids of the diagnostics checklist items confirmed; every active item is required."
    )
    reported_by: int | None = Field(
        None,
        description="Staff: the named contact on whose behalf the incident is logged (required), a "
        "contact of the service's organisation. Customers log as their own named contact: leave it "
        "out or give their own; another contact is refused (422).",
    )


class ProactiveIncidentIn(Schema):
    """C3: raised by the provider, 24x7."""

    organisation: int
    title: str = ""
    description: str = ""
    priority: str = ""
    service: int | None = None
    source: Literal["staff", "api", "alarm"] = "staff"


class InvestigateIn(Schema):
    note: str = Field("", description="Optional public update; a substantive one is the considered response.")


class AwaitCustomerIn(Schema):
    note: str = Field(..., description="What is needed from the customer (a public note).")


class ResolveIn(Schema):
    summary: str = Field(..., description="How the incident was resolved (a public note).")


class CloseIn(Schema):
    customer_confirmed: bool = Field(False, description="The customer confirmed that service is resumed.")
    reason: str = Field("", description="Staff recording the confirmation on the customer's behalf: how/why.")


class NoteIn(Schema):
    body: str
    public: bool = True


class NoteOut(Schema):
    id: int
    incident_id: int
    author: UserRef | None = None
    body: str
    public: bool
    created_at: datetime


class CallIn(Schema):
    summary: str


class AssignIn(Schema):
    assignee: int | None = Field(..., description="A member of staff who works incidents; null to unassign.")


class PriorityIn(Schema):
    priority: str
    reason: str = ""


class IncidentFilter(FilterSchema):
    state: str | None = Field(None, description="A state, or 'open' for anything not resolved or closed.")
    priority: str | None = None
    organisation: int | None = None
    service: int | None = None
    assignee: int | None = None
    q: str | None = Field(
        None,
        description="Words, or the beginnings of words, all in the reference, title or description "
        "(any order and case).",
    )


class ChecklistItemOut(Schema):
    id: int
    text: str
    active: bool
    position: int
    version: int


class ChecklistItemIn(Schema):
    text: str
    position: int | None = None
    active: bool = True


class ChecklistItemPatch(Schema):
    text: str | None = None
    position: int | None = None
    active: bool | None = None


# --- inbound email triage (issue 12 item 5) ----------------------------------------------------


class EmailTriageOut(Schema):
    id: int
    delivery_id: int = Field(..., description="The inbox delivery (/inbox/deliveries) of the raw message.")
    message_id: str
    sender: str
    sender_name: str
    subject: str
    received_at: datetime
    body_text: str = Field(..., description="The text of the email (HTML sanitised to text).")
    organisation_id: int | None
    contact_id: int | None
    outcome: EmailOutcome
    reason: str = Field(..., description="Why it is in triage, or why it was ignored.")
    triage_state: str = Field(..., description="open, assigned, dismissed, incident (empty: not triage).")
    assignee_id: int | None
    incident_id: int | None
    note_id: int | None
    attachments_refused: list[dict[str, str]]
    version: int
    created_at: datetime
    updated_at: datetime


class EmailTriageFilter(FilterSchema):
    triage_state: TriageState | None = None
    outcome: EmailOutcome | None = Field(None, description="Any inbound email with this outcome.")
    sender: str | None = Field(None, max_length=254)


class EmailTriageDismissIn(Schema):
    reason: str = Field("", max_length=300)


class EmailTriageOpenIn(Schema):
    organisation: Id
    priority: Priority = Priority.P3
