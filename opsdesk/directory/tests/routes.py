"""Tenancy-walk declarations of the directory pages (see opsdesk/testing/routes.py).

Create/edit pages are staff-only and need the same permission as the service they call; lists,
detail and history pages are open to whoever can see the object (customers: their own tenant).
"""

from __future__ import annotations

from typing import Any

from opsdesk.testing.routes import Route, form, ui_pages

ORG = "directory.change_organisation"
ACCOUNT = "directory.change_cloudaccount"
CONTACT = "directory.change_namedcontact"
SERVICE = "directory.change_service"
USER_VIEW = "directory.view_user"
USER_CHANGE = "directory.change_user"


def _organisation(w: dict[str, Any], version: bool = False) -> dict:
    data = {"name": "Walk Organisation", "service_plan": "advanced", "calendar": "uk", "notes": "walk"}
    return {**data, "version": w["org_a"].version} if version else data


def _account(w: dict[str, Any]) -> dict:
    return {
        "organisation": w["org_a"].pk,
        "account_id": "333333333302",
        "name": "walk",
        "regions": "eu-west-2",
        "onboarding_state": "onboarded",
        "management_account": w["account_a"].pk,
    }


def _account_edit(w: dict[str, Any]) -> dict:
    a = w["member_a"]
    return {
        "account_id": a.account_id,
        "name": "walk edit",
        "regions": "eu-west-1",
        "onboarding_state": "onboarded",
        "management_account": w["account_a"].pk,
        "version": a.version,
    }


def _contact(w: dict[str, Any], version: bool = False) -> dict:
    data = {"name": "Walk Contact", "email": "walk-ui@example.test", "is_billing_contact": "on"}
    if version:
        return {**data, "version": w["contact_a"].version}
    return {**data, "organisation": w["org_a"].pk}


def _service(w: dict[str, Any], version: bool = False) -> dict:
    data = {
        "reference": "WALK-UI-1",
        "name": "Walk service",
        "environment": "non-production",
        "accounts": [w["account_a"].pk],
        "contacts": [w["contact_a"].pk],
    }
    if version:
        return {**data, "version": w["service_a"].version}
    return {**data, "organisation": w["org_a"].pk}


def _runbook(w: dict[str, Any], version: bool = False) -> dict:
    data = {"title": "Walk runbook", "body": "# Walk\n\n1. step"}
    return {**data, "version": w["runbook_a"].version} if version else data


def _user(w: dict[str, Any]) -> dict:
    return {
        "email": "walk-user@provider.test",
        "full_name": "Walk User",
        "role": "engineer",
        "is_active": "on",
    }


def _user_edit(w: dict[str, Any]) -> dict:
    e = w["engineer"]
    return {
        "email": e.email,
        "full_name": "Engineer renamed",
        "role": e.role,
        "is_active": "on",
        "version": e.version,
    }


def _pages(entity: str, key: str, permission: str, **forms: Any) -> list[Route]:
    return ui_pages(f"directory:{entity}", key, write={"permission": permission}, **forms)


USER_READ = {"staff_only": True, "permission": USER_VIEW}

ROUTES = [
    *_pages("organisation", "org_a", ORG, create=_organisation,
            update=lambda w: _organisation(w, version=True)),
    *_pages("account", "member_a", ACCOUNT, create=_account, update=_account_edit),
    *_pages("contact", "contact_a", CONTACT, create=_contact, update=lambda w: _contact(w, version=True)),
    Route("ui", "directory:contact_verify", "POST", params={"pk": "contact_a"}, permission=CONTACT),
    Route("ui", "directory:contact_consent", "POST", params={"pk": "contact_a"}, permission=CONTACT,
          body=lambda w: {"method": "walk form"}),
    Route("ui", "directory:contact_withdraw_consent", "POST", params={"pk": "contact_a"}, permission=CONTACT),
    Route("ui", "directory:contact_retire", "POST", params={"pk": "contact_a"}, permission=CONTACT),
    *_pages("service", "service_a", SERVICE, create=_service, update=lambda w: _service(w, version=True)),
    *form("directory:runbook_create", _runbook, params={"service_pk": "service_a"}, staff_only=True,
          permission=SERVICE),
    *form("directory:runbook_update", lambda w: _runbook(w, version=True), params={"pk": "runbook_a"},
          staff_only=True, permission=SERVICE),
    Route("ui", "directory:runbook_history", params={"pk": "runbook_a"}),
    *ui_pages("directory:user", "engineer", create=_user, update=_user_edit, read=USER_READ,
              write={"permission": USER_CHANGE}),
]
