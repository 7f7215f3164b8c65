"""Sign-in/out and the landing page: the staff desk dashboard or the customer portal home (L4)."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.db.models import Count, F, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.permissions import has_permission
from opsdesk.incidents import rca
from opsdesk.incidents import selectors as incidents
from opsdesk.incidents.choices import Priority
from opsdesk.web import selectors
from opsdesk.web.forms import LoginForm
from opsdesk.web.ui import ui_view


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


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
            breached=Count("pk", filter=Q(next_target_at__lte=now, paused_at__isnull=True)),
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
    overdue = rca.rca_overdue_list(user=user)
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
