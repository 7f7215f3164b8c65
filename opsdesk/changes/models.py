"""Change management (D1–D5): the standard-change catalogue with its runbooks, approved pipelines
(deployments through them need no RFC), requests for change with their priority calls, the
timeline of transitions (who and when), the approval matrix as rows, and each approval given."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.changes.choices import (
    ApprovalSide,
    ChangeLevel,
    ChangeState,
    Decision,
    EmergencyReason,
    Urgency,
)
from opsdesk.core.models import BaseModel
from opsdesk.sla.choices import Priority

TEXT_MAX = 10_000


class StandardChange(BaseModel):
    """D3 level 1: a pre-approved change, well understood and documented in its runbook."""

    tenant_path = None  # the provider's catalogue: read by everyone who may see changes (selectors)

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(max_length=TEXT_MAX, blank=True)
    runbook = models.TextField(max_length=100_000, help_text="Markdown: how the change is done and checked.")
    is_active = models.BooleanField(default=True, help_text="Offered for new level-1 changes.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApprovedPipeline(BaseModel):
    """D3: "in the case of there being approved code pipelines in place to de-risk code deployments,
    RFCs are not required" — recorded on the service."""

    tenant_path = "service__organisation"

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200, help_text="e.g. GitHub Actions → CodeDeploy (main)")
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["service", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="approved_pipeline_unique_per_service")
        ]

    def __str__(self) -> str:
        return self.name


class Change(BaseModel):
    """A request for change (D1) at its level (D3) and state (D4)."""

    tenant_path = "organisation"

    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField("change details", max_length=TEXT_MAX, blank=True)
    documents = models.TextField(
        "RFC documents", max_length=TEXT_MAX, blank=True, help_text="Links or references, one a line."
    )
    level = models.PositiveSmallIntegerField(choices=ChangeLevel.choices)
    state = models.CharField(max_length=24, choices=ChangeState.choices)
    # D2: priority from urgency and the impact statement; P3 unless raised by a recorded call.
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.MEDIUM)
    impact_statement = models.TextField(max_length=TEXT_MAX, blank=True)
    # D1: who asked, for whom, and who is to be reached
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    requester_contact = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer's authorised change approver who submitted the RFC.",
    )
    lead_contact = models.ForeignKey(
        "directory.NamedContact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_availability_in_hours = models.CharField(max_length=200, blank=True)
    lead_availability_out_of_hours = models.CharField(max_length=200, blank=True)
    authoriser = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer's nominated change approver, who authorises implementation.",
    )
    services = models.ManyToManyField("directory.Service", blank=True, related_name="+")
    accounts = models.ManyToManyField("directory.CloudAccount", blank=True, related_name="+")
    requested_start = models.DateTimeField(null=True, blank=True)
    requested_end = models.DateTimeField(null=True, blank=True)
    test_plan = models.TextField("test and validation plan", max_length=TEXT_MAX, blank=True)
    # D1 note: a provider-initiated change with operational impact: the customer contacted first
    provider_initiated = models.BooleanField(default=False)
    customer_contacted_at = models.DateTimeField(null=True, blank=True)
    customer_contact_note = models.CharField(max_length=1000, blank=True)
    # level 1
    standard_change = models.ForeignKey(
        StandardChange, null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    implementation_due_at = models.DateTimeField(null=True, blank=True, help_text="Copy of the sla deadline.")
    # level 2
    review_due_at = models.DateTimeField(null=True, blank=True, help_text="Copy of the sla deadline.")
    impact_assessment = models.TextField(max_length=TEXT_MAX, blank=True)
    engaged = models.TextField("who is engaged", max_length=TEXT_MAX, blank=True)
    statement_of_work = models.TextField(max_length=TEXT_MAX, blank=True)
    backout_plan = models.TextField("backout (rollback) plan", max_length=TEXT_MAX, blank=True)
    cost_impact = models.TextField(max_length=2000, blank=True)
    checklist = models.JSONField(default=list, blank=True, help_text='[{"item": "...", "done": false}]')
    # level 3
    emergency_reason = models.CharField(max_length=30, choices=EmergencyReason.choices, blank=True)
    incident_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    vulnerability_reference = models.CharField(max_length=100, blank=True, help_text="e.g. CVE-2026-12345")
    incident_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by_phone = models.BooleanField(default=False)
    documented_at = models.DateTimeField(null=True, blank=True)
    # D4: post-change review
    review_notes = models.TextField(max_length=TEXT_MAX, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    #: D5: a rejection starts a new round of consultation; approvals count within the current round.
    approval_round = models.PositiveSmallIntegerField(default=1)
    #: D6: the agreed window in force (the latest of the change's windows, none superseded).
    window = models.ForeignKey(
        "ChangeWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: D6: why implementation was halted (past its window, or the deviation an engineer reported).
    halted_reason = models.CharField(max_length=1000, blank=True)
    halted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=1, standard_change__isnull=False) | ~Q(level=1),
                name="change_standard_needs_catalogue_entry",
            ),
            models.CheckConstraint(
                condition=~Q(level=3) | ~Q(emergency_reason=""), name="change_emergency_needs_reason"
            ),
            models.CheckConstraint(
                condition=Q(requested_start__isnull=True)
                | Q(requested_end__isnull=True)
                | Q(requested_end__gt=models.F("requested_start")),
                name="change_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Change #{self.pk}"


class PriorityCall(models.Model):
    """D2: raising a change's priority needs a telephone contact with the service desk: who called,
    when, what was said, and the priorities before and after."""

    tenant_path = "change__organisation"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="priority_calls")
    caller = models.CharField(max_length=200)
    called_at = models.DateTimeField()
    note = models.CharField(max_length=1000)
    from_priority = models.CharField(max_length=2, choices=Priority.choices)
    to_priority = models.CharField(max_length=2, choices=Priority.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["called_at", "pk"]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.from_priority} -> {self.to_priority}"


class ChangeEvent(models.Model):
    """One transition of a change (D4): from which state to which, who and when, and what was said."""

    tenant_path = "change__organisation"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=24, choices=ChangeState.choices, blank=True)
    to_state = models.CharField(max_length=24, choices=ChangeState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.from_state} -> {self.to_state}"


