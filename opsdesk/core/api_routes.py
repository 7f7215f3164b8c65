"""Endpoints for the caller's API tokens and for audit history (L1, L3)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, FilterSchema, Query, Router, Schema, Status

from opsdesk.core import selectors
from opsdesk.core.api import CSV_NOTE, ErrorOut, ListParams, list_response, page_response_schema
from opsdesk.core.models import AuditAction
from opsdesk.core.permissions import has_permission
from opsdesk.core.tokens import token_create, token_revoke

router = Router(tags=["core"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret. Shown once; only its hash is stored.")


class TokenIn(Schema):
    name: str = ""
    expires_in_days: int | None = Field(
        None,
        description="Lifetime in days; absent means OPSDESK_TOKEN_DEFAULT_DAYS (90), and more than "
        "OPSDESK_TOKEN_MAX_DAYS (365) is refused with 422.",
    )


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    organisation_id: int | None
    before: dict | None
    after: dict | None
    note: str
    request_id: str = Field("", description="The X-Request-ID of the request that caused it (staff only).")
    source_address: str = Field("", description="The client address it came from (staff only).")

    # Where staff work from is not the customer's business: only staff see these two.
    @staticmethod
    def resolve_request_id(obj, context) -> str:
        return obj.request_id if _sees_internal(context) else ""

    @staticmethod
    def resolve_source_address(obj, context) -> str:
        return obj.source_address if _sees_internal(context) else ""


def _sees_internal(context) -> bool:
    request = (context or {}).get("request")
    user = getattr(request, "auth", None) if request is not None else None
    return has_permission(user, "core.view_internal_history")


class AuditFilter(FilterSchema):
    object_type: str | None = None
    object_id: str | None = None
    organisation: int | None = None
    action: AuditAction | None = Field(None, description="e.g. sign_in_failed, permission_denied.")


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def token_list(request: HttpRequest):
    return list(selectors.token_list(user=request.auth))


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS})
def token_create_endpoint(request: HttpRequest, payload: TokenIn):
    token, secret = token_create(
        actor=request.auth, user=request.auth, name=payload.name, expires_in_days=payload.expires_in_days
    )
    out = TokenOut.from_orm(token).model_dump()
    return Status(201, {**out, "token": secret})


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS})
def token_revoke_endpoint(request: HttpRequest, token_id: int):
    token_revoke(actor=request.auth, token=selectors.token_get(user=request.auth, pk=token_id))
    return Status(204, None)


@router.get("/audit-events", response=page_response_schema(AuditEventOut), description=CSV_NOTE)
def audit_event_list(request: HttpRequest, filters: Query[AuditFilter], params: Query[ListParams]):
    qs = selectors.audit_event_list(user=request.auth, **filters.dict())
    return list_response(request, qs, params, AuditEventOut, ordering=("at", "id"), name="audit-events")
