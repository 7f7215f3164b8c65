"""Maintenance (E1–E4, D6 in part): cloud-provider (AWS Health) notices with their triage, each
organisation's agreed maintenance window and blackout calendar, provider-led maintenance with its
timeline, customer-led windows with the accounts whose alarms they suppress, and the secret of each
organisation's iCalendar feed.

Overlap questions (D6) are plain indexed range comparisons (`starts_at < other_end AND ends_at >
other_start`) on (organisation, starts_at, ends_at): they run the same on SQLite and PostgreSQL, and
one organisation's live windows are few, so the index narrows the scan to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from opsdesk.core.models import BaseModel
from opsdesk.maintenance.choices import (
    ContactMethod,
    EmergencyReason,
    ImpactLevel,
    MaintenanceState,
    NoticeCategory,
    NoticeState,
    NoticeStatus,
    Weekday,
)

TEXT_MAX = 10_000


class AgreedWindow(BaseModel):
    """E2: the maintenance window agreed with an organisation at onboarding, e.g. Sunday
    02:00–06:00 Europe/London. An end at or before the start runs past midnight into the next day
    (Saturday 22:00–02:00)."""

    tenant_path = "organisation"

    organisation = models.OneToOneField(
        "directory.Organisation", on_delete=models.PROTECT, related_name="maintenance_window"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()
    timezone = models.CharField(max_length=64, default="Europe/London")
    notes = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["organisation__name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="agreed_window_weekday"),
            models.CheckConstraint(condition=~Q(start=F("end")), name="agreed_window_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M} {self.timezone}"


class Blackout(BaseModel):
    """D6/E2: a period of an organisation's calendar when no change or maintenance may be made."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="maintenance_blackouts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["organisation", "starts_at", "ends_at"], name="blackout_org_range")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="blackout_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"Blackout: {self.reason}"


