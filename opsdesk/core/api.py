"""API plumbing shared by every router: auth, the error shape, lists (pagination, filtering,
ordering, CSV) and ETag/If-Match (L3)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE
from ninja.security import HttpBearer, SessionAuth
from pydantic import create_model

from opsdesk.core import counting
from opsdesk.core.errors import ApplicationError, PreconditionFailed, PreconditionRequired, ValidationFailed
from opsdesk.core.limits import OFFSET_MAX
from opsdesk.core.permissions import require_permission


class BearerToken(HttpBearer):
    """The token itself is checked by TokenAuthenticationMiddleware; this declares it in OpenAPI."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if getattr(request, "token_authenticated", False):
            return request.user
        return None


class Session(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated and request.user.is_active:
            return request.user
        return None


API_AUTH = [BearerToken(), Session()]


def error_body(detail: str, errors: Iterable[dict] = ()) -> dict:
    return {"detail": detail, "errors": list(errors)}


class ErrorOut(Schema):
    detail: str
    errors: list[dict[str, str]]
    request_id: str | None = Field(None, description="On a 500: the id to quote when reporting it.")


#: Answers any operation may give at the edge (core.edge), whatever its own declaration says.
_EDGE_ANSWERS = {
    "400": "Bad request: the body is not valid JSON, or is nested too deeply.",
    "401": "No valid credentials.",
    "403": "Not allowed.",
    "413": "The body is larger than the limit.",
    "415": "The body is not application/json.",
    "422": "Invalid input; each error names its field.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
    "500": "Unexpected error; the answer carries the request id.",
}
_BODY_ONLY = {"413", "415"}


class OpsdeskAPI(NinjaAPI):
    """The API root, whose OpenAPI document declares on every operation the errors the edge may
    answer (in the one shape), so a client and schemathesis know every status it can see."""

    def get_openapi_operation_id(self, operation) -> str:
        """The handler's name (`incident_create`), not its Python module path: moving code between
        modules must not change the API contract. Handler names are unique across the API (the
        OpenAPI snapshot test checks)."""
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                has_body = "requestBody" in operation or method in ("post", "put", "patch")
                answers = dict(_EDGE_ANSWERS)
                if any(p.get("in") == "path" for p in operation.get("parameters", ())):
                    answers["404"] = "Not found (or another tenant's)."
                else:
                    # Provider-only collections (the inbox, email triage, security events…) do not
                    # tell a customer they exist.
                    answers["404"] = "Not found: a provider-only collection, asked by a customer."
                for status, description in answers.items():
                    declared = status in responses or int(status) in responses
                    if not declared and (has_body or status not in _BODY_ONLY):
                        responses[int(status)] = {"description": description, "content": error}
                # The web server itself refuses a request line over 4 KiB (gunicorn), before opsdesk.
                responses.setdefault(414, {"description": "URI too long: answered by the web server."})
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template=REF_TEMPLATE))
        return schema


#: What an endpoint on one object may answer besides success, all in the one error shape: a bad
#: request, no credentials, not allowed, not found (or another tenant's), a conflict, a stale or
#: missing If-Match, invalid input. Declared once so that every router documents the same answers.
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    412: ErrorOut,
    422: ErrorOut,
    428: ErrorOut,
}


def _field_of(loc: Sequence[Any]) -> str:
    parts = [
        str(p) for p in loc if p not in ("body", "query", "path", "payload", "header", "filters", "cookie")
    ]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def _application_error(request, exc: ApplicationError):
        return api.create_response(request, exc.as_dict(), status=exc.status_code)

    @api.exception_handler(NinjaValidationError)
    def _validation_error(request, exc: NinjaValidationError):
        errors = []
        for e in exc.errors:
            message = e.get("msg", "Invalid value.")
            if e.get("type") == "missing":
                message = "This field is required."
            errors.append({"field": _field_of(e.get("loc", ())), "message": message})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid input."
        return api.create_response(request, error_body(detail, errors), status=422)

    @api.exception_handler(AuthenticationError)
    def _auth_error(request, exc):
        return api.create_response(request, error_body("Authentication required."), status=401)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, error_body("Not found."), status=404)

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        return api.create_response(request, error_body(str(exc.message)), status=exc.status_code)


# --- lists -----------------------------------------------------------------------------------

