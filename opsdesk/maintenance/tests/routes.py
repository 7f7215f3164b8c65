"""Tenancy-walk declarations of the maintenance pages (see opsdesk/testing/routes.py).

Everyone with "maintenance.view" reads the calendar, lists and pages (a customer only their own
organisation's); the planning staff ("maintenance.manage") record agreed windows and blackouts and
schedule and move provider maintenance; customers and operational staff ("maintenance.declare")
declare and cancel customer windows. The iCal feed is public behind its secret address."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from opsdesk.maintenance import services
from opsdesk.maintenance.tests.factory import LONDON, customer_window, next_sunday_at, notice
from opsdesk.testing.routes import Route, form, ui_pages

VIEW = "maintenance.view"
MANAGE = "maintenance.manage"
DECLARE = "maintenance.declare"
TRIAGE = "maintenance.triage"
STAFF = {"staff_only": True, "permission": MANAGE}
TRIAGE_STAFF = {"staff_only": True, "permission": TRIAGE}


def world_extras(world: dict[str, Any]) -> None:
    admin = world["admin"]
    window = services.window_create(
        actor=admin, organisation=world["org_a"], weekday=6, start="02:00", end="06:00"
    )
    start = next_sunday_at(2)

    def planned(title: str, tag: str = "a"):
        return services.provider_maintenance_create(
            actor=admin,
            organisation=world[f"org_{tag}"],
            title=title,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=4),
            services=[world[f"service_{tag}"].pk],
            is_emergency=tag == "b",
            emergency_reason="compliance" if tag == "b" else "",
        )

    scheduled = planned("Walk patching")
    progress = services.provider_maintenance_start(actor=admin, provider_maintenance=planned("Walk upgrade"))
    verifying = services.provider_maintenance_end(
        actor=admin,
        provider_maintenance=services.provider_maintenance_start(
            actor=admin, provider_maintenance=planned("Walk resize")
        ),
    )
    blackout = services.blackout_create(
        actor=admin,
        organisation=world["org_a"],
        starts_at=timezone.now() + dt.timedelta(days=60),
        ends_at=timezone.now() + dt.timedelta(days=61),
        reason="Walk freeze",
    )
    feed = services.ical_feed_for(actor=admin, organisation=world["org_a"])
    world.update(
        maint_notice_new_a=notice(world, "a", code="AWS_EC2_WALK_NEW"),
        maint_notice_assessed_a=notice(world, "a", step="assessed", code="AWS_EC2_WALK_ASSESSED"),
        maint_notice_contacted_a=notice(world, "a", step="contacted", code="AWS_EC2_WALK_CONTACTED"),
        maint_notice_b=notice(world, "b", code="AWS_EC2_WALK_B"),
    )
    world.update(
        maint_window_a=window,
        maint_scheduled_a=scheduled,
        maint_progress_a=progress,
        maint_verifying_a=verifying,
        maint_scheduled_b=planned("Walk emergency", "b"),
        maint_blackout_a=blackout,
        maint_customer_a=customer_window(world, "a"),
        maint_feed_token=SimpleNamespace(pk=feed.secret),
    )


def _version(w: dict[str, Any], key: str) -> int:
    obj = w[key]
    return type(obj)._default_manager.get(pk=obj.pk).version


def _local(at: dt.datetime) -> str:
    return at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def _maintenance_form(w: dict[str, Any]) -> dict:
    start = next_sunday_at(3)
    return {
        "organisation": w["org_a"].pk,
        "title": "Walk maintenance",
        "services": [w["service_a"].pk],
        "starts_at": _local(start),
        "ends_at": _local(start + dt.timedelta(hours=1)),
    }


def _customer_form(w: dict[str, Any]) -> dict:
    """A customer declares for their own organisation; staff choose one (A)."""
    user = w.get("walk_user")
    tag = "b" if user is not None and user == w["customer_b"] else "a"
    start = timezone.now() + dt.timedelta(days=3)
    data = {
        "title": "Walk power work",
        "services": [w[f"service_{tag}"].pk],
        "starts_at": _local(start),
        "ends_at": _local(start + dt.timedelta(hours=2)),
    }
    if user is not None and user.is_provider_staff:
        data["organisation"] = w["org_a"].pk
    return data


def _blackout_form(w: dict[str, Any], creating: bool = True) -> dict:
    start = timezone.now() + dt.timedelta(days=90)
    data = {"starts_at": _local(start), "ends_at": _local(start + dt.timedelta(days=1)), "reason": "Walk"}
    if creating:
        data["organisation"] = w["org_a"].pk
    else:
        data["version"] = _version(w, "maint_blackout_a")
    return data


def _step(name: str, key: str, body) -> list[Route]:
    return form(f"maintenance:maintenance_{name}", body, params={"pk": key}, **STAFF)


def _notice_step(name: str, key: str, body) -> list[Route]:
    return form(f"maintenance:notice_{name}", body, params={"pk": key}, **TRIAGE_STAFF)


ROUTES = [
    Route("ui", "maintenance:calendar", permission=VIEW),
    *ui_pages("maintenance:notice", "maint_notice_new_a", read={"permission": VIEW}),
    *_notice_step(
        "assess",
        "maint_notice_new_a",
        lambda w: {
            "impact_level": "low",
            "impact_assessment": "Walk",
            "version": _version(w, "maint_notice_new_a"),
        },
    ),
    *_notice_step(
        "contact",
        "maint_notice_assessed_a",
        lambda w: {
            "contact": w["contact_a"].pk,
            "method": "email",
            "version": _version(w, "maint_notice_assessed_a"),
        },
    ),
    *_notice_step(
        "close", "maint_notice_assessed_a", lambda w: {"version": _version(w, "maint_notice_assessed_a")}
    ),
    *_notice_step(
        "dismiss",
        "maint_notice_new_a",
        lambda w: {"reason": "Walk", "version": _version(w, "maint_notice_new_a")},
    ),
    # E1: the shell's page composing maintenance and changes (opsdesk/web/notice_changes.py).
    *form(
        "web:notice_raise_change",
        lambda w: {"version": _version(w, "maint_notice_contacted_a")},
        params={"pk": "maint_notice_contacted_a"},
        **TRIAGE_STAFF,
    ),
    Route("ui", "maintenance:ical_feed", params={"token": "maint_feed_token"}, capability=True),
    *ui_pages(
        "maintenance:maintenance",
        "maint_scheduled_a",
        read={"permission": VIEW},
        create=_maintenance_form,
        update=lambda w: {
            "title": "Walk title",
            "description": "",
            "version": _version(w, "maint_scheduled_a"),
        },
        write={"permission": MANAGE},
    ),
    *_step("start", "maint_scheduled_a", lambda w: {"note": "", "version": _version(w, "maint_scheduled_a")}),
    *_step("end", "maint_progress_a", lambda w: {"note": "", "version": _version(w, "maint_progress_a")}),
    *_step(
        "complete", "maint_verifying_a", lambda w: {"note": "", "version": _version(w, "maint_verifying_a")}
    ),
    *_step(
        "cancel",
        "maint_scheduled_a",
        lambda w: {"reason": "Walk", "version": _version(w, "maint_scheduled_a")},
    ),
    *ui_pages(
        "maintenance:customer_window",
        "maint_customer_a",
        read={"permission": VIEW},
        create=_customer_form,
        write={"permission": DECLARE, "staff_only": False},
    ),
    *form(
        "maintenance:customer_window_cancel",
        lambda w: {"reason": "Walk", "version": _version(w, "maint_customer_a")},
        params={"pk": "maint_customer_a"},
        permission=DECLARE,
    ),
    *ui_pages(
        "maintenance:blackout",
        "maint_blackout_a",
        read={"permission": VIEW},
        create=_blackout_form,
        update=lambda w: _blackout_form(w, creating=False),
        write={"permission": MANAGE},
    ),
    *form(
        "maintenance:blackout_delete",
        lambda w: {"version": _version(w, "maint_blackout_a")},
        params={"pk": "maint_blackout_a"},
        **STAFF,
    ),
    *ui_pages(
        "maintenance:window",
        "maint_window_a",
        read={"permission": VIEW},
        create=lambda w: {
            "organisation": w["org_b"].pk,
            "weekday": 6,
            "start": "02:00",
            "end": "06:00",
            "timezone": "Europe/London",
        },
        update=lambda w: {
            "weekday": 5,
            "start": "22:00",
            "end": "02:00",
            "timezone": "Europe/London",
            "version": _version(w, "maint_window_a"),
        },
        write={"permission": MANAGE},
    ),
]
