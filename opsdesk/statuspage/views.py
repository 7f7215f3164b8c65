"""Status page views (C8, E4).

Public pages (no login, published records only, a layout of their own without any navigation or
user data) and the staff pages behind "statuspage.manage". Thin by rule: parse, call one selector
or service, render.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from opsdesk.core.errors import NotFound, PreconditionFailed, ValidationFailed
from opsdesk.core.ui.views import (
    STALE_EDIT_MESSAGE,
    Column,
    filter_values,
    form_page,
    history_page,
    render_list,
    require,
    sorted_page,
    ui_view,
    versioned,
)
from opsdesk.statuspage import forms, selectors, services
from opsdesk.statuspage.services import allowed_next_states

PERMISSION = "statuspage.manage"
LIST_TEMPLATE = "statuspage/list.html"
#: Readers reload a status page often during an incident; a short shared cache absorbs that.
PUBLIC_MAX_AGE = 30


def public_view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No login; GET only; NotFound from a public selector is a 404; cacheable for a short while."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            raise Http404()

    return require_GET(cache_control(public=True, max_age=PUBLIC_MAX_AGE)(wrapper))


def _bound(request) -> Any:
    return request.POST if request.method == "POST" else None


# --- public (C8) -------------------------------------------------------------------------------


@public_view
def index(request):
    return render(request, "statuspage/public/index.html", {"summary": selectors.public_status_summary()})


@public_view
def incident(request, pk: int):
    return render(
        request, "statuspage/public/incident.html", {"incident": selectors.public_incident_get(pk=pk)}
    )


# --- staff: incidents --------------------------------------------------------------------------

INCIDENT_COLUMNS = [
    Column("Title", "title"),
    Column("StatusImpact", "impact"),
    Column("State", "state"),
    Column("Components"),
    Column("Started", "started"),
    Column("Published"),
]
INCIDENT_ORDERINGS = {
    "title": ("title",),
    "impact": ("impact",),
    "state": ("state",),
    "started": ("started_at",),
}


@ui_view
def incident_list(request):
    form = forms.StatusIncidentFilterForm(request.GET)
    qs = selectors.status_incident_list(user=request.user, **filter_values(form))
    listing = sorted_page(
        request, qs, columns=INCIDENT_COLUMNS, orderings=INCIDENT_ORDERINGS, default="-started"
    )
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="statuspage/incidents/_table.html",
        context={
            "title": "Status incidents",
            "subtitle": "Provider-wide incidents on the public status page; never name a customer.",
            "filter_form": form,
            "listing": listing,
            "create_label": "New incident",
            "create_url": reverse("statuspage:incident_create"),
            "status_tabs": "incidents",
        },
    )


@ui_view
def incident_create(request):
    require(request.user, PERMISSION)
    form = forms.StatusIncidentCreateForm(_bound(request))
    return form_page(
        request,
        form,
        lambda d: services.status_incident_create(actor=request.user, **d),
        success=lambda i: reverse("statuspage:incident_detail", args=[i.pk]),
        message=lambda i: (
            f"Incident “{i.title}” created" + (" and published." if i.published else " as a draft.")
        ),
        title="New status incident",
        submit="Create incident",
        cancel_url=reverse("statuspage:incident_list"),
        intro="Provider-wide only; the public status page shows it to anyone without signing in.",
    )


@ui_view
def incident_detail(request, pk: int):
    incident = selectors.status_incident_get(user=request.user, pk=pk)
    allowed = allowed_next_states(incident.state)
    form = forms.StatusUpdateForm(initial={"state": incident.state}, allowed=allowed) if allowed else None
    return render(
        request,
        "statuspage/incidents/detail.html",
        {"incident": incident, "update_form": form},
    )


@ui_view
def incident_update(request, pk: int):
    incident = selectors.status_incident_get(user=request.user, pk=pk)
    form = forms.StatusIncidentEditForm(
        _bound(request), initial=forms.StatusIncidentEditForm.initial_for(incident)
    )
    return form_page(
        request,
        form,
        versioned(services.status_incident_update, actor=request.user, incident=incident),
        success=lambda i: reverse("statuspage:incident_detail", args=[i.pk]),
        message=lambda i: f"Incident “{i.title}” saved.",
        title=f"Edit {incident.title}",
        submit="Save changes",
        cancel_url=reverse("statuspage:incident_detail", args=[incident.pk]),
        intro="The state moves by posting an update, not here.",
    )


@ui_view
def incident_post_update(request, pk: int):
    incident = selectors.status_incident_get(user=request.user, pk=pk)
    allowed = allowed_next_states(incident.state)
    # A resolved incident offers its own state only, so the service's refusal lands on the field.
    form = forms.StatusUpdateForm(
        _bound(request), initial={"state": incident.state}, allowed=allowed or [incident.state]
    )
    return form_page(
        request,
        form,
        lambda d: services.status_incident_post_update(
            actor=request.user, incident=incident, state=d["state"], body=d["body"]
        ),
        success=lambda u: reverse("statuspage:incident_detail", args=[u.incident_id]) + f"#update-{u.pk}",
        message=lambda u: f"Update posted ({u.get_state_display().lower()}).",
        title=f"Post an update · {incident.title}",
        submit="Post update",
        cancel_url=reverse("statuspage:incident_detail", args=[incident.pk]),
        intro=(
            "Each update is published on the incident's public timeline and in the feed."
            if allowed
            else "This incident is resolved; a resolved incident is final."
        ),
    )


incident_history = history_page(
    selectors.status_incident_get,
    back=lambda incident: reverse("statuspage:incident_detail", args=[incident.pk]),
    title=lambda incident: incident.title,
)


# --- staff: maintenance (E4) -------------------------------------------------------------------

MAINTENANCE_COLUMNS = [
    Column("Title", "title"),
    Column("Window", "starts"),
    Column("State", "state"),
    Column("Components"),
    Column("Published"),
    Column(""),
]
MAINTENANCE_ORDERINGS = {
    "title": ("title",),
    "starts": ("starts_at",),
    "state": ("state",),
}


@ui_view
def maintenance_list(request):
    form = forms.StatusMaintenanceFilterForm(request.GET)
    qs = selectors.status_maintenance_list(user=request.user, **filter_values(form))
    listing = sorted_page(
        request, qs, columns=MAINTENANCE_COLUMNS, orderings=MAINTENANCE_ORDERINGS, default="-starts"
    )
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="statuspage/maintenance/_table.html",
        context={
            "title": "Status maintenance",
            "subtitle": "Provider-wide maintenance announced on the public status page (E4).",
            "filter_form": form,
            "listing": listing,
            "create_label": "Schedule maintenance",
            "create_url": reverse("statuspage:maintenance_create"),
            "status_tabs": "maintenance",
        },
    )


@ui_view
def maintenance_create(request):
    require(request.user, PERMISSION)
    form = forms.StatusMaintenanceForm(_bound(request), creating=True)
    return form_page(
        request,
        form,
        lambda d: services.status_maintenance_create(actor=request.user, **d),
        success=lambda m: reverse("statuspage:maintenance_list"),
        message=lambda m: f"Maintenance “{m.title}” scheduled.",
        title="Schedule maintenance",
        submit="Schedule",
        cancel_url=reverse("statuspage:maintenance_list"),
        intro="Provider-wide only; customer-specific maintenance is announced to that customer instead.",
    )


@ui_view
def maintenance_update(request, pk: int):
    maintenance = selectors.status_maintenance_get(user=request.user, pk=pk)
    form = forms.StatusMaintenanceForm(
        _bound(request), initial=forms.StatusMaintenanceForm.initial_for(maintenance), creating=False
    )
    return form_page(
        request,
        form,
        versioned(services.status_maintenance_update, actor=request.user, maintenance=maintenance),
        success=lambda m: reverse("statuspage:maintenance_list"),
        message=lambda m: f"Maintenance “{m.title}” saved.",
        title=f"Edit {maintenance.title}",
        submit="Save changes",
        cancel_url=reverse("statuspage:maintenance_list"),
        template="statuspage/maintenance/edit.html",
        maintenance=maintenance,
        cancel_form=forms.CancelForm(initial={"version": maintenance.version}),
    )


@require_POST
@ui_view
def maintenance_cancel(request, pk: int):
    maintenance = selectors.status_maintenance_get(user=request.user, pk=pk)
    form = forms.CancelForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        maintenance = services.status_maintenance_cancel(
            actor=request.user, maintenance=maintenance, expected_version=version
        )
    except PreconditionFailed:
        messages.error(request, STALE_EDIT_MESSAGE)
        return redirect("statuspage:maintenance_update", pk=maintenance.pk)
    except ValidationFailed as exc:
        messages.error(request, "; ".join(e["message"] for e in exc.errors) or exc.detail)
        return redirect("statuspage:maintenance_update", pk=maintenance.pk)
    messages.success(request, f"Maintenance “{maintenance.title}” cancelled.")
    return redirect("statuspage:maintenance_list")


maintenance_history = history_page(
    selectors.status_maintenance_get,
    back=lambda maintenance: reverse("statuspage:maintenance_update", args=[maintenance.pk]),
    title=lambda maintenance: maintenance.title,
)
