"""The escalation matrix as data (C7) and the escalations raised against incidents.

The matrix (who handles each level, in how many working hours, who is copied) and the criteria a
customer must give are seeded rows (migration 0004), not constants: the engine that applies them
is opsdesk/incidents/escalations.py. Imported at the end of models.py so Django registers them in
the incidents app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.core.roles import Role
from opsdesk.incidents.models import Incident

__all__ = [
    "Escalation",
    "EscalationCriterion",
    "EscalationLevel",
    "EscalationState",
    "ACTIVE_ESCALATION_STATES",
]


class EscalationLevel(BaseModel):
    """One row of the C7 matrix. Level 1 is the service desk's normal handling (entry,
    qualification and acceptance); an escalation starts at level 2."""

    level = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=40, choices=Role.choices, help_text="Who handles this level.")
    description = models.CharField(max_length=300, blank=True)
    acknowledgement_hours = models.FloatField(
        null=True, blank=True, help_text="Acknowledgement target in working hours (empty: none)."
    )
    considered_response_hours = models.FloatField(
        null=True, blank=True, help_text="Considered-response target in working hours (empty: none)."
    )
    copied = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="copied_on",
        help_text="The levels whose people are copied on an escalation at this level.",
    )
    copy_service_manager = models.BooleanField(
        default=False, help_text="Copy the organisation's service manager (its CSDM)."
    )

    class Meta:
        app_label = "incidents"
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=9), name="escalation_level_1_9"),
            models.CheckConstraint(
                condition=Q(acknowledgement_hours__isnull=True) | Q(acknowledgement_hours__gt=0),
                name="escalation_ack_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(considered_response_hours__isnull=True) | Q(considered_response_hours__gt=0),
                name="escalation_response_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} — {self.name}"


class EscalationCriterion(BaseModel):
    """C7: one of the reasons a customer may escalate; one must be given with every escalation."""

    code = models.SlugField(max_length=50, unique=True)
    text = models.CharField(max_length=300)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "incidents"
        ordering = ["position", "id"]
        verbose_name_plural = "escalation criteria"

    def __str__(self) -> str:
        return self.text


class EscalationState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESPONDED = "responded", "Considered response given"
    ESCALATED = "escalated", "Escalated to the next level"
    CLOSED = "closed", "Closed"


#: States of the escalation currently in force on an incident (at most one, by constraint).
ACTIVE_ESCALATION_STATES = (EscalationState.OPEN, EscalationState.ACKNOWLEDGED, EscalationState.RESPONDED)


class Escalation(BaseModel):
    """An incident escalated to one level of the matrix (C7). Moving up a level marks this row
    `escalated` and starts a new row at the next level linked by `previous`, so each level keeps
    its own targets, acknowledgement and considered response."""

    tenant_path = "incident__organisation"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    level = models.ForeignKey(EscalationLevel, on_delete=models.PROTECT, related_name="escalations")
    criterion = models.ForeignKey(EscalationCriterion, on_delete=models.PROTECT, related_name="escalations")
    details = models.TextField(blank=True, max_length=10_000)
    grounds = models.CharField(
        max_length=300,
        blank=True,
        help_text="When moved up a level: why the criteria were met at the level below (C7).",
    )
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next",
        help_text="The escalation at the level below that this one moved up from.",
    )
    state = models.CharField(max_length=20, choices=EscalationState.choices, default=EscalationState.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_by_contact = models.ForeignKey(
        "directory.NamedContact", on_delete=models.PROTECT, related_name="escalations"
    )
    raised_at = models.DateTimeField()
    best_endeavours = models.BooleanField(
        default=False, help_text="Raised outside Mon–Fri 09:00–17:00: handled on a best-endeavours basis."
    )
    acknowledgement_due = models.DateTimeField(null=True, blank=True)
    considered_response_due = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    considered_response_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response = models.TextField(blank=True, max_length=20_000, help_text="The considered response.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        app_label = "incidents"
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["incident", "raised_at"], name="escalation_incident_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(state__in=["open", "acknowledged", "responded"]),
                name="escalation_one_active_per_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level.level} escalation of incident {self.incident_id}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_ESCALATION_STATES
