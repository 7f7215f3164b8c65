"""Forms of the root-cause analysis pages (C6). They parse and type the input only; rca.py decides
what may be written, when a report is complete and who may accept it, and its errors come back onto
these forms field by field."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.roles import STAFF_ROLES, Role
from opsdesk.core.ui.forms import ServiceErrorsForm
from opsdesk.directory import selectors as directory
from opsdesk.incidents.rca.models import RCA_SECTIONS, RcaState

ANY = [("", "Any")]
SECTION_HELP = {
    "impact": "Who and what was affected, for how long. Markdown.",
    "timeline_of_events": "What happened when, from the first symptom to the restoration. Markdown.",
    "monitoring_assessment": "What the alarms and metrics showed, and what they missed. Markdown.",
    "lessons_learned": "Markdown.",
    "recommendations": "How to avoid a repeat incident. Markdown.",
}


class RcaFilterForm(forms.Form):
    overdue = forms.ChoiceField(
        required=False,
        label="Due",
        choices=ANY + [("yes", "Overdue"), ("no", "Not overdue")],
    )
    state = forms.ChoiceField(required=False, choices=ANY + list(RcaState.choices))

    def __init__(self, data: Any, *, user: Any):
        super().__init__(data)
        if not user.is_provider_staff:
            del self.fields["overdue"]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        out: dict[str, Any] = {}
        if d.get("overdue"):
            out["overdue"] = d["overdue"] == "yes"
        if d.get("state"):
            out["state"] = d["state"]
        return out


class RcaSectionsForm(ServiceErrorsForm):
    """The five written sections; `version` is the version the writer saw (a stale edit is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, label in RCA_SECTIONS:
            self.fields[name] = forms.CharField(
                required=False,
                max_length=50_000,
                label=label,
                help_text=SECTION_HELP.get(name, ""),
                widget=forms.Textarea(attrs={"rows": 5}),
            )

    @staticmethod
    def initial_for(report: Any) -> dict[str, Any]:
        return {"version": report.version, **{name: getattr(report, name) for name, _ in RCA_SECTIONS}}


class RcaActionForm(ServiceErrorsForm):
    description = forms.CharField(
        required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 2}), label="Action"
    )
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Owner")
    due_date = forms.DateField(
        required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"})
    )
    runbook_update = forms.BooleanField(required=False, label="Updates a runbook")

    def __init__(self, *args: Any, user: Any, report: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["description"].marked_required = True
        active = directory.user_list(user=user).filter(is_active=True).order_by("full_name", "email")
        people = [
            (str(u.pk), f"{u.full_name or u.email} (provider)")
            for u in active.filter(role__in=sorted(STAFF_ROLES))
        ]
        customers = [
            (str(u.pk), u.full_name or u.email)
            for u in active.filter(
                role=Role.CUSTOMER, contact__organisation_id=report.incident.organisation_id
            )
        ]
        self.fields["owner"].choices = [("", "— no owner yet —")] + people + customers


class RcaActionDoneForm(ServiceErrorsForm):
    done = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RcaSubmitForm(ServiceErrorsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RcaAcceptForm(ServiceErrorsForm):
    pass
