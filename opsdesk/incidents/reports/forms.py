"""The SLA report's filters as a form (L4). Only a parser: what a month, a range, a priority or an
organisation may be is decided once, by selectors.report_filters, whose errors land on the fields."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import FastSelect
from opsdesk.directory import selectors as directory
from opsdesk.incidents.choices import Priority

ANY = [("", "Any")]


class ReportFilterForm(forms.Form):
    from_month = forms.CharField(
        required=False,
        label="From month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    to_month = forms.CharField(
        required=False,
        label="To month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    # A plain text value, not a choice: an id the user may not see is the selector's NotFound.
    organisation = forms.CharField(required=False, widget=FastSelect)
    priority = forms.CharField(required=False, widget=FastSelect)

    def __init__(self, data: Any, *, user: Any):
        super().__init__(data)
        self.fields["priority"].widget.choices = ANY + [(p.value, p.label) for p in Priority]
        if user.is_provider_staff:
            self.fields["organisation"].widget.choices = [
                ("", "All organisations")
            ] + directory.organisation_choices(user=user)
        else:
            self.fields["organisation"].widget = forms.HiddenInput()

    def values(self) -> dict[str, str]:
        """The filters as sent (the form has no rules of its own to fail)."""
        self.is_valid()
        return {name: (self.cleaned_data.get(name) or "").strip() for name in self.fields}
