"""Billing review pages (issue 12 item 6, F4): the review of an organisation (week on week by
account, tag filter, 12-week chart, alerts), cost imports (list, upload) and thresholds. Thin:
parse, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.billing import charts, forms, selectors, services
from opsdesk.billing.choices import ImportState
from opsdesk.core.errors import Conflict, ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.views import form_page, require, ui_view


@ui_view
def review(request):
    selectors.require_view(request.user)
    staff = request.user.is_provider_staff
    organisations = selectors.organisation_choices(request.user)
    form = forms.ReviewFilterForm(request.GET, organisations=organisations)
    context = {"form": form, "may_manage": has_permission(request.user, services.MANAGE)}
    if selectors.may_import(request.user):  # the state of the latest uploads, at a glance
        context["imports"] = selectors.cost_import_list(user=request.user)[:5]
    org = request.GET.get("organisation") or (None if staff else "")
    if org or not staff:  # another organisation's is NotFound, as a missing one
        tag = request.GET.get("tag") or None
        try:
            rev = selectors.week_review(user=request.user, organisation=org or None, tag=tag)
        except ValidationFailed as exc:
            form.add_error("tag", exc.errors[0]["message"] if exc.errors else exc.detail)
        else:
            trend = selectors.weekly_trend(user=request.user, organisation=rev.organisation.pk, tag=tag)
            context.update(
                review=rev,
                trend=trend,
                chart=charts.trend_svg(trend, title=f"Weekly AWS costs of {rev.organisation.name}"),
                alerts=selectors.billing_alert_list(user=request.user, organisation=rev.organisation.pk)[:20],
            )
    return render(request, "billing/review.html", context)


@ui_view
def import_list(request):
    imports = list(selectors.cost_import_list(user=request.user)[:100])
    pending = any(i.state in (ImportState.QUEUED, ImportState.RUNNING) for i in imports)
    return render(request, "billing/imports.html", {"imports": imports, "pending": pending})


@ui_view
def import_create(request):
    require(request.user, selectors.IMPORT)
    selectors.cost_import_list(user=request.user)
    form = forms.ImportForm(request.POST or None, request.FILES or None)

    def action(data):
        upload = data["file"]
        return services.cost_import_enqueue(actor=request.user, file=upload, file_name=upload.name)

    return form_page(
        request,
        form,
        action,
        success=lambda record: reverse("billing:import_list"),
        message=lambda r: f"{r.file_name} is queued for import: its state is shown below.",
        title="Import AWS costs",
        submit="Import",
        cancel_url=reverse("billing:import_list"),
        intro="The file is imported in the background; the list of imports shows its state. A bad line "
        "fails the whole file (its line and column are named); an account's days in the file replace "
        "what earlier imports held for them.",
        multipart=True,
    )


@ui_view
def threshold_list(request):
    thresholds = selectors.threshold_list(user=request.user)
    return render(
        request,
        "billing/thresholds.html",
        {"thresholds": thresholds, "may_manage": has_permission(request.user, services.MANAGE)},
    )


@ui_view
def threshold_create(request):
    require(request.user, services.MANAGE)
    selectors.require_view(request.user)
    form = forms.ThresholdForm(request.POST or None, user=request.user)

    def action(data):
        return services.threshold_create(
            actor=request.user,
            organisation=data["organisation"],
            account=data.get("account"),
            percent=data.get("percent"),
            amount=data.get("amount"),
        )

    return form_page(
        request,
        form,
        action,
        success=lambda t: reverse("billing:threshold_list"),
        message="Threshold saved.",
        title="New billing threshold",
        submit="Save",
        cancel_url=reverse("billing:threshold_list"),
    )


@ui_view
def threshold_update(request, pk):
    threshold = selectors.threshold_get(user=request.user, pk=pk)
    require(request.user, services.MANAGE)
    form = forms.ThresholdForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial={"percent": threshold.percent, "amount": threshold.amount},
    )

    def action(data):
        return services.threshold_update(
            actor=request.user, threshold=threshold, percent=data.get("percent"), amount=data.get("amount")
        )

    return form_page(
        request,
        form,
        action,
        success=lambda t: reverse("billing:threshold_list"),
        message="Threshold saved.",
        title=f"Billing threshold of {threshold.organisation.name}",
        submit="Save",
        cancel_url=reverse("billing:threshold_list"),
    )


@ui_view
@require_POST
def alert_acknowledge(request, pk):
    alert = selectors.billing_alert_get(user=request.user, pk=pk)
    try:
        services.billing_alert_acknowledge(actor=request.user, alert=alert)
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Billing alert acknowledged.")
    return redirect(f"{reverse('billing:review')}?organisation={alert.organisation_id}")