class ProviderMaintenance(BaseModel):
    """E2: maintenance the provider carries out on an organisation's services: inside the agreed
    window, or outside it with 10 working days' notice, or as an emergency with its reason.

    E4: with no organisation it is provider-wide (every customer): announced on the public status
    page while `published`, with the status-page components it affects. The status page shows
    these records (through the schedule), not a copy of its own."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provider_maintenance",
        help_text="Empty: provider-wide maintenance (every organisation), shown on the status page.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=TEXT_MAX, blank=True)
    services = models.ManyToManyField("directory.Service", blank=True, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=MaintenanceState.choices, default=MaintenanceState.SCHEDULED
    )
    in_window = models.BooleanField(help_text="Inside the organisation's agreed window (E2).")
    is_emergency = models.BooleanField(default=False)
    emergency_reason = models.CharField(max_length=24, choices=EmergencyReason.choices, blank=True)
    emergency_detail = models.CharField(max_length=1000, blank=True)
    notice_given_at = models.DateTimeField(help_text="When the notice went to the named contacts.")
    notice_period_ends_on = models.DateField(
        help_text="E2: the 10th working day after the notice (organisation's calendar): the first day "
        "maintenance outside the agreed window may start without being an emergency."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_early = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    components = models.JSONField(
        default=list, blank=True, help_text="Provider-wide: the status-page components affected."
    )
    published = models.BooleanField(
        default=True, help_text="Provider-wide: shown on the public status page and its feeds."
    )

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["organisation", "starts_at", "ends_at"], name="provider_mnt_org_range"),
            models.Index(fields=["state", "starts_at"], name="provider_mnt_state_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="provider_mnt_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(is_emergency=False, emergency_reason="")
                | Q(is_emergency=True) & ~Q(emergency_reason=""),
                name="provider_mnt_emergency_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Maintenance #{self.pk}: {self.title}"

    @property
    def provider_wide(self) -> bool:
        return self.organisation_id is None


class MaintenanceEvent(models.Model):
    """One transition of a provider maintenance (E2): from which state to which, who and when."""

    tenant_path = "maintenance__organisation"

    maintenance = models.ForeignKey(ProviderMaintenance, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=16, choices=MaintenanceState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=MaintenanceState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.maintenance_id}: {self.from_state} -> {self.to_state}"


class CustomerWindow(BaseModel):
    """E3: maintenance the customer carries out (on-site power work…), declared at least 24 hours
    ahead for given services and accounts, during which their alarms are suppressed."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="customer_windows"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=TEXT_MAX, blank=True)
    services = models.ManyToManyField("directory.Service", blank=True, related_name="+")
    accounts = models.ManyToManyField("directory.CloudAccount", blank=True, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "directory.NamedContact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["organisation", "starts_at", "ends_at"], name="customer_win_org_range")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="customer_win_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Customer maintenance #{self.pk}: {self.title}"


class SuppressionCover(models.Model):
    """E3: one cloud account covered by a live customer window, with the window's times copied, so
    the alarm intake's question "is this account in maintenance now?" is one index probe on
    (account, starts_at) instead of a join through the window's services and accounts. Written with
    the window and deleted when it is cancelled."""

    tenant_path = "window__organisation"

    window = models.ForeignKey(CustomerWindow, on_delete=models.CASCADE, related_name="covers")
    account = models.ForeignKey("directory.CloudAccount", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account", "starts_at", "ends_at"], name="suppression_account_range")]
        constraints = [
            models.UniqueConstraint(fields=["window", "account"], name="suppression_cover_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in window {self.window_id}"


class IcalFeed(BaseModel):
    """E4: the secret of an organisation's iCalendar feed. Calendar apps cannot sign in, so the
    address carries the secret; rotating it replaces the secret and every old address stops working."""

    tenant_path = "organisation"
    audit_exclude = ("secret",)

    organisation = models.OneToOneField(
        "directory.Organisation", on_delete=models.PROTECT, related_name="ical_feed"
    )
    secret = models.CharField(max_length=64, unique=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"iCal feed of organisation {self.organisation_id}"


class HealthNotice(BaseModel):
    """E1: one AWS Health event (EventBridge `aws.health`) about one AWS account, de-duplicated by
    (event ARN, account id): AWS sends the same event again as it changes (a new description, a
    status, an end time), and each delivery updates this row and counts, never adds one. Matched to
    the organisation owning the account (none: unmatched, staff only) and to that organisation's
    services on the affected accounts; then triaged by staff. A change raised from it is kept as
    plain values (the changes domain is a sibling this one does not import)."""

    tenant_path = "organisation"
    audit_exclude = ("raw",)

    event_arn = models.CharField("event ARN", max_length=1600)
    aws_account_id = models.CharField("AWS account id", max_length=12)
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "directory.CloudAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accounts = models.ManyToManyField(
        "directory.CloudAccount", blank=True, related_name="+", help_text="Every affected account matched."
    )
    services = models.ManyToManyField("directory.Service", blank=True, related_name="+")
    # what AWS says (the latest delivery)
    event_id = models.CharField("EventBridge event id", max_length=128)
    aws_service = models.CharField("AWS service", max_length=64)
    event_type_code = models.CharField(max_length=200)
    category = models.CharField(max_length=24, choices=NoticeCategory.choices)
    region = models.CharField(max_length=32, blank=True)
    status_code = models.CharField(max_length=16, choices=NoticeStatus.choices, blank=True)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    last_updated_time = models.DateTimeField(null=True, blank=True)
    description = models.TextField(max_length=TEXT_MAX * 5, blank=True)
    resources = models.JSONField(default=list, blank=True)
    affected_entities = models.JSONField(default=list, blank=True)
    raw = models.JSONField(help_text="The latest delivery, as received (bounded in size).")
    deliveries = models.PositiveIntegerField(default=1)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    # triage (E1)
    state = models.CharField(max_length=12, choices=NoticeState.choices, default=NoticeState.NEW)
    impact_level = models.CharField(max_length=8, choices=ImpactLevel.choices, blank=True)
    impact_assessment = models.TextField(max_length=TEXT_MAX, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        "directory.NamedContact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_method = models.CharField(max_length=8, choices=ContactMethod.choices, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    contact_note = models.CharField(max_length=1000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=1000, blank=True)
    # the change raised from the notice (values, as changes keeps an incident's id)
    change_id = models.PositiveBigIntegerField(null=True, blank=True)
    change_reference = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-last_received_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "last_received_at"], name="health_notice_state_recv"),
            models.Index(fields=["organisation", "last_received_at"], name="health_notice_org_recv"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_arn", "aws_account_id"], name="health_notice_once_per_account"
            ),
            models.CheckConstraint(
                condition=Q(aws_account_id__regex=r"^[0-9]{12}$"),
                name="health_notice_account_12_digits",
            ),
            models.CheckConstraint(condition=Q(deliveries__gte=1), name="health_notice_delivered"),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(end_time__gte=F("start_time")),
                name="health_notice_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"AWS Health {self.event_type_code} ({self.aws_account_id})"


class HealthNoticeEvent(models.Model):
    """One step of a notice's triage (E1), or a delivery that changed it: who, when, what."""

    tenant_path = "notice__organisation"

    notice = models.ForeignKey(HealthNotice, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, choices=NoticeState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=NoticeState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.from_state} -> {self.to_state}"
