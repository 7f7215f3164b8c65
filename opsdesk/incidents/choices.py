"""Vocabulary of incidents (C1–C5, B6), and the lifecycle as data (C4)."""

from django.db import models


class Priority(models.TextChoices):
    P1 = "P1", "P1 — business critical"
    P2 = "P2", "P2 — degraded"
    P3 = "P3", "P3 — general"
    P4 = "P4", "P4 — general query"


#: C2: only production services may carry these.
PRODUCTION_ONLY_PRIORITIES = frozenset({Priority.P1, Priority.P2})


class Source(models.TextChoices):
    CUSTOMER = "customer", "Customer (reactive)"
    STAFF = "staff", "Provider staff"
    API = "api", "API"
    ALARM = "alarm", "Alarm or security alert"
    EMAIL = "email", "Email"


class IncidentState(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


#: States in which the incident is still being worked and its SLA clock can run.
OPEN_STATES = frozenset(
    {
        IncidentState.NEW,
        IncidentState.ACKNOWLEDGED,
        IncidentState.INVESTIGATING,
        IncidentState.AWAITING_CUSTOMER,
    }
)

#: C4 lifecycle: new → acknowledged → investigating ⇄ awaiting customer → resolved → closed.
#: A resolved incident the customer says is not fixed goes back to investigating.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IncidentState.NEW: (IncidentState.ACKNOWLEDGED,),
    IncidentState.ACKNOWLEDGED: (
        IncidentState.INVESTIGATING,
        IncidentState.AWAITING_CUSTOMER,
        IncidentState.RESOLVED,
    ),
    IncidentState.INVESTIGATING: (IncidentState.AWAITING_CUSTOMER, IncidentState.RESOLVED),
    IncidentState.AWAITING_CUSTOMER: (IncidentState.INVESTIGATING, IncidentState.RESOLVED),
    IncidentState.RESOLVED: (IncidentState.CLOSED, IncidentState.INVESTIGATING),
    IncidentState.CLOSED: (),
}


class SlaTarget(models.TextChoices):
    INITIAL = "initial", "Initial response"
    CONSIDERED = "considered", "Considered response"


class SlaEventKind(models.TextChoices):
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"


class EventKind(models.TextChoices):
    LOGGED = "logged", "Logged"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    STATE_CHANGED = "state_changed", "State changed"
    NOTE = "note", "Note added"
    CALL_RECORDED = "call_recorded", "Telephone call recorded"
    PAUSED = "paused", "SLA clock paused"
    RESUMED = "resumed", "SLA clock resumed"
    WARNING = "warning", "SLA warning"
    BREACH = "breach", "SLA breach"
    ASSIGNED = "assigned", "Assigned"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"
    TARGETS_RECOMPUTED = "targets_recomputed", "Targets recomputed"
    RESPONSE_MET = "response_met", "Response target met"
    CLOSED = "closed", "Closed"
    ESCALATION = "escalation", "Escalation"
    RCA = "rca", "Root-cause analysis"


class EmailOutcome(models.TextChoices):
    """What an inbound email became (C5, issue 12 item 5)."""

    NOTE = "note", "Note on an incident"
    INCIDENT = "incident", "New incident"
    TRIAGE = "triage", "Triage"
    RATE_LIMITED = "rate_limited", "Triage (rate-limited)"
    IGNORED = "ignored", "Ignored"


class TriageState(models.TextChoices):
    OPEN = "open", "Open"
    ASSIGNED = "assigned", "Assigned"
    DISMISSED = "dismissed", "Dismissed"
    INCIDENT = "incident", "Incident opened"


TRIAGE_OUTCOMES = (EmailOutcome.TRIAGE, EmailOutcome.RATE_LIMITED)
