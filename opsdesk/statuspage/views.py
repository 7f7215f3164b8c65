"""Status page views (C8, E4).

Public pages (no login, published records only, a layout of their own without any navigation or
user data) and the staff pages behind "statuspage.manage". Thin by rule: parse, call one selector
or service, render. Provider-wide maintenance has no staff pages here: it is scheduled on the
maintenance pages, and the status page shows it from the schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from opsdesk.core.ui.crud import Pages, bound
from opsdesk.core.ui.views import Column, form_page, page_errors, require, ui_view
from opsdesk.statuspage import forms, selectors, services
from opsdesk.statuspage.services import allowed_next_states

PERMISSION = "statuspage.manage"
LIST_TEMPLATE = "statuspage/list.html"
#: Readers reload a status page often during an incident; a short shared cache absorbs that.
PUBLIC_MAX_AGE = 30


def public_view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No login; GET only; NotFound from a public selector is a 404; cacheable for a short while."""
    return require_GET(cache_control(public=True, max_age=PUBLIC_MAX_AGE)(page_errors(func)))


# --- public (C8) -------------------------------------------------------------------------------


@public_view
def index(request):
    return render(request, "statuspage/public/index.html", {"summary": selectors.public_status_summary()})


@public_view
def incident(request, pk: int):
    return render(
        request, "statuspage/public/incident.html", {"incident": selectors.public_incident_get(pk=pk)}
    )


#: The staff pages of both kinds of status record: each named by its title, behind one permission,
#: listed under the status tabs.
_staff_pages = partial(
    Pages,
    label=lambda record: f"“{record.title}”",
    permission=PERMISSION,
    list_template=LIST_TEMPLATE,
    edit_title=lambda record: f"Edit {record.title}",
    history_title=lambda record: record.title,
)


# --- staff: incidents --------------------------------------------------------------------------

INCIDENTS = _staff_pages(
    urls="statuspage:incident",
    noun="incident",
    get=selectors.status_incident_get,
    list=selectors.status_incident_list,
    filter_form=forms.StatusIncidentFilterForm,
    columns=[
        Column("Title", "title"),
        Column("StatusImpact", "impact"),
        Column("State", "state"),
        Column("Components"),
        Column("Started", "started", order=("started_at",)),
        Column("Published"),
    ],
    default_sort="-started",
    title="Status incidents",
    subtitle="Provider-wide incidents on the public status page; never name a customer.",
    table_template="statuspage/incidents/_table.html",
    list_context={"status_tabs": "incidents"},
    form=forms.StatusIncidentCreateForm,
    edit_form=forms.StatusIncidentEditForm,
    form_kwargs=lambda request, obj: {},
    create=services.status_incident_create,
    update=services.status_incident_update,
    created=lambda i: (
        f"Incident “{i.title}” created" + (" and published." if i.published else " as a draft.")
    ),
    create_title="New status incident",
    create_intro="Provider-wide only; the public status page shows it to anyone without signing in.",
    edit_intro="The state moves by posting an update, not here.",
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
def incident_post_update(request, pk: int):
    incident = selectors.status_incident_get(user=request.user, pk=pk)
    allowed = allowed_next_states(incident.state)
    # A resolved incident offers its own state only, so the service's refusal lands on the field.
    form = forms.StatusUpdateForm(
        bound(request), initial={"state": incident.state}, allowed=allowed or [incident.state]
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


# --- staff: maintenance (E4) -------------------------------------------------------------------


@ui_view
def maintenance_list(request):
    """Provider-wide maintenance is provider maintenance with no organisation, scheduled and
    stepped on the maintenance pages; the old address of the status page's own list leads there."""
    require(request.user, PERMISSION)
    return redirect(reverse("maintenance:maintenance_list"))
