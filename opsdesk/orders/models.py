"""Orders (H1, H2): an order from enquiry to service enablement, its quote lines, its timeline of
transitions (who and when), and the counter its unique reference is drawn from."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.core.models import BaseModel
from opsdesk.directory.choices import Environment
from opsdesk.orders.choices import OrderState, QuoteCategory

TEXT_MAX = 10_000


class OrderReferenceCounter(models.Model):
    """The last order number given in a year. Taken under a row lock and only ever incremented, so a
    reference is never given twice, even after its order is cancelled or deleted."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Order(BaseModel):
    tenant_path = "organisation"

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="orders"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=TEXT_MAX, blank=True)
    enquirer = models.ForeignKey(
        "directory.NamedContact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="H1: the named contact who raised the enquiry (themselves, or staff on their behalf).",
    )
    state = models.CharField(max_length=24, choices=OrderState.choices, default=OrderState.ENQUIRY)
    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # requirements capture (H1)
    solution_architect = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requirements = models.TextField(max_length=TEXT_MAX, blank=True)
    is_complex = models.BooleanField(default=False, help_text="Project managed (identified at capture).")
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # the quote
    currency = models.CharField(max_length=3, default="GBP")
    quoted_at = models.DateTimeField(null=True, blank=True)
    # the order form (completed by the customer with the quote's acceptance)
    order_contact = models.ForeignKey(
        "directory.NamedContact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purchase_order = models.CharField(max_length=50, blank=True)
    billing_address = models.TextField(max_length=1000, blank=True)
    service_name = models.CharField(max_length=200, blank=True)
    service_reference = models.CharField(max_length=50, blank=True)
    environment = models.CharField(max_length=20, choices=Environment.choices, blank=True)
    requested_start = models.DateField(null=True, blank=True)
    accounts = models.ManyToManyField("directory.CloudAccount", blank=True, related_name="+")
    form_received_at = models.DateTimeField(null=True, blank=True)
    # validation (H2) and acceptance
    validation_problems = models.JSONField(default=list, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    valid_received_at = models.DateTimeField(
        null=True, blank=True, help_text="H2: when the valid order was received; the 3-day clock starts."
    )
    acceptance_due_at = models.DateTimeField(null=True, blank=True, help_text="Copy of the sla deadline.")
    accepted_at = models.DateTimeField(null=True, blank=True)
    service = models.ForeignKey(
        "directory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "acceptance_due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reference__isnull=True) | Q(reference__regex=r"^ORD-[0-9]{4}-[0-9]{6}$"),
                name="order_reference_format",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Order #{self.pk}: {self.title}"

    @property
    def quote_total(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), Decimal("0.00"))

    @property
    def current_quote(self) -> Quote | None:
        """The latest version of the quote (read from the prefetched versions when there are)."""
        versions = list(self.quotes.all())
        return max(versions, key=lambda q: q.number) if versions else None


class QuoteLine(BaseModel):
    tenant_path = "order__organisation"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=24, choices=QuoteCategory.choices)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quote_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class Quote(BaseModel):
    """One version of an order's quote (H1), kept when the order is re-quoted: its lines and total
    as sent (an immutable record: the lines are copied here in exact decimal strings), who quoted
    it and when, and until when it may be accepted. The order's QuoteLine rows are the lines of the
    current version. Accepting an expired or superseded version is refused."""

    tenant_path = "order__organisation"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="quotes")
    number = models.PositiveSmallIntegerField(help_text="1 for the first quote, then 2, 3, …")
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    lines = models.JSONField(default=list, help_text="The lines as quoted: category, description, "
                             "quantity, unit_price, amount (decimal strings).")
    valid_until = models.DateField(help_text="The last day the quote may be accepted.")
    quoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quoted_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="quote_number_unique_per_order"),
            models.CheckConstraint(condition=Q(number__gte=1), name="quote_number_positive"),
            models.CheckConstraint(condition=Q(total__gte=0), name="quote_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Quote v{self.number} of order {self.order_id}"


class OrderEvent(models.Model):
    """One transition of an order (H1): from which state to which, who and when, and what was said.
    The order's timeline; the audit log (L1) keeps the field-level before and after."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=24, choices=OrderState.choices, blank=True)
    to_state = models.CharField(max_length=24, choices=OrderState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)

    tenant_path = "order__organisation"

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_state} -> {self.to_state}"
