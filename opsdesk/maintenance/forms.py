"""Forms of the maintenance pages. They parse and type the input (local times in the provider's
zone); what is allowed (the agreed window, 10 working days' notice, 24 hours ahead, another
organisation's services) is the services' business, whose errors come back onto these forms."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import ANY, FilterForm, ServiceErrorsForm, VersionedForm, search_field
from opsdesk.directory.models import CloudAccount, NamedContact, Service
from opsdesk.directory.selectors import organisation_choices
from opsdesk.maintenance.choices import (
    ContactMethod,
    EmergencyReason,
    ImpactLevel,
    MaintenanceState,
    NoticeCategory,
    NoticeState,
    Weekday,
)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DateTimeLocalInput(), help_text="UK time (Europe/London).")


def _organisation_field(form: forms.Form, user: Any) -> None:
    form.fields["organisation"].choices = organisation_choices(user=user)


def _service_choices(user: Any) -> list[tuple[str, str]]:
    rows = (
        Service.objects.restrict(user)
        .select_related("organisation")
        .order_by("organisation__name", "reference")
    )
    return [(str(s.pk), f"{s.reference} · {s.name} ({s.organisation.name})") for s in rows]


def _account_choices(user: Any) -> list[tuple[str, str]]:
    rows = (
        CloudAccount.objects.restrict(user)
        .select_related("organisation")
        .order_by("organisation__name", "account_id")
    )
    return [(str(a.pk), f"{a.account_id} {a.name} ({a.organisation.name})") for a in rows]


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_provider_staff", False))


# --- filters ---------------------------------------------------------------------------------------


class _OrganisationFilter(FilterForm):
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=ANY)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if _staff(self.user):
            self.fields["organisation"].choices = ANY + organisation_choices(user=self.user)
        else:
            del self.fields["organisation"]


class MaintenanceFilterForm(_OrganisationFilter):
    q = search_field("Title")
    state = forms.ChoiceField(required=False, choices=ANY + list(MaintenanceState.choices))
    emergency = forms.TypedChoiceField(
        required=False,
        choices=ANY + [("1", "Emergency"), ("0", "Planned")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )


class CustomerWindowFilterForm(_OrganisationFilter):
    cancelled = forms.TypedChoiceField(
        required=False,
        label="Status",
        choices=ANY + [("0", "Current"), ("1", "Cancelled")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )


class OrganisationFilterForm(_OrganisationFilter):
    pass


# --- agreed windows and blackouts ----------------------------------------------------------------


class WindowForm(ServiceErrorsForm):
    """E2: the window agreed at onboarding, e.g. Sunday 02:00–06:00 Europe/London."""

    organisation = forms.TypedChoiceField(coerce=int, choices=())
    weekday = forms.TypedChoiceField(coerce=int, choices=Weekday.choices, initial=Weekday.SUNDAY)
    start = forms.TimeField(widget=TimeInput(), initial="02:00")
    end = forms.TimeField(
        widget=TimeInput(), initial="06:00", help_text="At or before the start: runs into the next day."
    )
    timezone = forms.CharField(max_length=64, initial="Europe/London")
    notes = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            _organisation_field(self, user)
        else:
            del self.fields["organisation"]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @staticmethod
    def initial_for(window) -> dict[str, Any]:
        return {
            "weekday": window.weekday,
            "start": window.start,
            "end": window.end,
            "timezone": window.timezone,
            "notes": window.notes,
            "version": window.version,
        }


class BlackoutForm(ServiceErrorsForm):
    organisation = forms.TypedChoiceField(coerce=int, choices=())
    starts_at = _when("Starts")
    ends_at = _when("Ends")
    reason = forms.CharField(max_length=300, help_text="e.g. “Year-end trading freeze”.")

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            _organisation_field(self, user)
        else:
            del self.fields["organisation"]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @staticmethod
    def initial_for(blackout) -> dict[str, Any]:
        return {
            "starts_at": blackout.starts_at,
            "ends_at": blackout.ends_at,
            "reason": blackout.reason,
            "version": blackout.version,
        }


# --- provider maintenance -------------------------------------------------------------------------


class MaintenanceForm(ServiceErrorsForm):
    """E2: scheduling sends the notice to the named contacts at once. With no organisation it is
    provider-wide (E4): every organisation is told, and the public status page shows it while
    published, with the components it affects."""

    organisation = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        choices=(),
        help_text="Provider-wide: every organisation, on the public status page.",
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))
    services = forms.MultipleChoiceField(
        required=False, choices=(), help_text="None: the whole organisation."
    )
    starts_at = _when("Starts")
    ends_at = _when("Ends")
    is_emergency = forms.BooleanField(required=False, label="Emergency maintenance")
    emergency_reason = forms.ChoiceField(required=False, choices=[("", "—")] + list(EmergencyReason.choices))
    emergency_detail = forms.CharField(required=False, max_length=1000, label="Why it cannot wait")
    components = forms.CharField(
        required=False,
        max_length=2100,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Status-page components",
        help_text="Provider-wide only: one a line, e.g. “Service desk telephony”.",
    )
    published = forms.BooleanField(
        required=False, initial=True, label="Published on the public status page (provider-wide only)"
    )

    def __init__(self, *args: Any, user: Any, creating: bool, wide: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            choices = organisation_choices(user=user)
            if _staff(user):
                choices = [("", "Provider-wide (every organisation)"), *choices]
            self.fields["organisation"].choices = choices
            self.fields["services"].choices = _service_choices(user)
        else:
            for name in (
                "organisation",
                "services",
                "starts_at",
                "ends_at",
                "is_emergency",
                "emergency_reason",
                "emergency_detail",
            ):
                del self.fields[name]
            if not wide:
                del self.fields["components"]
                del self.fields["published"]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @staticmethod
    def initial_for(maintenance) -> dict[str, Any]:
        return {
            "title": maintenance.title,
            "description": maintenance.description,
            "components": "\n".join(maintenance.components),
            "published": maintenance.published,
            "version": maintenance.version,
        }


class NoteForm(VersionedForm):
    note = forms.CharField(required=False, max_length=1000)


class CancelForm(VersionedForm):
    reason = forms.CharField(max_length=1000)


# --- customer windows -------------------------------------------------------------------------------


class CustomerWindowForm(ServiceErrorsForm):
    """E3: at least 24 hours ahead; alarms on the chosen services and accounts are suppressed."""

    organisation = forms.TypedChoiceField(coerce=int, choices=())
    title = forms.CharField(max_length=200, help_text="e.g. “On-site power maintenance”.")
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    services = forms.MultipleChoiceField(required=False, choices=())
    accounts = forms.MultipleChoiceField(required=False, choices=(), label="Cloud accounts")
    starts_at = _when("Starts")
    ends_at = _when("Ends")

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if _staff(user):
            _organisation_field(self, user)
        else:
            del self.fields["organisation"]
        self.fields["services"].choices = _service_choices(user)
        self.fields["accounts"].choices = _account_choices(user)


class WindowCancelForm(VersionedForm):
    reason = forms.CharField(required=False, max_length=1000)


# --- cloud-provider notices (E1) --------------------------------------------------------------------


class NoticeFilterForm(_OrganisationFilter):
    q = search_field("Event type, AWS service or account id")
    state = forms.ChoiceField(required=False, label="Triage", choices=ANY + list(NoticeState.choices))
    category = forms.ChoiceField(required=False, choices=ANY + list(NoticeCategory.choices))
    unmatched = forms.TypedChoiceField(
        required=False,
        label="Account",
        choices=ANY + [("1", "Unmatched"), ("0", "Matched")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not _staff(self.user):
            del self.fields["unmatched"]


class AssessForm(VersionedForm):
    impact_level = forms.ChoiceField(choices=ImpactLevel.choices, label="Impact")
    impact_assessment = forms.CharField(
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What it means for the organisation's services, and what must be done.",
    )


class ContactForm(VersionedForm):
    """E1: the named contact liaised with, how and when."""

    contact = forms.TypedChoiceField(coerce=int, choices=(), label="Named contact")
    method = forms.ChoiceField(choices=ContactMethod.choices, label="How")
    contacted_at = forms.DateTimeField(
        required=False,
        label="When",
        widget=DateTimeLocalInput(),
        help_text="UK time (Europe/London); now when left empty.",
    )
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, notice: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        rows = NamedContact.objects.filter(
            organisation_id=notice.organisation_id, retired_at__isnull=True
        ).order_by("name")
        self.fields["contact"].choices = [
            (c.pk, f"{c.name} · {c.phone or c.email}" + (f" ({', '.join(c.flags)})" if c.flags else ""))
            for c in rows
        ]


class NoticeCloseForm(VersionedForm):
    note = forms.CharField(required=False, max_length=1000)


class DismissForm(VersionedForm):
    reason = forms.CharField(max_length=1000, help_text="e.g. “Not a resource we manage”.")
