"""Root-cause analyses (C6): the report a closed P1 gets (and a P2 on request) and its action plan.

Imported at the end of models.py so Django registers them in the incidents app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from opsdesk.core.models import BaseModel
from opsdesk.incidents.models import Incident

__all__ = ["RCA_SECTIONS", "RcaAction", "RcaState", "RootCauseAnalysis"]


class RcaState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"


#: C6: the written sections of the report, in order; all must be filled before it is submitted.
RCA_SECTIONS: tuple[tuple[str, str], ...] = (
    ("impact", "Impact of the incident"),
    ("timeline_of_events", "Timeline of events"),
    ("monitoring_assessment", "Assessment of monitoring and metrics"),
    ("lessons_learned", "Lessons learned"),
    ("recommendations", "Recommendations for avoiding a repeat incident"),
)


class RootCauseAnalysis(BaseModel):
    """C6: one per incident. Due 10 working days after a P1 closes (B7), or after a P2's request,
    when it is flagged possibly chargeable."""

    tenant_path = "incident__organisation"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="rca")
    due_at = models.DateTimeField()
    chargeable = models.BooleanField(
        default=False, help_text="P2 on request: possibly subject to professional service charges."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who asked for it (P2); empty when opened by closing a P1.",
    )
    state = models.CharField(max_length=12, choices=RcaState.choices, default=RcaState.DRAFT)
    impact = models.TextField(blank=True, max_length=50_000)
    timeline_of_events = models.TextField(blank=True, max_length=50_000)
    monitoring_assessment = models.TextField(
        "assessment of monitoring and metrics", blank=True, max_length=50_000
    )
    lessons_learned = models.TextField(blank=True, max_length=50_000)
    recommendations = models.TextField(blank=True, max_length=50_000)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        app_label = "incidents"
        ordering = ["due_at", "id"]
        verbose_name = "root-cause analysis"
        verbose_name_plural = "root-cause analyses"
        indexes = [models.Index(fields=["state", "due_at"], name="rca_state_due")]

    def __str__(self) -> str:
        return f"RCA of incident {self.incident_id}"


class RcaAction(BaseModel):
    """C6: one line of the action plan, including runbook updates."""

    tenant_path = "rca__incident__organisation"

    rca = models.ForeignKey(RootCauseAnalysis, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(max_length=5_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    runbook_update = models.BooleanField(default=False, help_text="The action updates a runbook.")

    class Meta:
        app_label = "incidents"
        ordering = ["rca", "id"]

    def __str__(self) -> str:
        return self.description[:80]
