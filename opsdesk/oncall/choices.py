"""Choices of on-call (issue 9 item 1): how a rota hands over, what a policy step does, why a page
was raised and where it stands."""

from __future__ import annotations

from django.db import models


class Handover(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


#: Days between two hand-overs.
HANDOVER_DAYS = {Handover.DAILY: 1, Handover.WEEKLY: 7}


class StepAction(models.TextChoices):
    NOTIFY_ROTA = "notify_rota", "Notify whoever is on call on a rota"
    NOTIFY_USER = "notify_user", "Notify a person"
    NOTIFY_TEAM = "notify_team", "Notify a whole team"
    WAIT = "wait", "Wait"


NOTIFY_ACTIONS = (StepAction.NOTIFY_ROTA, StepAction.NOTIFY_USER, StepAction.NOTIFY_TEAM)


class PageCause(models.TextChoices):
    NEW_INCIDENT = "new_incident", "New P1/P2 incident"
    PRIORITY_RAISED = "priority_raised", "Raised to P1/P2"
    SLA_WARNING_INITIAL = "sla_warning_initial", "Initial response target close"
    SLA_WARNING_CONSIDERED = "sla_warning_considered", "Considered response target close"
    SLA_BREACH_INITIAL = "sla_breach_initial", "Initial response target breached"
    SLA_BREACH_CONSIDERED = "sla_breach_considered", "Considered response target breached"
    ESCALATION_RAISED = "escalation_raised", "Escalation raised"
    ESCALATION_TARGET_MISSED = "escalation_target_missed", "Escalation target missed"
    ESCALATION_ACKNOWLEDGEMENT_MISSED = (
        "escalation_acknowledgement_missed",
        "Escalation acknowledgement target missed",
    )
    ESCALATION_RESPONSE_MISSED = "escalation_response_missed", "Escalation considered response target missed"
    RCA_OVERDUE = "rca_overdue", "Root-cause analysis past due"
    #: F2: a security event at or above the paging severity, to the security rota's policy.
    SECURITY_EVENT = "security_event", "Security event"


class PageState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    #: What it was about no longer needs anyone (the incident resolved, the response given).
    STOPPED = "stopped", "Stopped"


class AckVia(models.TextChoices):
    UI = "ui", "Page"
    API = "api", "API"
    EMAIL = "email", "Email link"


#: Limits that keep a policy a policy rather than a loop.
MAX_STEPS = 20
MAX_REPEATS = 10
MAX_WAIT_MINUTES = 24 * 60
