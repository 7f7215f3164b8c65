"""Operations on Demand pages (G1–G4): the catalogue, the request form with per-line errors, the
review screen, and engagements. Thin by rule: parse, call one selector or service, render."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.errors import Conflict, PreconditionFailed, ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, bound
from opsdesk.core.ui.views import (
    STALE_EDIT_MESSAGE,
    Column,
    apply_service_errors,
    form_page,
    require,
    ui_view,
)
from opsdesk.directory.models import NamedContact
from opsdesk.ood import charts, forms, pdf, selectors, services
from opsdesk.sla.selectors import deadline_list

VIEW = "ood.view"


# --- catalogue (G1) ----------------------------------------------------------------------------


def _offering_context(request, offering) -> dict[str, Any]:
    today = timezone.localdate()
    manage = has_permission(request.user, services.CATALOGUE)
    return {
        "rate_now": selectors.rate_in_force(offering, today),
        "rates": sorted(offering.rates.all(), key=lambda r: r.effective_from, reverse=True),
        "can_manage": manage,
        "can_request": has_permission(request.user, services.REQUEST) and offering.is_active,
    }


OFFERINGS = Pages(
    urls="ood:offering",
    noun="offering",
    label=lambda o: f"“{o.name}”",
    permission=services.CATALOGUE,
    view_permission=VIEW,
    get=selectors.offering_get,
    list=selectors.offering_list,
    filter_form=forms.OfferingFilterForm,
    columns=[
        Column("Offering", "name", order=("name",)),
        Column("Plans"),
        Column("Regions"),
        Column("Rate per block"),
        Column("State", "state", order=("state",)),
    ],
    default_sort="name",
    title="Operations on Demand catalogue",
    subtitle="Operations bought in blocks of 20 hours a month (G1).",
    table_template="ood/offerings/_table.html",
    detail_template="ood/offerings/detail.html",
    detail_context=_offering_context,
    form=forms.OfferingForm,
    form_kwargs=lambda request, obj: {"creating": obj is None},
    create=services.offering_create,
    update=services.offering_update,
    create_title="New offering",
)


@ui_view
def offering_rate_create(request, pk: int):
    offering = OFFERINGS._writable(request, pk)
    return form_page(
        request,
        forms.OfferingRateForm(bound(request)),
        lambda data: services.offering_rate_create(actor=request.user, offering=offering, **data),
        success=lambda _rate: reverse("ood:offering_detail", args=[offering.pk]),
        message="Rate added; earlier rates are kept for their months.",
        title=f"New rate · {offering.name}",
        submit="Add rate",
        cancel_url=reverse("ood:offering_detail", args=[offering.pk]),
        intro="A rate applies from the first day of a month; each month is charged at the rate then "
        "in force.",
    )


# --- requests (G2, G3) -------------------------------------------------------------------------

REQUESTS = Pages(
    urls="ood:request",
    noun="request",
    label=lambda r: r.reference,
    view_permission=VIEW,
    get=selectors.ood_request_get,
    list=selectors.ood_request_list,
    filter_form=forms.RequestFilterForm,
    columns=[
        Column("Request"),
        Column("Organisation", "organisation", order=("organisation__name",)),
        Column("Requested by"),
        Column("State", "state", order=("state",)),
        Column("Submitted", "submitted", order=("created_at",)),
    ],
    default_sort="-submitted",
    title="Operations on Demand requests",
    subtitle="Requests for blocks of hours, and their review (G2, G3).",
    create_label="New request",
    table_template="ood/requests/_table.html",
    create=services.ood_request_create,
    permission=services.REQUEST,
    history_title=lambda r: r.reference,
)


def _offering_choices(user) -> list[tuple[int, str]]:
    return [(o.pk, o.name) for o in selectors.offering_list(user=user).filter(state="active")]


def _contact_choices(user) -> list[tuple[int, str]] | None:
    """Staff act on behalf of a named contact of any organisation; a customer is their own contact."""
    if not user.is_provider_staff:
        return None
    contacts = NamedContact.objects.filter(retired_at__isnull=True).select_related("organisation")
    return [
        (c.pk, f"{c.organisation.name} · {c.name}") for c in contacts.order_by("organisation__name", "name")
    ]


@ui_view
def request_create(request):
    """G2: the request form. Every line's problem lands on that line's field."""
    require(request.user, VIEW)
    require(request.user, services.REQUEST)
    offerings = _offering_choices(request.user)
    form = forms.RequestForm(bound(request), contacts=_contact_choices(request.user))
    lines = forms.LineFormSet(bound(request), prefix="lines", form_kwargs={"offerings": offerings})
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        filled = [(i, f) for i, f in enumerate(lines.forms) if not f.is_blank]
        payload = [
            {
                "offering": f.cleaned_data.get("offering"),
                "blocks": f.cleaned_data.get("blocks"),
                "accounts": f.cleaned_data.get("accounts"),
                "recurrence": f.cleaned_data.get("recurrence"),
            }
            for _, f in filled
        ]
        extra: dict[str, Any] = {}
        if "contact" in form.fields:
            contact = NamedContact.objects.filter(pk=form.cleaned_data["contact"]).first()
            extra = {"contact": contact, "organisation": contact.organisation if contact else None}
        try:
            created = services.ood_request_create(
                actor=request.user,
                submitting_account=form.cleaned_data["submitting_account"],
                lines=payload,
                notes=form.cleaned_data["notes"],
                **extra,
            )
        except ValidationFailed as exc:
            for error in exc.errors:
                parts = str(error.get("field", "")).split(".")
                if (
                    len(parts) == 3
                    and parts[0] == "lines"
                    and parts[1].isdigit()
                    and int(parts[1]) < len(filled)
                ):
                    target = filled[int(parts[1])][1]
                    target.add_error(parts[2] if parts[2] in target.fields else None, error["message"])
                else:
                    form.add_error(parts[0] if parts[0] in form.fields else None, error["message"])
        else:
            messages.success(request, f"Request {created.reference} submitted; it will be reviewed.")
            return redirect("ood:request_detail", pk=created.pk)
    # Shown again with its errors as the kit's form pages are (core.ui.views.form_page): 200.
    return render(
        request,
        "ood/requests/form.html",
        {"form": form, "lines": lines, "title": "Request Operations on Demand"},
    )


def _review_forms(request, obj, approve=None, deny=None) -> dict[str, Any]:
    reviewable = not obj.is_decided and services.can_review(request.user)
    if not reviewable:
        return {"approve_form": None, "deny_form": None}
    initial = {"version": obj.version}
    return {
        "approve_form": approve or forms.ApproveForm(initial=initial, request_obj=obj),
        "deny_form": deny or forms.DenyForm(initial=initial),
    }


def _render_request(request, obj, **review) -> Any:
    engagements = obj.lines.none()
    if obj.is_decided:
        engagements = selectors.engagement_list(user=request.user).filter(line__request=obj)
    context = {
        "ood_request": obj,
        "engagements": engagements,
        "history_url": reverse("ood:request_history", args=[obj.pk]),
        **_review_forms(request, obj, **review),
    }
    return render(request, "ood/requests/detail.html", context)


@ui_view
def request_detail(request, pk: int):
    require(request.user, VIEW)
    return _render_request(request, selectors.ood_request_get(user=request.user, pk=pk))


def _decide(request, pk: int, *, form_class, action, key: str):
    require(request.user, VIEW)
    obj = selectors.ood_request_get(user=request.user, pk=pk)
    require(request.user, services.REVIEW)
    kwargs = {"request_obj": obj} if form_class is forms.ApproveForm else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            decided = action(obj, form)
        except ValidationFailed as exc:
            place = getattr(form, "service_field", None)
            if place is None:
                apply_service_errors(form, exc)
            else:
                for error in exc.errors or [{"field": None, "message": exc.detail}]:
                    form.add_error(place(error.get("field")), error.get("message") or exc.detail)
        except (Conflict, PreconditionFailed) as exc:
            message = STALE_EDIT_MESSAGE if isinstance(exc, PreconditionFailed) else exc.detail
            messages.error(request, message)
            return redirect("ood:request_detail", pk=obj.pk)
        else:
            messages.success(request, f"{decided.reference} {decided.get_state_display().lower()}.")
            return redirect("ood:request_detail", pk=obj.pk)
    return _render_request(request, obj, **{key: form})


@require_POST
@ui_view
def request_approve(request, pk: int):
    def approve(obj, form):
        data = form.cleaned_data
        return services.ood_request_approve(
            actor=request.user,
            request=obj,
            lines=form.decisions(),
            reason=data["reason"],
            agreed_start=data["agreed_start"],
            agreed_with=data["agreed_with"],
            expected_version=data["version"],
        )

    return _decide(request, pk, form_class=forms.ApproveForm, action=approve, key="approve")


@require_POST
@ui_view
def request_deny(request, pk: int):
    def deny(obj, form):
        return services.ood_request_deny(
            actor=request.user,
            request=obj,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )

    return _decide(request, pk, form_class=forms.DenyForm, action=deny, key="deny")


# --- engagements (G4) --------------------------------------------------------------------------


def _usage_context(request, engagement) -> dict[str, Any]:
    """The burn-down of the month asked for (?month=YYYY-MM; this month by default), and this
    month's figures; a bad month is a form error and this month is shown."""
    text, error, today = request.GET.get("month", "").strip(), None, timezone.localdate()
    try:
        usage = selectors.engagement_usage(user=request.user, engagement=engagement, month=text or today)
    except ValidationFailed as exc:
        error = exc.errors[0]["message"] if exc.errors else exc.detail
        usage = selectors.engagement_usage(user=request.user, engagement=engagement, month=today)
    return {
        "burn": usage.burn,
        "burn_svg": charts.burn_down_svg(usage.burn),
        "burn_summary": charts.summary(usage.burn),
        "burn_error": error,
        "burn_month_text": text[:20],
        "figures": usage.figures,
    }


