"""Maintenance pages (E1–E4, D6), server-rendered on the CRUD kit: cloud-provider (AWS Health)
notices (the staff triage list, the notice page with its triage panel; customers read theirs),
provider maintenance (list,
page with its lifecycle actions, overlaps and timeline, one form per step), customer windows,
blackouts, agreed windows, the upcoming-windows calendar, and the secret iCal feed. Thin: read
through the restricted selectors (another tenant's is a 404), gate by the permission the service
requires (403); the services decide the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, bound
from opsdesk.core.ui.views import Column, form_page, page_errors, require, ui_view
from opsdesk.directory.selectors import organisation_get
from opsdesk.maintenance import feeds, forms, schemas, selectors, services
from opsdesk.maintenance.choices import NOTICE_STEP_FROM, NOTICE_STEP_LABELS, STEP_FROM, STEP_LABELS

VIEW = services.VIEW
MANAGE = services.MANAGE
DECLARE = services.DECLARE
TRIAGE = services.TRIAGE


def _detail_context(request, obj) -> dict[str, Any]:
    return {"can_edit": has_permission(request.user, MANAGE)}


MAINTENANCE = Pages(
    urls="maintenance:maintenance",
    noun="maintenance",
    get=selectors.provider_maintenance_get,
    label=lambda m: m.title,
    permission=MANAGE,
    view_permission=VIEW,
    list=selectors.provider_maintenance_list,
    filter_form=forms.MaintenanceFilterForm,
    columns=[
        Column("Maintenance", "title", order=("title", "starts_at")),
        Column("Organisation", "organisation", order=("organisation__name", "starts_at")),
        Column("Starts", "starts", order=("starts_at",)),
        Column("Ends", "ends", order=("ends_at",)),
        Column("State", "state", order=("state", "starts_at")),
    ],
    default_sort="-starts",
    title="Provider maintenance",
    subtitle="Inside each organisation's agreed window; outside it with 10 working days' notice, or as an "
    "emergency with its reason (E2). Provider-wide maintenance is shown on the public status page (E4).",
    create_label="Schedule maintenance",
    table_template="maintenance/_maintenance_table.html",
    list_template="maintenance/list.html",
    csv=schemas.ProviderMaintenanceOut,
    form=forms.MaintenanceForm,
    form_kwargs=lambda request, obj: {
        "user": request.user,
        "creating": obj is None,
        "wide": obj is None or obj.organisation_id is None,
    },
    create=services.provider_maintenance_create,
    update=services.provider_maintenance_update,
    target="provider_maintenance",
    create_title="Schedule provider maintenance",
    create_submit="Schedule and send notice",
    create_intro="The organisation's named contacts are told at once. Outside the agreed window the start "
    "must be at least 10 working days away unless it is an emergency.",
    history_title=lambda m: f"Maintenance {m.title}",
)

CUSTOMER_WINDOWS = Pages(
    urls="maintenance:customer_window",
    noun="customer maintenance window",
    get=selectors.customer_window_get,
    label=lambda w: w.title,
    permission=DECLARE,
    view_permission=VIEW,
    list=selectors.customer_window_list,
    filter_form=forms.CustomerWindowFilterForm,
    columns=[
        Column("Window", "title", order=("title", "starts_at")),
        Column("Organisation", "organisation", order=("organisation__name", "starts_at")),
        Column("Starts", "starts", order=("starts_at",)),
        Column("Ends", "ends", order=("ends_at",)),
        Column("Status"),
    ],
    default_sort="-starts",
    title="Customer maintenance",
    subtitle="Declared at least 24 hours ahead; alarms on its services and accounts are suppressed (E3).",
    create_label="Declare a window",
    table_template="maintenance/_customer_table.html",
    list_template="maintenance/list.html",
    csv=schemas.CustomerWindowOut,
    form=forms.CustomerWindowForm,
    create=services.customer_window_create,
    target="customer_window",
    create_title="Declare customer maintenance",
    create_submit="Declare window",
    create_intro="At least 24 hours ahead. Monitoring alarms on the chosen services and accounts are "
    "recorded against the window instead of raising incidents.",
    history_title=lambda w: f"Customer maintenance {w.title}",
)

BLACKOUTS = Pages(
    urls="maintenance:blackout",
    noun="blackout",
    get=selectors.blackout_get,
    label=lambda b: b.reason,
    permission=MANAGE,
    view_permission=VIEW,
    list=selectors.blackout_list,
    filter_form=forms.OrganisationFilterForm,
    columns=[
        Column("Reason", "reason", order=("reason", "starts_at")),
        Column("Organisation", "organisation", order=("organisation__name", "starts_at")),
        Column("Starts", "starts", order=("starts_at",)),
        Column("Ends", "ends", order=("ends_at",)),
    ],
    default_sort="-starts",
    title="Blackouts",
    subtitle="Periods of an organisation's calendar when no change or maintenance may be made.",
    create_label="New blackout",
    table_template="maintenance/_blackout_table.html",
    list_template="maintenance/list.html",
    csv=schemas.BlackoutOut,
    detail_template="maintenance/blackout_detail.html",
    detail_context=_detail_context,
    form=forms.BlackoutForm,
    create=services.blackout_create,
    update=services.blackout_update,
    delete=services.blackout_delete,
    history_title=lambda b: f"Blackout {b.reason}",
)

WINDOWS = Pages(
    urls="maintenance:window",
    noun="agreed window",
    get=selectors.window_get,
    label=str,
    permission=MANAGE,
    view_permission=VIEW,
    list=selectors.window_list,
    filter_form=forms.OrganisationFilterForm,
    columns=[
        Column("Organisation", "organisation", order=("organisation__name",)),
        Column("Window", "weekday", order=("weekday", "start")),
        Column("Notes"),
    ],
    default_sort="organisation",
    title="Agreed maintenance windows",
    subtitle="The window agreed with each organisation at onboarding (E2).",
    create_label="Record an agreed window",
    table_template="maintenance/_window_table.html",
    list_template="maintenance/list.html",
    csv=schemas.WindowOut,
    detail_template="maintenance/window_detail.html",
    detail_name="window",
    detail_context=_detail_context,
    form=forms.WindowForm,
    create=services.window_create,
    update=services.window_update,
    target="window",
    history_title=lambda w: f"Agreed window of {w.organisation.name}",
)


@ui_view
def maintenance_detail(request, pk: int):
    require(request.user, VIEW)
    maintenance = selectors.provider_maintenance_get(user=request.user, pk=pk)
    user = request.user
    actions = [
        {
            "name": name,
            "label": STEP_LABELS[name].capitalize(),
            "url": reverse(f"maintenance:maintenance_{name}", args=[maintenance.pk]),
        }
        for name in STEPS
        if maintenance.state in STEP_FROM[name] and has_permission(user, MANAGE)
    ]
    services_ = list(maintenance.services.all())
    found = selectors.overlaps(
        user=user,
        organisation=maintenance.organisation_id,
        starts_at=maintenance.starts_at,
        ends_at=maintenance.ends_at,
        services=[s.pk for s in services_],
        exclude_maintenance=maintenance.pk,
    )
    return render(
        request,
        "maintenance/detail.html",
        {
            "maintenance": maintenance,
            "services": services_,
            "timeline": list(maintenance.events.all()),
            "actions": actions,
            "overlaps": found,
            "window": selectors.window_of(user=user, organisation_id=maintenance.organisation_id)
            if maintenance.organisation_id
            else None,
            "can_edit": has_permission(user, MANAGE),
        },
    )


@ui_view
def customer_window_detail(request, pk: int):
    require(request.user, VIEW)
    window = selectors.customer_window_get(user=request.user, pk=pk)
    now = timezone.now()
    can_cancel = (
        has_permission(request.user, DECLARE) and window.cancelled_at is None and window.ends_at > now
    )
    return render(
        request,
        "maintenance/customer_detail.html",
        {
            "window": window,
            "services": list(window.services.all()),
            "accounts": list(window.accounts.all()),
            "can_cancel": can_cancel,
            "now": now,
        },
    )


STEPS: dict[str, dict[str, Any]] = {
    "start": {"form": forms.NoteForm, "service": services.provider_maintenance_start, "submit": "Start"},
    "end": {"form": forms.NoteForm, "service": services.provider_maintenance_end, "submit": "End and verify"},
    "complete": {
        "form": forms.NoteForm,
        "service": services.provider_maintenance_complete,
        "submit": "Complete",
    },
    "cancel": {
        "form": forms.CancelForm,
        "service": services.provider_maintenance_cancel,
        "submit": "Cancel maintenance",
    },
}


def _step_views(
    steps: dict[str, dict[str, Any]],
    *,
    prefix: str,
    labels: dict[str, str],
    get: Callable[..., Any],
    permission: str,
    target: str,
    name_of: Callable[[Any], str],
    noun: str,
) -> dict[str, Callable[..., Any]]:
    """One page per step of a lifecycle (provider maintenance, a notice's triage): the object as the
    user may see it (404), the permission the service needs (403), the step's form opened at the
    object's version, its service, back to the object's page. A step's `initial` gives the form's
    starting values and `form_kwargs` what its form needs of the object."""

    def make(name: str) -> Callable[..., Any]:
        step = steps[name]

        @ui_view
        def view(request, pk: int):
            require(request.user, VIEW)  # one without the module's view permission: 403, not 404
            obj = get(user=request.user, pk=pk)
            require(request.user, permission)
            initial = {"version": obj.version, **step.get("initial", lambda o: {})(obj)}
            form = step["form"](bound(request), initial=initial, **step.get("form_kwargs", lambda o: {})(obj))
            detail = reverse(f"maintenance:{prefix}_detail", args=[obj.pk])

            def action(data: dict[str, Any]) -> Any:
                values = {k: v for k, v in data.items() if k != "version"}
                return step["service"](
                    actor=request.user, **{target: obj}, expected_version=data["version"], **values
                )

            return form_page(
                request,
                form,
                action,
                success=lambda saved: detail,
                message=lambda saved: f"{noun} {name_of(saved)}: {saved.get_state_display().lower()}.",
                title=f"{labels[name].capitalize()} · {name_of(obj)}",
                submit=step["submit"],
                cancel_url=detail,
            )

        view.__name__ = f"{prefix}_{name}"
        return view

    return {name: make(name) for name in steps}


STEP_VIEWS = _step_views(
    STEPS,
    prefix="maintenance",
    labels=STEP_LABELS,
    get=selectors.provider_maintenance_get,
    permission=MANAGE,
    target="provider_maintenance",
    name_of=lambda m: m.title,
    noun="Maintenance",
)



@ui_view
def customer_window_cancel(request, pk: int):
    require(request.user, VIEW)
    window = selectors.customer_window_get(user=request.user, pk=pk)
    require(request.user, DECLARE)
    form = forms.WindowCancelForm(bound(request), initial={"version": window.version})
    detail = reverse("maintenance:customer_window_detail", args=[window.pk])
    return form_page(
        request,
        form,
        lambda data: services.customer_window_cancel(
            actor=request.user,
            customer_window=window,
            expected_version=data["version"],
            reason=data["reason"],
        ),
        success=lambda saved: detail,
        message=lambda saved: f"Customer maintenance {saved.title} cancelled.",
        title=f"Cancel · {window.title}",
        submit="Cancel window",
        cancel_url=detail,
        intro="Alarms on its services and accounts are no longer suppressed from now on.",
    )


@ui_view
def calendar(request):
    """Every window from now on, in start order: changes, provider maintenance, customer windows,
    blackouts (the schedule's calendar);
    and, for one organisation, its agreed window and the address of its iCal feed."""
    require(request.user, VIEW)
    form = forms.OrganisationFilterForm(request.GET, user=request.user)
    organisation = form.cleaned_data.get("organisation") if form.is_valid() else None
    if organisation is None and not request.user.is_provider_staff:
        organisation = request.user.customer_organisation_id
    feed_url = None
    if organisation is not None:
        org = organisation_get(user=request.user, pk=organisation)
        feed = services.ical_feed_for(actor=request.user, organisation=org)
        feed_url = request.build_absolute_uri(reverse("maintenance:ical_feed", args=[feed.secret]))
    return render(
        request,
        "maintenance/calendar.html",
        {
            "filter_form": form,
            "rows": list(selectors.upcoming(user=request.user, organisation=organisation)[:500]),
            "window": selectors.window_of(user=request.user, organisation_id=organisation)
            if organisation
            else None,
            "feed_url": feed_url,
            "can_manage": has_permission(request.user, MANAGE),
            "can_declare": has_permission(request.user, DECLARE),
        },
    )


@require_GET
@page_errors
def ical_feed(request, token: str):
    """E4: the organisation's feed for calendar apps, which cannot sign in: the secret address is the key."""
    return feeds.feed_response(selectors.feed_by_secret(token), request)


# --- cloud-provider notices (E1) ----------------------------------------------------------------------

NOTICES = Pages(
    urls="maintenance:notice",
    noun="notice",
    get=selectors.health_notice_get,
    label=lambda n: n.event_type_code,
    view_permission=VIEW,
    list=selectors.health_notice_list,
    filter_form=forms.NoticeFilterForm,
    columns=[
        Column("Notice", "type", order=("event_type_code", "last_received_at")),
        Column("Category", "category", order=("category", "last_received_at")),
        Column("Organisation", "organisation", order=("organisation__name", "last_received_at")),
        Column("Starts", "starts", order=("start_time",)),
        Column("Triage", "state", order=("state", "last_received_at")),
        Column("Received", "received", order=("last_received_at",)),
    ],
    default_sort="-received",
    title="Cloud-provider notices",
    subtitle="AWS Health events about the organisations' accounts: assessed for impact, the named "
    "contact liaised with, a change raised where needed (E1).",
    table_template="maintenance/_notice_table.html",
    list_template="maintenance/list.html",
    csv=schemas.HealthNoticeOut,
    history_title=lambda n: f"Notice {n.event_type_code} ({n.aws_account_id})",
)


@ui_view
def notice_detail(request, pk: int):
    require(request.user, VIEW)
    notice = selectors.health_notice_get(user=request.user, pk=pk)
    can_triage = has_permission(request.user, TRIAGE)
    actions = [
        {
            "name": name,
            "label": NOTICE_STEP_LABELS[name].capitalize(),
            "url": reverse(f"maintenance:notice_{name}", args=[notice.pk]),
        }
        for name in NOTICE_STEPS
        if can_triage
        and notice.state in NOTICE_STEP_FROM[name]
        and (name != "contact" or notice.organisation_id is not None)
    ]
    can_raise = (
        can_triage
        and notice.change_id is None
        and notice.organisation_id is not None
        and notice.contacted_at is not None
    )
    return render(
        request,
        "maintenance/notice_detail.html",
        {
            "notice": notice,
            "accounts": list(notice.accounts.all()),
            "services": list(notice.services.all()),
            "timeline": list(notice.events.all()),
            "actions": actions,
            "can_triage": can_triage,
            "can_raise": can_raise,
            "raise_url": reverse("web:notice_raise_change", args=[notice.pk]) if can_raise else None,
            "change_url": reverse("changes:change_detail", args=[notice.change_id])
            if notice.change_id
            else None,
        },
    )


NOTICE_STEPS: dict[str, dict[str, Any]] = {
    "assess": {
        "form": forms.AssessForm,
        "service": services.health_notice_assess,
        "submit": "Save assessment",
        "initial": lambda n: {"impact_level": n.impact_level, "impact_assessment": n.impact_assessment},
    },
    "contact": {
        "form": forms.ContactForm,
        "service": services.health_notice_contact,
        "submit": "Record contact",
        "form_kwargs": lambda n: {"notice": n},
    },
    "close": {"form": forms.NoticeCloseForm, "service": services.health_notice_close, "submit": "Close"},
    "dismiss": {"form": forms.DismissForm, "service": services.health_notice_dismiss, "submit": "Dismiss"},
}


NOTICE_STEP_VIEWS = _step_views(
    NOTICE_STEPS,
    prefix="notice",
    labels=NOTICE_STEP_LABELS,
    get=selectors.health_notice_get,
    permission=TRIAGE,
    target="health_notice",
    name_of=lambda n: n.event_type_code,
    noun="Notice",
)

