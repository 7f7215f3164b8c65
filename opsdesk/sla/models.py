"""SLA policy as data (B3): per priority, which clock runs and the initial and considered response
targets. The default policy is the customer service plan's table; providers may add others and
assign them per organisation."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.sla.choices import Clock, DeadlineKind, Priority


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


class Deadline(models.Model):
    """One due time of any domain (architecture.md › sla): an incident's initial and considered
    response (B3), an RCA's due date (B7), an escalation level's targets (C7), and the coming
    domains' notice periods. What it belongs to is (owner_type, owner_id): a name and an id, not a
    foreign key, so sla stays below the domains and one recomputation reads every kind with one
    indexed query per calendar.

    The rule is data: `hours` (business hours, with an optional `fallback` "by HH:MM next business
    day") or `business_days` (P4: the start day's length × n), both the B3 rule of the engine, or
    `working_days` (B7: add_business_days). `due_at` is the rule applied to `start_at` plus the
    business time paused so far (B4); `warn_at` is at `warning_fraction` of it (B6). A deadline runs
    until it is met or closed (its owner ended without meeting it); the sweep records `warned_at`
    and `breached_at` once each."""

    owner_type = models.CharField(max_length=40)
    owner_id = models.BigIntegerField()
    kind = models.CharField(max_length=40, choices=DeadlineKind.choices)
    calendar = models.ForeignKey("calendars.Calendar", on_delete=models.PROTECT, related_name="+")
    start_at = models.DateTimeField()
    hours = models.FloatField(null=True, blank=True)
    fallback = models.TimeField(null=True, blank=True)
    business_days = models.PositiveSmallIntegerField(null=True, blank=True)
    working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    warning_fraction = models.FloatField(null=True, blank=True)
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.BigIntegerField(default=0, help_text="Business seconds paused so far (B4).")
    met_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Its owner ended without meeting it: no longer runs."
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_type", "owner_id", "kind"], name="deadline_one_per_kind"),
            models.CheckConstraint(
                condition=Q(hours__isnull=False, business_days__isnull=True, working_days__isnull=True)
                | Q(hours__isnull=True, business_days__isnull=False, working_days__isnull=True)
                | Q(hours__isnull=True, business_days__isnull=True, working_days__isnull=False),
                name="deadline_one_rule",
            ),
            models.CheckConstraint(condition=Q(paused_seconds__gte=0), name="deadline_paused_not_negative"),
        ]
        indexes = [
            # The recomputation after a calendar change reads the running deadlines of one calendar.
            models.Index(
                fields=["calendar", "id"],
                condition=Q(met_at__isnull=True, closed_at__isnull=True),
                name="deadline_running_calendar",
            ),
            # The sweep: running, a warning or a breach not yet recorded. Keyed by the start, which
            # a recomputation never changes, so that its updates touch no indexed column and are
            # HOT updates on PostgreSQL (no index maintenance; the table keeps free space for them,
            # migration 0003): the sweep filters the due instants on the rows the index finds.
            models.Index(
                fields=["start_at"],
                condition=Q(met_at__isnull=True, closed_at__isnull=True)
                & (Q(warned_at__isnull=True) | Q(breached_at__isnull=True)),
                name="deadline_sweep",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.owner_type} {self.owner_id}"

    @property
    def is_running(self) -> bool:
        return self.met_at is None and self.closed_at is None
