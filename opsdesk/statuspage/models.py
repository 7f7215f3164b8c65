"""The public status page (C8, E4): provider-wide incidents with their update timelines.

None of these records belongs to an organisation (tenant_path = None) and none links to customer
data by design: what is written here is published to anonymous readers. Customer-specific
incidents live in their own app and never reach this page. Provider-wide maintenance is not kept
here: it is provider maintenance with no organisation (the maintenance app), which the page reads
from the calendar of windows (`schedule.selectors.public_maintenance`), never a second copy.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.models import BaseModel
from opsdesk.statuspage.choices import (
    MAX_COMPONENT_LENGTH,
    MAX_COMPONENTS,
    StatusImpact,
    StatusIncidentState,
)

TEXT_MAX = 20_000
#: Clocks differ a little; a start a few minutes ahead is a typo-free "now", not the future.
START_SKEW = dt.timedelta(minutes=5)


def validate_components(value: object) -> None:
    """Affected components: a short list of distinct, non-empty names ("AWS eu-west-2 connectivity")."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Must be a list of component names.")
    if len(value) > MAX_COMPONENTS:
        raise ValidationError(f"At most {MAX_COMPONENTS} components.")
    for name in value:
        if not name.strip():
            raise ValidationError("A component name is empty.")
        if "\x00" in name:
            raise ValidationError("Null characters are not allowed.")
        if len(name) > MAX_COMPONENT_LENGTH:
            raise ValidationError(f"A component name is at most {MAX_COMPONENT_LENGTH} characters.")
    if len({v.strip().casefold() for v in value}) != len(value):
        raise ValidationError("A component is listed twice.")


class StatusIncident(BaseModel):
    """A provider-wide incident (C8). Its state only moves forward, one posted update per change."""

    tenant_path = None

    title = models.CharField(max_length=200)
    impact = models.CharField(max_length=16, choices=StatusImpact.choices, default=StatusImpact.MINOR)
    state = models.CharField(
        max_length=16, choices=StatusIncidentState.choices, default=StatusIncidentState.INVESTIGATING
    )
    components = models.JSONField(
        default=list, blank=True, validators=[validate_components], help_text="Affected components."
    )
    started_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=True, help_text="Shown on the public status page and feed.")

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state=StatusIncidentState.RESOLVED) & Q(resolved_at__isnull=False))
                | (~Q(state=StatusIncidentState.RESOLVED) & Q(resolved_at__isnull=True)),
                name="status_incident_resolved_at_iff_resolved",
            ),
        ]
        indexes = [models.Index(fields=["published", "state", "started_at"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.started_at and self.started_at > timezone.now() + START_SKEW:
            raise ValidationError({"started_at": "An incident cannot start in the future."})
        if self.resolved_at and self.started_at and self.resolved_at < self.started_at:
            raise ValidationError({"started_at": "The incident cannot start after it was resolved."})

    @property
    def is_ongoing(self) -> bool:
        return self.state != StatusIncidentState.RESOLVED


class StatusUpdate(BaseModel):
    """One entry of an incident's public timeline: the state at the time and what was said."""

    tenant_path = None

    incident = models.ForeignKey(StatusIncident, on_delete=models.CASCADE, related_name="updates")
    state = models.CharField(max_length=16, choices=StatusIncidentState.choices)
    body = models.TextField(max_length=TEXT_MAX, help_text="Markdown.")
    posted_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-posted_at", "-pk"]
        indexes = [models.Index(fields=["incident", "posted_at"])]

    def __str__(self) -> str:
        return f"{self.incident} · {self.get_state_display()}"
