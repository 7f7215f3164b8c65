import html
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.template import loader
from django.utils.safestring import mark_safe

from opsdesk.web import signin


class LoginForm(AuthenticationForm):
    """Email is the username (A4)."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending its one-time link through the outbox instead of SMTP directly."""

    def get_users(self, email):
        """Active users with this email, including those created without a password (an unusable
        one; Django's form skips them): a reset link is how they set their first password, and
        there is no outside directory whose passwords a reset could bypass."""
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.email.casefold() == email.casefold())

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        signin.password_reset_email_enqueue(user=context["user"], subject=subject, body=body)


def _escape(value: Any) -> str:
    """Django's conditional_escape without making a SafeString of every option."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class FastSelect(forms.Select):
    """A <select> rendered in Python rather than one template per option: a filter listing
    hundreds of organisations costs well under a millisecond instead of tens (no option groups)."""

    #: (value, label) pairs, kept as given: Select's own `choices` normalises them on every form.
    choices: list = []

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs or {})
        final["name"] = name
        values = value if isinstance(value, list | tuple) else [value]
        selected = {str(v) for v in values if v not in (None, "")}
        options = "".join(
            f'<option value="{_escape(v)}"{" selected" * (str(v) in selected)}>{_escape(label)}</option>'
            for v, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")


class FastChoiceField(forms.Field):
    """One of many choices (hundreds of organisations in a filter): the choices are kept as given,
    checked by a set lookup and rendered by FastSelect. A ChoiceField normalises and copies them on
    every form, which costs milliseconds a page at that size. `coerce` types the value."""

    widget = FastSelect
    default_error_messages = {
        "invalid_choice": "Select a valid choice. %(value)s is not one of the available choices.",
    }

    def __init__(self, *, coerce: Callable[[str], Any] = str, choices: Iterable = (), **kwargs: Any):
        super().__init__(**kwargs)
        self.coerce = coerce
        self.choices = choices

    @property
    def choices(self) -> list:
        return self.widget.choices

    @choices.setter
    def choices(self, value: Iterable) -> None:
        self.widget.choices = list(value)
        self._values = {str(v) for v, _ in self.widget.choices}

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if str(value) not in self._values:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return self.coerce(value)
