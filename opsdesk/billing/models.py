"""Billing reviews (issue 12 item 6, F4): AWS costs imported from CSV files, aggregated to one row
per (account, day, product, tag set) so the table stays small whatever the size of the files;
thresholds per organisation (optionally per account) and the billing alerts they raise."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.billing.choices import AlertState, ImportState
from opsdesk.core.models import BaseModel
from opsdesk.core.tenancy import RestrictedQuerySet

MONEY = {"max_digits": 18, "decimal_places": 6}


class CostImport(BaseModel):
    """One imported file (who, when, name, SHA-256, lines, accounts, period). The provider's record:
    one file may hold several organisations' accounts, so customers never see it.

    An upload (page or API) is stored (the attachments' storage, `file_key`) and queued; a Huey task
    claims the row under a lease (`claim_token`, `lease_until`), imports the file in one transaction
    and marks it done, or failed with the first bad line named (`error_field`, `error`). The sweep
    puts a row whose worker died back in the queue. The shell's `opsdesk billing import` imports
    at once (done, or nothing recorded)."""

    tenant_path = None

    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    file_name = models.CharField(max_length=255)
    #: The uploaded file in the default storage until the import ends; then "".
    file_key = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes uploaded.")
    error_field = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True, max_length=2000, help_text="Why it failed: the bad line, named.")
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0, help_text="Cost lines read from the file.")
    cost_lines = models.PositiveIntegerField(default=0, help_text="Daily cost rows stored.")
    accounts = models.JSONField(default=list, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    replaced = models.PositiveIntegerField(default=0, help_text="Earlier daily cost rows replaced.")
    total = models.DecimalField(default=0, **MONEY)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "lease_until"], name="billing_import_state_lease")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class DailyCost(models.Model):
    """The cost of one account on one day (Europe/London) for one product and one set of tags."""

    tenant_path = "organisation"

    cost_import = models.ForeignKey(CostImport, on_delete=models.CASCADE, related_name="costs")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("directory.CloudAccount", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    product = models.CharField(max_length=100, blank=True)
    #: {"Environment": "production", ...}: filtered by key transform (tags__Environment="production").
    tags = models.JSONField(default=dict, blank=True)
    amount = models.DecimalField(**MONEY)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "day"], name="billing_cost_org_day"),
            models.Index(fields=["account", "day"], name="billing_cost_account_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.product} {self.amount}"


class BillingThreshold(BaseModel):
    """The customer's threshold (F4): a week-on-week change of at least `percent` % or `amount`
    (either, when both are set) raises a billing alert. Without an account: the organisation's total."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="billing_thresholds"
    )
    account = models.ForeignKey(
        "directory.CloudAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    percent = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=False) | Q(amount__isnull=False), name="billing_threshold_set"
            ),
            models.CheckConstraint(
                condition=(Q(percent__isnull=True) | Q(percent__gt=0))
                & (Q(amount__isnull=True) | Q(amount__gt=0)),
                name="billing_threshold_positive",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(account__isnull=True),
                name="billing_threshold_one_per_org",
            ),
            models.UniqueConstraint(
                fields=["organisation", "account"],
                condition=Q(account__isnull=False),
                name="billing_threshold_one_per_account",
            ),
        ]

    def __str__(self) -> str:
        parts = [
            f"{self.percent}%" if self.percent is not None else "",
            f"{self.amount}" if self.amount else "",
        ]
        return " or ".join(p for p in parts if p)


class BillingAlert(BaseModel):
    """A week whose change crossed a threshold (F4), once per (organisation, account, week)."""

    tenant_path = "organisation"

    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "directory.CloudAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    threshold = models.ForeignKey(BillingThreshold, null=True, blank=True, on_delete=models.SET_NULL)
    week_start = models.DateField(help_text="The Monday of the reviewed week (Europe/London).")
    previous = models.DecimalField(**MONEY)
    current = models.DecimalField(**MONEY)
    change = models.DecimalField(**MONEY)
    change_percent = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    crossed = models.CharField(max_length=40, help_text="Which threshold was crossed: percentage, amount.")
    state = models.CharField(max_length=20, choices=AlertState.choices, default=AlertState.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "week_start"],
                condition=Q(account__isnull=True),
                name="billing_alert_one_per_org_week",
            ),
            models.UniqueConstraint(
                fields=["organisation", "account", "week_start"],
                condition=Q(account__isnull=False),
                name="billing_alert_one_per_account_week",
            ),
        ]

    def __str__(self) -> str:
        return f"Billing alert {self.week_start}"