def _engagement_context(request, engagement) -> dict[str, Any]:
    """The engagement page (engagement_page_get): each of its reads is one small query."""
    today = timezone.localdate()
    return {
        **_usage_context(request, engagement),
        "status_now": engagement.status_on(today),
        "blocks_now": selectors.allocation_in(engagement, today),
        "rate_now": selectors.rate_in_force(engagement.offering, today),
        "entries": selectors.engagement_time_entries(user=request.user, engagement=engagement),
        "can_log_time": has_permission(request.user, services.LOG_TIME),
        **_modification_context(request, engagement),
        **_start_context(request, engagement),
    }


def _start_context(request, engagement, form=None) -> dict[str, Any]:
    """Issue 10: the kick-off against the engagement-start deadline, with its explanation."""
    now = timezone.now()
    deadlines = deadline_list(
        user=request.user, owner_type=services.DEADLINE_OWNER, owner_id=engagement.pk, now=now
    )["deadlines"]
    can_start = engagement.started_at is None and has_permission(request.user, services.LOG_TIME)
    if can_start and form is None:
        form = forms.EngagementStartForm(initial={"version": engagement.version})
    can_agree = engagement.started_at is None and has_permission(request.user, services.REVIEW)
    return {
        "start_status": selectors.start_status(engagement, now=now),
        "start_deadline": deadlines[0] if deadlines else None,
        "start_form": form if can_start else None,
        "agree_form": forms.AgreeStartForm(initial={"version": engagement.version}) if can_agree else None,
    }


