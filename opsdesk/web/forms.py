"""The sign-in forms: email as the username (A4) and a password reset sent through the outbox."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader

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
