"""Forms of the order pages: the filters, the enquiry, and one form per step of the lifecycle (H1).
Each step form carries the version the page was opened at (a stale page is refused, L3); what is
valid is the services' business, whose errors come back onto these forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from opsdesk.core.roles import STAFF_ROLES
from opsdesk.core.ui.forms import ANY, FilterForm, ServiceErrorsForm, VersionedForm, search_field
from opsdesk.directory.choices import Environment
from opsdesk.directory.models import CloudAccount, NamedContact, User
from opsdesk.directory.selectors import organisation_choices
from opsdesk.orders.choices import CURRENCIES, OrderState, QuoteCategory

#: Rows of the quote form: one per category first, then two more of any category.
QUOTE_ROWS = [c.value for c in QuoteCategory] + ["services", "services"]


class OrderFilterForm(FilterForm):
    q = search_field("Title or reference")
    state = forms.ChoiceField(required=False, choices=ANY + list(OrderState.choices))
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=ANY)
    overdue = forms.TypedChoiceField(
        required=False,
        label="Acceptance",
        choices=ANY + [("1", "Overdue"), ("0", "Not overdue")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if getattr(self.user, "is_provider_staff", False):
            self.fields["organisation"].choices = ANY + organisation_choices(user=self.user)
        else:
            del self.fields["organisation"]


class OrderForm(ServiceErrorsForm):
    """An enquiry (H1), or its title and description corrected."""

    organisation = forms.TypedChoiceField(coerce=int, choices=())
    title = forms.CharField(max_length=200, help_text="What the customer asked for, e.g. “Managed EKS”.")
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating and getattr(user, "is_provider_staff", False):
            self.fields["organisation"].choices = organisation_choices(user=user)
        elif creating:  # a named contact enquires for their own organisation
            del self.fields["organisation"]
            self.fields["title"].help_text = "What you would like, e.g. “Managed EKS for our web shop”."
            self.fields["description"].label = "Tell us more"
        else:
            del self.fields["organisation"]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @staticmethod
    def initial_for(order) -> dict[str, Any]:
        return {"title": order.title, "description": order.description, "version": order.version}


def _staff_choices() -> list[tuple[str, str]]:
    people = User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name", "pk")
    return [("", "—")] + [(str(u.pk), f"{u.full_name or u.email} ({u.get_role_display()})") for u in people]


class CaptureForm(VersionedForm):
    solution_architect = forms.ChoiceField(label="Customer solution architect", choices=())
    requirements = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    is_complex = forms.BooleanField(required=False, label="Complex: to be project managed")

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["solution_architect"].choices = _staff_choices()


class ProjectManagerForm(VersionedForm):
    project_manager = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["project_manager"].choices = _staff_choices()


class QuoteForm(VersionedForm):
    """The quote's lines: a row per category (project management, licensing, network integration,
    services) and two more; a row without a description is left out."""

    currency = forms.ChoiceField(choices=[(c, c) for c in CURRENCIES], initial="GBP")
    valid_until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day the customer may accept it; 30 days from today when left empty.",
    )

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for i, category in enumerate(QUOTE_ROWS):
            self.fields[f"line{i}_category"] = forms.ChoiceField(
                required=False,
                choices=QuoteCategory.choices,
                initial=category,
                label=f"Line {i + 1}: category",
            )
            self.fields[f"line{i}_description"] = forms.CharField(
                required=False, max_length=300, label=f"Line {i + 1}: description"
            )
            self.fields[f"line{i}_quantity"] = forms.DecimalField(
                required=False,
                max_digits=10,
                decimal_places=2,
                min_value=Decimal("0.01"),
                label=f"Line {i + 1}: quantity",
            )
            self.fields[f"line{i}_unit_price"] = forms.DecimalField(
                required=False,
                max_digits=12,
                decimal_places=2,
                min_value=Decimal("0"),
                label=f"Line {i + 1}: unit price",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lines = []
        for i in range(len(QUOTE_ROWS)):
            description = (data.get(f"line{i}_description") or "").strip()
            if not description:
                continue
            for part in ("quantity", "unit_price"):
                if data.get(f"line{i}_{part}") is None and f"line{i}_{part}" not in self.errors:
                    self.add_error(f"line{i}_{part}", "Required for a line with a description.")
            lines.append(
                {
                    "category": data.get(f"line{i}_category") or QUOTE_ROWS[i],
                    "description": description,
                    "quantity": data.get(f"line{i}_quantity"),
                    "unit_price": data.get(f"line{i}_unit_price"),
                }
            )
        if not lines and not self.errors:
            raise forms.ValidationError(
                "A quote needs at least one line: give it a description, quantity and price."
            )
        return {
            "version": data.get("version"),
            "currency": data.get("currency"),
            "valid_until": data.get("valid_until"),
            "lines": lines,
        }


class OrderFormForm(VersionedForm):
    """H1: the order form. Nothing is required here: data validation (H2) lists what is missing."""

    order_contact = forms.ChoiceField(required=False, choices=())
    purchase_order = forms.CharField(required=False, max_length=50, label="Purchase order number")
    billing_address = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    service_name = forms.CharField(required=False, max_length=200)
    service_reference = forms.CharField(required=False, max_length=50)
    environment = forms.ChoiceField(required=False, choices=[("", "—")] + list(Environment.choices))
    requested_start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    accounts = forms.MultipleChoiceField(required=False, choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, order: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if order.state == OrderState.QUOTED:
            # The version the page showed: a quote revised meanwhile is refused, not silently accepted.
            current = order.current_quote
            self.fields["quote"] = forms.IntegerField(
                required=False,
                widget=forms.HiddenInput,
                min_value=1,
                max_value=32767,
                initial=current.number if current else None,
            )
        contacts = NamedContact.objects.filter(organisation=order.organisation_id, retired_at__isnull=True)
        self.fields["order_contact"].choices = [("", "—")] + [
            (str(c.pk), f"{c.name}{' (order contact)' if c.is_order_contact else ''}")
            for c in contacts.order_by("name", "pk")
        ]
        accounts = CloudAccount.objects.filter(organisation=order.organisation_id).order_by("account_id")
        self.fields["accounts"].choices = [(str(a.pk), f"{a.account_id} {a.name}".strip()) for a in accounts]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "order_contact" in data:
            data["order_contact"] = int(data["order_contact"]) if data["order_contact"] else None
        if "accounts" in data:
            data["accounts"] = [int(a) for a in data["accounts"]]
        return data

    @staticmethod
    def initial_for(order) -> dict[str, Any]:
        return {
            "order_contact": order.order_contact_id,
            "purchase_order": order.purchase_order,
            "billing_address": order.billing_address,
            "service_name": order.service_name,
            "service_reference": order.service_reference,
            "environment": order.environment,
            "requested_start": order.requested_start,
            "accounts": [str(a.pk) for a in order.accounts.all()],
            "version": order.version,
        }


class ConfirmForm(VersionedForm):
    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)


class BuildForm(VersionedForm):
    note = forms.CharField(required=False, max_length=1000, label="Note (e.g. kick-off date)")

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)


class EnableForm(VersionedForm):
    """A5: the runbooks agreed at build, recorded with the service in the directory."""

    runbook_title = forms.CharField(max_length=200, label="Runbook title")
    runbook_body = forms.CharField(
        max_length=100_000, label="Runbook (Markdown)", widget=forms.Textarea(attrs={"rows": 8})
    )
    second_title = forms.CharField(required=False, max_length=200, label="Second runbook title (optional)")
    second_body = forms.CharField(
        required=False,
        max_length=100_000,
        label="Second runbook (Markdown)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        runbooks = [{"title": data.get("runbook_title"), "body": data.get("runbook_body")}]
        if data.get("second_title") or data.get("second_body"):
            runbooks.append({"title": data.get("second_title"), "body": data.get("second_body")})
        return {"version": data.get("version"), "runbooks": runbooks}


class CancelForm(VersionedForm):
    reason = forms.CharField(max_length=900, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, order: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
