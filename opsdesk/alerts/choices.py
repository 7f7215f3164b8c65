"""The vocabulary of alerts (issue 12, F1–F3)."""

from __future__ import annotations

from django.db import models


class AlertSource(models.TextChoices):
    CLOUDWATCH = "cloudwatch", "Amazon CloudWatch"
    WEBHOOK = "webhook", "Webhook"
    BILLING = "billing", "Billing review"


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class AlarmState(models.TextChoices):
    """What the sender says about the alarm (CloudWatch's NewStateValue; a webhook's state)."""

    ALARM = "ALARM", "Alarm"
    OK = "OK", "OK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA", "Insufficient data"


class Priority(models.TextChoices):
    """The incident priorities (C2) an alert is raised at; alerts' own copy (domains are independent)."""

    P1 = "P1", "P1"
    P2 = "P2", "P2"
    P3 = "P3", "P3"
    P4 = "P4", "P4"


PRODUCTION_ONLY = (Priority.P1, Priority.P2)
DEFAULT_PRIORITY = Priority.P3


class Outcome(models.TextChoices):
    """What one occurrence did to its alert."""

    OPENED = "opened", "Opened"
    REPEATED = "repeated", "Repeated"
    RESOLVED = "resolved", "Resolved"
    RECORDED = "recorded", "Recorded"
    SUPPRESSED = "suppressed", "Suppressed (maintenance window)"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


#: A webhook's severity, when no priority rule matches (then clamped by C2 like any priority).
SEVERITY_PRIORITY = {
    Severity.CRITICAL: Priority.P1,
    Severity.MAJOR: Priority.P2,
    Severity.MINOR: Priority.P3,
    Severity.WARNING: Priority.P4,
    Severity.INFO: Priority.P4,
}


class SecuritySeverity(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
