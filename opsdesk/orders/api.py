"""Order endpoints (H1, H2, L3). Thin: parse, call one selector or service, answer. Each step is a
POST on the order that honours If-Match; an invalid transition answers 409 naming the state, an
order accepted with validation problems 422 listing every one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.core.api import ERRORS, IF_MATCH_OPTIONAL, if_match_version, with_etag
from opsdesk.core.crud import declare, one_of, routes, steps
from opsdesk.orders import schemas, selectors, services
from opsdesk.orders.choices import OrderState
from opsdesk.orders.schemas import (
    OrderCancelIn,
    OrderCaptureIn,
    OrderEnableIn,
    OrderFormIn,
    OrderFormPatch,
    OrderNoteIn,
    OrderOut,
    OrderProjectManagerIn,
    OrderQuoteIn,
)
from opsdesk.sla.schemas import DeadlinesOut
from opsdesk.sla.selectors import deadline_list

router = Router(tags=["orders"])

ORDERS = declare(
    "order",
    "/orders",
    selectors=selectors,
    services=services,
    schemas=schemas,
    check_filters=one_of("state", OrderState.values),
    wrap_list=selectors.with_details,
    ordering=("created_at", "acceptance_due_at", "state", "reference", "title"),
    reread=True,
    docs={"delete": "Only an enquiry or a cancelled order; a reference once given is never given again."},
)
routes(router, ORDERS, module=__name__)

step = steps(
    router, "/orders/{order_id}", "order", OrderOut, module=__name__, selectors=selectors, services=services
)
step(
    "capture",
    "order_capture_requirements",
    OrderCaptureIn,
    "solution_architect",
    "requirements",
    "is_complex",
)
step("assign-project-manager", "order_assign_project_manager", OrderProjectManagerIn, "project_manager")
step("quote", "order_quote", OrderQuoteIn, "lines", "currency", "valid_until")
step("accept-quote", "order_accept_quote", OrderFormIn, *OrderFormIn.model_fields)
step("validate", "order_validate")
step("accept", "order_accept")
step("start-build", "order_start_build", OrderNoteIn, "note")
step("enable", "order_enable", OrderEnableIn, "runbooks")
step("cancel", "order_cancel", OrderCancelIn, "reason")


@router.post(
    "/orders/{order_id}/order-form", response={200: OrderOut, **ERRORS}, openapi_extra=IF_MATCH_OPTIONAL
)
def order_update_form(request: HttpRequest, response: HttpResponse, order_id: int, payload: OrderFormPatch):
    """H2: correct the order form after validation found problems (only the fields sent change)."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    services.order_update_form(
        actor=request.auth,
        order=order,
        expected_version=if_match_version(request, order),
        **payload.dict(exclude_unset=True),
    )
    return with_etag(response, selectors.order_get(user=request.auth, pk=order.pk))


@router.get("/orders/{order_id}/deadlines", response={200: DeadlinesOut, **ERRORS}, exclude_unset=True)
def order_deadlines(request: HttpRequest, order_id: int):
    """The acceptance deadline (H1: 3 working days after a valid order is received): where it stands,
    the business time left and why it is due when it is."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    return deadline_list(user=request.auth, owner_type=services.DEADLINE_OWNER, owner_id=order.pk)
