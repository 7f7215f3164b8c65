"""Forms of the alerts pages: filters and the priority rules. They parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.alerts.choices import AlertSource, AlertState, Priority, SecuritySeverity
from opsdesk.core.ui.forms import ANY, FilterForm, ServiceErrorsForm
from opsdesk.directory.models import Organisation, Service


def _organisations(user: Any) -> list[tuple[Any, str]]:
    return [(o.pk, o.name) for o in Organisation.objects.restrict(user).order_by("name")]


class AlertFilterForm(FilterForm):
    state = forms.ChoiceField(required=False, choices=ANY + AlertState.choices)
    source = forms.ChoiceField(required=False, choices=ANY + AlertSource.choices)
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = ANY + _organisations(self.user)


class SecurityEventFilterForm(FilterForm):
    severity = forms.ChoiceField(required=False, choices=ANY + SecuritySeverity.choices)
    kind = forms.CharField(required=False, max_length=50)
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = ANY + _organisations(self.user)


class PriorityRuleFilterForm(FilterForm):
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = ANY + _organisations(self.user)


class PriorityRuleForm(ServiceErrorsForm):
    organisation = forms.TypedChoiceField(coerce=int)
    service = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    alarm_pattern = forms.CharField(required=False, max_length=255, help_text="e.g. prod-*-5xx")
    namespace = forms.CharField(required=False, max_length=255, help_text="e.g. AWS/EC2")
    priority = forms.ChoiceField(choices=Priority.choices)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        kwargs.pop("instance", None)
        kwargs.pop("creating", None)
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _organisations(user)
        services = Service.objects.restrict(user).select_related("organisation").order_by("reference")
        self.fields["service"].choices = [("", "Any service")] + [
            (s.pk, f"{s.organisation.name} · {s.reference}") for s in services
        ]
