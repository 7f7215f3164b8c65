"""Change endpoints (D1–D6, L3). Thin: parse, call one selector or service, answer. Each step is a
POST on the change that honours If-Match; a step the change's level and state do not allow answers
409 naming the state; an RFC from a contact who is not an authorised change approver, or an
approval by the change's own requester, 403 naming the problem."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from opsdesk.changes import schemas, selectors, services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.schemas import (
    ChangeApproveIn,
    ChangeHaltIn,
    ChangeOut,
    ChangePriorityIn,
    ChangeRejectIn,
    ChangeReviewIn,
    ChangeScheduleIn,
    ChangeTransitionIn,
    ChangeWithdrawIn,
)
from opsdesk.core.api import ERRORS
from opsdesk.core.crud import NO_DELETE, declare, one_of, routes, steps
from opsdesk.sla.schemas import DeadlinesOut
from opsdesk.sla.selectors import deadline_list

router = Router(tags=["changes"])

CHANGES = declare(
    "change",
    "/changes",
    NO_DELETE,
    selectors=selectors,
    services=services,
    schemas=schemas,
    check_filters=one_of("state", ChangeState.values),
    wrap_list=selectors.with_details,
    ordering=("created_at", "state", "level", "priority", "reference", "title"),
    reread=True,
    docs={
        "create": "D1: submitted by a customer's authorised change approver or by the provider; logged as P3."
    },
)
STANDARD_CHANGES = declare(
    "standard_change",
    "/standard-changes",
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("name",),
    docs={"delete": "Only an entry no change was made from; make one in use inactive instead."},
)
PIPELINES = declare(
    "pipeline",
    "/approved-pipelines",
    ("list", "create", "get", "delete"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("name",),
    docs={"list": "D3: deployments through an approved pipeline need no RFC."},
)
APPROVAL_MATRIX = declare(
    "approval_rule",
    "/change-approval-matrix",
    ("list", "get"),
    selectors=selectors,
    services=services,
    schemas=schemas,
    ordering=("level", "side"),
    docs={"list": "D5: the approval matrix, as data."},
)
routes(router, CHANGES, STANDARD_CHANGES, PIPELINES, APPROVAL_MATRIX, module=__name__)

step = steps(
    router,
    "/changes/{change_id}",
    "change",
    ChangeOut,
    module=__name__,
    selectors=selectors,
    services=services,
)
step("transition", "change_transition", ChangeTransitionIn, "to_state", "note")
step("approve", "change_approve", ChangeApproveIn, "reason", "contact", "contacted")
step("reject", "change_reject", ChangeRejectIn, "reason", "contact")
step("priority", "change_set_priority", ChangePriorityIn, "priority", "caller", "called_at", "note")
step("review", "change_review", ChangeReviewIn, "notes")
step("withdraw", "change_withdraw", ChangeWithdrawIn, "reason")
step("schedule", "change_schedule", ChangeScheduleIn, "starts_at", "ends_at", "agreed_with", "note", "reason")
step("halt", "change_halt", ChangeHaltIn, "reason")


@router.get("/changes/{change_id}/deadlines", response={200: DeadlinesOut, **ERRORS}, exclude_unset=True)
def change_deadlines(request: HttpRequest, change_id: int):
    """D3: level 1 implemented within 2 working days, level 2 reviewed within 10: where each stands,
    the business time left and why it is due when it is."""
    change = selectors.change_get(user=request.auth, pk=change_id)
    return deadline_list(user=request.auth, owner_type=services.DEADLINE_OWNER, owner_id=change.pk)
