"""Tenancy-walk declarations of the change pages (see opsdesk/testing/routes.py).

Everyone with "changes.view" reads the board, list and a change's page (a customer their own
organisation's); whoever may submit opens the RFC form (a customer's change approver for their own
organisation); the provider's change staff ("changes.manage") run the steps; decisions are given by
a customer's change approver, or recorded by staff on the approver's behalf (by phone). Each step is
walked on a change of tenant A in the state it needs (world_extras)."""

from __future__ import annotations

from typing import Any

from opsdesk.changes import services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import ApprovalRule
from opsdesk.changes.tests.factory import change_at, rfc, standard_change, working_hours
from opsdesk.testing.routes import Route, form, ui_pages

VIEW = "changes.view"
VIEW_PERMISSION = VIEW
SUBMIT = "changes.submit"
MANAGE = "changes.manage"
DECIDE = "changes.decide"
CATALOGUE = "changes.manage_catalogue"


def world_extras(world: dict[str, Any]) -> None:
    if "change_new_a" in world:
        return
    entry = standard_change(world)
    world["standard_change_unused"] = services.standard_change_create(
        actor=world["admin"], name="Unused standard change", runbook="Steps."
    )
    world["change_new_a"] = rfc(world, "a", by=world["admin"])
    world["change_approval_a"] = change_at(world, "a", ChangeState.APPROVAL, by=world["admin"])
    world["change_closed_a"] = change_at(world, "a", ChangeState.CLOSED)
    world["change_scheduled_a"] = change_at(world, "a", ChangeState.SCHEDULED)
    world["change_implementation_a"] = change_at(world, "a", ChangeState.IMPLEMENTATION)
    world["change_level1_a"] = rfc(world, "a", level=1)
    world["change_b"] = rfc(world, "b")
    world["pipeline_a"] = services.pipeline_create(
        actor=world["admin"], service=world["service_a"], name="CI main"
    )
    world["approval_rule"] = ApprovalRule.objects.get(level=2, side="customer")
    assert entry.pk


def version(w: dict[str, Any], key: str) -> int:
    obj = w[key]
    return type(obj)._default_manager.get(pk=obj.pk).version


def on_behalf(w: dict[str, Any]) -> dict[str, Any]:
    """Staff record the customer approver's decision given by phone; a customer gives their own."""
    user = w.get("walk_user")
    return {} if user is None or not user.is_provider_staff else {"contact": w["contact_a"].pk}


def _rfc_form(w: dict[str, Any]) -> dict[str, Any]:
    body = {
        "level": "2",
        "title": "Walk RFC",
        "description": "Walk",
        "impact_statement": "None",
        "urgency": "medium",
    }
    user = w.get("walk_user")
    if user is not None and user.is_provider_staff:
        body["organisation"] = w["org_a"].pk
    return body


def window(w: dict[str, Any] | None = None, *, form: bool = False) -> dict[str, Any]:
    """A window in core hours a week ahead; every walk after the first reschedules, with a reason."""
    start, end = working_hours()
    if form:
        fmt = "%Y-%m-%dT%H:%M"
        return {"starts_at": start.strftime(fmt), "ends_at": end.strftime(fmt), "reason": "Walk"}
    return {"starts_at": start.isoformat(), "ends_at": end.isoformat(), "reason": "Walk"}


def _step(name: str, key: str, body, permission: str = MANAGE, **more: Any) -> list[Route]:
    common = {"params": {"pk": key}, "permission": permission, **more}
    if permission == MANAGE:
        common["staff_only"] = True
    return form(f"changes:change_{name}", body, **common)


ROUTES = [
    Route("ui", "changes:board", permission=VIEW),
    *ui_pages(
        "changes:change",
        "change_new_a",
        read={"permission": VIEW},
        update=lambda w: {
            "title": "Walk title",
            "urgency": "high",
            "checklist": "[x] one",
            "version": version(w, "change_new_a"),
        },
        write={"permission": MANAGE},
    ),
    *form("changes:change_create", _rfc_form, permission=SUBMIT),
    *_step(
        "transition",
        "change_new_a",
        lambda w: {"to_state": "identify", "version": version(w, "change_new_a")},
    ),
    *_step(
        "approve",
        "change_approval_a",
        lambda w: {"version": version(w, "change_approval_a"), **on_behalf(w)},
        DECIDE,
    ),
    *_step(
        "reject",
        "change_approval_a",
        lambda w: {"reason": "Walk", "version": version(w, "change_approval_a"), **on_behalf(w)},
        DECIDE,
    ),
    *_step("priority", "change_new_a", lambda w: {"priority": "P4", "version": version(w, "change_new_a")}),
    *_step(
        "review", "change_closed_a", lambda w: {"notes": "Walk", "version": version(w, "change_closed_a")}
    ),
    *_step("withdraw", "change_new_a", lambda w: {"reason": "Walk", "version": version(w, "change_new_a")}),
    *_step(
        "schedule",
        "change_scheduled_a",
        lambda w: {**window(form=True), "version": version(w, "change_scheduled_a")},
    ),
    *_step(
        "halt",
        "change_implementation_a",
        lambda w: {"reason": "Walk", "version": version(w, "change_implementation_a")},
    ),
    Route("ui", "changes:calendar", permission=VIEW),
    *ui_pages(
        "changes:pipeline",
        "pipeline_a",
        pages=("list", "history"),
        read={"permission": VIEW},
        create=lambda w: {"service": w["service_a"].pk, "name": "Walk pipeline"},
        write={"permission": MANAGE},
    ),
    *form(
        "changes:pipeline_delete",
        lambda w: {"version": version(w, "pipeline_a")},
        params={"pk": "pipeline_a"},
        permission=MANAGE,
        staff_only=True,
    ),
    *ui_pages(
        "changes:standard_change",
        "standard_change",
        read={"permission": VIEW},
        create=lambda w: {"name": "Walk standard change", "runbook": "Steps", "is_active": "on"},
        update=lambda w: {
            "name": "Walk renamed",
            "runbook": "Steps",
            "version": version(w, "standard_change"),
        },
        write={"permission": CATALOGUE},
    ),
]
