"""Root-cause analysis pages (C6), server-rendered (L4).

Thin by rule: parse a form, call one service or selector of rca/, render. The RCA is
looked up through the restricted selector first (another tenant's report is a 404), then the action
is gated with the permission its service requires (a 403 page); the service decides the rest and its
errors come back onto the form that was sent, shown in its place on the report page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.views import (
    Column,
    form_page,
    history_page,
    render_list,
    require,
    run_form,
    sorted_page,
    ui_view,
    versioned,
)
from opsdesk.incidents.rca import forms
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.models import RCA_SECTIONS, RcaState

WRITE = "incidents.rca"
ACCEPT = "incidents.request_rca"


def _detail_url(report: Any) -> str:
    return reverse("incidents:rca_detail", args=[report.pk])


def _is_overdue(report: Any, now) -> bool:
    return report.state == RcaState.DRAFT and report.due_at < now


# --- the list ----------------------------------------------------------------------------------

STAFF_COLUMNS = [
    Column("Incident", "incident"),
    Column("Organisation", "organisation"),
    Column("Title"),
    Column("State", "state"),
    Column("Due", "due"),
]
CUSTOMER_COLUMNS = [c for c in STAFF_COLUMNS if c.sort != "organisation"]
ORDERINGS = {
    "due": ("due_at",),
    "incident": ("incident__reference",),
    "organisation": ("incident__organisation__name", "due_at"),
    "state": ("state", "due_at"),
}


@ui_view
def rca_list(request):
    staff = request.user.is_provider_staff
    form = forms.RcaFilterForm(request.GET, user=request.user)
    listing = sorted_page(
        request,
        rca_selectors.rca_list(user=request.user, **form.filters()),
        columns=STAFF_COLUMNS if staff else CUSTOMER_COLUMNS,
        orderings=ORDERINGS,
        default="due",
    )
    now = timezone.now()
    for report in listing.page:
        report.is_overdue = _is_overdue(report, now)
    return render_list(
        request,
        template="incidents/rca/list.html",
        table_template="incidents/rca/_table.html",
        context={
            "title": "Root-cause analyses",
            "subtitle": (
                "Every report by its due date; a draft past its due date is overdue."
                if staff
                else "The root-cause analyses of your organisation's incidents."
            ),
            "filter_form": form,
            "listing": listing,
            "staff": staff,
        },
    )


# --- the report page ---------------------------------------------------------------------------


def _page(request, report: Any, *, failed: django_forms.Form | None = None, failed_name: str = ""):
    """The report with the forms the user may use in its state; `failed` is the form that just came
    back with errors, shown bound in its place."""
    user = request.user
    now = timezone.now()
    can_write = has_permission(user, WRITE) and report.state == RcaState.DRAFT
    failed_for = {failed_name: failed} if failed is not None else {}
    actions = list(report.actions.select_related("owner").order_by("pk"))
    for action in actions:
        action.done_form = forms.RcaActionDoneForm(initial={"done": True, "version": action.version})
    return render(
        request,
        "incidents/rca/detail.html",
        {
            "report": report,
            "incident": report.incident,
            "sections": [
                {"name": name, "label": label, "text": getattr(report, name)} for name, label in RCA_SECTIONS
            ],
            "actions": actions,
            "is_overdue": _is_overdue(report, now),
            "staff": user.is_provider_staff,
            "can_write": can_write,
            "action_form": failed_for.get("action")
            or (forms.RcaActionForm(user=user, report=report) if can_write else None),
            "submit_form": failed_for.get("submit")
            or (forms.RcaSubmitForm(initial={"version": report.version}) if can_write else None),
            "accept_form": failed_for.get("accept")
            or (
                forms.RcaAcceptForm()
                if report.state == RcaState.SUBMITTED and has_permission(user, ACCEPT)
                else None
            ),
            "failed": failed_name,
            "failed_form": failed,
            "now": now,
        },
        status=200,
    )


@ui_view
def rca_detail(request, pk: int):
    return _page(request, rca_selectors.rca_get(user=request.user, pk=pk))


@ui_view
def rca_edit(request, pk: int):
    """The five sections on one page; the hidden version makes a stale edit fail instead of overwrite."""
    report = rca_selectors.rca_get(user=request.user, pk=pk)
    require(request.user, WRITE)
    form = forms.RcaSectionsForm(
        request.POST if request.method == "POST" else None,
        initial=forms.RcaSectionsForm.initial_for(report),
    )
    return form_page(
        request,
        form,
        versioned(rca_services.rca_update, actor=request.user, rca=report),
        success=_detail_url,
        message="Root-cause analysis saved.",
        title=f"Root-cause analysis of {report.incident.reference}",
        submit="Save sections",
        cancel_url=_detail_url(report),
        intro="Write each section in Markdown; all five are needed before the report is submitted.",
    )


def _post(
    request,
    report: Any,
    name: str,
    form: django_forms.Form,
    call: Callable[[dict[str, Any]], Any],
    message: str | Callable[[Any], str],
):
    """POST one form of the report page: the service decides; errors come back onto that form."""
    done = run_form(request, form, call, success=lambda _obj: _detail_url(report), message=message)
    return done or _page(
        request, rca_selectors.rca_get(user=request.user, pk=report.pk), failed=form, failed_name=name
    )


def _report_step(view_name: str, name: str, form_class, permission: str, call, message, *, choices=False):
    """A POST of one form of the report page: the report as the user may see it (404), then the
    permission its service requires (403), then the service (`call(user, report, data)`).
    `choices`: the form offers choices of its own (the user's and the report's)."""

    @require_POST
    @ui_view
    def view(request, pk: int):
        report = rca_selectors.rca_get(user=request.user, pk=pk)
        require(request.user, permission)
        kwargs = {"user": request.user, "report": report} if choices else {}
        form = form_class(request.POST, **kwargs)
        return _post(request, report, name, form, lambda d: call(request.user, report, d), message)

    view.__name__ = view_name
    return view


rca_action_add = _report_step(
    "rca_action_add",
    "action",
    forms.RcaActionForm,
    WRITE,
    lambda user, report, d: rca_services.rca_action_add(actor=user, rca=report, **d),
    "Action added to the plan.",
    choices=True,
)
rca_submit = _report_step(
    "rca_submit",
    "submit",
    forms.RcaSubmitForm,
    WRITE,
    lambda user, report, d: rca_services.rca_submit(actor=user, rca=report, expected_version=d["version"]),
    "Root-cause analysis submitted to the customer.",
)
rca_accept = _report_step(
    "rca_accept",
    "accept",
    forms.RcaAcceptForm,
    ACCEPT,
    lambda user, report, d: rca_services.rca_accept(actor=user, rca=report),
    "Root-cause analysis accepted. Thank you.",
)


@require_POST
@ui_view
def rca_action_done(request, pk: int):
    action = rca_selectors.rca_action_get(user=request.user, pk=pk)
    report = rca_selectors.rca_get(user=request.user, pk=action.rca_id)
    require(request.user, WRITE)
    form = forms.RcaActionDoneForm(request.POST)
    return _post(
        request,
        report,
        "done",
        form,
        lambda d: rca_services.rca_action_update(
            actor=request.user, action=action, expected_version=d["version"], done=True
        ),
        lambda a: f"Action “{a.description[:60]}” marked done.",
    )


rca_history = history_page(
    rca_selectors.rca_get,
    back=_detail_url,
    title=lambda report: f"Root-cause analysis of {report.incident.reference}",
    customer_fields=(
        "state",
        "due_at",
        "chargeable",
        "impact",
        "timeline_of_events",
        "monitoring_assessment",
        "lessons_learned",
        "recommendations",
        "submitted_at",
        "accepted_at",
    ),
)

