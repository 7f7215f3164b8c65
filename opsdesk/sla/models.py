"""SLA policy as data (B3): per priority, which clock runs and the initial and considered response
targets. The default policy is the customer service plan's table; providers may add others and
assign them per organisation."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.sla.choices import Clock, Priority


class SlaPolicy(BaseModel):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=500, blank=True)
    is_default = models.BooleanField(default=False)
    warning_fraction = models.FloatField(
        default=0.8, help_text="B6: a warning when this fraction of a target's business time has elapsed."
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_sla_policy"
            ),
            models.CheckConstraint(
                condition=Q(warning_fraction__gt=0, warning_fraction__lt=1),
                name="warning_fraction_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(BaseModel):
    """One row of the B3 table. A target is either N hours (business hours on a business clock,
    elapsed hours on 24x7) with an optional "or by HH:MM next business day" fallback, or N
    business days (P4)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    meaning = models.CharField(max_length=200, blank=True)
    clock = models.CharField(max_length=10, choices=Clock.choices)
    initial_hours = models.FloatField(null=True, blank=True)
    initial_fallback = models.TimeField(null=True, blank=True)
    initial_business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    considered_hours = models.FloatField(null=True, blank=True)
    considered_fallback = models.TimeField(null=True, blank=True)
    considered_business_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_unique_priority"),
            models.CheckConstraint(
                condition=Q(initial_hours__isnull=False, initial_business_days__isnull=True)
                | Q(initial_hours__isnull=True, initial_business_days__isnull=False),
                name="sla_initial_hours_xor_days",
            ),
            models.CheckConstraint(
                condition=Q(considered_hours__isnull=False, considered_business_days__isnull=True)
                | Q(considered_hours__isnull=True, considered_business_days__isnull=False),
                name="sla_considered_hours_xor_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"

    def rule(self, target: str) -> tuple[float | None, object, int | None]:
        """(hours, fallback, business_days) of the initial or considered target."""
        return (
            getattr(self, f"{target}_hours"),
            getattr(self, f"{target}_fallback"),
            getattr(self, f"{target}_business_days"),
        )
