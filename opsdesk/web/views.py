"""Sign-in/out and the landing page: the staff desk dashboard or the customer portal home (L4)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.db.models import Count, F
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.views import ui_view
from opsdesk.incidents import selectors as incidents
from opsdesk.incidents.choices import Priority
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.web import selectors, signin
from opsdesk.web.forms import LoginForm, OutboxPasswordResetForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Too many failed sign-in attempts. Sign-in is paused for {minutes} minutes; "
        "try again later, or reset your password by email."
    )


def login_locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, with the lockout as a form error and HTTP 429.
    Unknown and existing accounts are locked alike, so the page says nothing about which it was."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = LoginForm(request, initial={"username": username[:254]})
    context = {"form": form, "next": request.POST.get("next", ""), "lockout_message": lockout_message()}
    return render(request, "web/login.html", context, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an email and always answers the same, whether or not it belongs to an account."""

    template_name = "web/password_reset.html"
    form_class = OutboxPasswordResetForm
    email_template_name = "web/email/password_reset.txt"
    subject_template_name = "web/email/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    @property
    def extra_email_context(self):
        return {"reset_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"

    @property
    def extra_context(self):
        return {"reset_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class _PasswordSet:
    """A new password is saved together with its sign-in record (`recorded`, one transaction),
    then said on the next page (`said`)."""

    recorded: str  # the opsdesk.web.signin function that records it
    said: str

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            getattr(signin, self.recorded)(user=form.user, request=self.request)
        messages.success(self.request, self.said)
        return response


class PasswordResetConfirmView(_PasswordSet, auth_views.PasswordResetConfirmView):
    """The link's page: a new password (the project's validators), then back to sign in with it."""

    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:login")
    recorded = "password_reset_completed"
    said = "Your new password is set. Sign in with it."


class PasswordChangeView(_PasswordSet, auth_views.PasswordChangeView):
    """Old password, new one twice; the session stays signed in (update_session_auth_hash) while
    every other session of the user ends (their auth hash no longer matches)."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:home")
    recorded = "password_changed"
    said = "Your password has been changed."


password_reset = PasswordResetView.as_view()
password_reset_done = PasswordResetDoneView.as_view()
password_reset_confirm = PasswordResetConfirmView.as_view()
password_change = PasswordChangeView.as_view()


def _incident_panels(user: Any) -> dict[str, Any]:
    """The desk's incident panels (C4, C6, B6): open incidents by priority with those past their next
    target, and the root-cause analyses past their due date — from the same restricted selectors as
    the queue and the RCA list, so the desk never shows more than they do."""
    now = timezone.now()
    counts = {
        row["priority"]: row
        for row in incidents.incident_list(user=user, filters={"state": incidents.OPEN})
        .order_by()
        .values("priority")
        .annotate(
            total=Count("pk"),
            breached=Count("pk", filter=incidents.breached_q(now=now)),
        )
    }
    by_priority = [
        {
            "value": p.value,
            "label": p.label,
            "total": counts.get(p.value, {}).get("total", 0),
            "breached": counts.get(p.value, {}).get("breached", 0),
        }
        for p in Priority
    ]
    overdue = rca_selectors.rca_overdue_list(user=user)
    return {
        "incidents_by_priority": by_priority,
        "open_incident_total": sum(r["total"] for r in by_priority),
        "breached_incident_total": sum(r["breached"] for r in by_priority),
        "overdue_rcas": list(overdue[:8]),
        "overdue_rca_total": overdue.count(),
        "now": now,
    }


def _customer_incidents(user: Any) -> dict[str, Any]:
    """The portal's "Your open incidents" panel (C4): the five with the earliest next target, from the
    same restricted selector as the incident list, and the way to log another."""
    open_incidents = incidents.incident_list(user=user, filters={"state": incidents.OPEN})
    return {
        "open_incidents": list(
            open_incidents.order_by(F("next_target_at").asc(nulls_last=True), "logged_at", "pk")[:5]
        ),
        "open_incident_total": open_incidents.count(),
        "log_incident_url": reverse("incidents:log") if has_permission(user, "incidents.log") else None,
    }


@ui_view
def home(request):
    if request.user.is_provider_staff:
        context = {**selectors.staff_dashboard(user=request.user), **_incident_panels(request.user)}
        return render(request, "web/home_staff.html", context)
    context = {**selectors.customer_home(user=request.user), **_customer_incidents(request.user)}
    return render(request, "web/home_customer.html", context)
