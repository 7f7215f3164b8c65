"""Tenancy-walk declarations of the maintenance API (see opsdesk/testing/routes.py and routes.py here
for the records each route is walked on)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from opsdesk.maintenance.tests.factory import event_for, next_sunday_at
from opsdesk.testing.routes import Route, api_entity, steps

API = "/api/v1"
VIEW = "maintenance.view"
MANAGE = "maintenance.manage"
DECLARE = "maintenance.declare"
TRIAGE = "maintenance.triage"
STAFF = {"staff_only": True}
PROVIDER = f"{API}/maintenance/provider/{{maintenance_id}}"
NOTICE = f"{API}/maintenance/notices/{{notice_id}}"


def _maintenance(w: dict[str, Any]) -> dict:
    start = next_sunday_at(3)
    return {
        "organisation": w["org_a"].pk,
        "title": "Walk maintenance",
        "services": [w["service_a"].pk],
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
    }


def _customer_window(w: dict[str, Any]) -> dict:
    user = w.get("walk_user")
    tag = "b" if user is not None and user == w["customer_b"] else "a"
    start = timezone.now() + dt.timedelta(days=3)
    data = {
        "title": "Walk power work",
        "services": [w[f"service_{tag}"].pk],
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
    }
    if user is not None and user.is_provider_staff:
        data["organisation"] = w["org_a"].pk
    return data


def _blackout(w: dict[str, Any]) -> dict:
    start = timezone.now() + dt.timedelta(days=90)
    return {
        "organisation": w["org_a"].pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(days=1)).isoformat(),
        "reason": "Walk",
    }


step = steps(PROVIDER, **STAFF)
notice_step = steps(NOTICE, **STAFF)
OVERLAP_QUERY = "organisation={organisation}&starts_at=2030-01-06T00:00:00Z&ends_at=2030-01-06T06:00:00Z"

ROUTES = [
    Route(
        "api",
        f"{API}/maintenance/health-events",
        "POST",
        body=lambda w: event_for(w, "a", code="AWS_EC2_WALK_INTAKE"),
        permission=TRIAGE,
        staff_only=True,
    ),
    *api_entity(f"{API}/maintenance/notices", "notice_id", "maint_notice_new_a", read={"permission": VIEW}),
    notice_step(
        "assess", "maint_notice_new_a", TRIAGE, lambda w: {"impact_level": "high", "impact_assessment": "W"}
    ),
    notice_step(
        "contact",
        "maint_notice_assessed_a",
        TRIAGE,
        lambda w: {"contact": w["contact_a"].pk, "method": "phone"},
    ),
    notice_step("close", "maint_notice_assessed_a", TRIAGE, lambda w: {"note": "Walk"}),
    notice_step("dismiss", "maint_notice_new_a", TRIAGE, lambda w: {"reason": "Walk"}),
    # E1: declared by the shell (opsdesk/web/notice_changes.py, wired in config/api.py).
    notice_step("raise-change", "maint_notice_contacted_a", TRIAGE),
    *api_entity(
        f"{API}/maintenance/windows",
        "window_id",
        "maint_window_a",
        create=lambda w: {"organisation": w["org_b"].pk, "weekday": 6, "start": "02:00", "end": "06:00"},
        update=lambda w: {"notes": "Walk"},
        delete="maint_window_a",
        create_staff_only=True,
        read={"permission": VIEW},
        write={"permission": MANAGE, "staff_only": True},
    ),
    *api_entity(
        f"{API}/maintenance/blackouts",
        "blackout_id",
        "maint_blackout_a",
        create=_blackout,
        update=lambda w: {"reason": "Walk freeze 2"},
        delete="maint_blackout_a",
        create_staff_only=True,
        read={"permission": VIEW},
        write={"permission": MANAGE, "staff_only": True},
    ),
    *api_entity(
        f"{API}/maintenance/provider",
        "maintenance_id",
        "maint_scheduled_a",
        create=_maintenance,
        update=lambda w: {"title": "Walk title"},
        create_staff_only=True,
        read={"permission": VIEW},
        write={"permission": MANAGE, "staff_only": True},
    ),
    step("start", "maint_scheduled_a", MANAGE, lambda w: {"note": "Walk"}),
    step("end", "maint_progress_a", MANAGE, lambda w: {"note": "Walk"}),
    step("complete", "maint_verifying_a", MANAGE, lambda w: {"note": "Walk"}),
    step("cancel", "maint_scheduled_a", MANAGE, lambda w: {"reason": "Walk"}),
    *api_entity(
        f"{API}/maintenance/customer-windows",
        "customer_window_id",
        "maint_customer_a",
        create=_customer_window,
        read={"permission": VIEW},
        write={"permission": DECLARE},
    ),
    Route(
        "api",
        f"{API}/maintenance/customer-windows/{{customer_window_id}}/cancel",
        "POST",
        params={"customer_window_id": "maint_customer_a"},
        body=lambda w: {"reason": "Walk"},
        permission=DECLARE,
    ),
    Route(
        "api",
        f"{API}/maintenance/overlaps",
        params={"organisation": "org_a"},
        query=OVERLAP_QUERY,
        permission=VIEW,
    ),
    Route(
        "api",
        f"{API}/organisations/{{organisation_id}}/ical-feed",
        params={"organisation_id": "org_a"},
        permission=VIEW,
    ),
    Route(
        "api",
        f"{API}/organisations/{{organisation_id}}/ical-feed/rotate",
        "POST",
        params={"organisation_id": "org_a"},
        permission=DECLARE,
    ),
]
