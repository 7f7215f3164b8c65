"""Operations on Demand (G1–G4, G6): the catalogue of offerings with their block rates, requests for
blocks of hours and their review, and the engagements an approval starts.

Offerings and rates belong to the provider (no tenant); requests and engagements belong to one
organisation each.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, ServicePlan, validate_regions
from opsdesk.ood.choices import (
    CURRENCIES,
    DEFAULT_CURRENCY,
    EngagementStatus,
    ModificationState,
    OfferingState,
    Recurrence,
    RequestState,
)

TEXT_MAX = 10_000


class Offering(BaseModel):
    """G1: one standardised operation sold in blocks of 20 hours, on the plans listed."""

    tenant_path = None

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(max_length=TEXT_MAX, blank=True)
    plans = models.ManyToManyField(
        ServicePlan, related_name="offerings", help_text="Plans it is available on."
    )
    state = models.CharField(max_length=16, choices=OfferingState.choices, default=OfferingState.ACTIVE)
    regions = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_regions],
        help_text="AWS regions it is limited to; empty: every region.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.state == OfferingState.ACTIVE

    def rate_in(self, month: dt.date) -> OfferingRate | None:
        """G1: the rate a month is charged at, the latest effective on or before its first day.
        Reads `rates.all()`, so a prefetched list costs no query."""
        first = month.replace(day=1)
        eligible = [r for r in self.rates.all() if r.effective_from <= first]
        return max(eligible, key=lambda r: r.effective_from, default=None)

    @property
    def rate_now(self) -> OfferingRate | None:
        from django.utils import timezone

        return self.rate_in(timezone.localdate())


class OfferingRate(BaseModel):
    """G1: the price of one block from a month on. Rates are never edited away: a new rate is a new
    row, so a past statement keeps the rate that was in force in its month."""

    tenant_path = None

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="rates")
    rate = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, choices=CURRENCIES, default=DEFAULT_CURRENCY)
    effective_from = models.DateField(help_text="The first day of the month the rate applies from.")

    class Meta:
        ordering = ["offering", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "effective_from"], name="ood_rate_once_per_month"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="ood_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.offering} {self.currency} {self.rate} from {self.effective_from:%Y-%m}"

    def clean(self) -> None:
        if self.effective_from and self.effective_from.day != 1:
            raise ValidationError(
                {"effective_from": "A rate takes effect on the first day of a month (rates are monthly)."}
            )


class OodRequest(BaseModel):
    """G2/G3: a request for blocks of one or more offerings, from a named contact of the customer
    (or staff on their behalf), submitted through one cloud account; reviewed once."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ood_requests")
    contact = models.ForeignKey(
        NamedContact, on_delete=models.PROTECT, related_name="ood_requests", help_text="Requested by."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitting_account = models.ForeignKey(CloudAccount, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(max_length=TEXT_MAX, blank=True)
    state = models.CharField(max_length=24, choices=RequestState.choices, default=RequestState.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(max_length=TEXT_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "on-demand request"
        constraints = [
            models.CheckConstraint(
                condition=(Q(state=RequestState.SUBMITTED) & Q(decided_at__isnull=True))
                | (~Q(state=RequestState.SUBMITTED) & Q(decided_at__isnull=False)),
                name="ood_request_decided_at_iff_decided",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"OOD-{self.pk:06d}" if self.pk else "OOD-new"

    @property
    def is_decided(self) -> bool:
        return self.state != RequestState.SUBMITTED


class RequestLine(BaseModel):
    """One line of a request (G2): an offering, the blocks a month, the accounts that receive it;
    and, once reviewed (G3), what was approved of it."""

    tenant_path = "request__organisation"

    request = models.ForeignKey(OodRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="request_lines")
    blocks = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    recurrence = models.CharField(max_length=16, choices=Recurrence.choices)
    accounts = models.ManyToManyField(CloudAccount, related_name="ood_request_lines")
    approved_blocks = models.PositiveIntegerField(null=True, blank=True)
    approved_accounts = models.ManyToManyField(CloudAccount, blank=True, related_name="+")
    decision_reason = models.TextField(max_length=TEXT_MAX, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(blocks__gte=1), name="ood_line_blocks_at_least_one"),
            models.CheckConstraint(
                condition=Q(approved_blocks__isnull=True) | Q(approved_blocks__lte=models.F("blocks")),
                name="ood_line_approved_within_requested",
            ),
            models.UniqueConstraint(fields=["request", "position"], name="ood_line_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.request} line {self.position}: {self.offering} × {self.blocks}"


class Engagement(BaseModel):
    """G4: one approved line for one account. Starts on the G4 rule's date (or a mutually agreed
    one, recorded as such); a monthly engagement runs until its end month, which only a
    modification sets (G5) — it is never deleted."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="engagements")
    line = models.ForeignKey(RequestLine, on_delete=models.PROTECT, related_name="engagements")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="engagements")
    account = models.ForeignKey(CloudAccount, on_delete=models.PROTECT, related_name="engagements")
    recurrence = models.CharField(max_length=16, choices=Recurrence.choices)
    start_date = models.DateField()
    end_month = models.DateField(
        null=True, blank=True, help_text="First day of the last month served; empty: until modified."
    )
    agreed_start = models.BooleanField(
        default=False, help_text="The start date was mutually agreed instead of the G4 rule's."
    )
    agreed_with = models.CharField(max_length=200, blank=True, help_text="Who agreed the start date.")
    approved_on = models.DateField(help_text="The approval date in the provider's time zone.")
    # Issue 10: the kick-off (an engineer assigned, first contact made), due by the engagement-start
    # deadline (sla, kind engagement_start); start_due_at is the engagement's copy of its due time.
    start_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider must have started it (the sla deadline's due)."
    )
    started_at = models.DateTimeField(null=True, blank=True, help_text="Kick-off: when work started.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The engineer assigned at kick-off.",
    )

    class Meta:
        ordering = ["-start_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "account"], name="ood_engagement_once_per_line_account"),
        ]
        indexes = [models.Index(fields=["organisation", "start_date"])]

    def __str__(self) -> str:
        return f"{self.offering} · {self.account.account_id}"

    def clean(self) -> None:
        if self.end_month is not None:
            if self.end_month.day != 1:
                raise ValidationError({"end_month": "The end month is given by its first day."})
            if self.start_date and self.end_month < self.start_date.replace(day=1):
                raise ValidationError({"end_month": "The end month cannot be before the start month."})

    @property
    def start_month(self) -> dt.date:
        return self.start_date.replace(day=1)

    def blocks_in(self, month: dt.date) -> int:
        """The blocks a month (G4): the latest allocation from on or before it; 0 before the start
        month and after the end month. Reads `allocations.all()`, so a prefetched list costs nothing."""
        first = month.replace(day=1)
        if first < self.start_month or (self.end_month is not None and first > self.end_month):
            return 0
        rows = [a for a in self.allocations.all() if a.from_month <= first]
        return max(rows, key=lambda a: a.from_month).blocks if rows else 0

    @property
    def blocks_this_month(self) -> int:
        from django.utils import timezone

        return self.blocks_in(timezone.localdate())

    @property
    def is_started(self) -> bool:
        return self.started_at is not None

    def start_overdue(self, now: dt.datetime) -> bool:
        """Not started and past the engagement-start deadline's due time."""
        return self.started_at is None and self.start_due_at is not None and now >= self.start_due_at

    @property
    def start_is_overdue(self) -> bool:
        from django.utils import timezone

        return self.start_overdue(timezone.now())

    def status_on(self, day: dt.date) -> str:
        if day < self.start_date:
            return EngagementStatus.SCHEDULED
        if self.end_month is not None and day.replace(day=1) > self.end_month:
            return EngagementStatus.ENDED
        return EngagementStatus.ACTIVE


class EngagementAllocation(BaseModel):
    """The blocks a month an engagement has from `from_month` on, until a later row (G4/G5): the
    engagement's full history of allocations by month."""

    tenant_path = "engagement__organisation"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="allocations")
    from_month = models.DateField()
    blocks = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    modification = models.ForeignKey(
        "Modification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        help_text="The modification (G5) that set it; empty: the approval that started the engagement.",
    )

    class Meta:
        ordering = ["engagement", "from_month"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "from_month"], name="ood_allocation_once_per_month"
            ),
            models.CheckConstraint(condition=Q(blocks__gte=1), name="ood_allocation_blocks_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.engagement}: {self.blocks} from {self.from_month:%Y-%m}"


class TimeEntry(BaseModel):
    """G6: hours an engineer worked on an engagement, in quarter hours, on a work date. Usage is
    counted by `month` (the first day of the work date's month): a back-dated entry counts in its
    own month. Entries change only while their month is open (not invoiced)."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="time_entries")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="time_entries")
    account = models.ForeignKey(CloudAccount, on_delete=models.PROTECT, related_name="+")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    work_date = models.DateField()
    month = models.DateField(help_text="The first day of the work date's month; usage is counted by it.")
    hours = models.DecimalField(max_digits=7, decimal_places=2)
    description = models.TextField(max_length=TEXT_MAX)

    class Meta:
        ordering = ["-work_date", "-pk"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="ood_time_hours_positive"),
        ]
        indexes = [models.Index(fields=["month", "engagement"]), models.Index(fields=["engagement", "month"])]

    def __str__(self) -> str:
        return f"{self.engagement}: {self.hours} h on {self.work_date:%Y-%m-%d}"


class MonthClose(BaseModel):
    """G6: an organisation's month closed (invoiced) by billing staff. From then on the month's
    figures never change: entries into it are refused and its statement is the lines stored here."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="month_closes")
    month = models.DateField(help_text="The first day of the month closed.")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="ood_month_closed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.month:%Y-%m} (closed)"


class StatementLine(BaseModel):
    """One engagement-month of a closed statement, as it stood at the close (G6)."""

    tenant_path = "close__organisation"

    close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="lines")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="+")
    offering = models.CharField(max_length=200)
    account = models.CharField(max_length=12)
    recurrence = models.CharField(max_length=16, choices=Recurrence.choices)
    allocated_blocks = models.PositiveIntegerField()
    hours_used = models.DecimalField(max_digits=9, decimal_places=2)
    billed_blocks = models.PositiveIntegerField()
    overrun_hours = models.DecimalField(max_digits=9, decimal_places=2)
    rate = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, choices=CURRENCIES)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["close", "offering", "account", "engagement"]
        constraints = [
            models.UniqueConstraint(fields=["close", "engagement"], name="ood_statement_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.close}: {self.offering} {self.account}"


class Modification(BaseModel):
    """G5: a request to change an engagement — its blocks a month up or down, accounts added to its
    request line (each a new engagement) or removed (that account's engagement ends), or the end of
    a monthly engagement — from a requested effective date. Reviewed once: approved (effective on
    the G4 date from the approval, never earlier than requested), sent to scoping with the CSDM, or
    denied. After scoping, a second modification `follows` the first and carries the change."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ood_modifications")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="modifications")
    contact = models.ForeignKey(
        NamedContact, on_delete=models.PROTECT, related_name="ood_modifications", help_text="Requested by."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followed_by",
        help_text="The modification sent to scoping that this one carries out.",
    )
    requested_date = models.DateField(help_text="The effective date asked for.")
    blocks = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="New blocks a month; empty: unchanged.",
    )
    end = models.BooleanField(default=False, help_text="End this monthly engagement.")
    add_accounts = models.ManyToManyField(CloudAccount, blank=True, related_name="+")
    remove_accounts = models.ManyToManyField(CloudAccount, blank=True, related_name="+")
    notes = models.TextField(max_length=TEXT_MAX, blank=True)
    state = models.CharField(
        max_length=24, choices=ModificationState.choices, default=ModificationState.SUBMITTED
    )
    effective_month = models.DateField(
        null=True, blank=True, help_text="First day of the month the approved change takes effect."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(max_length=TEXT_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "engagement modification"
        constraints = [
            models.CheckConstraint(
                condition=(Q(state=ModificationState.SUBMITTED) & Q(decided_at__isnull=True))
                | (~Q(state=ModificationState.SUBMITTED) & Q(decided_at__isnull=False)),
                name="ood_modification_decided_at_iff_decided",
            ),
            models.CheckConstraint(
                condition=Q(state=ModificationState.APPROVED, effective_month__isnull=False)
                | (~Q(state=ModificationState.APPROVED) & Q(effective_month__isnull=True)),
                name="ood_modification_effective_iff_approved",
            ),
            models.CheckConstraint(
                condition=Q(blocks__isnull=True) | Q(blocks__gte=1),
                name="ood_modification_blocks_at_least_one",
            ),
            models.CheckConstraint(
                condition=~(Q(end=True) & Q(blocks__isnull=False)),
                name="ood_modification_end_takes_no_blocks",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"MOD-{self.pk:06d}" if self.pk else "MOD-new"

    @property
    def is_decided(self) -> bool:
        return self.state != ModificationState.SUBMITTED

    def clean(self) -> None:
        if self.effective_month is not None and self.effective_month.day != 1:
            raise ValidationError({"effective_month": "A change takes effect on the first day of a month."})
