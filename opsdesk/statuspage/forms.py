"""Forms of the staff status pages. They parse and type the input; the services decide what is
allowed (forward-only states, windows that end after they start) and their errors land inline."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import ANY, FilterForm, ServiceErrorsForm, VersionedForm, search_field
from opsdesk.statuspage.choices import StatusImpact, StatusIncidentState
from opsdesk.statuspage.models import TEXT_MAX

PUBLISHED_CHOICES = ANY + [("yes", "Published"), ("no", "Draft")]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _when(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, widget=DateTimeLocalInput(), help_text=help_text or "Local time."
    )


class ComponentsField(forms.CharField):
    """One affected component per line ("AWS eu-west-2 connectivity")."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 3000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("help_text", "One per line, e.g. “AWS eu-west-2 connectivity”. No customer names.")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def _markdown(label: str, *, required: bool, rows: int = 6) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text="Markdown. Published as written: no customer names or data.",
    )


# --- filters -----------------------------------------------------------------------------------


def _published(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class StatusIncidentFilterForm(FilterForm):
    q = search_field("Title or component")
    state = forms.ChoiceField(
        required=False, choices=ANY + [("ongoing", "Ongoing")] + StatusIncidentState.choices
    )
    published = forms.TypedChoiceField(
        required=False, label="Publication", choices=PUBLISHED_CHOICES, coerce=_published, empty_value=None
    )


# --- incidents ---------------------------------------------------------------------------------


class StatusIncidentCreateForm(ServiceErrorsForm):
    title = forms.CharField(max_length=200, help_text="What readers see, e.g. “Elevated API error rates”.")
    impact = forms.ChoiceField(choices=StatusImpact.choices, initial=StatusImpact.MINOR)
    state = forms.ChoiceField(choices=StatusIncidentState.choices, initial=StatusIncidentState.INVESTIGATING)
    components = ComponentsField(label="Affected components")
    body = _markdown("First update", required=True)
    started_at = _when("Started", required=False, help_text="Local time. Empty: now.")
    published = forms.BooleanField(required=False, initial=True, label="Publish on the status page")


class StatusIncidentEditForm(VersionedForm):
    title = forms.CharField(max_length=200)
    impact = forms.ChoiceField(choices=StatusImpact.choices)
    components = ComponentsField(label="Affected components")
    started_at = _when("Started")
    published = forms.BooleanField(required=False, label="Publish on the status page")

    @staticmethod
    def initial_for(incident) -> dict[str, Any]:
        names = ("title", "impact", "components", "started_at", "published", "version")
        return {name: getattr(incident, name) for name in names}


class StatusUpdateForm(ServiceErrorsForm):
    """The next state is offered among the allowed ones; the service checks it again (a stale page)."""

    state = forms.ChoiceField(choices=StatusIncidentState.choices)
    body = _markdown("Update", required=True)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [(s, StatusIncidentState(s).label) for s in allowed]
