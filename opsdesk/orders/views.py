"""Order pages (H1, L4), server-rendered: the list (filters, overdue highlighting), the pipeline
board, an order's page with its quote, validation report, deadline and timeline, and one form page
per step. Thin: the order is read through the restricted selector (another tenant's is a 404), the
step is gated by the permission its service requires (403), and the service decides the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, bound
from opsdesk.core.ui.views import Column, form_page, require, ui_view
from opsdesk.orders import forms, schemas, selectors, services
from opsdesk.orders.choices import STEP_FROM, STEP_LABELS
from opsdesk.sla.selectors import deadline_list

VIEW = services.VIEW
MANAGE = services.MANAGE
ACCEPT_QUOTE = services.ACCEPT_QUOTE
ENQUIRE = services.ENQUIRE


def _detail_url(order: Any) -> str:
    return reverse("orders:order_detail", args=[order.pk])


#: Each step's page: its URL name, form, permission, title and button, and how its service is called.
STEPS: dict[str, dict[str, Any]] = {
    "capture": {
        "form": forms.CaptureForm,
        "permission": MANAGE,
        "title": "Capture requirements",
        "submit": "Assign and capture",
        "service": services.order_capture_requirements,
        "intro": "A customer solution architect reviews and captures the requirements (H1). "
        "Mark the order complex if a project manager must co-ordinate build and deployment.",
    },
    "assign_project_manager": {
        "form": forms.ProjectManagerForm,
        "permission": MANAGE,
        "title": "Assign a project manager",
        "submit": "Assign",
        "service": services.order_assign_project_manager,
        "intro": "A complex order is project managed from here to enablement.",
    },
    "quote": {
        "form": forms.QuoteForm,
        "permission": MANAGE,
        "title": "Quote",
        "submit": "Send quote",
        "service": services.order_quote,
        "intro": "Project management, licensing, network integration and the services themselves, "
        "in exact amounts. A revised quote is a new version: the earlier ones are kept, and only the "
        "latest may be accepted.",
    },
    "accept_quote": {
        "form": forms.OrderFormForm,
        "permission": ACCEPT_QUOTE,
        "title": "Accept the quote and complete the order form",
        "submit": "Accept quote and send order form",
        "service": services.order_accept_quote,
        "intro": lambda order: _accept_quote_intro(order),
    },
    "update_form": {
        "form": forms.OrderFormForm,
        "permission": ACCEPT_QUOTE,
        "title": "Correct the order form",
        "submit": "Send corrected order form",
        "service": services.order_update_form,
        "intro": "The 3-working-day acceptance clock counts from a valid order.",
    },
    "validate": {
        "form": forms.ConfirmForm,
        "permission": MANAGE,
        "title": "Validate the order data",
        "submit": "Validate",
        "service": services.order_validate,
        "intro": "Every missing or incorrect item is listed; a valid order starts its acceptance deadline.",
    },
    "accept": {
        "form": forms.ConfirmForm,
        "permission": MANAGE,
        "title": "Accept the order",
        "submit": "Accept order",
        "service": services.order_accept,
        "intro": "Gives the order its unique reference and emails it to the order contact.",
    },
    "start_build": {
        "form": forms.BuildForm,
        "permission": MANAGE,
        "title": "Start the build",
        "submit": "Start build",
        "service": services.order_start_build,
    },
    "enable": {
        "form": forms.EnableForm,
        "permission": MANAGE,
        "title": "Enable the service",
        "submit": "Enable service",
        "service": services.order_enable,
        "intro": "Records the service, its accounts and the runbooks agreed at build in the directory (A5).",
    },
    "cancel": {
        "form": forms.CancelForm,
        "permission": MANAGE,
        "title": "Cancel the order",
        "submit": "Cancel order",
        "service": services.order_cancel,
    },
}


ORDERS = Pages(
    urls="orders:order",
    noun="order",
    get=selectors.order_get,
    label=str,
    permission=MANAGE,
    view_permission=VIEW,
    list=selectors.order_list,
    filter_form=forms.OrderFilterForm,
    columns=[
        Column("Order", "created", order=("created_at",)),
        Column("Organisation", "organisation", order=("organisation__name", "created_at")),
        Column("State", "state", order=("state", "created_at")),
        Column("Quote"),
        Column("Acceptance due", "due", order=("acceptance_due_at",)),
    ],
    default_sort="-created",
    title="Orders",
    subtitle="From enquiry to service enablement; an order waiting past its 3-working-day acceptance "
    "deadline is overdue, and for staff one past the deadline's warning point is due soon.",
    create_label="New enquiry",
    table_template="orders/_table.html",
    list_template="orders/list.html",
    csv=schemas.OrderOut,
    form=forms.OrderForm,
    create=services.order_create,
    update=services.order_update,
    create_title="New enquiry",
    create_submit="Record enquiry",
    history_title=lambda o: f"Order {o}",
)


def _accept_quote_intro(order: Any) -> str:
    quote = order.current_quote
    accepting = (
        f"You are accepting quote v{quote.number}: {quote.currency} {quote.total:,.2f}, valid until "
        f"{quote.valid_until:%d %b %Y}. "
        if quote is not None
        else ""
    )
    return accepting + (
        "Data validation follows: anything missing or incorrect is listed before the order is accepted."
    )


@ui_view
def order_create(request):
    """H1: an enquiry — raised by a named contact for their own organisation (the portal), or recorded
    by the order team for an organisation they choose."""
    require(request.user, ENQUIRE)
    form = forms.OrderForm(bound(request), user=request.user, creating=True)
    staff = getattr(request.user, "is_provider_staff", False)
    return form_page(
        request,
        form,
        lambda data: services.order_create(actor=request.user, **data),
        success=_detail_url,
        message=lambda order: f"Enquiry “{order.title}” received.",
        title="New enquiry" if staff else "Raise an enquiry",
        submit="Record enquiry" if staff else "Send enquiry",
        cancel_url=reverse("orders:order_list"),
        intro=""
        if staff
        else "Tell us what you would like; a solution architect will capture your requirements "
        "and we will send you a quote.",
    )


@ui_view
def order_detail(request, pk: int):
    require(request.user, VIEW)
    order = selectors.order_get(user=request.user, pk=pk)
    user = request.user
    now = timezone.now()
    actions = [
        {
            "name": name,
            "label": STEP_LABELS[name].capitalize(),
            "url": reverse(f"orders:order_{name}", args=[order.pk]),
        }
        for name, step in STEPS.items()
        if order.state in STEP_FROM[name] and has_permission(user, step["permission"])
    ]
    quotes = [{"quote": q, "status": selectors.quote_status(q)} for q in order.quotes.all()]
    current = quotes[0] if quotes else None
    if current and current["status"] == "expired":  # refused by the service; not offered
        actions = [a for a in actions if a["name"] != "accept_quote"]
    deadlines = deadline_list(user=user, owner_type=services.DEADLINE_OWNER, owner_id=order.pk, now=now)
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "timeline": list(order.events.all()),
            "accounts": list(order.accounts.all()),
            "actions": actions,
            "deadlines": deadlines["deadlines"],
            "is_overdue": selectors.is_overdue(order, now=now),
            "can_edit": has_permission(user, MANAGE),
            "quotes": quotes,
            "current_quote": current,
            "is_customer": not getattr(user, "is_provider_staff", False),
            "now": now,
        },
    )


@ui_view
def order_board(request):
    """The order pipeline: a column per state of the lifecycle (cancelled orders are not on it)."""
    require(request.user, VIEW)
    return render(request, "orders/board.html", {"columns": selectors.order_pipeline(user=request.user)})


def _on_form(exc: ValidationFailed, form: Any) -> ValidationFailed:
    """A service's errors on fields this page does not show (the order's data, checked on acceptance)
    are listed above the form, each named, under the service's headline."""
    if all(e.get("field") in form.fields for e in exc.errors):
        return exc
    headline = exc.detail.split(": validation found")[0] if ": validation found" in exc.detail else ""
    errors = [{"field": "__all__", "message": f"{headline}:"}] if headline else []
    for e in exc.errors:
        name = e.get("field", "__all__")
        shown = name in form.fields or name == "__all__"
        errors.append(
            {
                "field": name if shown else "__all__",
                "message": e["message"]
                if shown
                else f"{name.replace('_', ' ').capitalize()}: {e['message']}",
            }
        )
    return ValidationFailed(exc.detail, errors)


def _step_view(name: str) -> Callable[..., Any]:
    step = STEPS[name]

    @ui_view
    def view(request, pk: int):
        order = selectors.order_get(user=request.user, pk=pk)
        require(request.user, step["permission"])
        form_class = step["form"]
        initial = form_class.initial_for(order) if hasattr(form_class, "initial_for") else {}
        form = form_class(bound(request), initial={**initial, "version": order.version}, order=order)

        def action(data: dict[str, Any]) -> Any:
            values = {k: v for k, v in data.items() if k != "version"}
            try:
                return step["service"](
                    actor=request.user, order=order, expected_version=data["version"], **values
                )
            except ValidationFailed as exc:
                raise _on_form(exc, form) from exc

        return form_page(
            request,
            form,
            action,
            success=_detail_url,
            message=lambda saved: f"Order {saved}: {STEP_LABELS[name]} done.",
            title=f"{step['title']} · {order}",
            submit=step["submit"],
            cancel_url=_detail_url(order),
            intro=intro(order) if callable(intro := step.get("intro", "")) else intro,
        )

    view.__name__ = f"order_{name}"
    return view


STEP_VIEWS = {name: _step_view(name) for name in STEPS}
