"""Inbox pages (issue 12): the raw deliveries for staff (list, delivery with its body escaped and a
re-process button), the SNS endpoints per organisation (create, edit, rotate the token) and the
intake keys of EventBridge and the generic webhook (create, rotate, delete; the secret is shown
once). The intake endpoints senders call are in intake.py. Thin: parse, call one selector or
service, render."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.errors import Conflict, PreconditionFailed, ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, bound, int_param
from opsdesk.core.ui.views import FORM_TEMPLATE, Column, apply_service_errors, require, ui_view
from opsdesk.inbox import forms, schemas, selectors, services
from opsdesk.inbox.choices import REPROCESSABLE, IntakePurpose

VIEW = "inbox.view"
MANAGE_SNS = services.MANAGE_SNS
MANAGE_KEYS = services.MANAGE_KEYS
LIST_TEMPLATE = "inbox/list.html"
TOKEN_TEMPLATE = "inbox/sns/token.html"
KEY_SECRET_TEMPLATE = "inbox/keys/secret.html"
#: The header an EventBridge API destination's connection sends the key in (intake.eventbridge).
EVENTBRIDGE_KEY_HEADER = "X-Opsdesk-Intake-Key"


def _delivery_detail(request, delivery) -> dict:
    return {
        "pretty_body": selectors.delivery_body_pretty(delivery),
        "may_reprocess": delivery.state in REPROCESSABLE and has_permission(request.user, "inbox.reprocess"),
    }


DELIVERIES = Pages(
    urls="inbox:delivery",
    noun="delivery",
    get=selectors.delivery_get,
    view_permission=VIEW,
    list=selectors.delivery_list,
    filter_form=forms.DeliveryFilterForm,
    columns=[
        Column("Received", "received", order=("received_at", "pk")),
        Column("DeliverySource", "source"),
        Column("Kind", "kind"),
        Column("Organisation"),
        Column("External id"),
        Column("State", "state"),
        Column("Attempts"),
    ],
    default_sort="-received",
    title="Inbox",
    subtitle="Every raw delivery as it arrived (SNS, EventBridge, email, webhooks), processed or not.",
    table_template="inbox/deliveries/_table.html",
    list_template=LIST_TEMPLATE,
    list_context={"inbox_tab": "deliveries"},
    csv=schemas.DeliveryOut,
    detail_template="inbox/deliveries/detail.html",
    detail_context=_delivery_detail,
    history_title=str,
)

SNS = Pages(
    urls="inbox:sns",
    noun="SNS endpoint",
    get=selectors.sns_subscription_get,
    view_permission=VIEW,
    permission=MANAGE_SNS,
    list=selectors.sns_subscription_list,
    filter_form=forms.SnsSubscriptionFilterForm,
    columns=[
        Column("Organisation", "organisation", order=("organisation__name", "pk")),
        Column("Description", "description"),
        Column("Topics"),
        Column("Token"),
        Column("Active"),
        Column("Confirmed"),
    ],
    default_sort="organisation",
    title="SNS endpoints",
    subtitle="One HTTPS address per organisation's SNS subscription; only its listed topics are accepted.",
    table_template="inbox/sns/_table.html",
    list_template=LIST_TEMPLATE,
    list_context={"inbox_tab": "sns"},
    csv=schemas.SnsSubscriptionOut,
    detail_template="inbox/sns/detail.html",
    detail_name="subscription",
    detail_context=lambda request, s: {"may_manage": has_permission(request.user, MANAGE_SNS)},
    form=forms.SnsSubscriptionForm,
    update=services.sns_subscription_update,
    delete=services.sns_subscription_delete,
    target="subscription",
    label=str,
    history_title=str,
)

KEYS = Pages(
    urls="inbox:key",
    noun="intake key",
    get=selectors.intake_key_get,
    view_permission=VIEW,
    permission=MANAGE_KEYS,
    list=selectors.intake_key_list,
    filter_form=forms.IntakeKeyFilterForm,
    columns=[
        Column("Organisation", "organisation", order=("organisation__name", "pk")),
        Column("Purpose", "purpose", order=("purpose", "pk")),
        Column("Description", "description", order=("description", "pk")),
        Column("Secret"),
        Column("Created", "created", order=("created_at", "pk")),
        Column("Rotated", "rotated", order=("rotated_at", "pk")),
        Column("Active"),
    ],
    default_sort="organisation",
    title="Intake keys",
    subtitle="The secrets of EventBridge API destinations (X-Opsdesk-Intake-Key header) and of "
    "generic webhooks (their address). Each is shown once, when made or rotated.",
    create_label="New intake key",
    table_template="inbox/keys/_table.html",
    list_template=LIST_TEMPLATE,
    list_context={"inbox_tab": "keys"},
    csv=schemas.IntakeKeyOut,
    detail_template="inbox/keys/detail.html",
    detail_name="key",
    detail_context=lambda request, k: {"may_manage": has_permission(request.user, MANAGE_KEYS)},
    create=services.intake_key_create,
    delete=services.intake_key_delete,
    target="key",
    label=str,
    history_title=str,
)

delivery_list = DELIVERIES.list_view()
delivery_detail = DELIVERIES.detail_view()
delivery_history = DELIVERIES.history_view()

sns_list = SNS.list_view()
sns_detail = SNS.detail_view()
sns_update = SNS.update_view()
sns_delete = SNS.delete_view()
sns_history = SNS.history_view()


def _token_page(request, subscription, heading: str):
    """The endpoint's address with its token: shown here once, never stored in the clear."""
    endpoint = request.build_absolute_uri(reverse("intake:sns", args=[subscription.token]))
    return render(
        request, TOKEN_TEMPLATE, {"subscription": subscription, "endpoint": endpoint, "heading": heading}
    )


