"""Recording audit events (L1). Services call these inside their transaction, so the event and the
change commit together or not at all. Every row carries the request it came from (id and source
address, bound by RequestLogMiddleware) and is hash-chained by AuditEvent itself."""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import ipaddress
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse

from opsdesk.core.models import SECURITY_ACTIONS, AuditAction, AuditEvent
from opsdesk.core.tenancy import organisation_id_of

logger = logging.getLogger(__name__)

#: (request id, source address) of the request being served; ("", "") outside one.
_request_context: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "opsdesk_audit_request", default=("", "")
)


def _ip(value: str) -> str:
    """A normalised IP address, or "" when `value` is not one (IPv4-mapped IPv6 as IPv4)."""
    try:
        address = ipaddress.ip_address(value.strip().split("%")[0])
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def source_address(request: HttpRequest) -> str:
    """Where a request came from: REMOTE_ADDR, or with OPSDESK_TRUSTED_PROXY_HOPS = n > 0 the
    address the outermost trusted proxy saw, i.e. the n-th X-Forwarded-For entry from the right
    (entries further left are whatever the client sent and can be forged)."""
    remote = _ip(request.META.get("REMOTE_ADDR", ""))
    hops = getattr(settings, "OPSDESK_TRUSTED_PROXY_HOPS", 0)
    forwarded = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if hops <= 0 or not forwarded:
        return remote
    return _ip(forwarded[-min(hops, len(forwarded))]) or remote


def bind_request(request_id: str, address: str) -> contextvars.Token:
    """Called by RequestLogMiddleware; every audit row written while serving carries these."""
    return _request_context.set((request_id[:64], address[:45]))


def unbind_request(token: contextvars.Token) -> None:
    _request_context.reset(token)


def _request_fields(request: HttpRequest | None = None) -> dict[str, str]:
    request_id, address = _request_context.get()
    if request is not None:
        request_id = getattr(request, "request_id", "") or request_id
        address = address or source_address(request)
    return {"request_id": request_id[:64], "source_address": address[:45]}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """A JSON-safe picture of a record's fields (many-to-many as sorted ids)."""
    exclude = set(getattr(type(obj), "audit_exclude", ()))
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.name in {"created_at", "updated_at"}:
            continue
        data[field.attname] = _json_value(field.value_from_object(obj))
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            if field.name not in exclude:
                data[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return data


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": "system"}
    return {"actor_id": actor.pk, "actor_label": getattr(actor, "email", str(actor))}


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    public: bool = True,
    note: str = "",
) -> AuditEvent:
    if action == AuditAction.CREATE and after is None:
        after = snapshot(obj)
    if action == AuditAction.UPDATE and after is None:
        after = snapshot(obj)
    return AuditEvent.objects.create(
        **_actor_fields(actor),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        organisation_id=organisation_id_of(obj),
        before=before,
        after=after,
        public=public,
        note=note[:255],
        **_request_fields(),
    )


