"""Forms of the inbox pages: the deliveries' filters and the SNS endpoints. They parse; the
services decide what is valid and their errors land inline."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import ANY, FilterForm, VersionedForm
from opsdesk.directory.models import Organisation
from opsdesk.inbox.choices import DeliverySource, DeliveryState


def _organisation_choices(user: Any) -> list[tuple[Any, str]]:
    return [(o.pk, o.name) for o in Organisation.objects.restrict(user).order_by("name")]


class DeliveryFilterForm(FilterForm):
    source = forms.ChoiceField(required=False, choices=ANY + DeliverySource.choices)
    state = forms.ChoiceField(required=False, choices=ANY + DeliveryState.choices)
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    kind = forms.CharField(required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = ANY + _organisation_choices(self.user)


class SnsSubscriptionFilterForm(FilterForm):
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = ANY + _organisation_choices(self.user)


TOPICS_HELP = "One SNS topic ARN per line, e.g. arn:aws:sns:eu-west-2:123456789012:alarms."


class SnsSubscriptionForm(VersionedForm):
    organisation = forms.TypedChoiceField(coerce=int)
    description = forms.CharField(max_length=200, required=False)
    topic_arns = forms.CharField(
        label="Allowed topics",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=30_000,
        help_text=TOPICS_HELP,
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, user: Any = None, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
            self.fields["organisation"].choices = _organisation_choices(user)
        else:
            del self.fields["organisation"]  # an endpoint stays with its organisation

    def clean_topic_arns(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["topic_arns"].splitlines() if line.strip()]

    @staticmethod
    def initial_for(subscription) -> dict[str, Any]:
        return {
            "description": subscription.description,
            "topic_arns": "\n".join(subscription.topic_arns),
            "active": subscription.active,
            "version": subscription.version,
        }