@require_POST
@ui_view
def engagement_start(request, pk: int):
    """Issue 10: staff record the kick-off; the engagement-start deadline is met. A refusal is
    shown as a message on the engagement's page, where the form is."""
    require(request.user, VIEW)
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    require(request.user, services.LOG_TIME)
    form = forms.EngagementStartForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, f"The kick-off was not recorded ({problems}).")
        return redirect("ood:engagement_detail", pk=engagement.pk)
    try:
        services.engagement_start(
            actor=request.user,
            engagement=engagement,
            engineer=form.cleaned_data["engineer"],
            expected_version=form.cleaned_data["version"],
        )
    except (ValidationFailed, Conflict, PreconditionFailed) as exc:
        messages.error(request, STALE_EDIT_MESSAGE if isinstance(exc, PreconditionFailed) else exc.detail)
    else:
        messages.success(request, "Kick-off recorded: the engagement has started.")
    return redirect("ood:engagement_detail", pk=engagement.pk)


ENGAGEMENTS = Pages(
    urls="ood:engagement",
    noun="engagement",
    view_permission=VIEW,
    get=selectors.engagement_page_get,
    list=selectors.engagement_list,
    filter_form=forms.EngagementFilterForm,
    columns=[
        Column("Offering"),
        Column("Organisation", "organisation", order=("organisation__name",)),
        Column("Account", "account", order=("account__account_id",)),
        Column("Recurrence"),
        Column("Starts", "start", order=("start_date",)),
        Column("End month"),
        Column("Blocks a month"),
    ],
    default_sort="-start",
    title="Engagements",
    subtitle="Approved lines, one per account, from their G4 start date.",
    table_template="ood/engagements/_table.html",
    detail_template="ood/engagements/detail.html",
    detail_context=_engagement_context,
)


