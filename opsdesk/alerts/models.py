"""Alerts (issue 12, F1–F3): alarms (CloudWatch via SNS, the generic webhook) de-duplicated by their
identity into one open alert, the priority rules that map them to incidents, and the security events
classified from CloudTrail by a rule table (F2).

Incidents and maintenance windows are other domains: an alert holds their ids as plain integers
(the shell composes the calls, web/intake_alerts.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from opsdesk.alerts.choices import (
    DEFAULT_PRIORITY,
    AlarmState,
    AlertSource,
    AlertState,
    Outcome,
    Priority,
    SecuritySeverity,
    Severity,
)
from opsdesk.core.models import BaseModel


class Alert(BaseModel):
    """One alarm identity while it is open: (account, region, alarm name) for CloudWatch,
    ("webhook", organisation, identity) for the webhook. A repeat ALARM updates it, OK resolves it;
    the database keeps one open alert per identity."""

    tenant_path = "organisation"

    source = models.CharField(max_length=12, choices=AlertSource.choices)
    #: The identity, as one string (cloudwatch:account:region:name, webhook:<org>:identity or
    #: billing:<org>:<account or ->:billing:<threshold id>).
    identity_key = models.CharField(max_length=600, db_index=True)
    account_id = models.CharField(max_length=12, blank=True)
    region = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=255)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    service = models.ForeignKey(
        "directory.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    state = models.CharField(max_length=10, choices=AlertState.choices, default=AlertState.OPEN)
    last_state = models.CharField(max_length=20, choices=AlarmState.choices, default=AlarmState.ALARM)
    last_reason = models.TextField(blank=True, max_length=10_000)
    summary = models.CharField(max_length=500, blank=True)
    resource = models.CharField(max_length=500, blank=True)
    namespace = models.CharField(max_length=255, blank=True)
    metric = models.CharField(max_length=255, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=DEFAULT_PRIORITY)
    #: Which rule gave the priority, and why it was clamped (C2), in words.
    priority_reason = models.CharField(max_length=500, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    #: The incident raised for it (incidents.Incident id).
    incident_id = models.PositiveIntegerField(null=True, blank=True)
    #: The customer maintenance window (maintenance.CustomerWindow id) it fell in: not raised (E3).
    suppressed_by_window_id = models.PositiveIntegerField(null=True, blank=True)
    #: Why it was not raised when neither raised nor suppressed (e.g. unknown account).
    not_raised_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["identity_key"], condition=Q(state="open"), name="alerts_one_open_alert_per_identity"
            ),
            models.CheckConstraint(condition=Q(occurrences__gte=1), name="alerts_occurrences_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display().lower()})"


class AlertOccurrence(models.Model):
    """One delivery about an alert: its timeline."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="occurrence_rows")
    #: The inbox delivery it came in (inbox.Delivery id), when it came through the inbox.
    delivery_id = models.PositiveIntegerField(null=True, blank=True)
    state_value = models.CharField(max_length=20, choices=AlarmState.choices)
    reason = models.TextField(blank=True, max_length=10_000)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.state_value} {self.outcome}"


class PriorityRule(BaseModel):
    """F3: an alarm's incident priority, per organisation (optionally per service, alarm-name
    pattern or namespace). The most specific matching rule wins; none: P3. P1/P2 only on
    production services (C2: clamped to P3 otherwise, and the alert says why)."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="alert_priority_rules"
    )
    service = models.ForeignKey(
        "directory.Service",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_priority_rules",
    )
    alarm_pattern = models.CharField(
        max_length=255, blank=True, help_text="Shell-style pattern of alarm names, e.g. prod-*-5xx."
    )
    namespace = models.CharField(max_length=255, blank=True, help_text="e.g. AWS/EC2")
    priority = models.CharField(max_length=2, choices=Priority.choices)

    class Meta:
        ordering = ["organisation__name", "pk"]

    def __str__(self) -> str:
        what = " ".join(x for x in (self.alarm_pattern, self.namespace) if x) or "any alarm"
        return f"{what} → {self.priority}"


class SecurityRule(BaseModel):
    """F2: one kind of security or change event, as data: CloudTrail events whose eventSource and
    eventName (and errorCode / instance type when listed) match are that kind."""

    kind = models.CharField(max_length=50, unique=True)
    label = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=SecuritySeverity.choices)
    #: e.g. iam.amazonaws.com; empty: any source.
    event_source = models.CharField(max_length=100, blank=True)
    #: eventName values; empty: any.
    event_names = models.JSONField(default=list, blank=True)
    #: errorCode values; empty: the error code does not matter.
    error_codes = models.JSONField(default=list, blank=True)
    #: Instance types (or prefixes ending in '*'); empty: any.
    instance_types = models.JSONField(default=list, blank=True)
    #: Lower is tried first (the first match wins).
    position = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class SecurityEvent(BaseModel):
    """F2: one classified CloudTrail event, once per event id."""

    tenant_path = "organisation"

    event_id = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=50)
    severity = models.CharField(max_length=10, choices=SecuritySeverity.choices)
    account_id = models.CharField(max_length=12, blank=True)
    region = models.CharField(max_length=40, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="security_events",
    )
    actor = models.CharField(max_length=500, blank=True, help_text="userIdentity ARN")
    resource = models.CharField(max_length=500, blank=True)
    event_source = models.CharField(max_length=100, blank=True)
    event_name = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    event_time = models.DateTimeField()
    raw = models.JSONField(default=dict)
    #: Where it was routed: "rota:<team>" when a page was raised, else why it was not.
    routed = models.CharField(max_length=300, blank=True)
    page_id = models.PositiveIntegerField(null=True, blank=True)
    incident_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-event_time", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_name}"