def _create_showing_secret(request, *, permission: str, form, create, shown, page: dict):
    """Like the kit's create page, but a success shows the new secret once (`shown(obj)`) instead of
    redirecting: only its digest is stored, so this answer is the only place it ever appears. `form`
    makes the form, once the user is known to be allowed."""
    require(request.user, VIEW)
    require(request.user, permission)
    form = form()
    if request.method == "POST" and form.is_valid():
        try:
            obj = create(actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_service_errors(form, exc)
        else:
            return shown(obj)
    return render(request, FORM_TEMPLATE, {"form": form, **page})


@ui_view
def sns_create(request):
    return _create_showing_secret(
        request,
        permission=MANAGE_SNS,
        form=lambda: forms.SnsSubscriptionForm(bound(request), user=request.user, creating=True),
        create=services.sns_subscription_create,
        shown=lambda subscription: _token_page(request, subscription, "SNS endpoint created"),
        page={
            "title": "New SNS endpoint",
            "cancel_url": reverse("inbox:sns_list"),
            "submit_label": "Create endpoint",
            "intro": "Subscribe the address shown next in Amazon SNS (protocol HTTPS); "
            "it is shown only once.",
        },
    )


@require_POST
@ui_view
def sns_rotate(request, pk: int):
    require(request.user, VIEW)
    subscription = selectors.sns_subscription_get(user=request.user, pk=pk)
    rotated = services.sns_subscription_rotate(actor=request.user, subscription=subscription)
    return _token_page(request, rotated, "Token rotated: the old address no longer works")


key_list = KEYS.list_view()
key_detail = KEYS.detail_view()
key_delete = KEYS.delete_view()
key_history = KEYS.history_view()


def _key_secret_page(request, key, heading: str):
    """The key's secret, as its sender needs it: shown here once, only its digest is stored."""
    if key.purpose == IntakePurpose.WEBHOOK:
        endpoint = request.build_absolute_uri(reverse("intake:webhook", args=[key.token]))
    else:
        endpoint = request.build_absolute_uri(reverse("intake:eventbridge"))
    context = {"key": key, "endpoint": endpoint, "heading": heading, "header": EVENTBRIDGE_KEY_HEADER}
    return render(request, KEY_SECRET_TEMPLATE, context)


@ui_view
def key_create(request):
    return _create_showing_secret(
        request,
        permission=MANAGE_KEYS,
        form=lambda: forms.IntakeKeyForm(bound(request), user=request.user),
        create=services.intake_key_create,
        shown=lambda key: _key_secret_page(request, key, "Intake key created"),
        page={
            "title": "New intake key",
            "cancel_url": reverse("inbox:key_list"),
            "submit_label": "Create key",
            "intro": "The secret is shown once, on the next page: copy it into the sender's settings.",
        },
    )


@require_POST
@ui_view
def key_rotate(request, pk: int):
    require(request.user, VIEW)
    key = selectors.intake_key_get(user=request.user, pk=pk)
    try:
        rotated = services.intake_key_rotate(
            actor=request.user, key=key, expected_version=int_param(request, "version")
        )
    except PreconditionFailed:
        messages.error(request, "The key changed since this page was opened (rotated by someone else?).")
        return redirect("inbox:key_detail", pk=key.pk)
    return _key_secret_page(request, rotated, "Key rotated: the old secret no longer works")


@require_POST
@ui_view
def delivery_reprocess(request, pk: int):
    require(request.user, VIEW)
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    try:
        services.delivery_reprocess(actor=request.user, delivery=delivery)
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Delivery sent back for processing.")
    return redirect("inbox:delivery_detail", pk=delivery.pk)