@require_POST
@ui_view
def engagement_agree_start(request, pk: int):
    """G4: staff record a mutually agreed start date; the start deadline moves with it. A refusal
    is shown as a message on the engagement's page, where the form is."""
    require(request.user, VIEW)
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    require(request.user, services.REVIEW)
    form = forms.AgreeStartForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, f"The start date was not changed ({problems}).")
        return redirect("ood:engagement_detail", pk=engagement.pk)
    try:
        moved = services.engagement_agree_start(
            actor=request.user,
            engagement=engagement,
            start_date=form.cleaned_data["start_date"],
            agreed_with=form.cleaned_data["agreed_with"],
            expected_version=form.cleaned_data["version"],
        )
    except (ValidationFailed, Conflict, PreconditionFailed) as exc:
        messages.error(request, STALE_EDIT_MESSAGE if isinstance(exc, PreconditionFailed) else exc.detail)
    else:
        messages.success(request, f"Start date agreed: {moved.start_date:%-d %B %Y}.")
    return redirect("ood:engagement_detail", pk=engagement.pk)


# --- time and block billing (G6) ---------------------------------------------------------------


@ui_view
def time_entry_create(request, pk: int):
    """G6: log time against an engagement; every refusal lands on its field."""
    require(request.user, VIEW)
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    require(request.user, services.LOG_TIME)
    detail = reverse("ood:engagement_detail", args=[engagement.pk])
    return form_page(
        request,
        forms.TimeEntryForm(bound(request), initial={"work_date": timezone.localdate()}),
        lambda data: services.time_entry_create(actor=request.user, engagement=engagement, **data),
        success=lambda _entry: detail,
        message="Time logged.",
        title=f"Log time · {engagement}",
        submit="Log time",
        cancel_url=detail,
        intro="Hours in quarter hours; they count in the work date's month. A closed (invoiced) month "
        "takes no more time.",
    )


def _month_arg(request) -> str:
    return request.GET.get("month") or f"{timezone.localdate():%Y-%m}"


@ui_view
def balance(request):
    """G6: this month's hours used against the allocation, per engagement (a customer's own)."""
    require(request.user, VIEW)
    month = selectors.parse_month(_month_arg(request))
    figures = selectors.month_figures(user=request.user, month=month)
    organisations = selectors.statement_organisations(user=request.user)
    return render(
        request,
        "ood/billing/balance.html",
        {"figures": figures, "month": month, "organisations": organisations},
    )


def _statement_or_form_error(request, pk: int):
    try:
        return selectors.statement(user=request.user, organisation=pk, month=_month_arg(request)), None
    except ValidationFailed as exc:
        return None, exc.detail


