"""Forms of the inbox pages: the deliveries' filters, the SNS endpoints and the intake keys. They
parse; the services decide what is valid and their errors land inline."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import ANY, FilterForm, VersionedForm
from opsdesk.directory.models import Organisation
from opsdesk.inbox.choices import DeliverySource, DeliveryState, IntakePurpose


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


class IntakeKeyFilterForm(FilterForm):
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    purpose = forms.ChoiceField(required=False, choices=ANY + IntakePurpose.choices)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = ANY + _organisation_choices(self.user)


PROVIDER_WIDE = "— Provider-wide (EventBridge only) —"


class IntakeKeyForm(forms.Form):
    """A new key. The description is required here: a key staff cannot tell apart is one nobody
    dares to rotate or delete."""

    purpose = forms.ChoiceField(
        choices=IntakePurpose.choices,
        help_text="EventBridge: the X-Opsdesk-Intake-Key header of an API destination. "
        "Webhook: the address /intake/webhook/<secret>/ of another monitoring tool.",
    )
    organisation = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Whose alarms and events it brings in; a webhook always belongs to one organisation.",
    )
    description = forms.CharField(
        max_length=200, help_text='What uses it, e.g. "EventBridge, production account".'
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", PROVIDER_WIDE), *_organisation_choices(user)]
