from __future__ import annotations

from django import forms

from opsdesk.directory.models import CloudAccount, Organisation


class ImportForm(forms.Form):
    file = forms.FileField(help_text="An AWS Cost and Usage Report CSV (or a Cost Explorer export).")


class ReviewFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False)
    tag = forms.CharField(required=False, max_length=330, help_text="key=value, e.g. Environment=production")

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class ThresholdForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    account = forms.ModelChoiceField(
        queryset=CloudAccount.objects.none(), required=False, help_text="Empty: the organisation's total."
    )
    percent = forms.DecimalField(required=False, min_value=0.01, max_digits=9, decimal_places=2)
    amount = forms.DecimalField(required=False, min_value=0.01, max_digits=14, decimal_places=2)

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.restrict(user).order_by("name")
        self.fields["account"].queryset = CloudAccount.objects.restrict(user).order_by("account_id")
        if editing:
            del self.fields["organisation"]
            del self.fields["account"]
