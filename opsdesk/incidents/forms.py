"""Forms of the incident pages (C1–C7). They parse and type the input only: what must be given, which
priority fits which service, who may escalate, which move is allowed from which state — the services
decide, and their errors come back onto these forms field by field (so the customer portal, the
staff desk and the API say the same thing)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from opsdesk.core.permissions import PERMISSIONS
from opsdesk.core.ui.forms import FastChoiceField, FastSelect, MultipleFileField, ServiceErrorsForm
from opsdesk.directory import selectors as directory
from opsdesk.incidents import selectors as incidents
from opsdesk.incidents.choices import IncidentState, Priority
from opsdesk.incidents.escalations import selectors as escalation_selectors

ANY = [("", "Any")]

#: B3: what each priority means, shown where a contact chooses one: (headline, detail).
PRIORITY_MEANING = {
    Priority.P1: ("Business critical", "Loss of a critical service. Production only; 24x7."),
    Priority.P2: (
        "Degraded",
        "Intermittent loss or degraded performance of a critical service. Production only; 24x7.",
    ),
    Priority.P3: ("General", "A non-critical, service-affecting issue. Business hours."),
    Priority.P4: (
        "General query",
        "A change request, technical query or best-practice request. Business hours.",
    ),
}
PRIORITY_CHOICES = [(p.value, p.label) for p in Priority]


class SearchInput(forms.TextInput):
    input_type = "search"


def _active_workers(user: Any) -> list[tuple[str, str]]:
    """Provider staff who work incidents (the roles of incidents.manage), for assignment."""
    roles = sorted(PERMISSIONS["incidents.manage"])
    people = (
        directory.user_list(user=user).filter(role__in=roles, is_active=True).order_by("full_name", "email")
    )
    return [(str(pk), name or email) for pk, name, email in people.values_list("pk", "full_name", "email")]


def _on_behalf_of(help_text: str) -> forms.TypedChoiceField:
    """Staff act for a named contact, chosen here (the choices are set per user)."""
    return forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="On behalf of named contact", help_text=help_text
    )


# --- the queue ----------------------------------------------------------------------------------

#: The state filter's extra values: "open" is the selector's own (not resolved or closed).
STATE_OPEN, STATE_ALL = incidents.OPEN, "all"


class IncidentFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=SearchInput(attrs={"placeholder": "Reference, title or description", "aria-label": "Search"}),
    )
    state = forms.ChoiceField(
        required=False,
        choices=[(STATE_OPEN, "Open (not resolved)"), (STATE_ALL, "All")] + list(IncidentState.choices),
        widget=FastSelect,
    )
    priority = forms.ChoiceField(required=False, choices=ANY + PRIORITY_CHOICES, widget=FastSelect)
    organisation = FastChoiceField(required=False, coerce=int)
    assignee = FastChoiceField(required=False, coerce=int)
    #: "My incidents": assigned to me (staff), logged by me (customers).
    mine = forms.BooleanField(required=False, label="Mine only")
    #: A service's page lists its incidents (?service=<id>); the selector keeps it in the tenancy.
    service = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, data: Any, *, user: Any, default_state: str):
        data = data.copy()
        if not data.get("state"):
            data["state"] = default_state
        super().__init__(data)
        self.user = user
        self.mine = data.get("mine") in ("1", "on", "true", "True")
        self.fields["mine"].label = "Assigned to me" if user.is_provider_staff else "Logged by me"
        if user.is_provider_staff:
            self.fields["organisation"].choices = ANY + directory.organisation_choices(user=user)
            self.fields["assignee"].choices = ANY + _active_workers(user)
        else:
            del self.fields["organisation"]
            del self.fields["assignee"]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"state": self.data.get("state") if self.data.get("state") == STATE_ALL else STATE_OPEN}
        values = {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [], False)}
        if values.get("state") == STATE_ALL:
            del values["state"]
        if values.pop("mine", False):
            values["assignee" if self.user.is_provider_staff else "created_by"] = self.user.pk
        return values


# --- logging (C1, C2) -----------------------------------------------------------------------------


def _service_label(service: Any) -> str:
    """'NW-PROD-WEB — Web shop (production)': the environment matters for P1/P2 (C2)."""
    label = f"{service.reference} — {service.name}"
    environment = service.get_environment_display().lower()
    return label if environment in service.name.lower() else f"{label} ({environment})"


class ServiceReferenceField(forms.ChoiceField):
    """The choices offered are the reporting contact's services; any reference is passed on, and
    incident_log says what is wrong with it in the words of the organisation (not "Select a valid
    choice", nor a reference that exists elsewhere called missing)."""

    def valid_value(self, value: Any) -> bool:
        return True


class LogIncidentForm(ServiceErrorsForm):
    """Every field is optional here on purpose: incident_log reports each missing or wrong one at
    once, naming it (C1), and the same words reach API clients."""

    #: The service names the field it checks by what the API takes.
    ALIASES = {"service": "service_reference"}

    reported_by = _on_behalf_of("Staff log an incident for the named contact who reported it.")
    service_reference = ServiceReferenceField(
        required=False, label="Service", help_text="The service reference agreed at build."
    )
    priority = forms.ChoiceField(required=False, choices=PRIORITY_CHOICES, widget=forms.RadioSelect)
    title = forms.CharField(required=False, max_length=200, label="Title")
    description = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What is happening, since when, what you have tried; error messages and request ids.",
    )
    diagnostics_confirmed = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Diagnostics done",
        help_text="Confirm each check before logging.",
    )

    def __init__(self, *args: Any, user: Any, contact: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.staff = user.is_provider_staff
        services = directory.service_list(user=user).order_by("organisation__name", "reference")
        if self.staff:
            contacts = list(directory.contact_list(user=user).order_by("organisation__name", "name"))
            self.fields["reported_by"].choices = [("", "Choose the reporting contact…")] + [
                (str(c.pk), f"{c.name} <{c.email}> — {c.organisation.name}") for c in contacts
            ]
            # Once the contact is known (chosen, or sent back with errors), only their
            # organisation's services are offered.
            chosen = self.data.get("reported_by") if self.is_bound else contact
            reporter = next((c for c in contacts if str(c.pk) == str(chosen)), None)
            if reporter is not None:
                services = services.filter(organisation_id=reporter.organisation_id)
                self.initial.setdefault("reported_by", reporter.pk)
            self.fields["reported_by"].widget.attrs.update(
                {
                    "hx-get": "",
                    "hx-trigger": "change",
                    "hx-select": "#field-service_reference",
                    "hx-target": "#field-service_reference",
                    "hx-swap": "outerHTML",
                }
            )
            groups: dict[str, list[tuple[str, str]]] = {}
            for s in services:
                groups.setdefault(s.organisation.name, []).append((s.reference, _service_label(s)))
            self.fields["service_reference"].choices = [("", "Choose a service…")] + list(groups.items())
            self.fields[
                "service_reference"
            ].help_text = (
                "The reporting contact's organisation decides which service of that reference is meant."
            )
        else:
            # A customer logs as their own contact: no choice to show, but a reported_by sent anyway
            # goes to the service, which refuses another contact (an error, not silently dropped).
            self.fields["reported_by"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput, label="Reported by"
            )
            self.fields["service_reference"].choices = [("", "Choose a service…")] + [
                (s.reference, _service_label(s)) for s in services
            ]
        self.fields["diagnostics_confirmed"].choices = [(i.pk, i.text) for i in incidents.checklist_list()]
        # Optional for the form, needed by the service: marked as required for the person filling it.
        for name in ("reported_by", "service_reference", "title", "description"):
            if name in self.fields:
                self.fields[name].marked_required = True
        self.priority_meaning = [
            {"value": p.value, "headline": PRIORITY_MEANING[p][0], "meaning": PRIORITY_MEANING[p][1]}
            for p in Priority
        ]

    def add_error(self, field, error):
        super().add_error(self.ALIASES.get(field, field), error)

    def service_arguments(self) -> dict[str, Any]:
        d = self.cleaned_data
        args = {
            "service_reference": d["service_reference"],
            "title": d["title"],
            "priority": d["priority"],
            "description": d["description"],
            "diagnostics_confirmed": d["diagnostics_confirmed"],
        }
        if self.staff or d.get("reported_by") is not None:
            args["reported_by"] = d["reported_by"]
        return args

    def error_summary(self) -> list[tuple[str, str]]:
        """(field label, message) for every error, for the summary above the form (C1: each missing
        field is named)."""
        out = []
        for name, errors in self.errors.items():
            label = self[name].label if name in self.fields else ""
            out += [(str(label or ""), str(e)) for e in errors]
        return out


# --- lifecycle actions (C2, C4, C5) -----------------------------------------------------------------


class ActionForm(ServiceErrorsForm):
    """A small POST form on the incident page; `name` identifies it when it comes back with errors."""

    name = ""

    def service_arguments(self) -> dict[str, Any]:
        """What the step's service takes from this form: its fields, the page's `version` as the
        version the change expects."""
        return {("expected_version" if k == "version" else k): v for k, v in self.cleaned_data.items()}


def _text(label: str, help_text: str = "", *, rows: int = 2, max_length: int = 50_000) -> forms.CharField:
    """A multi-line text a step may take; its service says when it is needed."""
    textarea = forms.Textarea(attrs={"rows": rows})
    return forms.CharField(
        required=False, max_length=max_length, widget=textarea, label=label, help_text=help_text
    )


class AcknowledgeForm(ActionForm):
    name = "acknowledge"


class InvestigateForm(ActionForm):
    name = "investigate"
    note = _text("Public note (optional)", "A substantive note to the customer is the considered response.")


class AwaitCustomerForm(ActionForm):
    name = "await_customer"
    note = _text(
        "What do you need from the customer?",
        "Sent to the customer; the SLA clock pauses until they answer.",
    )


class ResumeForm(ActionForm):
    name = "resume"


class ResolveForm(ActionForm):
    name = "resolve"
    summary = _text("Resolution summary", "Public: what was wrong and what was done.", rows=3)


class CloseForm(ActionForm):
    name = "close"
    customer_confirmed = forms.BooleanField(
        required=False, label="The customer confirmed that service is resumed"
    )
    reason = forms.CharField(
        required=False,
        max_length=2_000,
        label="How was it confirmed?",
        help_text="Staff recording the confirmation on the customer's behalf say how (e.g. by telephone).",
    )

    def __init__(self, *args: Any, customer: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if customer:
            self.fields["customer_confirmed"].widget = forms.HiddenInput()
            self.fields["customer_confirmed"].initial = True
            del self.fields["reason"]
        else:
            # The service requires it of staff (incident_close); the form says so before sending.
            self.fields["reason"].marked_required = True
            self.fields["reason"].widget.attrs["aria-required"] = "true"


#: Who sees a staff note: an explicit choice, never a default (issue 9), each saying what posting does.
VISIBILITY_CHOICES = [
    ("public", "Public update: the customer sees it"),
    ("internal", "Internal note: staff only, changes nothing"),
]


class NoteForm(ActionForm):
    name = "note"
    body = _text("Update", rows=3)
    visibility = forms.ChoiceField(
        choices=VISIBILITY_CHOICES,
        widget=forms.RadioSelect,
        label="Who sees it?",
        error_messages={"required": "Choose who sees this note: the customer too, or staff only."},
    )
    files = MultipleFileField(label="Attach files")

    def __init__(self, *args: Any, customer: bool = False, incident: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["files"].help_text = (
            f"Optional; choose several at once, each at most {settings.ATTACHMENT_MAX_BYTES // 2**20} MB. "
            "Executables, scripts and web pages (HTML, SVG) are not accepted. "
            "The files are as visible as the note."
        )
        if customer:
            del self.fields["visibility"]
            self.fields["body"].label = "Add an update for the service desk"
            if incident is not None and incident.state == "awaiting_customer":
                self.fields["body"].help_text = "Posting answers the service desk: the SLA clock runs again."
        elif incident is not None and incident.considered_response_at is None and incident.state in (
            "acknowledged",
            "investigating",
        ):
            moves = " moves the incident to Investigating and" if incident.state == "acknowledged" else ""
            self.fields["visibility"].help_text = (
                f"A public update{moves} counts as the considered response: its target is then met."
            )

    def service_arguments(self) -> dict[str, Any]:
        public = self.customer or self.cleaned_data["visibility"] == "public"
        return {"body": self.cleaned_data["body"], "public": public, "files": self.cleaned_data["files"]}


class CallForm(ActionForm):
    name = "call"
    summary = _text(
        "Call summary",
        "Recording a call clears “telephone follow-up required”.",
        max_length=5_000,
    )


class AssignForm(ActionForm):
    name = "assign"
    assignee = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Assignee")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "— unassigned —")] + _active_workers(user)


class PriorityForm(ActionForm):
    name = "priority"
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES, label="New priority")
    reason = forms.CharField(required=False, max_length=500, label="Reason")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- escalation (C7) and root-cause analysis (C6) ---------------------------------------------------


class EscalateForm(ActionForm):
    name = "escalate"
    # People choose a criterion by its text; the service's message (for API clients) lists codes.
    criterion = forms.ChoiceField(
        label="Why are you escalating?",
        error_messages={
            "required": "Choose why you are escalating: one of the criteria in the list.",
            "invalid_choice": "That is not one of the escalation criteria: choose one from the list.",
        },
    )
    details = _text("Details", "What has happened and what you expect now.", rows=3, max_length=10_000)
    contact = _on_behalf_of("An escalation contact registered on the incident's service.")

    def __init__(self, *args: Any, user: Any, incident: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [("", "Choose a criterion…")] + [
            (c.code, c.text) for c in escalation_selectors.escalation_criterion_list()
        ]
        if user.is_provider_staff:
            contacts = directory.contact_list(user=user, organisation=incident.organisation_id, flag=None)
            self.fields["contact"].choices = [("", "Choose the contact…")] + [
                (str(c.pk), f"{c.name}{' (escalation contact)' if c.is_escalation_contact else ''}")
                for c in contacts.order_by("name")
            ]
        else:
            del self.fields["contact"]


class EscalationAcknowledgeForm(ActionForm):
    name = "escalation_acknowledge"


class EscalationRespondForm(ActionForm):
    name = "escalation_respond"
    response = _text(
        "Considered response",
        "Sent to the contact who escalated and to everyone the matrix copies.",
        rows=3, max_length=20_000,
    )


class EscalationCloseForm(ActionForm):
    name = "escalation_close"
    reason = forms.CharField(required=False, max_length=500, label="Reason for closing the escalation")


class RcaRequestForm(ActionForm):
    name = "rca_request"


# --- the diagnostics checklist (C1) ---------------------------------------------------------------


class ChecklistItemForm(ServiceErrorsForm):
    text = forms.CharField(max_length=300, label="Check", help_text="Written as the contact confirms it.")
    position = forms.IntegerField(
        required=False, min_value=0, help_text="Lower comes first; empty puts a new check last."
    )
    active = forms.BooleanField(required=False, initial=True, label="Active (contacts must confirm it)")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        else:
            self.fields["position"].required = True

    @staticmethod
    def initial_for(item: Any) -> dict[str, Any]:
        return {"text": item.text, "position": item.position, "active": item.active, "version": item.version}