@ui_view
def statement(request, pk: int):
    """G6: an organisation's monthly statement; a closed month shows its figures frozen at close."""
    require(request.user, VIEW)
    found, error = _statement_or_form_error(request, pk)
    if found is None:
        organisation = selectors.statement_organisation(user=request.user, pk=pk)
        return render(
            request,
            "ood/billing/statement.html",
            {"error": error, "organisation": organisation, "month_text": request.GET.get("month", "")},
            status=422,
        )
    can_close = (
        not found.closed
        and has_permission(request.user, services.CLOSE_MONTH)
        and found.month < timezone.localdate().replace(day=1)
    )
    return render(
        request,
        "ood/billing/statement.html",
        {"statement": found, "organisation": found.organisation, "can_close": can_close},
    )


@ui_view
def statement_csv(request, pk: int):
    require(request.user, VIEW)
    found, error = _statement_or_form_error(request, pk)
    if found is None:
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="statement-{found.organisation.pk}-{found.month:%Y-%m}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["month", "offering", "account", "recurrence", "allocated_blocks", "hours_used", "billed_blocks",
         "overrun_hours", "rate", "currency", "amount"]
    )
    for line in found.lines:
        writer.writerow(
            [f"{found.month:%Y-%m}", line.offering, line.account, line.recurrence, line.allocated_blocks,
             f"{line.hours_used:.2f}", line.billed_blocks, f"{line.overrun_hours:.2f}",
             "" if line.rate is None else f"{line.rate:.2f}", line.currency, f"{line.amount:.2f}"]
        )
    for currency, amount in sorted(found.totals.items()):
        writer.writerow([f"{found.month:%Y-%m}", "TOTAL", "", "", "", f"{found.hours_used:.2f}",
                         found.billed_blocks, "", "", currency, f"{amount:.2f}"])
    return response


@ui_view
def statement_pdf(request, pk: int):
    """G6: the statement as PDF, the same content as the page (ood/pdf.py)."""
    require(request.user, VIEW)
    found, error = _statement_or_form_error(request, pk)
    if found is None:
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf.statement_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(found)}"'
    return response


@require_POST
@ui_view
def statement_close(request, pk: int):
    """G6: billing staff close (invoice) the month shown; refusals come back as a message."""
    require(request.user, VIEW)
    organisation = selectors.statement_organisation(user=request.user, pk=pk)
    require(request.user, services.CLOSE_MONTH)
    form = forms.MonthCloseForm(request.POST)
    month = request.POST.get("month", "")
    if form.is_valid():
        try:
            services.month_close(
                actor=request.user, organisation=organisation, month=form.cleaned_data["month"]
            )
        except (ValidationFailed, Conflict) as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"{organisation} {month} closed; its statement no longer changes.")
    else:
        messages.error(request, "Give the month to close (YYYY-MM).")
    return redirect(f"{reverse('ood:statement', args=[organisation.pk])}?month={month[:7]}")


# --- modifications (G5) ------------------------------------------------------------------------


def _modification_context(request, engagement) -> dict[str, Any]:
    """The engagement page's G5 section: its allocation month by month, its modifications, and
    whether the user may ask for a change."""
    return {
        "allocation_months": selectors.allocation_history(engagement),
        "modifications": selectors.engagement_modifications(user=request.user, engagement=engagement),
        "can_modify": has_permission(request.user, services.REQUEST),
    }


MODIFICATIONS = Pages(
    urls="ood:modification",
    noun="modification",
    label=lambda m: m.reference,
    view_permission=VIEW,
    get=selectors.modification_get,
    list=selectors.modification_list,
    filter_form=forms.ModificationFilterForm,
    columns=[
        Column("Modification"),
        Column("Engagement"),
        Column("Organisation", "organisation", order=("organisation__name",)),
        Column("Changes"),
        Column("State", "state", order=("state",)),
        Column("Submitted", "submitted", order=("created_at",)),
    ],
    default_sort="-submitted",
    title="Engagement modifications",
    subtitle="Changes of blocks, accounts or end of engagements, and their review (G5).",
    table_template="ood/modifications/_table.html",
    history_title=lambda m: m.reference,
)


