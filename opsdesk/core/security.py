"""Security plumbing of issue 7: no caching of signed-in answers, API rate limits per caller, the
gate in front of /metrics, the docs page's own content security policy, and quiet 403 logs.

New middleware lives here rather than in core/middleware.py; settings.MIDDLEWARE lists the order.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from opsdesk.core.edge import error_response
from opsdesk.core.roles import STAFF_ROLES


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in request (session or token): a shared
    or browser cache must not keep one customer's page or API answer for the next person. Anonymous
    answers (the public status page, the login page) and static files keep their own headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(settings.STATIC_URL)
        ):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response


class ApiRateLimitMiddleware:
    """At most settings.API_RATE_PER_MINUTE API requests a minute per token, per signed-in user
    (session use of the API) or per address (anonymous), beyond which 429 with Retry-After.

    A fixed window of one minute counted in Django's cache with an atomic increment, so every
    process sharing the cache agrees: Redis when REDIS_URL is set; otherwise the local-memory
    cache, which is shared by the threads of the one web process `opsdesk serve` runs (several
    web processes need REDIS_URL for a common count)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        intake = request.path.startswith("/intake/")  # public endpoints of senders (issue 12)
        limit = settings.INTAKE_RATE_PER_MINUTE if intake else settings.API_RATE_PER_MINUTE
        if limit <= 0 or not (intake or request.path.startswith("/api/")):
            return self.get_response(request)
        refused = rate_refusal("intake" if intake else "API", self._caller(request), limit)
        if refused is not None:
            return refused
        return self.get_response(request)

    @staticmethod
    def _caller(request: HttpRequest) -> str:
        """The token (by its hash, never the secret), else the signed-in user, else the address."""
        if getattr(request, "token_authenticated", False):
            secret = request.headers.get("Authorization", "")[7:].strip()
            return "token:" + hashlib.sha256(secret.encode()).hexdigest()
        if request.user.is_authenticated:
            return f"user:{request.user.pk}"
        from opsdesk.core.audit import source_address  # not at import: logging config loads this module

        return "addr:" + source_address(request)


def rate_refusal(scope: str, caller: str, limit: int) -> HttpResponse | None:
    """429 with Retry-After once `caller` has made more than `limit` `scope` requests this minute
    (a fixed window counted in the cache with an atomic increment); None while within it. Also
    called by the intake's own route (inbox/middleware.py)."""
    now = time.time()
    window = int(now // 60)
    key = f"opsdesk:rate:{'intake:' if scope == 'intake' else ''}{caller}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    if count <= limit:
        return None
    retry_after = max(1, math.ceil((window + 1) * 60 - now))
    response = error_response(
        429,
        f"Too many requests: at most {limit} {scope} requests a minute. Retry after {retry_after} seconds.",
    )
    response["Retry-After"] = str(retry_after)
    return response


class MetricsTokenMiddleware:
    """Lets Prometheus scrape /metrics with `Authorization: Bearer <OPSDESK_METRICS_TOKEN>`.

    Runs before TokenAuthenticationMiddleware, which would refuse that bearer as an unknown API
    token: a matching metrics token (compared in constant time) is taken off the request and the
    request marked; any other bearer goes on to be checked as an API token as usual."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.metrics_token_ok = False
        expected = settings.METRICS_TOKEN
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if expected and request.path == "/metrics" and header[:7].lower() == "bearer ":
            if hmac.compare_digest(header[7:].strip().encode(), expected.encode()):
                request.metrics_token_ok = True
                del request.META["HTTP_AUTHORIZATION"]
                request.__dict__.pop("headers", None)  # request.headers is cached from META
        return self.get_response(request)


def metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """Why /metrics is refused to this request (401 or 403 in the JSON shape), or None if allowed:
    the metrics token, or a signed-in member of the provider's staff."""
    if getattr(request, "metrics_token_ok", False):
        return None
    user = request.user
    if not user.is_authenticated:
        response = error_response(401, "Send the metrics token (OPSDESK_METRICS_TOKEN) or sign in as staff.")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if getattr(user, "role", None) not in STAFF_ROLES:
        return error_response(403, "Only the provider's staff may read the metrics.")
    return None


#: The Swagger UI of /api/v1/docs (django-ninja's bundled copy, served from /static/ninja/) injects
#: <style> elements, so that one page may use inline styles; its scripts stay 'self' only.
DOCS_POLICY_UPDATE = {"style-src": ["'unsafe-inline'"]}


class DocsPolicyMiddleware:
    """Relaxes the content security policy for the API docs page only (see DOCS_POLICY_UPDATE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path == "/api/v1/docs":
            response._csp_update = DOCS_POLICY_UPDATE
        return response


class QuietForbidden(logging.Filter):
    """An ordinary 403 (permission denied, CSRF failure) is logged as one line: drop the traceback
    Django attaches for PermissionDenied; it says nothing an operator needs and floods the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
