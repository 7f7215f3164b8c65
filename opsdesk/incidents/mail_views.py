"""Email triage pages (issue 12 item 5), provider staff only: the list of inbound emails waiting for
someone, and one email with its steps (take, dismiss, open an incident). The raw message is the
inbox's delivery page. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opsdesk.core.errors import Conflict, ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.views import ui_view
from opsdesk.directory.models import Organisation
from opsdesk.incidents import mail
from opsdesk.incidents.choices import EmailOutcome, Priority, TriageState

PAGE_SIZE = 50


@ui_view
def email_triage_list(request):
    state = request.GET.get("triage_state") or ""
    outcome = request.GET.get("outcome") or ""
    qs = mail.email_triage_list(
        user=request.user,
        triage_state=state if state in TriageState.values else None,
        outcome=outcome if outcome in EmailOutcome.values else None,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/email_triage/list.html",
        {
            "page": page,
            "states": TriageState.choices,
            "outcomes": EmailOutcome.choices,
            "state": state,
            "outcome": outcome,
        },
    )


@ui_view
def email_triage_detail(request, pk: int):
    item = mail.email_triage_get(user=request.user, pk=pk)
    waiting = item.triage_state in (TriageState.OPEN, TriageState.ASSIGNED)
    return render(
        request,
        "incidents/email_triage/detail.html",
        {
            "item": item,
            "may_act": waiting and has_permission(request.user, mail.TRIAGE_MANAGE),
            "may_view_raw": has_permission(request.user, "inbox.view"),
            "organisations": Organisation.objects.restrict(request.user).order_by("name"),
            "priorities": Priority.choices,
        },
    )


def _step(request, pk: int, service, done: str, **values):
    item = mail.email_triage_get(user=request.user, pk=pk)
    try:
        service(actor=request.user, email_triage=item, **values)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("incidents:email_triage_detail", pk=pk)


@require_POST
@ui_view
def email_triage_take(request, pk: int):
    return _step(request, pk, mail.email_triage_take, "Assigned to you.")


@require_POST
@ui_view
def email_triage_dismiss(request, pk: int):
    return _step(request, pk, mail.email_triage_dismiss, "Dismissed.", reason=request.POST.get("reason", ""))


@require_POST
@ui_view
def email_triage_open_incident(request, pk: int):
    return _step(
        request,
        pk,
        mail.email_triage_open_incident,
        "Incident opened.",
        organisation=request.POST.get("organisation", ""),
        priority=request.POST.get("priority", Priority.P3),
    )
