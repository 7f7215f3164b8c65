"""The calendar of windows (D6, E4).

Changes and maintenance are sibling domains that may not import each other, yet D6 asks whether a
change overlaps a blackout or another change on the same service, and E4 puts both in one iCalendar
feed. So each domain writes a copy of its window here (`services.window_put`, inside its own
transaction) and reads overlaps back (`selectors.overlapping`): one table below both, keyed by
(source, source_id), never edited by hand."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from opsdesk.core.tenancy import RestrictedQuerySet
from opsdesk.schedule.choices import WindowKind, WindowPhase


class Window(models.Model):
    """One window of one source record: a change's agreed window, a provider or customer maintenance,
    a blackout. `organisation` is empty for provider-wide maintenance (every customer)."""

    tenant_path = "organisation"

    source = models.CharField(max_length=40, help_text='The record it copies, e.g. "changes.change".')
    source_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=24, choices=WindowKind.choices)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reference = models.CharField(max_length=40, blank=True, help_text="e.g. CHG-2026-000012")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10_000, blank=True)
    state = models.CharField(max_length=40, blank=True, help_text="The source's own state, as shown.")
    phase = models.CharField(max_length=12, choices=WindowPhase.choices, default=WindowPhase.PLANNED)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    all_services = models.BooleanField(
        default=False, help_text="Names no service: touches every service of the organisation."
    )
    public = models.BooleanField(default=False, help_text="Shown on the public status page (E4).")
    components = models.JSONField(default=list, blank=True, help_text="Status-page components affected.")
    url = models.CharField(max_length=300, blank=True, help_text="The source record's page.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(
                fields=["organisation", "kind", "starts_at", "ends_at"], name="window_org_kind_range"
            ),
            models.Index(fields=["organisation", "ends_at"], name="window_org_ends"),
            models.Index(fields=["public", "ends_at"], name="window_public_ends"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="window_one_per_source"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="window_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class WindowService(models.Model):
    """A window on one service, its times and phase copied, so "what else is on these services
    then?" is one probe of the (service, starts_at) index instead of a join and a sort."""

    tenant_path = "window__organisation"

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="covers")
    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    holds_slot = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["service", "starts_at", "ends_at"], name="window_service_range")]
        constraints = [
            models.UniqueConstraint(fields=["window", "service"], name="window_service_once"),
        ]

    def __str__(self) -> str:
        return f"window {self.window_id} on service {self.service_id}"
