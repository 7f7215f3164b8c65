"""Request-level plumbing: bearer tokens, idempotency keys, structured request logs (L3, L6)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse

from opsdesk.core import audit, idempotency
from opsdesk.core.tokens import token_authenticate

#: The secret in an intake address (/intake/sns/<token>/, issue 12) stays out of the request log.
_INTAKE_TOKEN = re.compile(r"^(/intake/[^/]+/)[^/]+")
request_log = logging.getLogger("opsdesk.request")


class TokenAuthenticationMiddleware:
    """`Authorization: Bearer <token>` sets request.user before anything else looks at it, so that
    idempotency keys are scoped to the right user and CSRF does not apply to token clients."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.token_authenticated = False
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            user = token_authenticate(header[7:].strip())
            if user is None:
                request.user = AnonymousUser()
                return JsonResponse(
                    {
                        "detail": "Invalid, expired or revoked token.",
                        "errors": [
                            {"field": "Authorization", "message": "Invalid, expired or revoked token."}
                        ],
                    },
                    status=401,
                )
            request.user = user
            request.token_authenticated = True
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.headers.get("Idempotency-Key")
        if raw is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return self.get_response(request)
        key = idempotency.parse_key(raw)
        if key is None:
            return JsonResponse(
                {
                    "detail": "Idempotency-Key must be 1–255 printable characters.",
                    "errors": [
                        {"field": "Idempotency-Key", "message": "Must be 1–255 printable characters."}
                    ],
                },
                status=400,
            )
        row, early = idempotency.claim(request.user, key, idempotency.fingerprint(request))
        if early is not None:
            return early
        try:
            response = self.get_response(request)
        except BaseException:
            idempotency.release(row)
            raise
        idempotency.store(row, response)
        return response


class RequestLogMiddleware:
    """One structured log line per request, with a request id echoed in X-Request-ID. The id and
    the source address are bound for audit rows written while serving it, and a refused write
    (403) is recorded in the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.request_id = request_id
        started = time.perf_counter()
        bound = audit.bind_request(request_id, audit.source_address(request))
        try:
            response = self.get_response(request)
            audit.audit_refused_write(request, response)
        finally:
            audit.unbind_request(bound)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        log_request(
            request_id,
            request.method,
            request.path,
            response.status_code,
            started,
            user_id=getattr(user, "pk", None) if user is not None and user.is_authenticated else None,
        )
        return response


#: What a caller's X-Request-ID may hold: it is echoed in a header and written to the log.
_REQUEST_ID = re.compile(r"[!-~]+")


def request_id_of(request: HttpRequest) -> str:
    """The caller's X-Request-ID (cut to 64 characters) when it is printable ASCII, else a new one."""
    given = request.headers.get("X-Request-ID", "")[:64]
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def log_request(
    request_id: str, method: str, path: str, status: int, started: float, *, user_id: int | None = None
) -> None:
    """The one structured line a request leaves (also written by the intake's own route,
    inbox/middleware.py); an intake address's secret token is masked."""
    request_log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": method,
            "path": _INTAKE_TOKEN.sub(r"\1<token>", path),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user_id": user_id,
        },
    )
