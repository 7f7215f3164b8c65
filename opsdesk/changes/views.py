"""Change pages (D1–D6, L4), server-rendered: the change board by state (the first page), the list
(filters, CSV), a change's page with its approval panel, checklist, agreed window, deadlines and
timeline, the RFC form, one form page per step, the calendar of windows, the approved pipelines and
the standard-change catalogue. Thin: the change is read through
the restricted selector (another tenant's is a 404), each page is gated by the permission its
service requires (403), and the service decides the rest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from opsdesk.changes import forms, schemas, selectors, services
from opsdesk.changes.choices import (
    SCHEDULABLE,
    TRANSITIONS,
    UNDER_WAY,
    ApprovalSide,
    ChangeState,
    Decision,
)
from opsdesk.core import humanize
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, bound
from opsdesk.core.ui.views import Column, form_page, require, ui_view
from opsdesk.sla.selectors import deadline_list

VIEW = services.VIEW
SUBMIT = services.SUBMIT
MANAGE = services.MANAGE
DECIDE = services.DECIDE


def _detail_url(change: Any) -> str:
    return reverse("changes:change_detail", args=[change.pk])


def _on_form(call: Callable[[], Any]) -> Any:
    """A refusal of the matrix or the approver rule (D1, D5) is said on the form, naming the
    problem, like any other error of the service; the page itself stays open."""
    try:
        return call()
    except PermissionDenied as exc:
        raise ValidationFailed(exc.detail, [{"field": "__all__", "message": exc.detail}]) from exc


def _allowed(change: Any) -> list[str]:
    return [s for s in TRANSITIONS[change.level].get(change.state, ()) if s != ChangeState.REVIEWED]


#: Each step's page: its form, permission, title, button and service, and when it is offered.
STEPS: dict[str, dict[str, Any]] = {
    "transition": {
        "form": forms.TransitionForm,
        "permission": MANAGE,
        "title": "Next step",
        "submit": "Move",
        "service": services.change_transition,
        "offered": lambda c: bool(_allowed(c)),
        "intro": "D4: each step is recorded with who moved it and when.",
    },
    "approve": {
        "form": forms.ApproveForm,
        "permission": DECIDE,
        "title": "Approve",
        "submit": "Approve",
        "service": services.change_approve,
        "offered": lambda c: c.state == ChangeState.APPROVAL,
        "intro": "D5: the change moves to implementation once every approval the matrix requires is given.",
    },
    "reject": {
        "form": forms.RejectForm,
        "permission": DECIDE,
        "title": "Reject",
        "submit": "Reject",
        "service": services.change_reject,
        "offered": lambda c: c.state == ChangeState.APPROVAL,
        "intro": "D5: a rejected change goes back to consultation.",
    },
    "priority": {
        "form": forms.PriorityForm,
        "permission": MANAGE,
        "title": "Set the priority",
        "submit": "Set priority",
        "service": services.change_set_priority,
        "offered": lambda c: c.state not in (ChangeState.CLOSED,),
        "intro": "D2: changes are logged as P3; raising the priority needs the telephone contact recorded.",
    },
    "review": {
        "form": forms.ReviewForm,
        "permission": MANAGE,
        "title": "Post-change review",
        "submit": "Record review",
        "service": services.change_review,
        "offered": lambda c: c.state == ChangeState.CLOSED,
    },
    "schedule": {
        "form": forms.ScheduleForm,
        "permission": MANAGE,
        "title": "Agree the window",
        "submit": "Agree window",
        "service": services.change_schedule,
        "offered": lambda c: c.state in SCHEDULABLE[c.level] or c.state == ChangeState.HALTED,
        "intro": "D6: the window agreed with the customer. Overlaps with other changes on the same "
        "services or with blackouts are flagged, and time outside core hours is chargeable.",
    },
    "halt": {
        "form": forms.HaltForm,
        "permission": MANAGE,
        "title": "Halt",
        "submit": "Halt change",
        "service": services.change_halt,
        "offered": lambda c: c.state in UNDER_WAY,
        "intro": "D6: implementation that deviates from plan is halted and escalated, then rescheduled "
        "or withdrawn.",
    },
    "withdraw": {
        "form": forms.WithdrawForm,
        "permission": MANAGE,
        "title": "Withdraw",
        "submit": "Withdraw change",
        "service": services.change_withdraw,
        "offered": lambda c: c.state != ChangeState.CLOSED,
    },
}


CHANGES = Pages(
    urls="changes:change",
    noun="change",
    get=selectors.change_get,
    label=str,
    permission=MANAGE,
    view_permission=VIEW,
    list=selectors.change_list,
    filter_form=forms.ChangeFilterForm,
    columns=[
        Column("Change", "created", order=("created_at",)),
        Column("Organisation", "organisation", order=("organisation__name", "created_at")),
        Column("Level", "level", order=("level", "created_at")),
        Column("Priority", "priority", order=("priority", "created_at")),
        Column("State", "state", order=("state", "created_at")),
    ],
    default_sort="-created",
    title="Changes",
    subtitle="Requests for change at every level and state.",
    create_label="New RFC",
    table_template="changes/_table.html",
    list_template="changes/list.html",
    csv=schemas.ChangeOut,
    form=forms.ChangeForm,
    edit_form=forms.ChangeEditForm,
    create=services.change_create,
    update=services.change_update,
    create_title="Request for change",
    create_submit="Submit RFC",
    create_intro="D1: submitted by the customer's authorised change approver (or by the provider) and "
    "logged as P3. Level 1 comes from the catalogue of standard changes.",
    edit_title=lambda c: f"Edit {c}",
    history_title=lambda c: f"Change {c}",
)


@ui_view
def change_create(request):
    """The RFC form: open to whoever may submit (a customer's approver flag is checked on submit)."""
    require(request.user, VIEW)
    require(request.user, SUBMIT)
    form = forms.ChangeForm(bound(request), user=request.user)
    return form_page(
        request,
        form,
        lambda data: _on_form(lambda: services.change_create(actor=request.user, **data)),
        success=_detail_url,
        message=lambda c: f"RFC {c} submitted.",
        title=CHANGES.create_title,
        submit=CHANGES.create_submit,
        cancel_url=reverse("changes:board"),
        intro=CHANGES.create_intro,
    )


def _approval_panel(change: Any) -> list[dict[str, Any]]:
    """D5: the matrix rows of the change's level with the decisions of the current round."""
    rules = services.approval_rules(change.level)
    decisions = [a for a in change.approvals.all() if a.round == change.approval_round]
    return [
        {
            "rule": rule,
            "label": ApprovalSide(rule.side).label,
            "decision": next((a for a in decisions if a.side == rule.side), None),
        }
        for rule in sorted(rules.values(), key=lambda r: r.side != ApprovalSide.PROVIDER)
    ]


@ui_view
def change_detail(request, pk: int):
    require(request.user, VIEW)
    change = selectors.change_get(user=request.user, pk=pk)
    user = request.user
    now = timezone.now()
    actions = [
        {"name": name, "label": step["title"], "url": reverse(f"changes:change_{name}", args=[change.pk])}
        for name, step in STEPS.items()
        if change.state not in ("reviewed", "withdrawn")
        and step["offered"](change)
        and has_permission(user, step["permission"])
    ]
    deadlines = deadline_list(user=user, owner_type=services.DEADLINE_OWNER, owner_id=change.pk, now=now)
    return render(
        request,
        "changes/detail.html",
        {
            "change": change,
            "actions": actions,
            "approval_panel": _approval_panel(change),
            "past_decisions": [a for a in change.approvals.all() if a.round != change.approval_round],
            "timeline": list(change.events.all()),
            "services": list(change.services.all()),
            "pipelines": list(selectors.pipelines_of_change(change)),
            "window": change.window,
            "windows": [w for w in change.windows.all() if w.superseded_at is not None],
            "overlaps": selectors.change_overlaps(change),
            "deadlines": deadlines["deadlines"],
            "can_edit": has_permission(user, MANAGE) and change.state not in ("reviewed", "withdrawn"),
            "rejected": Decision.REJECTED,
        },
    )


@ui_view
def change_board(request):
    """D4: the change board, a column per state, each column's first page."""
    require(request.user, VIEW)
    return render(
        request,
        "changes/board.html",
        {
            "columns": selectors.change_board(user=request.user),
            "can_submit": has_permission(request.user, SUBMIT),
            "column_size": selectors.BOARD_COLUMN_SIZE,
        },
    )


def _step_view(name: str) -> Callable[..., Any]:
    step = STEPS[name]

    @ui_view
    def view(request, pk: int):
        require(request.user, VIEW)
        change = selectors.change_get(user=request.user, pk=pk)
        require(request.user, step["permission"])
        kwargs: dict[str, Any] = {"change": change}
        if name == "transition":
            kwargs["allowed"] = _allowed(change)
        if name in ("approve", "reject"):
            kwargs["user"] = request.user
        form = step["form"](bound(request), initial={"version": change.version}, **kwargs)

        def action(data: dict[str, Any]) -> Any:
            values = {k: v for k, v in data.items() if k != "version"}
            return _on_form(
                lambda: step["service"](
                    actor=request.user, change=change, expected_version=data["version"], **values
                )
            )

        return form_page(
            request,
            form,
            action,
            success=_detail_url,
            message=lambda saved: f"Change {saved}: {step['title'].lower()} done.",
            title=f"{step['title']} · {change}",
            submit=step["submit"],
            cancel_url=_detail_url(change),
            intro=step.get("intro", ""),
        )

    view.__name__ = f"change_{name}"
    return view


STEP_VIEWS = {name: _step_view(name) for name in STEPS}


STANDARD_CHANGES = Pages(
    urls="changes:standard_change",
    noun="standard change",
    label=lambda e: f"“{e.name}”",
    permission=services.MANAGE_CATALOGUE,
    view_permission=VIEW,
    get=selectors.standard_change_get,
    list=selectors.standard_change_list,
    filter_form=forms.StandardChangeFilterForm,
    columns=[Column("Standard change", "name", order=("name",)), Column("Offered")],
    default_sort="name",
    title="Standard changes",
    subtitle="D3 level 1: pre-approved changes with their runbooks, implemented within 2 working days.",
    table_template="changes/standard/_table.html",
    detail_template="changes/standard/detail.html",
    detail_name="entry",
    form=forms.StandardChangeForm,
    form_kwargs=lambda request, obj: {"creating": obj is None},
    create=services.standard_change_create,
    update=services.standard_change_update,
    target="standard_change",
    create_title="New standard change",
)


PIPELINES = Pages(
    urls="changes:pipeline",
    noun="approved pipeline",
    label=lambda p: f"“{p.name}” ({p.service.reference})",
    permission=MANAGE,
    view_permission=VIEW,
    get=selectors.pipeline_get,
    list=selectors.pipeline_list,
    filter_form=forms.PipelineFilterForm,
    columns=[
        Column("Pipeline", "name", order=("name",)),
        Column("Service", "service", order=("service__reference", "name")),
        Column("Note"),
        Column(""),
    ],
    default_sort="service",
    title="Approved pipelines",
    subtitle="D3: deployments through an approved pipeline into its service need no RFC.",
    create_label="New approved pipeline",
    table_template="changes/pipelines/_table.html",
    detail_page="history",
    form=forms.PipelineForm,
    form_kwargs=lambda request, obj: {"user": request.user},
    create=services.pipeline_create,
    delete=services.pipeline_delete,
    target="pipeline",
    create_title="New approved pipeline",
    after_save=lambda p: reverse("changes:pipeline_list"),
    history_title=lambda p: f"Approved pipeline {p.name}",
)


def _month(value: str | None, zone: Any) -> dt.date:
    today = timezone.now().astimezone(zone).date().replace(day=1)
    if not value:
        return today
    try:
        year, month = (int(part) for part in value.split("-", 1))
        return dt.date(year, month, 1) if 1971 <= year <= 2099 else today
    except (TypeError, ValueError):
        return today


@ui_view
def calendar(request):
    """D6/E4: the calendar of windows, a month at a time as an agenda by day: changes' agreed
    windows, provider and customer maintenance and blackouts (staff see every organisation's, a
    customer their own), each with its kind, reference and title (linked), times and state."""
    require(request.user, VIEW)
    zone = humanize.provider_zone()
    first = _month(request.GET.get("month"), zone)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    before = (first - dt.timedelta(days=1)).replace(day=1)
    starts_from = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    starts_before = dt.datetime.combine(after, dt.time(0), tzinfo=zone)
    windows = selectors.calendar_windows(
        user=request.user, starts_from=starts_from, starts_before=starts_before
    )
    days: dict[dt.date, list[Any]] = {}
    for window in windows:
        day = max(window.starts_at, starts_from).astimezone(zone).date()
        days.setdefault(day, []).append(window)
    return render(
        request,
        "changes/calendar.html",
        {
            "month": first,
            "previous": f"{before:%Y-%m}",
            "next": f"{after:%Y-%m}",
            "days": sorted(days.items()),
            "staff": request.user.is_provider_staff,
        },
    )
