"""Forms of the on-call pages. They parse and type the input (people by email, a policy's steps
one per line); the services decide what is valid and their errors land inline."""

from __future__ import annotations

from typing import Any

from django import forms

from opsdesk.core.ui.forms import FilterForm, ServiceErrorsForm, VersionedForm, search_field
from opsdesk.directory.models import User
from opsdesk.oncall.choices import MAX_REPEATS, Handover, PageState, StepAction
from opsdesk.oncall.models import Rota, Team

STEP_HELP = (
    "One step per line, in order: “rota NAME” (whoever is on call), “user EMAIL”, “team NAME” "
    "or “wait MINUTES”. E.g. rota Primary, wait 10, rota Secondary, wait 10, team Platform."
)


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _staff_choices() -> list[tuple[int, str]]:
    users = (
        User.objects.filter(is_active=True)
        .exclude(role__in=("customer", "partner"))
        .order_by("full_name", "email")
    )
    return [(u.pk, f"{u.full_name or u.email} <{u.email}>") for u in users]


def _team_choices() -> list[tuple[int, str]]:
    return [(t.pk, t.name) for t in Team.objects.order_by("name")]


class PeopleField(forms.CharField):
    """People by email, one per line, in the order given (a rota's turns)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        kwargs.setdefault("max_length", 10_000)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            users = User.objects.in_bulk([int(v) for v in value])
            return "\n".join(users[int(v)].email for v in value if int(v) in users)
        return value

    def to_python(self, value: Any) -> list[int]:
        emails = [
            line.strip().lower() for line in (super().to_python(value) or "").splitlines() if line.strip()
        ]
        found = {u.email.lower(): u.pk for u in User.objects.filter(email__in=emails)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(f"No user with the email {', '.join(unknown)}.")
        return [found[e] for e in emails]


class StepsField(forms.CharField):
    """A policy's steps as lines of text, turned into the service's step objects."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6}))
        kwargs.setdefault("max_length", 5_000)
        kwargs.setdefault("help_text", STEP_HELP)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        lines = []
        for step in value:
            if step["action"] == StepAction.WAIT:
                lines.append(f"wait {step['minutes']}")
            elif step["action"] == StepAction.NOTIFY_ROTA:
                rota = Rota.objects.filter(pk=step["rota"]).first()
                lines.append(f"rota {rota.name if rota else step['rota']}")
            elif step["action"] == StepAction.NOTIFY_TEAM:
                team = Team.objects.filter(pk=step["team"]).first()
                lines.append(f"team {team.name if team else step['team']}")
            else:
                user = User.objects.filter(pk=step["user"]).first()
                lines.append(f"user {user.email if user else step['user']}")
        return "\n".join(lines)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        steps = []
        for number, line in enumerate((super().to_python(value) or "").splitlines(), start=1):
            if not line.strip():
                continue
            word, _, rest = line.strip().partition(" ")
            word, rest = word.lower(), rest.strip()
            if word == "wait":
                if not rest.isdigit():
                    raise forms.ValidationError(f"Line {number}: “wait” takes whole minutes, e.g. “wait 10”.")
                steps.append({"action": StepAction.WAIT.value, "minutes": int(rest)})
            elif word in ("rota", "team"):
                model = Rota if word == "rota" else Team
                obj = model.objects.filter(name__iexact=rest).first()
                if obj is None:
                    raise forms.ValidationError(f"Line {number}: no {word} named “{rest}”.")
                steps.append({"action": f"notify_{word}", word: obj.pk})
            elif word == "user":
                user = User.objects.filter(email__iexact=rest).first()
                if user is None:
                    raise forms.ValidationError(f"Line {number}: no user with the email “{rest}”.")
                steps.append({"action": StepAction.NOTIFY_USER.value, "user": user.pk})
            else:
                raise forms.ValidationError(f"Line {number}: start with rota, user, team or wait.")
        return steps


# --- filters ----------------------------------------------------------------------------------


class TeamFilterForm(FilterForm):
    q = search_field("Team name")


class RotaFilterForm(FilterForm):
    q = search_field("Rota or team")


class RotaOverrideFilterForm(FilterForm):
    q = search_field("Rota, person or reason")


