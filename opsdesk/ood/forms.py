"""Forms of the Operations on Demand pages. They parse and type the input; the services decide what
is allowed (the G2 authorisation rule, blocks, partial approvals) and their errors land inline, on
the line and field they name."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.roles import Role
from opsdesk.core.ui.forms import ANY, FilterForm, ServiceErrorsForm, VersionedForm, search_field
from opsdesk.directory.models import ServicePlan, User
from opsdesk.ood.choices import (
    CURRENCIES,
    DEFAULT_CURRENCY,
    ModificationState,
    OfferingState,
    Recurrence,
    RequestState,
)
from opsdesk.ood.models import TEXT_MAX


class DateInput(forms.DateInput):
    input_type = "date"


class ListField(forms.CharField):
    """Values separated by commas, spaces or lines ("eu-west-2, eu-west-1")."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 5000)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [v for v in text.replace(",", " ").split() if v]


# --- filters -----------------------------------------------------------------------------------


class OfferingFilterForm(FilterForm):
    q = search_field("Name or description")
    state = forms.ChoiceField(required=False, choices=ANY + OfferingState.choices)


class RequestFilterForm(FilterForm):
    q = search_field("Organisation or offering")
    state = forms.ChoiceField(required=False, choices=ANY + RequestState.choices)


class EngagementFilterForm(FilterForm):
    account = forms.CharField(required=False, max_length=12, label="Account id")
    recurrence = forms.ChoiceField(required=False, choices=ANY + Recurrence.choices)


# --- catalogue (G1) ----------------------------------------------------------------------------


def _plan_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=ServicePlan.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        label="Available on plans",
    )


