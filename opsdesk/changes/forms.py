"""Forms of the change pages: the filters, the RFC (D1) and its edit form with the level-2 documents
and checklist, one form per step, and the standard-change catalogue. What is valid is the services'
business; their errors come back onto these forms, each on its field."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.changes.choices import ChangeLevel, ChangeState, EmergencyReason, Urgency
from opsdesk.changes.models import StandardChange
from opsdesk.core.roles import STAFF_ROLES
from opsdesk.core.ui.forms import ANY, FilterForm, ServiceErrorsForm, VersionedForm, search_field
from opsdesk.directory.models import NamedContact, Service, User
from opsdesk.directory.selectors import organisation_choices
from opsdesk.sla.choices import Priority

TEXT_MAX = 10_000


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ChangeFilterForm(FilterForm):
    q = search_field("Title or reference")
    state = forms.ChoiceField(required=False, choices=ANY + list(ChangeState.choices))
    level = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=ANY + list(ChangeLevel.choices)
    )
    priority = forms.ChoiceField(required=False, choices=ANY + list(Priority.choices))
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=ANY)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if getattr(self.user, "is_provider_staff", False):
            self.fields["organisation"].choices = ANY + organisation_choices(user=self.user)
        else:
            del self.fields["organisation"]


def _contacts(user: Any, *, approvers: bool = False) -> list[tuple[str, str]]:
    qs = NamedContact.objects.restrict(user).filter(retired_at__isnull=True).select_related("organisation")
    if approvers:
        qs = qs.filter(is_change_approver=True)
    return [("", "—")] + [
        (str(c.pk), f"{c.name} ({c.organisation.name})" if user.is_provider_staff else c.name)
        for c in qs.order_by("organisation__name", "name")
    ]


def _staff_choices() -> list[tuple[str, str]]:
    people = User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name", "pk")
    return [("", "—")] + [(str(u.pk), f"{u.full_name or u.email} ({u.get_role_display()})") for u in people]


class ChangeForm(ServiceErrorsForm):
    """D1: the request for change. A customer's authorised change approver submits for their own
    organisation; staff choose the organisation and may raise a provider-initiated change."""

    organisation = forms.TypedChoiceField(coerce=int, choices=())
    level = forms.TypedChoiceField(coerce=int, choices=ChangeLevel.choices, initial=ChangeLevel.PLANNED)
    standard_change = forms.ChoiceField(
        required=False, choices=(), label="Standard change (level 1)", help_text="From the catalogue."
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        label="Change details",
        required=False,
        max_length=TEXT_MAX,
        widget=_area(5),
        help_text="What is to change and why. An emergency confirmed by phone may be documented after.",
    )
    impact_statement = forms.CharField(required=False, max_length=TEXT_MAX, widget=_area())
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.MEDIUM)
    documents = forms.CharField(
        label="RFC documents",
        required=False,
        max_length=TEXT_MAX,
        widget=_area(2),
        help_text="Links or references, one a line.",
    )
    services = forms.MultipleChoiceField(
        required=False, choices=(), help_text="Deployments through a service's approved pipeline need no RFC."
    )
    lead_contact = forms.ChoiceField(required=False, choices=())
    lead_availability_in_hours = forms.CharField(
        required=False, max_length=200, label="Lead: availability in hours"
    )
    lead_availability_out_of_hours = forms.CharField(
        required=False, max_length=200, label="Lead: availability out of hours"
    )
    authoriser = forms.ChoiceField(
        required=False,
        choices=(),
        label="Nominated change approver",
        help_text="Who authorises implementation.",
    )
    requested_start = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label="Requested window: start"
    )
    requested_end = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label="Requested window: end"
    )
    test_plan = forms.CharField(
        label="Test and validation plan", required=False, max_length=TEXT_MAX, widget=_area()
    )
    emergency_reason = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + list(EmergencyReason.choices),
        label="Emergency reason (level 3)",
    )
    incident_id = forms.IntegerField(required=False, min_value=1, label="Incident number (level 3)")
    vulnerability_reference = forms.CharField(required=False, max_length=100, label="Vulnerability (level 3)")
    confirmed_by_phone = forms.BooleanField(required=False, label="Confirmed by phone (document afterwards)")
    provider_initiated = forms.BooleanField(
        required=False, label="Provider-initiated, with operational impact"
    )
    customer_contacted_at = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label="Customer contacted at"
    )
    customer_contact_note = forms.CharField(required=False, max_length=1000, label="Customer contact: note")

    def __init__(self, *args: Any, user: Any, creating: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        entries = StandardChange.objects.filter(is_active=True).order_by("name")
        self.fields["standard_change"].choices = [("", "—")] + [(str(e.pk), e.name) for e in entries]
        services = (
            Service.objects.restrict(user)
            .select_related("organisation")
            .order_by("organisation__name", "reference")
        )
        self.fields["services"].choices = [
            (str(s.pk), f"{s.reference} ({s.organisation.name})" if user.is_provider_staff else str(s))
            for s in services
        ]
        self.fields["lead_contact"].choices = _contacts(user)
        self.fields["authoriser"].choices = _contacts(user, approvers=True)
        if user.is_provider_staff:
            self.fields["organisation"].choices = organisation_choices(user=user)
        else:
            del self.fields["organisation"]
            for name in ("provider_initiated", "customer_contacted_at", "customer_contact_note"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "organisation" not in self.fields:
            data["organisation"] = self.user.customer_organisation_id
        data["incident_id"] = data.get("incident_id") or None
        return data


def _checklist_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"[{'x' if r.get('done') else ' '}] {r.get('item', '')}" for r in rows or [])


class ChecklistField(forms.CharField):
    """The checklist as lines: "[x] done item", "[ ] open item" (or just the item)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("widget", _area(5))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20_000)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return _checklist_text(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        rows = []
        for line in (super().to_python(value) or "").splitlines():
            line = line.strip()
            if not line:
                continue
            done = line[:3].lower() == "[x]"
            if line[:3].lower() in ("[x]", "[ ]"):
                line = line[3:].strip()
            rows.append({"item": line, "done": done})
        return rows

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class ChangeEditForm(VersionedForm):
    """The RFC's details and the level-2 documents of D3/D4, with the checklist."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        label="Change details", required=False, max_length=TEXT_MAX, widget=_area(5)
    )
    impact_statement = forms.CharField(required=False, max_length=TEXT_MAX, widget=_area())
    urgency = forms.ChoiceField(choices=Urgency.choices)
    documents = forms.CharField(label="RFC documents", required=False, max_length=TEXT_MAX, widget=_area(2))
    requested_start = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label="Requested window: start"
    )
    requested_end = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label="Requested window: end"
    )
    test_plan = forms.CharField(
        label="Test and validation plan", required=False, max_length=TEXT_MAX, widget=_area()
    )
    impact_assessment = forms.CharField(required=False, max_length=TEXT_MAX, widget=_area())
    engaged = forms.CharField(label="Who is engaged", required=False, max_length=TEXT_MAX, widget=_area(2))
    statement_of_work = forms.CharField(required=False, max_length=TEXT_MAX, widget=_area())
    backout_plan = forms.CharField(
        label="Backout (rollback) plan", required=False, max_length=TEXT_MAX, widget=_area()
    )
    cost_impact = forms.CharField(required=False, max_length=2000, widget=_area(2))
    checklist = ChecklistField(help_text='One item a line; "[x] item" when done.')

    def __init__(self, *args: Any, user: Any = None, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_for(change) -> dict[str, Any]:
        names = [n for n in ChangeEditForm.base_fields if n != "version"]
        return {**{n: getattr(change, n) for n in names}, "version": change.version}


class TransitionForm(VersionedForm):
    to_state = forms.ChoiceField(label="Move to", choices=())
    note = forms.CharField(required=False, max_length=900, widget=_area(2))

    def __init__(self, *args: Any, change: Any, allowed: list[str] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to_state"].choices = [(s, ChangeState(s).label) for s in allowed]


class ApproveForm(VersionedForm):
    reason = forms.CharField(label="Note", required=False, max_length=900, widget=_area(2))
    contact = forms.ChoiceField(
        required=False,
        choices=(),
        label="On behalf of (by phone)",
        help_text="Staff recording a customer change approver's decision given by phone.",
    )
    contacted = forms.CharField(
        required=False, max_length=1000, widget=_area(2), label="Whom the incident owner contacted (level 3)"
    )

    def __init__(self, *args: Any, change: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if user.is_provider_staff:
            contacts = NamedContact.objects.filter(
                organisation=change.organisation_id, is_change_approver=True, retired_at__isnull=True
            ).order_by("name")
            self.fields["contact"].choices = [("", "— (my own decision)")] + [
                (str(c.pk), c.name) for c in contacts
            ]
        else:
            del self.fields["contact"]
        if change.level != ChangeLevel.EMERGENCY:
            del self.fields["contacted"]


class RejectForm(ApproveForm):
    reason = forms.CharField(max_length=900, widget=_area(2), help_text="The change returns to consultation.")


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(choices=Priority.choices)
    caller = forms.CharField(required=False, max_length=200, label="Who telephoned")
    called_at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label="When")
    note = forms.CharField(required=False, max_length=1000, widget=_area(2), label="What was said")

    def __init__(self, *args: Any, change: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)


class ReviewForm(VersionedForm):
    notes = forms.CharField(label="Learning points", max_length=TEXT_MAX, widget=_area(5))

    def __init__(self, *args: Any, change: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)


class WithdrawForm(VersionedForm):
    reason = forms.CharField(max_length=900, widget=_area(2))

    def __init__(self, *args: Any, change: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)


class ScheduleForm(VersionedForm):
    """D6: the window agreed with the customer (a new one supersedes the window in force)."""

    starts_at = forms.DateTimeField(widget=DateTimeLocalInput(), label="Agreed window: start")
    ends_at = forms.DateTimeField(widget=DateTimeLocalInput(), label="Agreed window: end")
    agreed_with = forms.ChoiceField(required=False, choices=(), label="Agreed with")
    note = forms.CharField(required=False, max_length=1000, widget=_area(2))
    reason = forms.CharField(
        required=False, max_length=900, widget=_area(2), label="Why it is rescheduled"
    )

    def __init__(self, *args: Any, change: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        contacts = NamedContact.objects.filter(
            organisation=change.organisation_id, retired_at__isnull=True
        ).order_by("name")
        self.fields["agreed_with"].choices = [("", "— (the nominated change approver)")] + [
            (str(c.pk), c.name) for c in contacts
        ]
        if change.window_id is None:
            del self.fields["reason"]
            if change.requested_start and change.requested_end:
                self.initial.setdefault("starts_at", change.requested_start)
                self.initial.setdefault("ends_at", change.requested_end)


class HaltForm(VersionedForm):
    reason = forms.CharField(
        max_length=900, widget=_area(2), label="How the work deviates from plan",
        help_text="The change is halted and escalated; it is then rescheduled or withdrawn.",
    )

    def __init__(self, *args: Any, change: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)


class PipelineFilterForm(FilterForm):
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=ANY)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if getattr(self.user, "is_provider_staff", False):
            self.fields["organisation"].choices = ANY + organisation_choices(user=self.user)
        else:
            del self.fields["organisation"]


class PipelineForm(ServiceErrorsForm):
    """D3: deployments through this pipeline into the service need no RFC."""

    service = forms.ChoiceField(choices=())
    name = forms.CharField(max_length=200, help_text="e.g. GitHub Actions → CodeDeploy (main)")
    note = forms.CharField(required=False, max_length=1000, widget=_area(2))

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        rows = Service.objects.restrict(user).select_related("organisation").order_by("reference")[:2000]
        self.fields["service"].choices = [("", "—")] + [
            (str(s.pk), f"{s.reference} · {s.name} ({s.organisation.name})") for s in rows
        ]


class StandardChangeFilterForm(FilterForm):
    q = search_field("Name or description")


class StandardChangeForm(VersionedForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=TEXT_MAX, widget=_area())
    runbook = forms.CharField(max_length=100_000, widget=_area(10), help_text="Markdown.")
    is_active = forms.BooleanField(required=False, initial=True, label="Offered for new level-1 changes")

    def __init__(self, *args: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]

    @staticmethod
    def initial_for(entry) -> dict[str, Any]:
        return {
            "name": entry.name,
            "description": entry.description,
            "runbook": entry.runbook,
            "is_active": entry.is_active,
            "version": entry.version,
        }
