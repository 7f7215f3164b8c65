"""Tenancy-walk declarations of the Operations on Demand pages (see opsdesk/testing/routes.py).
The world's objects come from routes_api.world_extras."""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, form, ui_pages

READ = {"permission": "ood.view"}
CATALOGUE = {"permission": "ood.manage_catalogue"}
REVIEW = {"staff_only": True, "permission": "ood.review", "params": {"pk": "ood_request_a"}}


def _offering(w: dict[str, Any], version: bool = False) -> dict:
    data = {
        "name": "Walk offering",
        "description": "Walk",
        "plans": ["advanced"],
        "state": "active",
        "regions": "",
    }
    if version:
        o = w["ood_offering"]
        return {**data, "version": type(o)._default_manager.get(pk=o.pk).version}
    return {**data, "rate": "100.00", "currency": "GBP", "effective_from": "2030-01-01"}


def _request(w: dict[str, Any]) -> dict:
    user = w.get("walk_user")
    tag = "b" if user is not None and user == w["customer_b"] else "a"
    data = {
        "submitting_account": w[f"account_{tag}"].account_id,
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
        "lines-0-offering": str(w["ood_offering"].pk),
        "lines-0-blocks": "1",
        "lines-0-accounts": w[f"ood_member_{tag}"].account_id,
        "lines-0-recurrence": "monthly",
    }
    if user is not None and user.is_provider_staff:
        data["contact"] = str(w["contact_a"].pk)
    return data


def _approve(w: dict[str, Any]) -> dict:
    r = w["ood_request_a"]
    return {
        "version": type(r)._default_manager.get(pk=r.pk).version,
        "line_1_blocks": "2",
        "line_1_accounts": w["ood_member_a"].account_id,
    }


def _version(obj: Any) -> int:
    return type(obj)._default_manager.get(pk=obj.pk).version


def _deny(w: dict[str, Any]) -> dict:
    r = w["ood_request_a"]
    return {"version": type(r)._default_manager.get(pk=r.pk).version, "reason": "Walk denial."}


def _modification(w: dict[str, Any]) -> dict:
    from django.utils import timezone

    user = w.get("walk_user")
    data = {"requested_date": timezone.localdate().isoformat(), "blocks": "5"}
    if user is not None and user.is_provider_staff:
        data["contact"] = str(w["contact_a"].pk)
    return data


def _decide_modification(reason: str):
    def body(w: dict[str, Any]) -> dict:
        m = w["ood_modification_a"]
        return {"version": type(m)._default_manager.get(pk=m.pk).version, "reason": reason}

    return body


MODIFICATION_REVIEW = {
    "staff_only": True,
    "permission": "ood.review",
    "params": {"pk": "ood_modification_a"},
}

ROUTES = [
    *ui_pages(
        "ood:offering",
        "ood_offering",
        create=_offering,
        update=lambda w: _offering(w, version=True),
        read=READ,
        write=CATALOGUE,
    ),
    *form(
        "ood:offering_rate_create",
        lambda w: {"rate": "110.00", "currency": "GBP", "effective_from": "2031-01-01"},
        params={"pk": "ood_offering"},
        staff_only=True,
        **CATALOGUE,
    ),
    *ui_pages("ood:request", "ood_request_a", read=READ),
    *form("ood:request_create", _request, permission="ood.request"),
    Route("ui", "ood:request_approve", "POST", body=_approve, **REVIEW),
    Route("ui", "ood:request_deny", "POST", body=_deny, **REVIEW),
    *ui_pages("ood:engagement", "engagement_a", read=READ),
    Route(
        "ui",
        "ood:engagement_start",
        "POST",
        params={"pk": "engagement_start_a"},
        body=lambda w: {"version": _version(w["engagement_start_a"])},
        staff_only=True,
        permission="ood.log_time",
    ),
    Route(
        "ui",
        "ood:engagement_agree_start",
        "POST",
        params={"pk": "engagement_start_a"},
        body=lambda w: {
            "version": _version(w["engagement_start_a"]),
            "start_date": "2030-06-03",
            "agreed_with": "Walk",
        },
        staff_only=True,
        permission="ood.review",
    ),
    *form(
        "ood:time_entry_create",
        lambda w: {"work_date": "2026-09-02", "hours": "1.5", "description": "Walk entry."},
        params={"pk": "engagement_a"},
        staff_only=True,
        permission="ood.log_time",
    ),
    *ui_pages("ood:modification", "ood_modification_a", read=READ),
    *form(
        "ood:modification_create",
        _modification,
        params={"pk": "engagement_a"},
        permission="ood.request",
    ),
    *(
        Route("ui", f"ood:modification_{name}", "POST", body=_decide_modification(why), **MODIFICATION_REVIEW)
        for name, why in (("approve", ""), ("scoping", "Walk scoping."), ("deny", "Walk denial."))
    ),
    Route("ui", "ood:balance", query="month=2026-10", **READ),
    Route("ui", "ood:statement", params={"pk": "org_a"}, query="month=2026-10", **READ),
    Route("ui", "ood:statement_csv", params={"pk": "org_a"}, query="month=2026-10", **READ),
    Route("ui", "ood:statement_pdf", params={"pk": "org_a"}, query="month=2026-10", **READ),
    Route(
        "ui",
        "ood:statement_close",
        "POST",
        params={"pk": "org_a"},
        body=lambda w: {"month": "2026-09"},
        staff_only=True,
        permission="ood.close_month",
    ),
]
