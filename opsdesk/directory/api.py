"""Directory endpoints (A1–A5, L3), declared on the CRUD kit (core.crud): each entity names its
selectors, services and schemas; the kit gives the list, detail, create, PATCH and DELETE."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.core.api import ERRORS, created_with_etag, with_etag
from opsdesk.core.crud import NO_DELETE, OPERATIONS, declare, one_of, routes, steps
from opsdesk.directory import schemas, selectors, services
from opsdesk.directory.schemas import (
    CONTACT_FLAG_FILTERS,
    ConsentIn,
    ContactOut,
    RunbookIn,
    RunbookOut,
    UserOut,
)

router = Router(tags=["directory"])
entity = partial(declare, selectors=selectors, services=services, schemas=schemas)


ORGANISATIONS = entity(
    "organisation",
    "/organisations",
    NO_DELETE,
    ordering=("name", "created_at", "updated_at"),
    reread=True,
)

ACCOUNTS = entity(
    "account",
    "/accounts",
    OPERATIONS,
    id="account_pk",
    ordering=("account_id", "name", "onboarding_state", "created_at"),
)

CONTACTS = entity(
    "contact",
    "/contacts",
    OPERATIONS,
    check_filters=one_of("flag", CONTACT_FLAG_FILTERS),
    ordering=("name", "email", "last_verified_at", "created_at"),
)

SERVICES = entity(
    "service",
    "/services",
    OPERATIONS,
    reread=True,
    ordering=("reference", "name", "environment", "created_at"),
)
routes(router, ORGANISATIONS, ACCOUNTS, CONTACTS, SERVICES, module=__name__)

# A contact's steps: by provider staff, or by their organisation's customer administrator.
contact_step = steps(
    router, "/contacts/{contact_id}", "contact", ContactOut,
    module=__name__, selectors=selectors, services=services,
)
contact_step("verify", "contact_mark_verified", description="I3: the contact's details were confirmed today.")
contact_step(
    "consent",
    "contact_record_consent",
    ConsentIn,
    "method",
    description="GDPR: record the contact's consent (who recorded it and when are kept, `method` says how).",
)
contact_step(
    "withdraw-consent",
    "contact_withdraw_consent",
    description="GDPR: consent withdrawn; the contact stops being a contact for notifications.",
)
contact_step(
    "retire",
    "contact_retire",
    description="The person no longer acts for the organisation: kept for the record, no longer "
    "notified, and their portal user is deactivated.",
)


# --- runbooks: listed and created under their service ----------------------------------------


@router.get("/services/{service_id}/runbooks", response={200: list[RunbookOut], **ERRORS})
def runbook_list(request: HttpRequest, service_id: int):
    return list(selectors.service_get(user=request.auth, pk=service_id).runbooks.all())


@router.post("/services/{service_id}/runbooks", response={201: RunbookOut, **ERRORS})
def runbook_create(request: HttpRequest, response: HttpResponse, service_id: int, payload: RunbookIn):
    service = selectors.service_get(user=request.auth, pk=service_id)
    return created_with_etag(
        response, services.runbook_create(actor=request.auth, service=service, **payload.dict())
    )


RUNBOOKS = entity("runbook", "/runbooks", ("get", "update", "delete"))
routes(router, RUNBOOKS, module=__name__)

# --- users: /users/me is declared before /users/{user_id} ------------------------------------

USERS = entity("user", "/users", NO_DELETE, ordering=("full_name", "email", "role", "created_at"))
routes(router, replace(USERS, only=("list",)), module=__name__)


@router.get("/users/me", response={200: UserOut, **ERRORS})
def user_me(request: HttpRequest, response: HttpResponse):
    return with_etag(response, request.auth)


routes(router, replace(USERS, only=("create", "get", "update")), module=__name__)
