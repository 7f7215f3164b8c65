from django.db import models


class Priority(models.TextChoices):
    P1 = "P1", "P1 — business critical"
    P2 = "P2", "P2 — degraded"
    P3 = "P3", "P3 — general"
    P4 = "P4", "P4 — query"


class Clock(models.TextChoices):
    ALWAYS = "24x7", "24x7 (elapsed time)"
    BUSINESS = "business", "Business hours (the organisation's calendar)"


class TargetKind(models.TextChoices):
    INITIAL = "initial", "Initial response"
    CONSIDERED = "considered", "Considered response"


class DeadlineKind(models.TextChoices):
    """What a deadline is for. The owning domain names itself in Deadline.owner_type; the kinds of
    every domain are listed here so that one sweep and one recomputation cover them all."""

    INITIAL_RESPONSE = "initial_response", "Initial response"
    CONSIDERED_RESPONSE = "considered_response", "Considered response"
    RCA_DUE = "rca_due", "Root-cause analysis due"
    ESCALATION_ACKNOWLEDGEMENT = "escalation_acknowledgement", "Escalation acknowledgement"
    ESCALATION_RESPONSE = "escalation_response", "Escalation considered response"
    ORDER_ACCEPTANCE = "order_acceptance", "Order acceptance"
    ENGAGEMENT_START = "engagement_start", "Engagement start"
    CHANGE_IMPLEMENTATION = "change_implementation", "Standard change implementation"
    CHANGE_REVIEW = "change_review", "Change review and delivery approach"
    MAINTENANCE_NOTICE = "maintenance_notice", "Maintenance notice"
    EMAIL_REPLY = "email_reply", "Email reply"
