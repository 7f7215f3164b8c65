"""The edge: what no endpoint can accept is refused here, once, before any view runs, and every
error the API gives is the one JSON shape (issue 7).

Refused for every request: a NUL character in the path or in any query parameter (PostgreSQL
cannot store one, and no name or filter needs one). Refused for the API: a body over
`OPSDESK_API_MAX_BODY_BYTES` (413; an upload: `UPLOAD_MAX_BODY_BYTES`, from
`OPSDESK_ATTACHMENT_MAX_BYTES`), a body that is
neither `application/json` nor a multipart upload (415), JSON that does not parse or nests deeper
than `MAX_JSON_DEPTH` (400), and inside the JSON a string with a NUL or an unpaired surrogate, a
whole number outside the database's 64-bit range or a number that is not finite (422, naming the
field by its path, e.g. `lines.0.blocks`).

Every API answer of 400 or more that a view, Django or another middleware produced as HTML or
plain text (an unknown path, a wrong method, a CSRF refusal) is rewritten into
`{"detail": ..., "errors": [...]}` with its status kept; an unexpected exception is logged with the
request id and answers 500 in the same shape, carrying that id.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from opsdesk.core.limits import INT_MAX

logger = logging.getLogger("opsdesk.edge")

API_PREFIX = "/api/"
#: Deeper JSON than this is refused before it is walked (no request body needs more).
MAX_JSON_DEPTH = 32
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REASONS = {
    400: "Bad request.",
    401: "Authentication required.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    406: "Not acceptable.",
    409: "Conflict.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Too many requests.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


def error_response(
    status: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or [], **extra}, status=status)


def field_error(status: int, field: str, message: str) -> JsonResponse:
    return error_response(status, f"{field}: {message}", [{"field": field, "message": message}])


def text_problem(value: str) -> str | None:
    """Why a string from a client cannot be stored, or None."""
    if "\x00" in value:
        return "Null characters are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Unpaired surrogate characters are not allowed."
    return None


def _json_problems(value: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """(field path, problem) for every value the database or the schema cannot take."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield path or "__all__", problem
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -INT_MAX <= value <= INT_MAX:
            yield path or "__all__", f"Must be between {-INT_MAX} and {INT_MAX}."
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path or "__all__", "Must be a finite number."
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = text_problem(key)
            name = f"{path}.{key}" if path else key
            if key_problem:
                yield (path or "__all__"), f"A key {key_problem[0].lower()}{key_problem[1:]}"
                continue
            yield from _json_problems(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_problems(item, f"{path}.{index}" if path else str(index), depth + 1)


def _depth(value: Any) -> int:
    """Nesting depth, iteratively (a recursive walk of hostile input could exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON.")


def _query_problem(request: HttpRequest) -> tuple[int, str, str] | None:
    """(status, field, message) for a path or query no page or endpoint can take."""
    if "\x00" in request.path:
        return 400, "path", "Null characters are not allowed."
    for key, values in request.GET.lists():
        if text_problem(key):
            return 400, "query", "Null characters are not allowed in parameter names."
        for value in values:
            problem = text_problem(value) or _number_problem(value)
            if problem:
                return 422, key, problem
    return None


def _number_problem(value: str) -> str | None:
    """A whole number in a query that no id, count or year could be (the database holds 64 bits)."""
    digits = value.lstrip("+-")
    if len(digits) >= 19 and digits.isdigit() and abs(int(value)) > INT_MAX:
        return f"Must be between {-INT_MAX} and {INT_MAX}."
    return None


def _body_problem(request: HttpRequest) -> JsonResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error_response(400, "Content-Length is not a number.")
    content_type = request.content_type or ""
    upload = content_type == "multipart/form-data"
    limit = settings.UPLOAD_MAX_BODY_BYTES if upload else settings.API_MAX_BODY_BYTES
    if upload:  # paths that take large streamed files (cost reports) say their own limit
        limit = settings.UPLOAD_MAX_BODY_BYTES_BY_PATH.get(request.path, limit)
    if length > limit:
        return error_response(413, f"Request body too large: at most {limit} bytes are accepted.")
    if upload:  # even an empty one: the multipart parser refuses a missing boundary
        return _form_problem(request)
    if length <= 0:
        return None
    if content_type != "application/json" and not content_type.endswith("+json"):
        return error_response(
            415,
            f"Unsupported media type '{content_type or 'none'}': send the body as application/json.",
            [{"field": "Content-Type", "message": "Must be application/json."}],
        )
    problem = json_body_problem(request.body)
    return problem.response() if problem is not None else None


@dataclass(frozen=True)
class BodyProblem:
    """Why a JSON body is refused: its status (400: not JSON or nested too deeply; 422: a value the
    database cannot take), the detail, and the fields named (none when the body does not parse)."""

    status: int
    detail: str
    errors: list[dict[str, str]]

    @property
    def field(self) -> str:
        return self.errors[0]["field"] if self.errors else "body"

    @property
    def message(self) -> str:
        return self.errors[0]["message"] if self.errors else self.detail

    def response(self) -> JsonResponse:
        return error_response(self.status, self.detail, self.errors)


def json_body_problem(body: bytes) -> BodyProblem | None:
    """The one check of a JSON body, for the API (EdgeMiddleware) and the intake endpoints (which
    read their bodies themselves, up to their own limit, inbox/intake.py): it parses (no NaN or
    Infinity), nests at most MAX_JSON_DEPTH levels, and holds no string with a NUL or an unpaired
    surrogate, no whole number outside 64 bits and no number that is not finite."""
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return BodyProblem(400, f"Cannot parse request body: {reason}", [])
    if _depth(data) > MAX_JSON_DEPTH:
        return BodyProblem(400, f"Cannot parse request body: nested deeper than {MAX_JSON_DEPTH} levels.", [])
    problems = list(_json_problems(data))[:20]
    if problems:
        errors = [{"field": field, "message": message} for field, message in problems]
        return BodyProblem(422, "; ".join(f"{f}: {m}" for f, m in problems), errors)
    return None


def _form_problem(request: HttpRequest) -> JsonResponse | None:
    """A file upload (an .ics import): its text fields are held to the same rules as JSON strings."""
    try:
        fields = request.POST
    except MultiPartParserError as exc:
        return error_response(400, f"Cannot parse request body: {exc}")
    for key, values in fields.lists():
        for value in values:
            problem = text_problem(value)
            if problem:
                return field_error(422, key, problem)
    return None


def _as_error_shape(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An API error answer that is not already JSON, in the one shape (status and Allow kept)."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    detail = _REASONS.get(response.status_code, "Request failed.")
    if response.status_code == 405 and response.has_header("Allow"):
        detail = f"Method {request.method} not allowed. Allowed: {response['Allow']}."
    shaped = error_response(response.status_code, detail)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.has_header(header):
            shaped[header] = response[header]
    return shaped


#: The senders' endpoints (issue 12): machines, answered in the JSON shape like the API.
INTAKE_PREFIX = "/intake/"


class EdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith(API_PREFIX)
        query = _query_problem(request)
        if query is not None:
            status, field, message = query
            if not api and not request.path.startswith(INTAKE_PREFIX):  # a page: the words as text
                text = f"{field}: {message}"
                return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
            return field_error(status, field, message)
        refused = _body_problem(request) if api and request.method in _BODY_METHODS else None
        if refused is not None:
            return refused
        response = self.get_response(request)
        return _as_error_shape(request, response) if api else response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        return server_error(request, exception)


def server_error(request: HttpRequest, exception: BaseException) -> JsonResponse:
    """A 500 in the one shape; the traceback goes to the log under the request id, never to the client."""
    request_id = getattr(request, "request_id", "")
    logger.error(
        "unexpected error",
        exc_info=(type(exception), exception, exception.__traceback__),
        extra={"request_id": request_id, "method": request.method, "path": request.path},
    )
    return error_response(
        500,
        f"Internal server error. Quote request id {request_id} when reporting it.",
        request_id=request_id,
    )


def api_server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: an exception outside the API's views (in a middleware, say) still
    answers the API's shape with the request id; Django has logged it (see RequestIdFilter)."""
    if not request.path.startswith(API_PREFIX):
        from django.views.defaults import server_error as html_server_error

        return html_server_error(request)
    request_id = getattr(request, "request_id", "")
    return error_response(
        500, f"Internal server error. Quote request id {request_id} when reporting it.", request_id=request_id
    )


class RequestIdFilter(logging.Filter):
    """Puts the request id on Django's own request log records (an error logged by Django's
    handler carries the request, not the id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and not hasattr(record, "request_id"):
            record.request_id = getattr(request, "request_id", None)
        return True
