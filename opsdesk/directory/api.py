"""Directory endpoints (A1–A5, L3), declared on the CRUD kit (core.crud): each entity names its
selectors, services and schemas; the kit gives the list, detail, create, PATCH and DELETE."""

from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from ninja import Router

from opsdesk.core.api import ERRORS, created_with_etag, with_etag
from opsdesk.core.crud import Crud, routes
from opsdesk.core.errors import ValidationFailed
from opsdesk.directory import selectors, services
from opsdesk.directory.schemas import (
    CONTACT_FLAG_FILTERS,
    AccountFilter,
    AccountIn,
    AccountOut,
    AccountPatch,
    ContactFilter,
    ContactIn,
    ContactOut,
    ContactPatch,
    OrganisationFilter,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    RunbookIn,
    RunbookOut,
    RunbookPatch,
    ServiceFilter,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    UserFilter,
    UserIn,
    UserOut,
    UserPatch,
)

router = Router(tags=["directory"])


def _check_contact_flag(filters: ContactFilter) -> None:
    if filters.flag and filters.flag not in CONTACT_FLAG_FILTERS:
        raise ValidationFailed.field("flag", f"Must be one of: {', '.join(CONTACT_FLAG_FILTERS)}.")


routes(
    router,
    Crud(
        name="organisation",
        path="/organisations",
        out=OrganisationOut,
        get=selectors.organisation_get,
        list=selectors.organisation_list,
        filters=OrganisationFilter,
        ordering=("name", "created_at", "updated_at"),
        csv="organisations",
        create=services.organisation_create,
        create_in=OrganisationIn,
        update=services.organisation_update,
        patch=OrganisationPatch,
        reread=True,
    ),
    module=__name__,
)
routes(
    router,
    Crud(
        name="account",
        path="/accounts",
        id="account_pk",
        out=AccountOut,
        get=selectors.account_get,
        list=selectors.account_list,
        filters=AccountFilter,
        ordering=("account_id", "name", "onboarding_state", "created_at"),
        csv="accounts",
        create=services.account_create,
        create_in=AccountIn,
        update=services.account_update,
        patch=AccountPatch,
        delete=services.account_delete,
    ),
    module=__name__,
)
routes(
    router,
    Crud(
        name="contact",
        path="/contacts",
        out=ContactOut,
        get=selectors.contact_get,
        list=selectors.contact_list,
        filters=ContactFilter,
        check_filters=_check_contact_flag,
        ordering=("name", "email", "last_verified_at", "created_at"),
        csv="contacts",
        create=services.contact_create,
        create_in=ContactIn,
        update=services.contact_update,
        patch=ContactPatch,
        delete=services.contact_delete,
    ),
    module=__name__,
)
routes(
    router,
    Crud(
        name="service",
        path="/services",
        out=ServiceOut,
        get=selectors.service_get,
        list=selectors.service_list,
        filters=ServiceFilter,
        ordering=("reference", "name", "environment", "created_at"),
        csv="services",
        create=services.service_create,
        create_in=ServiceIn,
        update=services.service_update,
        patch=ServicePatch,
        reread=True,
        delete=services.service_delete,
    ),
    module=__name__,
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


routes(
    router,
    Crud(
        name="runbook",
        path="/runbooks",
        out=RunbookOut,
        get=selectors.runbook_get,
        update=services.runbook_update,
        patch=RunbookPatch,
        delete=services.runbook_delete,
    ),
    module=__name__,
)

# --- users: /users/me is declared before /users/{user_id} ------------------------------------

USERS = Crud(
    name="user",
    path="/users",
    out=UserOut,
    get=selectors.user_get,
    list=selectors.user_list,
    filters=UserFilter,
    ordering=("full_name", "email", "role", "created_at"),
    csv="users",
    create=services.user_create,
    create_in=UserIn,
    update=services.user_update,
    patch=UserPatch,
)
routes(router, replace(USERS, only=("list",)), module=__name__)


@router.get("/users/me", response={200: UserOut, **ERRORS})
def user_me(request: HttpRequest, response: HttpResponse):
    return with_etag(response, request.auth)


routes(router, replace(USERS, only=("create", "get", "update")), module=__name__)
