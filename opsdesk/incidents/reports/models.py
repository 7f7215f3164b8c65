"""The SLA report's monthly roll-up (issue 9, item 2): the figures of each (organisation, priority,
month) kept in a row of their own, so that a report reads at most organisations × 4 × months rows
instead of aggregating every incident it covers.

What a row holds is exact, not an approximation:

- counts (logged, met, breached, escalations by level, RCAs due and on time) and sums (time paused,
  times to respond and resolve, with how many there are: the means are sum ÷ count);
- the 90th percentiles of the row's own times to respond and resolve (`percentile_cont(0.9)` of the
  incidents logged that month), computed when the row is. The report shows a percentile per row
  only (never over several months or organisations), so the stored value is the report's value;
- the part of a figure that depends on when the report is asked for is not counted in the row but
  kept beside it: the due times of the responses still running unanswered and of the RCAs not yet
  submitted (`pending`, in microseconds since the epoch, with their counts and first and last). A
  report asked for at `now` counts those due by `now` as breached (late), exactly as the live
  aggregation does; it reads the lists only of the rows whose first and last straddle `now`.

A row is refreshed whenever what it is computed from changes. Database triggers (migration 0002)
mark the (organisation, UTC month) of every incident, escalation and RCA written in a way that moves
its figures, in the writing transaction itself (inserts, deletes, and updates of the columns the
report reads, bulk and raw SQL ones included); `RollupMark` holds the marks. A report refreshes the
marked rows of its range before reading them (services.refresh_marked), and a Huey task refreshes
every marked row each minute, so a report is never stale.
"""

from __future__ import annotations

from django.db import models

from opsdesk.core.tenancy import RestrictedQuerySet
from opsdesk.incidents.choices import Priority


class SlaMonth(models.Model):
    """The report's figures of one organisation, priority and month (first day, in the provider's
    time zone). Derived data: written only by reports.services."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    priority = models.CharField(max_length=2, choices=Priority.choices)
    month = models.DateField()
    logged = models.PositiveIntegerField(default=0)
    initial_met = models.PositiveIntegerField(default=0)
    #: Breached whatever the time: answered late, or unanswered past due while paused or ended.
    initial_breached = models.PositiveIntegerField(default=0)
    considered_met = models.PositiveIntegerField(default=0)
    considered_breached = models.PositiveIntegerField(default=0)
    paused_seconds = models.BigIntegerField(default=0)
    respond_count = models.PositiveIntegerField(default=0)
    respond_sum = models.BigIntegerField(default=0)
    respond_p90 = models.FloatField(null=True)
    resolve_count = models.PositiveIntegerField(default=0)
    resolve_sum = models.BigIntegerField(default=0)
    resolve_p90 = models.FloatField(null=True)
    #: Escalations raised this month by level: {"2": 3, "3": 1}.
    escalations = models.JSONField(default=dict)
    rca_due = models.PositiveIntegerField(default=0)
    rca_on_time = models.PositiveIntegerField(default=0)
    #: Submitted after their due time (late whatever the time).
    rca_late = models.PositiveIntegerField(default=0)
    #: Due times (microseconds since the epoch, sorted) by kind ("initial", "considered", "rca") of
    #: the responses running unanswered and the RCAs not submitted: breached (late) once due.
    pending = models.JSONField(default=dict)
    #: How many there are of each kind, and the first and last of them all: a report at or after
    #: the last counts them all, one before the first none, without reading the lists.
    initial_pending = models.PositiveIntegerField(default=0)
    considered_pending = models.PositiveIntegerField(default=0)
    rca_pending = models.PositiveIntegerField(default=0)
    pending_first = models.DateTimeField(null=True)
    pending_last = models.DateTimeField(null=True)
    computed_at = models.DateTimeField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "organisation", "priority"], name="reports_slamonth_key")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.priority} {self.month:%Y-%m}"


class RollupMark(models.Model):
    """An (organisation, UTC month) whose roll-up rows must be recomputed: written by the database
    triggers of migration 0002 in the transaction that changed an incident, escalation or RCA. The
    month is UTC (the triggers know no time zones); it overlaps at most two of the provider's
    months, and both are recomputed. `generation` moves on every new mark of the same key, so a
    refresh deletes only the marks it read, never one written while it computed."""

    organisation_id = models.BigIntegerField()
    month = models.DateField()
    generation = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation_id", "month"], name="reports_mark_key")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m}"
