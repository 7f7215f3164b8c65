"""Directory endpoints (A1–A5, L3). Thin: parse, call one selector or service, answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from opsdesk.core.api import (
    CSV_NOTE,
    ERRORS,
    ListParams,
    created_with_etag,
    deleted,
    list_response,
    page_response_schema,
    updated_with_etag,
    with_etag,
)
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


# --- organisations ---------------------------------------------------------------------------


@router.get("/organisations", response=page_response_schema(OrganisationOut), description=CSV_NOTE)
def organisation_list(request: HttpRequest, filters: Query[OrganisationFilter], params: Query[ListParams]):
    qs = selectors.organisation_list(user=request.auth, q=filters.q, service_plan=filters.service_plan)
    return list_response(
        request,
        qs,
        params,
        OrganisationOut,
        ordering=("name", "created_at", "updated_at"),
        name="organisations",
    )


@router.post("/organisations", response={201: OrganisationOut, **ERRORS})
def organisation_create(request: HttpRequest, response: HttpResponse, payload: OrganisationIn):
    return created_with_etag(response, services.organisation_create(actor=request.auth, **payload.dict()))


@router.get("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def organisation_get(request: HttpRequest, response: HttpResponse, organisation_id: int):
    return with_etag(response, selectors.organisation_get(user=request.auth, pk=organisation_id))


@router.patch("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def organisation_update(
    request: HttpRequest, response: HttpResponse, organisation_id: int, payload: OrganisationPatch
):
    org = selectors.organisation_get(user=request.auth, pk=organisation_id)
    return updated_with_etag(
        request,
        response,
        services.organisation_update,
        payload,
        reread=selectors.organisation_get,
        organisation=org,
    )


# --- cloud accounts --------------------------------------------------------------------------


@router.get("/accounts", response=page_response_schema(AccountOut), description=CSV_NOTE)
def account_list(request: HttpRequest, filters: Query[AccountFilter], params: Query[ListParams]):
    qs = selectors.account_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        qs,
        params,
        AccountOut,
        ordering=("account_id", "name", "onboarding_state", "created_at"),
        name="accounts",
    )


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def account_create(request: HttpRequest, response: HttpResponse, payload: AccountIn):
    return created_with_etag(response, services.account_create(actor=request.auth, **payload.dict()))


@router.get("/accounts/{account_pk}", response={200: AccountOut, **ERRORS})
def account_get(request: HttpRequest, response: HttpResponse, account_pk: int):
    return with_etag(response, selectors.account_get(user=request.auth, pk=account_pk))


@router.patch("/accounts/{account_pk}", response={200: AccountOut, **ERRORS})
def account_update(request: HttpRequest, response: HttpResponse, account_pk: int, payload: AccountPatch):
    account = selectors.account_get(user=request.auth, pk=account_pk)
    return updated_with_etag(request, response, services.account_update, payload, account=account)


@router.delete("/accounts/{account_pk}", response={204: None, **ERRORS})
def account_delete(request: HttpRequest, account_pk: int):
    account = selectors.account_get(user=request.auth, pk=account_pk)
    return deleted(request, services.account_delete, account=account)


# --- named contacts --------------------------------------------------------------------------


@router.get("/contacts", response=page_response_schema(ContactOut), description=CSV_NOTE)
def contact_list(request: HttpRequest, filters: Query[ContactFilter], params: Query[ListParams]):
    if filters.flag and filters.flag not in CONTACT_FLAG_FILTERS:
        raise ValidationFailed.field("flag", f"Must be one of: {', '.join(CONTACT_FLAG_FILTERS)}.")
    qs = selectors.contact_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        qs,
        params,
        ContactOut,
        ordering=("name", "email", "last_verified_at", "created_at"),
        name="contacts",
    )


@router.post("/contacts", response={201: ContactOut, **ERRORS})
def contact_create(request: HttpRequest, response: HttpResponse, payload: ContactIn):
    return created_with_etag(response, services.contact_create(actor=request.auth, **payload.dict()))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def contact_get(request: HttpRequest, response: HttpResponse, contact_id: int):
    return with_etag(response, selectors.contact_get(user=request.auth, pk=contact_id))


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def contact_update(request: HttpRequest, response: HttpResponse, contact_id: int, payload: ContactPatch):
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    return updated_with_etag(request, response, services.contact_update, payload, contact=contact)


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS})
def contact_delete(request: HttpRequest, contact_id: int):
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    return deleted(request, services.contact_delete, contact=contact)


# --- services and runbooks -------------------------------------------------------------------


@router.get("/services", response=page_response_schema(ServiceOut), description=CSV_NOTE)
def service_list(request: HttpRequest, filters: Query[ServiceFilter], params: Query[ListParams]):
    qs = selectors.service_list(user=request.auth, **filters.dict())
    return list_response(
        request,
        qs,
        params,
        ServiceOut,
        ordering=("reference", "name", "environment", "created_at"),
        name="services",
    )


@router.post("/services", response={201: ServiceOut, **ERRORS})
def service_create(request: HttpRequest, response: HttpResponse, payload: ServiceIn):
    return created_with_etag(response, services.service_create(actor=request.auth, **payload.dict()))


@router.get("/services/{service_id}", response={200: ServiceOut, **ERRORS})
def service_get(request: HttpRequest, response: HttpResponse, service_id: int):
    return with_etag(response, selectors.service_get(user=request.auth, pk=service_id))


@router.patch("/services/{service_id}", response={200: ServiceOut, **ERRORS})
def service_update(request: HttpRequest, response: HttpResponse, service_id: int, payload: ServicePatch):
    service = selectors.service_get(user=request.auth, pk=service_id)
    return updated_with_etag(
        request, response, services.service_update, payload, reread=selectors.service_get, service=service
    )


@router.delete("/services/{service_id}", response={204: None, **ERRORS})
def service_delete(request: HttpRequest, service_id: int):
    service = selectors.service_get(user=request.auth, pk=service_id)
    return deleted(request, services.service_delete, service=service)


@router.get("/services/{service_id}/runbooks", response={200: list[RunbookOut], **ERRORS})
def runbook_list(request: HttpRequest, service_id: int):
    return list(selectors.service_get(user=request.auth, pk=service_id).runbooks.all())


@router.post("/services/{service_id}/runbooks", response={201: RunbookOut, **ERRORS})
def runbook_create(request: HttpRequest, response: HttpResponse, service_id: int, payload: RunbookIn):
    service = selectors.service_get(user=request.auth, pk=service_id)
    return created_with_etag(
        response, services.runbook_create(actor=request.auth, service=service, **payload.dict())
    )


@router.get("/runbooks/{runbook_id}", response={200: RunbookOut, **ERRORS})
def runbook_get(request: HttpRequest, response: HttpResponse, runbook_id: int):
    return with_etag(response, selectors.runbook_get(user=request.auth, pk=runbook_id))


@router.patch("/runbooks/{runbook_id}", response={200: RunbookOut, **ERRORS})
def runbook_update(request: HttpRequest, response: HttpResponse, runbook_id: int, payload: RunbookPatch):
    runbook = selectors.runbook_get(user=request.auth, pk=runbook_id)
    return updated_with_etag(request, response, services.runbook_update, payload, runbook=runbook)


@router.delete("/runbooks/{runbook_id}", response={204: None, **ERRORS})
def runbook_delete(request: HttpRequest, runbook_id: int):
    runbook = selectors.runbook_get(user=request.auth, pk=runbook_id)
    return deleted(request, services.runbook_delete, runbook=runbook)


# --- users -----------------------------------------------------------------------------------


@router.get("/users", response=page_response_schema(UserOut), description=CSV_NOTE)
def user_list(request: HttpRequest, filters: Query[UserFilter], params: Query[ListParams]):
    qs = selectors.user_list(user=request.auth, **filters.dict())
    return list_response(
        request, qs, params, UserOut, ordering=("full_name", "email", "role", "created_at"), name="users"
    )


@router.get("/users/me", response={200: UserOut, **ERRORS})
def user_me(request: HttpRequest, response: HttpResponse):
    return with_etag(response, request.auth)


@router.post("/users", response={201: UserOut, **ERRORS})
def user_create(request: HttpRequest, response: HttpResponse, payload: UserIn):
    return created_with_etag(response, services.user_create(actor=request.auth, **payload.dict()))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS})
def user_get(request: HttpRequest, response: HttpResponse, user_id: int):
    return with_etag(response, selectors.user_get(user=request.auth, pk=user_id))


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS})
def user_update(request: HttpRequest, response: HttpResponse, user_id: int, payload: UserPatch):
    user = selectors.user_get(user=request.auth, pk=user_id)
    return updated_with_etag(request, response, services.user_update, payload, user=user)