class EscalationPolicyFilterForm(FilterForm):
    q = search_field("Policy or team")


class PageFilterForm(FilterForm):
    q = search_field("Title")
    state = forms.ChoiceField(required=False, choices=[("", "Any")] + PageState.choices)
    mine = forms.TypedChoiceField(
        required=False,
        label="Sent to",
        choices=[("", "Anyone"), ("yes", "Me")],
        coerce=lambda v: v == "yes",
        empty_value=None,
    )


# --- create and edit --------------------------------------------------------------------------


class TeamForm(VersionedForm):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    members = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, user: Any = None, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        self.fields["members"].choices = _staff_choices()

    @staticmethod
    def initial_for(team) -> dict[str, Any]:
        return {
            "name": team.name,
            "description": team.description,
            "members": [u.pk for u in team.members.all()],
            "version": team.version,
        }


class RotaForm(VersionedForm):
    team = forms.TypedChoiceField(coerce=int)
    name = forms.CharField(max_length=100)
    handover = forms.ChoiceField(choices=Handover.choices, label="Hand-over")
    handover_time = forms.TimeField(
        widget=TimeInput(), label="Hand-over time", help_text="Provider's time zone."
    )
    starts_on = forms.DateField(
        widget=DateInput(), help_text="The first hand-over; weekly rotas keep its weekday."
    )
    ends_on = forms.DateField(widget=DateInput(), required=False, help_text="Empty: the rota runs on.")
    participants = PeopleField(help_text="Team members by email, one per line, in turn order.")

    def __init__(self, *args: Any, user: Any = None, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        self.fields["team"].choices = _team_choices()

    @staticmethod
    def initial_for(rota) -> dict[str, Any]:
        names = ("name", "handover", "handover_time", "starts_on", "ends_on", "version")
        people = PeopleField().prepare_value(rota.participants)
        return {"team": rota.team_id, "participants": people, **{n: getattr(rota, n) for n in names}}


class RotaOverrideForm(VersionedForm):
    rota = forms.TypedChoiceField(coerce=int)
    user = forms.TypedChoiceField(coerce=int, label="On call instead")
    starts_at = forms.DateTimeField(widget=DateTimeLocalInput(), help_text="Provider's time zone.")
    ends_at = forms.DateTimeField(widget=DateTimeLocalInput(), help_text="Provider's time zone.")
    reason = forms.CharField(max_length=200, required=False, help_text="E.g. “swap with Sam” or “holiday”.")

    def __init__(self, *args: Any, user: Any = None, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
            self.fields["rota"].choices = [(r.pk, r.name) for r in Rota.objects.order_by("name")]
        else:
            del self.fields["rota"]
        self.fields["user"].choices = _staff_choices()

    @staticmethod
    def initial_for(override) -> dict[str, Any]:
        names = ("starts_at", "ends_at", "reason", "version")
        return {"user": override.user_id, **{n: getattr(override, n) for n in names}}


class EscalationPolicyForm(VersionedForm):
    name = forms.CharField(max_length=100)
    team = forms.TypedChoiceField(
        coerce=int, help_text="Paged instead when nobody is on call (the page is flagged)."
    )
    steps = StepsField()
    repeat_count = forms.IntegerField(
        min_value=0, max_value=MAX_REPEATS, initial=0, label="Repeat", help_text="Times the steps run again."
    )
    is_default = forms.BooleanField(required=False, label="Default policy (used for every page)")
    is_security = forms.BooleanField(
        required=False,
        label="Security rota (pages security events)",
        help_text="F2: CloudTrail security events at or above the paging severity page this policy.",
    )

    def __init__(self, *args: Any, user: Any = None, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["version"]
        self.fields["team"].choices = _team_choices()

    @staticmethod
    def initial_for(policy) -> dict[str, Any]:
        names = ("name", "repeat_count", "is_default", "is_security", "version")
        steps = StepsField().prepare_value(policy.steps)
        return {"team": policy.team_id, "steps": steps, **{n: getattr(policy, n) for n in names}}


class AcknowledgeForm(ServiceErrorsForm):
    """The acknowledgement button: no fields, a POST with its CSRF token."""