class OfferingForm(VersionedForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    plans = _plan_field()
    state = forms.ChoiceField(choices=OfferingState.choices, initial=OfferingState.ACTIVE)
    regions = ListField(
        label="Limited to AWS regions", help_text="Empty: every region. E.g. eu-west-2, eu-west-1."
    )
    rate = forms.DecimalField(
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
        label="Rate per block",
        help_text="From the first day of this month unless a later month is given.",
    )
    currency = forms.ChoiceField(choices=CURRENCIES, initial=DEFAULT_CURRENCY)
    effective_from = forms.DateField(required=False, widget=DateInput(), label="Rate effective from")

    def __init__(self, *args: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        else:
            for name in ("rate", "currency", "effective_from"):
                del self.fields[name]

    def clean_plans(self) -> list[str]:
        return [p.code for p in self.cleaned_data["plans"]]

    @staticmethod
    def initial_for(offering) -> dict[str, Any]:
        return {
            "name": offering.name,
            "description": offering.description,
            "plans": [p.code for p in offering.plans.all()],
            "state": offering.state,
            "regions": offering.regions,
            "version": offering.version,
        }


class OfferingRateForm(ServiceErrorsForm):
    rate = forms.DecimalField(min_value=0, decimal_places=2, max_digits=12, label="Rate per block")
    currency = forms.ChoiceField(choices=CURRENCIES, initial=DEFAULT_CURRENCY)
    effective_from = forms.DateField(widget=DateInput(), help_text="The first day of a month.")


# --- requests (G2) -----------------------------------------------------------------------------


class RequestForm(ServiceErrorsForm):
    """The request's header; its lines are a LineFormSet. Staff name the organisation's contact."""

    contact = forms.TypedChoiceField(coerce=int, required=False, label="On behalf of (named contact)")
    submitting_account = forms.CharField(
        max_length=40, help_text="The 12-digit id of the account the request comes from."
    )
    notes = forms.CharField(required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, contacts: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if contacts is None:
            del self.fields["contact"]
        else:
            self.fields["contact"].choices = [("", "—")] + contacts
            self.fields["contact"].required = True


class LineForm(ServiceErrorsForm):
    """One line: the service checks blocks (whole, ≥ 1) and accounts so its messages name the line."""

    offering = forms.TypedChoiceField(coerce=int, required=False)
    blocks = forms.CharField(required=False, max_length=20, help_text="Whole blocks of 20 hours a month.")
    accounts = forms.CharField(
        required=False,
        max_length=3000,
        label="Receiving account ids",
        help_text="12-digit ids, comma-separated.",
    )
    recurrence = forms.ChoiceField(choices=Recurrence.choices, initial=Recurrence.MONTHLY)

    def __init__(self, *args: Any, offerings: list[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["offering"].choices = [("", "—")] + list(offerings)

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("offering") or data.get("blocks") or data.get("accounts"))


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=20)


# --- review (G3) -------------------------------------------------------------------------------


class ApproveForm(VersionedForm):
    """Per line: blocks and accounts approved (default: as requested), declined, and why."""

    reason = forms.CharField(required=False, max_length=TEXT_MAX, label="Note to the requester")
    agreed_start = forms.DateField(
        required=False,
        widget=DateInput(),
        label="Mutually agreed start date",
        help_text="Leave empty: the G4 rule (1st of next month; after the 20th, the month after).",
    )
    agreed_with = forms.CharField(required=False, max_length=200, label="Agreed with")

    def __init__(self, *args: Any, request_obj: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.positions = []
        for line in request_obj.lines.all():
            p = line.position
            self.positions.append(p)
            ids = ", ".join(a.account_id for a in line.accounts.all())
            self.fields[f"line_{p}_blocks"] = forms.CharField(
                max_length=20, initial=line.blocks, label=f"Line {p} blocks (of {line.blocks})"
            )
            self.fields[f"line_{p}_accounts"] = forms.CharField(
                max_length=3000, initial=ids, label=f"Line {p} accounts", required=False
            )
            self.fields[f"line_{p}_declined"] = forms.BooleanField(required=False, label=f"Decline line {p}")
            self.fields[f"line_{p}_reason"] = forms.CharField(
                max_length=TEXT_MAX,
                required=False,
                label=f"Line {p} reason",
                help_text="Required when approving fewer blocks or accounts, or declining.",
            )

    def decisions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        out = []
        for p in self.positions:
            out.append(
                {
                    "line": p,
                    "blocks": data.get(f"line_{p}_blocks"),
                    "accounts": [v for v in (data.get(f"line_{p}_accounts") or "").replace(",", " ").split()],
                    "declined": data.get(f"line_{p}_declined", False),
                    "reason": data.get(f"line_{p}_reason", ""),
                }
            )
        return out

    def service_field(self, field: str | None) -> str | None:
        """Where a service error lands: `lines.N.blocks` on line N+1's blocks, and so on."""
        parts = str(field or "").split(".")
        if (
            len(parts) == 3
            and parts[0] == "lines"
            and parts[1].isdigit()
            and int(parts[1]) < len(self.positions)
        ):
            name = f"line_{self.positions[int(parts[1])]}_{parts[2]}"
            return name if name in self.fields else None
        return field if field in self.fields else None


class DenyForm(VersionedForm):
    reason = forms.CharField(max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}), required=False)


class EngagementStartForm(VersionedForm):
    """Issue 10: the kick-off; the engineer assigned (the signed-in user when left empty)."""

    engineer = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Me", label="Engineer assigned"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["engineer"].queryset = User.objects.filter(
            is_active=True, role__in=[Role.ENGINEER, Role.CLOUD_SUPPORT_MANAGER, Role.CSDM]
        ).order_by("full_name")


class AgreeStartForm(VersionedForm):
    """G4: a mutually agreed start date for an engagement not yet started."""

    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Agreed start date")
    agreed_with = forms.CharField(max_length=200, label="Agreed with")


class TimeEntryForm(forms.Form):
    """G6: one time entry; the service checks the rules (quarter hours, dates, closed months)."""

    work_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.CharField(max_length=20, help_text="Quarter hours, e.g. 1.75.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class MonthCloseForm(forms.Form):
    month = forms.CharField(max_length=7, help_text="YYYY-MM, a month that has ended.")


# --- modifications (G5) ------------------------------------------------------------------------


class ModificationFilterForm(FilterForm):
    state = forms.ChoiceField(required=False, choices=ANY + ModificationState.choices)
    engagement = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ModificationForm(ServiceErrorsForm):
    """G5: the changes asked for and the requested effective date; the service checks them (blocks
    that change something, G2's rule for added accounts, a monthly engagement) field by field."""

    contact = forms.TypedChoiceField(coerce=int, required=False, label="On behalf of (named contact)")
    requested_date = forms.DateField(
        widget=DateInput(),
        label="Requested effective date",
        help_text="Today or later. Changes apply from a month's first day: the G4 date from approval, "
        "never earlier than the month start on or after this date.",
    )
    blocks = forms.CharField(
        required=False, max_length=20, label="New blocks a month", help_text="Leave empty to keep them."
    )
    add_accounts = forms.CharField(
        required=False,
        max_length=3000,
        label="Accounts to add",
        help_text="12-digit ids, comma-separated; each a new engagement on the same request line.",
    )
    remove_accounts = forms.CharField(
        required=False,
        max_length=3000,
        label="Accounts to remove",
        help_text="12-digit ids of other accounts on the same request line; their engagements end.",
    )
    end = forms.BooleanField(required=False, label="End this engagement")
    follows = forms.IntegerField(required=False, widget=forms.HiddenInput)
    notes = forms.CharField(required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, contacts: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if contacts is None:
            del self.fields["contact"]
        else:
            self.fields["contact"].choices = [("", "—")] + contacts
            self.fields["contact"].required = True


class ModificationDecisionForm(VersionedForm):
    """G5's review: approve (a note), require scoping or deny (a reason, which the service requires)."""

    reason = forms.CharField(
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to require scoping or to deny; told to the requester.",
    )