def audit_bulk_update(*, actor: Any, queryset: models.QuerySet, note: str = "", **changes: Any) -> int:
    """A bulk UPDATE that leaves one audit event per changed row (L1: bulk updates audited too).

    Before-images are read under a row lock in the same transaction; the audit rows are
    written with one bulk INSERT.
    """
    from django.db import transaction
    from django.db.models import F

    model = queryset.model
    with transaction.atomic():
        rows = list(queryset.select_for_update())
        if not rows:
            return 0
        befores = {row.pk: snapshot(row) for row in rows}
        pks = list(befores)
        extra = {"version": F("version") + 1} if any(f.name == "version" for f in model._meta.fields) else {}
        count = model._default_manager.filter(pk__in=pks).update(**changes, **extra)
        events = []
        actor_fields = _actor_fields(actor)
        request_fields = _request_fields()
        for row in model._default_manager.filter(pk__in=pks):
            events.append(
                AuditEvent(
                    **actor_fields,
                    action=AuditAction.UPDATE,
                    object_type=model._meta.label_lower,
                    object_id=str(row.pk),
                    object_repr=str(row)[:255],
                    organisation_id=organisation_id_of(row),
                    before=befores[row.pk],
                    after=snapshot(row),
                    note=note[:255],
                    **request_fields,
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=1000)
        return count


# --- security events --------------------------------------------------------------------------


def audit_security_event(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    note: str = "",
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a sign-in, failed sign-in, sign-out, token use, permission refusal or lockout.

    Never public (customers do not see them); staff find them in the audit API by `action`. The
    object is the actor's user record unless `obj` says otherwise (the token for a token use), so
    the user's history shows them; `details` lands in `after` (never put a password in it).
    """
    if action not in SECURITY_ACTIONS:
        raise ValueError(f"{action!r} is not a security audit action.")
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is None and signed_in:
        obj = actor
    actor_fields = _actor_fields(actor)
    if not signed_in and request is not None:
        actor_fields["actor_label"] = "anonymous"
    return AuditEvent.objects.create(
        **actor_fields,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        organisation_id=organisation_id_of(obj) if obj is not None else None,
        after=details or None,
        public=False,
        note=note[:255],
        **_request_fields(request),
    )


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def audit_refused_write(request: HttpRequest, response: HttpResponse) -> None:
    """A 403 answer to a signed-in user's write, from anywhere (API error handlers, UI views, CSRF):
    recorded once, by RequestLogMiddleware, after the view's own transaction has ended (rolled back
    or not). Anonymous refusals (a CSRF failure without a session) are only in the request log:
    anyone could otherwise grow the append-only table by sending them."""
    if response.status_code != 403 or request.method not in WRITE_METHODS:
        return
    if not getattr(getattr(request, "user", None), "is_authenticated", False):
        return
    note = ""
    if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
        try:
            note = str(json.loads(response.content).get("detail", ""))
        except (ValueError, AttributeError):
            note = ""
    try:
        audit_security_event(
            action=AuditAction.PERMISSION_DENIED,
            actor=getattr(request, "user", None),
            request=request,
            note=note,
            details={"method": request.method, "path": request.path[:1000]},
        )
    except Exception:  # the refusal stands; a failed audit write must not turn it into a 500
        logger.exception("could not record a permission refusal in the audit log")


def _on_logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    audit_security_event(action=AuditAction.SIGN_IN, actor=user, request=request)


def _on_logged_out(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    if user is not None:  # logging out without a session is not an event
        audit_security_event(action=AuditAction.SIGN_OUT, actor=user, request=request)


def _on_login_failed(
    sender: Any, credentials: dict | None = None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The identifier tried (never the password: Django has already masked it, and only the
    identifier is read here); the account's history shows it when that account exists. A try
    while the account or address is locked out (django-axes marks the request) is not recorded:
    the lockout itself is, once, so an attacker cannot fill the append-only table by retrying."""
    if request is not None and getattr(request, "axes_locked_out", False):
        return
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    credentials = credentials or {}
    tried = str(credentials.get("username") or credentials.get(user_model.USERNAME_FIELD) or "")[:254]
    account = (
        user_model._base_manager.filter(**{f"{user_model.USERNAME_FIELD}__iexact": tried}).first()
        if tried
        else None
    )
    audit_security_event(
        action=AuditAction.SIGN_IN_FAILED,
        request=request,
        obj=account,
        note=f"sign-in failed for {tried!r}"[:255],
        details={"email": tried},
    )


def connect_signals() -> None:
    """Called from CoreConfig.ready: Django's own sign-in signals feed the audit log."""
    from django.contrib.auth import signals

    signals.user_logged_in.connect(_on_logged_in, dispatch_uid="opsdesk.audit.sign_in")
    signals.user_logged_out.connect(_on_logged_out, dispatch_uid="opsdesk.audit.sign_out")
    signals.user_login_failed.connect(_on_login_failed, dispatch_uid="opsdesk.audit.sign_in_failed")
