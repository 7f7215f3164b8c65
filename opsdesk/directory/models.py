"""The directory (A1–A5): organisations, cloud accounts, named contacts, services, users."""

from __future__ import annotations

import re

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.models import BaseModel
from opsdesk.core.roles import STAFF_ROLES, Role
from opsdesk.core.tenancy import RestrictedQuerySet
from opsdesk.directory.choices import CONTACT_FLAGS, Environment, OnboardingState

AWS_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")


class ServicePlan(BaseModel):
    """The customer service plan an organisation is on (A1); offerings refer to plans (G1)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(BaseModel):
    tenant_path = ""

    name = models.CharField(max_length=200, unique=True)
    service_plan = models.ForeignKey(ServicePlan, on_delete=models.PROTECT, related_name="organisations")
    calendar = models.ForeignKey("calendars.Calendar", on_delete=models.PROTECT, related_name="organisations")
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text="Empty: the default SLA policy.",
    )
    csdm = models.ForeignKey(
        "directory.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csdm_of",
        verbose_name="CSDM",
    )
    account_manager = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="account_manager_of"
    )
    solutions_architect = models.ForeignKey(
        "directory.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="solutions_architect_of",
    )
    notes = models.TextField(blank=True, max_length=10_000)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_regions(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise ValidationError("Must be a list of AWS region names.")
    bad = [r for r in value if not AWS_REGION.match(r)]
    if bad:
        raise ValidationError(f"Not an AWS region name: {', '.join(bad[:5])} (expected e.g. eu-west-2).")
    if len(set(value)) != len(value):
        raise ValidationError("A region is listed twice.")


class CloudAccount(BaseModel):
    """An AWS account (A2). A member's management account is a management account of the same
    organisation (checked in services, since it spans rows)."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="accounts")
    account_id = models.CharField(
        "AWS account id",
        max_length=12,
        unique=True,
        validators=[RegexValidator(AWS_ACCOUNT_ID, "An AWS account id is exactly 12 digits.")],
    )
    name = models.CharField(max_length=200, blank=True)
    regions = models.JSONField(default=list, blank=True, validators=[validate_regions])
    onboarding_state = models.CharField(
        max_length=20, choices=OnboardingState.choices, default=OnboardingState.ONBOARDING
    )
    is_management_account = models.BooleanField(default=False)
    all_features = models.BooleanField(
        default=False, help_text="AWS Organizations all-features mode (management accounts only)."
    )
    management_account = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="member_accounts"
    )

    class Meta:
        ordering = ["account_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account_id__regex=r"^[0-9]{12}$"), name="account_id_12_digits"
            ),
            models.CheckConstraint(
                condition=Q(all_features=False) | Q(is_management_account=True),
                name="all_features_only_on_management_account",
            ),
            models.CheckConstraint(
                condition=Q(management_account__isnull=True) | Q(is_management_account=False),
                name="management_account_is_not_a_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.name}".strip()


class NamedContact(BaseModel):
    """A named contact of a customer (A3). Only named contacts may log, request or escalate."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    is_order_contact = models.BooleanField("order contact", default=False)
    is_technical_in_hours = models.BooleanField("technical contact (in hours)", default=False)
    is_technical_out_of_hours = models.BooleanField("technical contact (out of hours)", default=False)
    is_change_approver = models.BooleanField("authorised change approver", default=False)
    is_escalation_contact = models.BooleanField("escalation contact", default=False)
    is_billing_contact = models.BooleanField("billing contact", default=False)
    availability_in_hours = models.CharField(max_length=200, blank=True, help_text="e.g. Mon–Fri 09:00–17:00")
    availability_out_of_hours = models.CharField(max_length=200, blank=True, help_text="e.g. mobile, 24x7")
    is_customer_administrator = models.BooleanField(
        "customer administrator",
        default=False,
        help_text="Keeps the organisation's own directory: named contacts, portal users, "
        "re-verification and GDPR consent.",
    )
    gdpr_consent = models.BooleanField("GDPR consent", default=False)
    gdpr_consent_at = models.DateTimeField(null=True, blank=True)
    gdpr_consent_method = models.CharField(
        "how consent was given", max_length=200, blank=True, help_text="e.g. signed form, email of 3 March"
    )
    gdpr_consent_recorded_by = models.ForeignKey(
        "directory.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="consent recorded by",
    )
    last_verified_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="No longer a contact: kept for the record, signs in no more."
    )

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="contact_email_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def flags(self) -> list[str]:
        return [label for attr, label in CONTACT_FLAGS if getattr(self, attr)]

    def verified_days_ago(self) -> int | None:
        if self.last_verified_at is None:
            return None
        return (timezone.now() - self.last_verified_at).days


class Service(BaseModel):
    """A managed service/workload (A5), quoted by its reference when logging an incident."""

    tenant_path = "organisation"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    reference = models.CharField(
        max_length=50,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", "Letters, digits, '.', '_', '/', '-' only.")
        ],
    )
    name = models.CharField(max_length=200)
    environment = models.CharField(max_length=20, choices=Environment.choices)
    description = models.TextField(blank=True, max_length=10_000)
    accounts = models.ManyToManyField(CloudAccount, blank=True, related_name="services")
    contacts = models.ManyToManyField(
        NamedContact,
        blank=True,
        related_name="services",
        help_text="Named contacts registered on this service.",
    )

    class Meta:
        ordering = ["organisation__name", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="service_reference_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.name}"


class Runbook(BaseModel):
    """Operational requirements agreed at build (A5), written in Markdown and shown as sanitised HTML."""

    tenant_path = "service__organisation"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="runbooks")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=100_000, help_text="Markdown")

    class Meta:
        ordering = ["service", "title"]
        constraints = [
            models.UniqueConstraint(fields=["service", "title"], name="runbook_title_unique_per_service")
        ]

    def __str__(self) -> str:
        return self.title


class UserQuerySet(RestrictedQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.ADMINISTRATOR)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Staff by role; a customer user is linked to a named contact (A4)."""

    tenant_path = "contact__organisation"
    audit_exclude = ("password", "last_login")

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=40, choices=Role.choices)
    contact = models.OneToOneField(
        NamedContact, null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name", "role"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="customer", contact__isnull=False) | ~Q(role="customer"),
                name="customer_user_has_contact",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    @property
    def is_provider_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_staff(self) -> bool:  # Django admin is not used; kept for third-party code that asks.
        return False

    @property
    def is_customer_administrator(self) -> bool:
        """A customer user whose named contact is their organisation's customer administrator
        (and not retired): core.permissions lets them keep their own directory."""
        if self.role != Role.CUSTOMER or self.contact_id is None or not self.is_active:
            return False
        cached = getattr(self, "_customer_admin", None)
        if cached is None:
            cached = NamedContact.objects.filter(
                pk=self.contact_id, is_customer_administrator=True, retired_at__isnull=True
            ).exists()
            self._customer_admin = cached
        return cached

    @property
    def customer_organisation_id(self) -> int | None:
        if self.role != Role.CUSTOMER or self.contact_id is None:
            return None
        cached = getattr(self, "_customer_org_id", None)
        if cached is None:
            cached = (
                NamedContact.objects.filter(pk=self.contact_id)
                .values_list("organisation_id", flat=True)
                .first()
            )
            self._customer_org_id = cached
        return cached