def _engagement_contacts(user, engagement) -> list[tuple[int, str]] | None:
    """Staff act for a named contact of the engagement's organisation; a customer is their own."""
    if not user.is_provider_staff:
        return None
    contacts = NamedContact.objects.filter(organisation=engagement.organisation_id, retired_at__isnull=True)
    return [(c.pk, c.name) for c in contacts.order_by("name")]


@ui_view
def modification_create(request, pk: int):
    """G5: "Request a change" from the engagement page; every refusal lands on its field. With
    ?follows=<id>, the second request after scoping, linked to the first."""
    require(request.user, VIEW)
    engagement = selectors.engagement_get(user=request.user, pk=pk)
    require(request.user, services.REQUEST)
    follows = request.GET.get("follows", "")
    initial = {"requested_date": timezone.localdate(), "follows": follows if follows.isdigit() else None}
    form = forms.ModificationForm(
        bound(request), initial=initial, contacts=_engagement_contacts(request.user, engagement)
    )
    current = engagement.blocks_in(timezone.localdate()) or max(
        (a.blocks for a in engagement.allocations.all()), default=0
    )

    def create(data):
        return services.modification_create(
            actor=request.user,
            engagement=engagement,
            requested_date=data["requested_date"],
            blocks=data["blocks"] or None,
            end=data["end"],
            add_accounts=data["add_accounts"],
            remove_accounts=data["remove_accounts"],
            follows=data["follows"],
            contact=data.get("contact"),
            notes=data["notes"],
        )

    return form_page(
        request,
        form,
        create,
        success=lambda created: reverse("ood:modification_detail", args=[created.pk]),
        message=lambda created: f"Modification {created.reference} submitted; it will be reviewed.",
        title=f"Request a change · {engagement}",
        submit="Submit the change",
        cancel_url=reverse("ood:engagement_detail", args=[engagement.pk]),
        intro=f"Now {current} block{'s' if current != 1 else ''} a month. Name the changes: new "
        "blocks a month, accounts to add or remove on the same request line, or the end of the "
        "engagement. An operations reviewer approves it or asks for scoping with your CSDM.",
    )


def _render_modification(request, obj, form=None) -> Any:
    decidable = not obj.is_decided and services.can_review(request.user)
    context = {
        "modification": obj,
        "history_url": reverse("ood:modification_history", args=[obj.pk]),
        "decision_form": (form or forms.ModificationDecisionForm(initial={"version": obj.version}))
        if decidable
        else None,
        "can_follow_up": obj.state == "scoping_required" and has_permission(request.user, services.REQUEST),
        "allocations": obj.allocations.select_related("engagement__account").order_by("engagement__pk"),
    }
    return render(request, "ood/modifications/detail.html", context)


@ui_view
def modification_detail(request, pk: int):
    require(request.user, VIEW)
    return _render_modification(request, selectors.modification_get(user=request.user, pk=pk))


def _decide_modification(request, pk: int, service) -> Any:
    require(request.user, VIEW)
    obj = selectors.modification_get(user=request.user, pk=pk)
    require(request.user, services.REVIEW)
    form = forms.ModificationDecisionForm(request.POST)
    if form.is_valid():
        try:
            decided = service(
                actor=request.user,
                modification=obj,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationFailed as exc:
            for error in exc.errors or [{"field": None, "message": exc.detail}]:
                form.add_error("reason" if error.get("field") == "reason" else None, error.get("message"))
        except (Conflict, PreconditionFailed) as exc:
            messages.error(request, STALE_EDIT_MESSAGE if isinstance(exc, PreconditionFailed) else exc.detail)
            return redirect("ood:modification_detail", pk=obj.pk)
        else:
            messages.success(request, f"{decided.reference} {decided.get_state_display().lower()}.")
            return redirect("ood:modification_detail", pk=obj.pk)
    return _render_modification(request, obj, form=form)


@require_POST
@ui_view
def modification_approve(request, pk: int):
    return _decide_modification(request, pk, services.modification_approve)


@require_POST
@ui_view
def modification_scoping(request, pk: int):
    return _decide_modification(request, pk, services.modification_require_scoping)


@require_POST
@ui_view
def modification_deny(request, pk: int):
    return _decide_modification(request, pk, services.modification_deny)