_page_schemas: dict[type, type] = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """`{count, count_exact, limit, offset, results: [item]}`, one named schema per item type."""
    if item not in _page_schemas:
        name = item.__name__.removesuffix("Out") + "Page"
        _page_schemas[item] = create_model(
            name,
            __base__=Schema,
            count=(int, ...),
            count_exact=(bool, ...),
            limit=(int, ...),
            offset=(int, ...),
            results=(list[item], ...),
        )
    return _page_schemas[item]


class StateEventOut(Schema):
    """One step of a workflow's timeline (an order's, a change's, a maintenance's): who moved it from
    which state to which, when, and why. Each domain names its own subclass in the OpenAPI document."""

    from_state: str
    to_state: str
    actor: str | None
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return (obj.actor.full_name or obj.actor.email) if obj.actor_id else None


class ListParams(Schema):
    limit: int = Field(settings.API_PAGE_SIZE_DEFAULT, ge=1, le=settings.API_PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="At most 1,000,000: narrow with filters instead.")
    ordering: str | None = None
    format: str | None = None


def apply_ordering(
    qs: models.QuerySet, ordering: str | None, allowed: Sequence[str] | Mapping[str, Sequence[str]]
) -> models.QuerySet:
    """?ordering=a,-b. `allowed` names the keys, or maps each to the fields it stands for: the
    order an index gives (next target, then logged-at), so that a page is read off that index.
    Descending reverses the whole chain and the id that breaks ties, so the index is read
    backwards rather than the table sorted. An empty value sorts as later than any other on both
    databases (last ascending, first descending), as "never" would."""
    if not ordering:
        return qs
    chains = allowed if isinstance(allowed, Mapping) else {key: (key,) for key in allowed}
    terms = []
    descending = False
    for raw in ordering.split(","):
        key = raw.strip()
        name = key.removeprefix("-")
        if name not in chains:
            allowed_keys = ", ".join(chains)
            raise ValidationFailed.field("ordering", f"Cannot order by '{key}'. Allowed: {allowed_keys}.")
        descending = key.startswith("-")
        terms.extend(
            models.F(field).desc(nulls_first=True) if descending else models.F(field).asc(nulls_last=True)
            for field in chains[name]
        )
    terms.append(models.F("pk").desc() if descending else models.F("pk").asc())
    return qs.order_by(*terms)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(_csv_value(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}={_csv_value(v)}" for k, v in value.items())
    text = str(value)
    # Cells starting with a formula character are neutralised (CSV injection).
    if text[:1] in ("=", "+", "-", "@") and not text.lstrip("-").replace(".", "", 1).isdigit():
        text = "'" + text
    return text


def csv_response(
    qs: models.QuerySet, schema: type[Schema], filename: str, request: HttpRequest | None = None
) -> StreamingHttpResponse:
    """Every row as the JSON answer would give it: resolvers see the request (e.g. staff-only
    columns), as they do for a page."""
    fields = list(schema.model_fields)

    def rows():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(fields)
        yield buf.getvalue()
        for obj in qs.iterator(chunk_size=2000) if not qs._prefetch_related_lookups else qs:
            buf.seek(0)
            buf.truncate()
            data = schema.from_orm(obj, context={"request": request}).model_dump()
            writer.writerow([_csv_value(data[f]) for f in fields])
            yield buf.getvalue()

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


#: Lists count exactly up to this many rows; past it, `count` is this number and `count_exact` is
#: false (counting a million rows on every page would cost more than the page itself).
COUNT_CAP = 1_000


def capped_count(qs: models.QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    return counting.capped_count(qs, cap)


def list_response(
    request: HttpRequest,
    qs: models.QuerySet,
    params: ListParams,
    schema: type[Schema],
    *,
    ordering: Sequence[str] | Mapping[str, Sequence[str]],
    name: str,
) -> Any:
    """Paginate, order, or stream as CSV — the one way every list endpoint answers."""
    qs = apply_ordering(qs, params.ordering, ordering)
    if not qs.ordered:
        qs = qs.order_by("pk")
    if params.format not in (None, "", "json", "csv"):
        raise ValidationFailed.field("format", "Must be 'json' or 'csv'.")
    if params.format == "csv":
        return csv_response(qs, schema, name, request)
    count, exact = capped_count(qs)
    return {
        "count": count,
        "count_exact": exact,
        "limit": params.limit,
        "offset": params.offset,
        "results": list(qs[params.offset : params.offset + params.limit]),
    }


# --- ETag / If-Match ---------------------------------------------------------------------------


def with_etag(response: HttpResponse, obj: Any) -> Any:
    """One object in a response, with its ETag for a later If-Match (L3)."""
    response["ETag"] = obj.etag
    return obj


def created_with_etag(response: HttpResponse, obj: Any) -> Any:
    """A 201 for a create, with the new object's ETag."""
    return Status(201, with_etag(response, obj))


#: The version an If-Match names when none of its tags is an ETag of the object: no row has it,
#: so the service's compare under lock refuses it (412).
NO_VERSION = -1


def if_match_version(request: HttpRequest, obj: Any) -> int | None:
    """The version of `obj` the client's If-Match names, not compared with anything yet: None
    without the header (or with `*`, any version), NO_VERSION when no tag is an ETag of `obj`.

    Actions on an object (POST …/acknowledge, …/close) pass it to their service as
    `expected_version`; the service checks permission first, then compares it with the row it
    locks (core.services.lock_for_update), so concurrent actions sent with one ETag give one
    success and 412 for the rest, and a user who may not act gets 403 whatever the header says."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if "*" in tags:
        return None
    if obj.etag in tags:  # of several, the one naming the version read just now
        return obj.version
    prefix = f'"{obj.pk}-'
    for tag in tags:
        number = tag[len(prefix) : -1] if tag.startswith(prefix) and tag.endswith('"') else ""
        if number.isdigit() and f"{prefix}{int(number)}\"" == tag:
            return int(number)
    return NO_VERSION


def expected_version(request: HttpRequest, obj: Any, *, permission: str | None = None) -> int:
    """The version the client last saw, from If-Match, for an update (PATCH, DELETE, assignment):
    428 without it, 412 at once when stale against `obj` (the service compares again under lock).
    With `permission`, someone without it gets the service's 403 first, not a precondition error."""
    if permission is not None:
        require_permission(request.auth, permission)
    if not request.headers.get("If-Match"):
        raise PreconditionRequired()
    version = if_match_version(request, obj)
    if version is None:
        return obj.version
    if version != obj.version:
        raise PreconditionFailed()
    return version


def _if_match_parameter(required: bool) -> dict:
    return {
        "parameters": [
            {
                "in": "header",
                "name": "If-Match",
                "required": required,
                "schema": {"type": "string"},
                "description": (
                    "The ETag from the last read of the object"
                    + ("" if required else " (optional)")
                    + ": the request is refused with 412 if the object changed since"
                    + (", 428 without it." if required else "; without it, it acts on the object as it is.")
                ),
            }
        ]
    }


#: `openapi_extra` of an action that honours an optional If-Match (412 when stale; ERRORS lists it).
IF_MATCH_OPTIONAL = _if_match_parameter(False)
#: `openapi_extra` of an action that needs If-Match (428 without, 412 when stale).
IF_MATCH_REQUIRED = _if_match_parameter(True)


def updated_with_etag(
    request: HttpRequest,
    response: HttpResponse,
    update: Callable[..., Any],
    payload: Schema,
    /,
    *,
    reread: Callable[..., Any] | None = None,
    **target: Any,
) -> Any:
    """A PATCH (L3), the same on every router: `update` gets the one object (`target`), the fields
    the client sent and the version its If-Match names (428 without one, 412 when stale); the answer
    carries the new ETag. `reread` is the object's selector, where the answer must be read the way a
    GET reads it (related rows, annotations) rather than be the saved row."""
    (obj,) = target.values()
    version = expected_version(request, obj)
    changes = payload.dict(exclude_unset=True)
    updated = update(actor=request.auth, **target, expected_version=version, **changes)
    return with_etag(response, reread(user=request.auth, pk=updated.pk) if reread else updated)


def deleted(request: HttpRequest, delete: Callable[..., Any], /, **target: Any) -> Status:
    """A DELETE (L3): `delete` gets the one object (`target`) and the version from If-Match; a 204."""
    (obj,) = target.values()
    delete(actor=request.auth, **target, expected_version=expected_version(request, obj))
    return Status(204, None)


def page_response_schema(item: type[Schema]) -> dict:
    return {200: page_of(item), 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


# Plain marker so the OpenAPI document says a CSV may be returned.
CSV_NOTE = "Add `?format=csv` for the whole (filtered, ordered) list as CSV."
