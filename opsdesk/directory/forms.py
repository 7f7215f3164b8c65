"""Forms of the directory pages (A1–A5). They parse and type the input; the services decide what is
allowed (an account id's shape, a member's management account, who may edit), and their errors
are put back on these forms field by field."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.calendars.selectors import calendar_list
from opsdesk.core.roles import Role
from opsdesk.core.ui.forms import ANY, FilterForm, VersionedForm, search_field
from opsdesk.directory import selectors
from opsdesk.directory.choices import CONTACT_FLAGS, Environment, OnboardingState
from opsdesk.sla.selectors import sla_policy_list


def _choose_organisation(user: Any) -> list[tuple[str, str]]:
    return [("", "Choose…"), *selectors.organisation_choices(user=user)]


def _staff_choices(role: str) -> list[tuple[str, str]]:
    return [("", "— none —")] + [(str(u.pk), u.full_name or u.email) for u in selectors.staff_with_role(role)]


# --- filters -----------------------------------------------------------------------------------


class OrganisationFilterForm(FilterForm):
    q = search_field("Search organisations")
    service_plan = forms.ChoiceField(required=False, label="Plan")

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, user=user, **kwargs)
        self.fields["service_plan"].choices = ANY + [(p.code, p.name) for p in selectors.service_plan_list()]


class _OrganisationScopedFilter(FilterForm):
    """Staff filter by organisation; a customer has only one, so the select is left out."""

    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, user=user, **kwargs)
        if user.is_provider_staff:
            self.fields["organisation"].choices = ANY + selectors.organisation_choices(user=user)
        else:
            del self.fields["organisation"]


class AccountFilterForm(_OrganisationScopedFilter):
    q = search_field("Account id or name")
    onboarding_state = forms.ChoiceField(required=False, label="State", choices=ANY + OnboardingState.choices)
    kind = forms.ChoiceField(
        required=False,
        label="Kind",
        choices=ANY + [("management", "Management accounts"), ("other", "Member or standalone")],
    )
    field_order = ["q", "organisation", "onboarding_state", "kind"]


class ContactFilterForm(_OrganisationScopedFilter):
    q = search_field("Name or email")
    flag = forms.ChoiceField(required=False, label="Flag", choices=ANY + list(CONTACT_FLAGS))
    verification = forms.ChoiceField(
        required=False,
        label="Verification",
        choices=ANY + [("stale", "Not verified in 90 days")],
    )
    status = forms.ChoiceField(
        required=False, label="Status", choices=ANY + [("current", "Current"), ("retired", "Retired")]
    )
    field_order = ["q", "organisation", "flag", "verification", "status"]


class ServiceFilterForm(_OrganisationScopedFilter):
    q = search_field("Reference or name")
    environment = forms.ChoiceField(required=False, label="Environment", choices=ANY + Environment.choices)
    field_order = ["q", "organisation", "environment"]


class UserFilterForm(FilterForm):
    q = search_field("Name or email")
    role = forms.ChoiceField(required=False, label="Role", choices=ANY + Role.choices)


class _OrganisationOwnedForm(VersionedForm):
    """A form of something an organisation owns: its organisation is chosen when creating (among
    those the user may act for) and fixed afterwards, when the form carries the version instead."""

    organisation = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
            self.fields["organisation"].choices = _choose_organisation(user)
        else:
            del self.fields["organisation"]


# --- organisations (A1) ------------------------------------------------------------------------


class OrganisationForm(VersionedForm):
    name = forms.CharField(max_length=200)
    service_plan = forms.ChoiceField(label="Service plan")
    calendar = forms.ChoiceField(label="Business calendar", initial="uk")
    sla_policy = forms.TypedChoiceField(label="SLA policy", required=False, coerce=int, empty_value=None)
    csdm = forms.TypedChoiceField(label="CSDM", required=False, coerce=int, empty_value=None)
    account_manager = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    solutions_architect = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    notes = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        self.fields["service_plan"].choices = [(p.code, p.name) for p in selectors.service_plan_list()]
        # Calendars (B1) and SLA policies (B3) are provider-wide reference data.
        self.fields["calendar"].choices = [
            (c.name, f"{c.name} ({c.timezone})") for c in calendar_list(user=user).order_by("name")
        ]
        policies = list(sla_policy_list(user=user).order_by("name"))
        default = next((p.name for p in policies if p.is_default), "none")
        self.fields["sla_policy"].choices = [("", f"The default policy ({default})")] + [
            (str(p.pk), p.name) for p in policies if not p.is_default
        ]
        self.fields["csdm"].choices = _staff_choices(Role.CSDM)
        self.fields["account_manager"].choices = _staff_choices(Role.ACCOUNT_MANAGER)
        self.fields["solutions_architect"].choices = _staff_choices(Role.SOLUTIONS_ARCHITECT)

    @staticmethod
    def initial_for(org) -> dict[str, Any]:
        return {
            "name": org.name,
            "service_plan": org.service_plan.code,
            "calendar": org.calendar.name,
            "sla_policy": org.sla_policy_id,
            "csdm": org.csdm_id,
            "account_manager": org.account_manager_id,
            "solutions_architect": org.solutions_architect_id,
            "notes": org.notes,
            "version": org.version,
        }


# --- cloud accounts (A2) -----------------------------------------------------------------------


class AccountForm(_OrganisationOwnedForm):
    account_id = forms.CharField(
        label="AWS account id",
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "123456789012"}
        ),
        help_text="Exactly 12 digits.",
    )
    name = forms.CharField(max_length=200, required=False)
    regions = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Comma-separated, e.g. eu-west-2, us-east-1.",
    )
    onboarding_state = forms.ChoiceField(choices=OnboardingState.choices, initial=OnboardingState.ONBOARDING)
    is_management_account = forms.BooleanField(required=False, label="AWS Organizations management account")
    all_features = forms.BooleanField(required=False, label="All-features mode (management accounts only)")
    management_account = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Management account",
        help_text="For a member account of an AWS Organization.",
    )

    def __init__(self, *args: Any, user: Any, creating: bool, organisation: int | None = None, **kwargs: Any):
        super().__init__(*args, user=user, creating=creating, **kwargs)
        managers = selectors.account_list(user=user, is_management_account=True, organisation=organisation)
        self.fields["management_account"].choices = [("", "— none (standalone or management) —")] + [
            (str(a.pk), f"{a.account_id} {a.name} ({a.organisation.name})".replace("  ", " "))
            for a in managers
        ]

    def clean_regions(self) -> list[str]:
        raw = self.cleaned_data.get("regions") or ""
        return [r.strip() for r in raw.replace("\n", ",").split(",") if r.strip()]

    @staticmethod
    def initial_for(account) -> dict[str, Any]:
        return {
            "account_id": account.account_id,
            "name": account.name,
            "regions": ", ".join(account.regions or []),
            "onboarding_state": account.onboarding_state,
            "is_management_account": account.is_management_account,
            "all_features": account.all_features,
            "management_account": account.management_account_id,
            "version": account.version,
        }


# --- named contacts (A3) -----------------------------------------------------------------------


class ContactForm(_OrganisationOwnedForm):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    phone = forms.CharField(max_length=40, required=False)
    job_title = forms.CharField(max_length=200, required=False)
    is_order_contact = forms.BooleanField(required=False, label="Order contact")
    is_technical_in_hours = forms.BooleanField(required=False, label="Technical contact (in hours)")
    is_technical_out_of_hours = forms.BooleanField(required=False, label="Technical contact (out of hours)")
    is_change_approver = forms.BooleanField(required=False, label="Authorised change approver")
    is_escalation_contact = forms.BooleanField(required=False, label="Escalation contact")
    is_billing_contact = forms.BooleanField(required=False, label="Billing contact")
    is_customer_administrator = forms.BooleanField(
        required=False,
        label="Customer administrator",
        help_text="Keeps the organisation's named contacts and portal users up to date.",
    )
    availability_in_hours = forms.CharField(
        max_length=200, required=False, help_text="e.g. Mon–Fri 09:00–17:00"
    )
    availability_out_of_hours = forms.CharField(max_length=200, required=False, help_text="e.g. mobile, 24x7")
    gdpr_consent = forms.BooleanField(
        required=False,
        label="GDPR consent given",
        help_text="Needed before the contact can be a technical or escalation contact (they are emailed).",
    )
    gdpr_consent_method = forms.CharField(
        max_length=200,
        required=False,
        label="How consent was given",
        help_text="e.g. signed form, email of 3 March",
    )

    FLAG_FIELDS = [name for name, _ in CONTACT_FLAGS]

    @staticmethod
    def initial_for(contact) -> dict[str, Any]:
        names = [
            "name",
            "email",
            "phone",
            "job_title",
            "availability_in_hours",
            "availability_out_of_hours",
            "gdpr_consent",
            "gdpr_consent_method",
            "version",
            *ContactForm.FLAG_FIELDS,
        ]
        return {n: getattr(contact, n) for n in names}


# --- services and runbooks (A5) ----------------------------------------------------------------


class ServiceForm(_OrganisationOwnedForm):
    reference = forms.CharField(max_length=50, help_text="Quoted by customers when they log an incident.")
    name = forms.CharField(max_length=200)
    environment = forms.ChoiceField(choices=Environment.choices)
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    accounts = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only onboarded accounts receive services.",
    )
    contacts = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Registered named contacts",
    )

    def __init__(self, *args: Any, user: Any, creating: bool, organisation: int | None = None, **kwargs: Any):
        super().__init__(*args, user=user, creating=creating, **kwargs)
        accounts = selectors.account_list(user=user, organisation=organisation)
        contacts = selectors.contact_list(user=user, organisation=organisation)
        show_org = organisation is None
        self.fields["accounts"].choices = [
            (
                a.pk,
                f"{a.account_id} {a.name}"
                + (f" — {a.organisation.name}" if show_org else "")
                + (
                    ""
                    if a.onboarding_state == OnboardingState.ONBOARDED
                    else f" ({a.get_onboarding_state_display()})"
                ),
            )
            for a in accounts
        ]
        self.fields["contacts"].choices = [
            (c.pk, f"{c.name} <{c.email}>" + (f" — {c.organisation.name}" if show_org else ""))
            for c in contacts
        ]

    @staticmethod
    def initial_for(service) -> dict[str, Any]:
        return {
            "reference": service.reference,
            "name": service.name,
            "environment": service.environment,
            "description": service.description,
            "accounts": [a.pk for a in service.accounts.all()],
            "contacts": [c.pk for c in service.contacts.all()],
            "version": service.version,
        }


class RunbookForm(VersionedForm):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        help_text="Markdown: headings, lists, tables, links and code blocks.",
    )

    def __init__(self, *args: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]

    @staticmethod
    def initial_for(runbook) -> dict[str, Any]:
        return {"title": runbook.title, "body": runbook.body, "version": runbook.version}


# --- users (A4) --------------------------------------------------------------------------------


class UserForm(VersionedForm):
    email = forms.EmailField(max_length=254)
    full_name = forms.CharField(max_length=200)
    role = forms.ChoiceField(choices=[c for c in Role.choices if c[0] != Role.PARTNER])
    contact = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Named contact",
        help_text="Customer users only: the named contact this person is.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active (may sign in)")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to let the user set one through a reset; at least 10 characters.",
    )

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        else:
            del self.fields["password"]
        self.fields["contact"].choices = [("", "— none (provider staff) —")] + [
            (str(c.pk), f"{c.name} <{c.email}> — {c.organisation.name}")
            for c in selectors.contact_list(user=user, retired=False)
        ]
        if not user.is_provider_staff:
            # A customer administrator adds portal users of their own organisation only.
            self.fields["role"].choices = [(Role.CUSTOMER, Role.CUSTOMER.label)]
            self.fields["contact"].choices = self.fields["contact"].choices[1:]
            self.fields["contact"].required = True

    @staticmethod
    def initial_for(person) -> dict[str, Any]:
        return {
            "email": person.email,
            "full_name": person.full_name,
            "role": person.role,
            "contact": person.contact_id,
            "is_active": person.is_active,
            "version": person.version,
        }
