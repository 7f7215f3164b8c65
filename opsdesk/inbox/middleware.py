"""The intake's own route (issue 12, "Speed"): a POST from a sender (Amazon SNS, an EventBridge API
destination, a webhook) goes straight to its view in inbox/intake.py from the first middleware,
past the rest of the stack.

Why: the other twenty middleware (sessions, CSRF, authentication, messages, axes, CSP, metrics…)
cost more CPU than storing the delivery, and none of them applies to a sender — no session, no
cookie, no user, no page. What does apply is done here, with the functions those middleware use:
the request id and the one log line (core.middleware), the per-address rate limit
(core.security.rate_refusal), the security headers, and a JSON answer in the one shape for any
failure (a 503: the sender retries).

Only the plain case takes this route: POST, no query string, a path of the three intake shapes, no
HTTPS redirect due. Anything else — a GET probe, a query with a NUL in it, a path of another shape —
goes down the stack as before (the edge's checks live there, once). Being a middleware, not a WSGI
wrapper, it serves the tests' client exactly as it serves gunicorn."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from opsdesk.core.audit import bind_request, source_address, unbind_request
from opsdesk.core.edge import error_response
from opsdesk.core.middleware import log_request, request_id_of
from opsdesk.core.security import rate_refusal
from opsdesk.inbox import intake

logger = logging.getLogger("opsdesk.inbox")

#: The three shapes of an intake address; a token is what inbox.services issues (URL-safe base64).
_ROUTES: tuple[tuple[re.Pattern[str], Callable[..., HttpResponse]], ...] = (
    (re.compile(r"/intake/sns/([A-Za-z0-9_-]{1,200})/"), intake.sns),
    (re.compile(r"/intake/webhook/([A-Za-z0-9_-]{1,200})/"), intake.webhook),
    (re.compile(r"/intake/eventbridge/"), intake.eventbridge),
)


def _security_headers() -> list[tuple[str, str]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware put on every answer, and a content
    policy for a JSON answer (nothing to load, nothing to frame)."""
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ]
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return headers


def intake_route(request: HttpRequest) -> tuple[Callable[..., HttpResponse], tuple[str, ...]] | None:
    """(view, its arguments) when the request is a plain intake POST this route answers."""
    path = request.path_info
    if (
        not path.startswith("/intake/")
        or request.method != "POST"
        or request.META.get("QUERY_STRING")
        or (settings.SECURE_SSL_REDIRECT and not request.is_secure())
    ):
        return None
    for pattern, view in _ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return view, match.groups()
    return None


class IntakeRouteMiddleware:
    """First in settings.MIDDLEWARE: answers intake POSTs, passes everything else on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.headers = _security_headers()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = intake_route(request)
        if route is None:
            return self.get_response(request)
        started = time.perf_counter()
        request_id = request.request_id = request_id_of(request)
        address = source_address(request)
        bound = bind_request(request_id, address)
        try:
            response = self._answer(request, route, address)
        finally:
            unbind_request(bound)
        response["X-Request-ID"] = request_id
        response["Content-Length"] = str(len(response.content))  # keep-alive, not chunked
        for name, value in self.headers:
            response.headers.setdefault(name, value)
        if settings.SECURE_HSTS_SECONDS and request.is_secure():
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains"
            )
        log_request(request_id, "POST", request.path, response.status_code, started)
        return response

    @staticmethod
    def _answer(
        request: HttpRequest, route: tuple[Callable[..., HttpResponse], tuple[str, ...]], address: str
    ) -> HttpResponse:
        limit = settings.INTAKE_RATE_PER_MINUTE
        refused = rate_refusal("intake", "addr:" + address, limit) if limit > 0 else None
        if refused is not None:
            return refused
        view, arguments = route
        try:
            return view(request, *arguments)
        except Exception:  # the sender retries a 5xx; the traceback stays in the log
            logger.exception("intake failed", extra={"request_id": request.request_id, "path": request.path})
            return error_response(
                503,
                f"The delivery could not be stored; retry. Request id {request.request_id}.",
                request_id=request.request_id,
            )
