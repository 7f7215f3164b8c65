"""Incident pages (C1–C7, B3–B6, L4): the staff queue (also the customer's list of their
organisation's incidents), logging an incident, the incident page with its targets and why they are
where they are, its timeline and one small POST form per step of the lifecycle, escalation and
root-cause analysis; and the diagnostics checklist the service desk maintains.

Thin by rule: parse a form, call one service or selector, render. Selectors keep each user inside
their tenant (another tenant's incident is a 404, looked up before any permission check); services
decide who may act (a 403 page) and what is allowed (errors back on the form that was sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.crud import late
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, bound
from opsdesk.core.ui.views import (
    Column,
    NullsLast,
    history_page,
    render_list,
    require,
    run_form,
    sorted_page,
    ui_view,
)
from opsdesk.incidents import forms, selectors, services
from opsdesk.incidents.attachments import selectors as attachment_selectors
from opsdesk.incidents.attachments import services as attachment_services
from opsdesk.incidents.choices import TRANSITIONS, EventKind, IncidentState, Priority, SlaTarget
from opsdesk.incidents.escalations import selectors as escalation_selectors
from opsdesk.incidents.escalations import services as escalation_services
from opsdesk.incidents.rca import selectors as rca_selectors
from opsdesk.incidents.rca import services as rca_services

MANAGE = "incidents.manage"
UPDATE = "incidents.update"
ESCALATE = "incidents.escalate"
HANDLE_ESCALATION = "incidents.manage_escalations"
REQUEST_RCA = "incidents.request_rca"
KIND_LABELS = {
    **dict(EventKind.choices),
    "note": "Note",
    "attachment": "Attachment",
    "attachment_removed": "Attachment removed",
}
CHECKLIST = "incidents.edit_checklist"


def _detail_url(incident: Any) -> str:
    return reverse("incidents:detail", args=[incident.pk])


# --- SLA presentation (B3, B6) ---------------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    """One response target as the incident page and the queue show it."""

    key: str
    label: str
    due: datetime
    warning_at: datetime
    met_at: datetime | None
    status: str  # met | late | paused | breached | warning | running | stopped
    steps: list[str]
    remaining: int | None = None  # business seconds left while paused (B4)

    @property
    def status_label(self) -> str:
        return {
            "met": "Met",
            "late": "Met late",
            "paused": "Paused",
            "breached": "Breached",
            "warning": "Due soon",
            "running": "Running",
            "stopped": "Not met",
        }[self.status]


def targets_of(incident: Any, now: datetime | None = None) -> list[TargetView]:
    now = now or timezone.now()
    explanation = selectors.target_explanations(incident)
    out = []
    for target in SlaTarget:
        key = target.value
        due = getattr(incident, f"{key}_response_due")
        warning_at = getattr(incident, f"{key}_warning_at")
        met_at = getattr(incident, f"{key}_response_at")
        status = selectors.target_status(incident, due=due, warning_at=warning_at, met_at=met_at, now=now)
        out.append(
            TargetView(
                key=key,
                label=target.label,
                due=due,
                warning_at=warning_at,
                met_at=met_at,
                status=status,
                steps=explanation[key],
                remaining=selectors.paused_remaining(incident, due=due) if status == "paused" else None,
            )
        )
    return out


# --- the queue (L4) ------------------------------------------------------------------------------

STAFF_COLUMNS = [
    Column("Reference", "reference"),
    Column("Priority", "priority"),
    Column("Organisation", "organisation"),
    Column("Title"),
    Column("State", "state"),
    Column("Assignee", "assignee"),
    Column("Next target", "next"),
]
CUSTOMER_COLUMNS = [
    Column("Reference", "reference"),
    Column("Priority", "priority"),
    Column("Title"),
    Column("Service", "service"),
    Column("State", "state"),
    Column("Logged", "logged"),
    Column("Next target", "next"),
]
#: What the queue's rows show of other objects (selectors.incident_list fetches them in the same query).
ROW_RELATED = ("organisation", "service", "assignee")
#: "next": the earliest unmet target first, incidents without one last (whatever the database's
#: NULL ordering), then the oldest.
NEXT = NullsLast("next_target_at")
ORDERINGS = {
    "next": (NEXT, "logged_at"),
    "reference": ("reference",),
    "priority": ("priority", NEXT),
    "organisation": ("organisation__name", NEXT),
    "service": ("service__reference", NEXT),
    "state": ("state", NEXT),
    "assignee": ("assignee__full_name", NEXT),
    "logged": ("logged_at",),
}


@ui_view
def queue(request):
    require(request.user, "incidents.view")
    staff = request.user.is_provider_staff
    form = forms.IncidentFilterForm(
        request.GET, user=request.user, default_state=forms.STATE_OPEN if staff else forms.STATE_ALL
    )
    qs = selectors.incident_list(
        user=request.user, filters=form.filters(), related=ROW_RELATED, fields=selectors.QUEUE_ROW_FIELDS
    )
    listing = sorted_page(
        request,
        qs,
        columns=STAFF_COLUMNS if staff else CUSTOMER_COLUMNS,
        orderings=ORDERINGS,
        default="next",
    )
    now = timezone.now()
    rows = list(listing.page)
    selectors.annotate_queue(rows, now)
    # The escalation level in force on each row (one query for the page): the "escalated" marker.
    levels = dict(
        escalation_selectors.escalation_list(user=request.user, active=True)
        .filter(incident_id__in=[i.pk for i in rows])
        .values_list("incident_id", "level__level")
    )
    for incident in rows:
        incident.escalated_level = levels.get(incident.pk)
    return render_list(
        request,
        template="incidents/queue.html",
        table_template="incidents/_table.html",
        context={
            "title": ("My incidents" if form.mine else "Incident queue" if staff else "Incidents"),
            "subtitle": (
                "Open incidents by their next response target: amber past the warning, red past the due time."
                if staff
                else "Your organisation's incidents and their response targets."
            ),
            "filter_form": form,
            "listing": listing,
            "create_label": "Log an incident",
            "create_url": reverse("incidents:log") if has_permission(request.user, "incidents.log") else None,
            "now": now,
        },
    )


# --- logging (C1, C2) ---------------------------------------------------------------------------


@ui_view
def log(request):
    require(request.user, "incidents.log")
    form = forms.LogIncidentForm(bound(request), user=request.user, contact=request.GET.get("reported_by"))
    done = run_form(
        request,
        form,
        lambda d: services.incident_log(actor=request.user, **form.service_arguments()),
        success=_detail_url,
        message=lambda i: f"Incident {i.reference} logged as {i.priority}. Its response targets are below.",
    )
    return done or render(
        request,
        "incidents/log.html",
        {
            "form": form,
            "checklist_url": reverse("incidents:checklist_list")
            if has_permission(request.user, CHECKLIST)
            else None,
        },
        status=200,
    )


# --- the incident page ---------------------------------------------------------------------------


#: name → (URL name, title, button label, group). Groups order the staff page's side column.
ACTIONS: dict[str, tuple[str, str, str, str]] = {
    "acknowledge": ("incidents:acknowledge", "Acknowledge", "Acknowledge", "lifecycle"),
    "investigate": ("incidents:investigate", "Start investigating", "Start investigating", "lifecycle"),
    "await_customer": ("incidents:await_customer", "Await the customer", "Pause and ask", "lifecycle"),
    "resume": ("incidents:resume", "Customer replied", "Resume the clock", "lifecycle"),
    "resolve": ("incidents:resolve", "Resolve", "Resolve", "lifecycle"),
    "close": ("incidents:close", "Close", "Close incident", "lifecycle"),
    "note": ("incidents:note", "Add a note", "Add note", "update"),
    "call": ("incidents:call", "Record a telephone call", "Record call", "update"),
    "assign": ("incidents:assign", "Assign", "Assign", "owner"),
    "priority": ("incidents:priority", "Change priority", "Change priority", "owner"),
    "escalate": ("incidents:escalate", "Escalate", "Escalate", "escalation"),
    "escalation_acknowledge": (
        "incidents:escalation_acknowledge",
        "Acknowledge the escalation",
        "Acknowledge escalation",
        "escalation",
    ),
    "escalation_respond": (
        "incidents:escalation_respond",
        "Considered response",
        "Send considered response",
        "escalation",
    ),
    "escalation_close": (
        "incidents:escalation_close",
        "Close the escalation",
        "Close escalation",
        "escalation",
    ),
    "rca_request": ("incidents:rca_request", "Root-cause analysis", "Request an RCA", "rca"),
}
#: Actions shown as a plain button (no fields to open first).
BUTTONS = {"acknowledge", "resume", "escalation_acknowledge", "rca_request"}


def _panel(name: str, form, incident, active, customer: bool, failed) -> dict[str, Any]:
    url_name, title, button, group = ACTIONS[name]
    target = active.pk if name.startswith("escalation_") else incident.pk
    if customer and name == "close":
        title, button = "Is service resumed?", "Confirm service is resumed"
    if customer and name == "note":
        title, button = "Add an update", "Send update"
    if customer and name == "resume":
        title, button = "Answered our question?", "I have answered: resume"
    if name == "escalate" and active is not None:
        title = f"Escalate beyond level {active.level.level}"
    if customer and name == "escalate" and active is None:
        title = "Escalate this incident"
    return {
        "name": name,
        "form": form,
        "url": reverse(url_name, args=[target]),
        "title": title,
        "button": button,
        "group": group,
        "plain": name in BUTTONS or (customer and name == "close"),
        "open": failed is not None and failed.name == name,
    }


def _state_label(value: str) -> str:
    return IncidentState(value).label


def _step_form(step: str, *, incident: Any, user: Any, customer: bool) -> forms.ActionForm:
    """The empty form of one step that selectors.incident_allowed_actions allows."""
    if step == "assign":
        return forms.AssignForm(
            initial={"assignee": incident.assignee_id, "version": incident.version}, user=user
        )
    if step == "priority":
        return forms.PriorityForm(initial={"priority": incident.priority, "version": incident.version})
    if step == "note":
        return forms.NoteForm(customer=customer, incident=incident)
    if step == "close":
        return STEP_FORMS[step](customer=customer)
    return STEP_FORMS[step]()


#: The form of each incident step (the steps are selectors.STEP_PERMISSIONS).
STEP_FORMS: dict[str, type[forms.ActionForm]] = {
    "acknowledge": forms.AcknowledgeForm,
    "investigate": forms.InvestigateForm,
    "await_customer": forms.AwaitCustomerForm,
    "resume": forms.ResumeForm,
    "resolve": forms.ResolveForm,
    "close": forms.CloseForm,
    "note": forms.NoteForm,
    "call": forms.CallForm,
    "assign": forms.AssignForm,
    "priority": forms.PriorityForm,
}


def _page(request, incident, *, failed: forms.ActionForm | None = None):
    """The incident page with every action form the user may use in this state; `failed` is the form
    that just came back with errors, shown bound in its place (and opened)."""
    user = request.user
    staff = user.is_provider_staff
    customer = not staff
    active = escalation_selectors.active_escalation(incident)
    escalation_rows = list(
        escalation_selectors.escalation_list(user=user, incident=incident).order_by("raised_at", "pk")
    )
    report = rca_selectors.rca_list(user=user).filter(incident=incident).first()
    can_manage = has_permission(user, MANAGE)
    next_states = TRANSITIONS[incident.state]
    actions: dict[str, forms.ActionForm] = {
        step: _step_form(step, incident=incident, user=user, customer=customer)
        for step in selectors.incident_allowed_actions(user=user, incident=incident)
    }
    if incident.state != IncidentState.CLOSED and has_permission(user, "incidents.escalate"):
        actions["escalate"] = forms.EscalateForm(user=user, incident=incident)
    if active is not None and has_permission(user, "incidents.manage_escalations"):
        if active.state == "open":
            actions["escalation_acknowledge"] = forms.EscalationAcknowledgeForm()
        if active.state in ("open", "acknowledged"):
            actions["escalation_respond"] = forms.EscalationRespondForm()
        actions["escalation_close"] = forms.EscalationCloseForm()
    if incident.priority == Priority.P2 and report is None and has_permission(user, "incidents.request_rca"):
        actions["rca_request"] = forms.RcaRequestForm()
    if failed is not None:
        actions[failed.name] = failed
    panels = [_panel(name, form, incident, active, customer, failed) for name, form in actions.items()]
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "targets": targets_of(incident),
            "timeline": [
                {
                    "entry": e,
                    "label": KIND_LABELS.get(e.kind, e.kind),
                    "from_label": _state_label(e.from_state) if e.from_state else "",
                    "to_label": _state_label(e.to_state) if e.to_state else "",
                }
                for e in attachment_selectors.attachment_timeline(
                    user=user,
                    incident=incident,
                    entries=selectors.incident_timeline(user=user, incident=incident),
                )
            ],
            "escalations": escalation_rows,
            "active_escalation": active,
            "rca": report,
            "panels": panels,
            "failed": failed.name if failed is not None else "",
            "state_label": _state_label(incident.state),
            "next_states": [_state_label(s) for s in next_states],
            "lifecycle": [
                {"value": s.value, "label": s.label, "current": s.value == incident.state}
                for s in IncidentState
            ],
            "staff": staff,
            "can_manage": can_manage,
        },
    )


@ui_view
def detail(request, pk: int):
    incident = selectors.incident_get(user=request.user, pk=pk)
    return _page(request, incident)


def _act(
    request,
    incident: Any,
    form: forms.ActionForm,
    call: Callable[[dict[str, Any]], Any],
    message: str | Callable[[Any], str],
):
    """POST one action form: the service it calls decides; errors come back onto that form."""
    done = run_form(request, form, call, success=lambda _obj: _detail_url(incident), message=message)
    return done or _page(request, selectors.incident_get(user=request.user, pk=incident.pk), failed=form)


def _action(
    form_class: type[forms.ActionForm],
    permission: str,
    service: str,
    message,
    *,
    module=services,
    **form_kwargs,
):
    """A view for one incident action: look the incident up first (another tenant's is a 404), then
    gate it with the permission its service requires (403, before a form whose choices the user
    cannot see could answer otherwise); the service (`module.service`, given what the form holds)
    decides the rest (errors on the form)."""
    step = late(module, service)

    @require_POST
    @ui_view
    def view(request, pk: int):
        incident = selectors.incident_get(user=request.user, pk=pk)
        require(request.user, permission)
        kwargs = {k: (v(request, incident) if callable(v) else v) for k, v in form_kwargs.items()}
        form = form_class(request.POST, request.FILES, **kwargs)
        call = lambda d: step(actor=request.user, incident=incident, **form.service_arguments())  # noqa: E731
        return _act(request, incident, form, call, message)

    view.__name__ = f"incident_{form_class.name}"
    return view


def _customer(request, incident) -> bool:
    return not request.user.is_provider_staff


def _user(request, incident) -> Any:
    return request.user


acknowledge = _action(
    forms.AcknowledgeForm,
    MANAGE,
    "incident_acknowledge",
    lambda i: f"{i.reference} acknowledged: initial response given.",
)
investigate = _action(
    forms.InvestigateForm,
    MANAGE,
    "incident_start_investigating",
    lambda i: f"{i.reference} is being investigated.",
)
await_customer = _action(
    forms.AwaitCustomerForm,
    MANAGE,
    "incident_await_customer",
    lambda i: f"{i.reference} is awaiting the customer; the SLA clock is paused.",
)
resume = _action(
    forms.ResumeForm,
    UPDATE,
    "incident_resume",
    lambda i: f"{i.reference} resumed; the SLA clock runs again and the targets moved by the paused time.",
)
resolve = _action(
    forms.ResolveForm,
    MANAGE,
    "incident_resolve",
    lambda i: f"{i.reference} resolved. It closes when the customer confirms service is resumed.",
)
close = _action(
    forms.CloseForm, UPDATE, "incident_close", lambda i: f"{i.reference} closed.", customer=_customer
)


def _noted(note: Any) -> str:
    files = note.attachments.count()
    with_files = f" with {files} file{'s' if files != 1 else ''}" if files else ""
    return ("Update added" if note.public else "Internal note added") + with_files + "."


note = _action(
    forms.NoteForm,
    UPDATE,
    "note_add",
    _noted,
    module=attachment_services,
    customer=_customer,
    incident=lambda request, incident: incident,
)
call = _action(
    forms.CallForm, MANAGE, "incident_record_call", lambda i: f"Telephone call recorded on {i.reference}."
)
assign = _action(
    forms.AssignForm,
    MANAGE,
    "incident_assign",
    lambda i: f"{i.reference} assigned to {i.assignee}." if i.assignee else f"{i.reference} unassigned.",
    user=_user,
)
change_priority = _action(
    forms.PriorityForm,
    MANAGE,
    "incident_change_priority",
    lambda i: f"{i.reference} is now {i.priority}; its unmet targets were recomputed.",
)


def _escalated(escalation: Any) -> str:
    best_endeavours = " Raised outside Mon–Fri 09:00–17:00: handled on a best-endeavours basis."
    return f"Escalated to level {escalation.level.level} ({escalation.level.name})." + (
        best_endeavours if escalation.best_endeavours else ""
    )


escalate = _action(
    forms.EscalateForm,
    ESCALATE,
    "escalation_raise",
    _escalated,
    module=escalation_services,
    user=_user,
    incident=lambda request, incident: incident,
)
rca_request = _action(
    forms.RcaRequestForm,
    REQUEST_RCA,
    "rca_request",
    lambda r: "Root-cause analysis requested. It may be chargeable.",
    module=rca_services,
)


def _escalation_action(form_class: type[forms.ActionForm], service: str, message):
    """Escalation steps by the people of levels 2–4, addressed by the escalation (C7)."""
    step = late(escalation_services, service)

    @require_POST
    @ui_view
    def view(request, pk: int):
        escalation = escalation_selectors.escalation_get(user=request.user, pk=pk)
        incident = selectors.incident_get(user=request.user, pk=escalation.incident_id)
        require(request.user, HANDLE_ESCALATION)
        form = form_class(request.POST)
        call = lambda d: step(actor=request.user, escalation=escalation, **form.service_arguments())  # noqa: E731
        return _act(request, incident, form, call, message)

    view.__name__ = f"incident_{form_class.name}"
    return view


escalation_acknowledge = _escalation_action(
    forms.EscalationAcknowledgeForm,
    "escalation_acknowledge",
    lambda e: f"Level {e.level.level} escalation acknowledged.",
)
escalation_respond = _escalation_action(
    forms.EscalationRespondForm,
    "escalation_respond",
    lambda e: f"Considered response given at level {e.level.level}.",
)
escalation_close = _escalation_action(
    forms.EscalationCloseForm, "escalation_close", lambda e: f"Level {e.level.level} escalation closed."
)


#: What a customer's incident page shows, so all their history page shows (issue 9).
CUSTOMER_HISTORY_FIELDS = (
    "reference",
    "title",
    "description",
    "priority",
    "state",
    "service",
    "reported_by",
    "contact_to_reach",
    "logged_at",
    "initial_response_due",
    "initial_response_at",
    "considered_response_due",
    "considered_response_at",
    "telephone_follow_up_required",
    "resolved_at",
    "closed_at",
)

history = history_page(
    selectors.incident_get,
    back=_detail_url,
    title=lambda incident: f"{incident.reference} {incident.title}",
    customer_fields=CUSTOMER_HISTORY_FIELDS,
)


# --- the diagnostics checklist (C1) ----------------------------------------------------------------


#: What the checklist's create and edit pages say besides their title.
CHECKLIST_INTRO = "Named contacts confirm every active check before they log an incident."


@ui_view
def checklist(request):
    require(request.user, CHECKLIST)
    return render(
        request,
        "incidents/checklist.html",
        {"items": list(selectors.checklist_list(user=request.user, include_inactive=True))},
    )


CHECKLIST_PAGES = Pages(
    urls="incidents:checklist",
    noun="check",
    get=selectors.checklist_item_get,
    label=lambda item: f"“{item.text}”",
    permission=CHECKLIST,
    form=forms.ChecklistItemForm,
    form_kwargs=lambda request, item: {"creating": item is None},
    create=services.checklist_item_create,
    update=services.checklist_item_update,
    target="item",
    create_title="New diagnostics check",
    create_submit="Add check",
    create_intro=CHECKLIST_INTRO,
    created=lambda item: f"Check “{item.text}” added.",
    edit_title=lambda item: "Edit diagnostics check",
    edit_intro=CHECKLIST_INTRO,
    edit_submit="Save check",
    after_save=lambda item: reverse("incidents:checklist_list"),
    detail_page="update",
)
checklist_create = CHECKLIST_PAGES.create_view()
checklist_update = CHECKLIST_PAGES.update_view()