class ApprovalRule(BaseModel):
    """D5, the approval matrix as data: for a level, whose approval is needed (or only given
    notice), and, on the provider side, which staff roles may give it."""

    tenant_path = None

    level = models.PositiveSmallIntegerField(choices=ChangeLevel.choices)
    side = models.CharField(max_length=20, choices=ApprovalSide.choices)
    required = models.BooleanField(default=True)
    roles = models.JSONField(default=list, blank=True, help_text="Provider staff roles that may approve.")
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["level", "side"]
        constraints = [models.UniqueConstraint(fields=["level", "side"], name="approval_rule_once")]

    def __str__(self) -> str:
        return f"Level {self.level}, {self.side}"


class ChangeApproval(models.Model):
    """One decision on a change (D5), in the round of consultation it was given in."""

    tenant_path = "change__organisation"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="approvals")
    round = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=20, choices=ApprovalSide.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer's change approver who decided (customer side).",
    )
    reason = models.CharField(max_length=1000, blank=True)
    contacted = models.CharField(
        max_length=1000, blank=True, help_text="Level 3: whom the incident owner contacted."
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="rejected") | ~Q(reason=""), name="change_rejection_needs_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.side} {self.decision}"


class ChangeWindow(models.Model):
    """D6: a window agreed for a change: when it may be implemented, who agreed it and when, what it
    overlapped when it was agreed (flagged, not refused) and whether work in it is chargeable
    (outside the organisation's core hours). Rescheduling supersedes the window in force with a new
    one; none is ever edited or deleted, so the change keeps the history of its windows."""

    tenant_path = "change__organisation"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    agreed_at = models.DateTimeField()
    agreed_with = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The customer's contact the window was agreed with.",
    )
    note = models.CharField(max_length=1000, blank=True)
    overlaps = models.JSONField(
        default=list,
        blank=True,
        help_text='What it overlapped when agreed: [{"kind", "reference", "title", "starts_at", "ends_at"}].',
    )
    chargeable = models.BooleanField(default=False, help_text="Some of it falls outside core hours.")
    out_of_hours = models.DurationField(default=dt.timedelta(0))
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["agreed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="change_window_agreed_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["change"], condition=Q(superseded_at__isnull=True), name="change_window_one_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


class ChangeReferenceCounter(models.Model):
    """The last change number given in a year (CHG-<year>-<6 digits>), taken under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
