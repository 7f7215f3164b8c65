"""The API half of the CRUD kit (L3): one declaration of an entity gives its list (pagination,
filters, ordering, CSV), detail with ETag, create (Idempotency-Key is honoured by the middleware for
every POST), PATCH and DELETE with If-Match. Tenancy comes from the entity's selectors, which take
the acting user; permission checks, validation and the audit record from its services. The kit
only wires them, the same way on every router (in the spirit of NetBox's generic views).

    routes(router, declare(
        "account", "/accounts", selectors=selectors, services=services, schemas=schemas,
        id="account_pk", ordering=("account_id", "name"),
    ), module=__name__)

`declare` finds the parts by the names every domain uses (selectors `account_list`/`account_get`,
services `account_create`/`account_update`/`account_delete`, schemas `AccountOut`/`AccountIn`/
`AccountPatch`/`AccountFilter`); a `Crud` can also be written out part by part.

Each operation is a function named `<name>_list`, `<name>_create`, `<name>_get`, `<name>_update`,
`<name>_delete` of the calling module, so operation ids and summaries read as if written out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from opsdesk.core.api import (
    CSV_NOTE,
    ERRORS,
    IF_MATCH_OPTIONAL,
    IF_MATCH_REQUIRED,
    ListParams,
    created_with_etag,
    deleted,
    if_match_version,
    list_response,
    page_response_schema,
    updated_with_etag,
    with_etag,
)
from opsdesk.core.errors import ValidationFailed

OPERATIONS = ("list", "create", "get", "update", "delete")
#: An entity that is never deleted through the API (organisations, users, status records).
NO_DELETE = OPERATIONS[:4]


@dataclass(frozen=True)
class Crud:
    """What the API needs to know about one kind of object. Leave out what it does not offer
    (no `delete`: no DELETE operation); `only` narrows further to the operations a router wants
    from the kit while it writes the others itself."""

    name: str  # "organisation": operation names and the default target keyword
    path: str  # "/organisations"
    out: type[Schema]
    get: Callable[..., Any]  # restricted selector: get(user=, pk=) — another tenant's is NotFound
    id: str = ""  # the path parameter, "organisation_id" unless said otherwise
    list: Callable[..., Any] | None = None  # list(user=, **filters) -> QuerySet
    filters: type[Schema] | None = None
    check_filters: Callable[[Any], None] | None = None  # refuse a filter value before the query
    wrap_list: Callable[[Any], Any] | None = None  # e.g. prefetch what the rows show
    ordering: Sequence[str] | Mapping[str, Sequence[str]] = ()
    csv: str = ""  # the CSV file's name
    create: Callable[..., Any] | None = None  # service(actor=, **payload)
    create_in: type[Schema] | None = None
    create_out: type[Schema] | None = None  # what a create answers, when it says more than `out`
    update: Callable[..., Any] | None = None  # service(actor=, <target>=, expected_version=, **changes)
    patch: type[Schema] | None = None
    reread: bool = False  # answer a PATCH as a GET reads it (related rows, annotations)
    delete: Callable[..., Any] | None = None  # service(actor=, <target>=, expected_version=)
    target: str = ""  # the services' keyword for the object, `name` unless said otherwise
    errors: Mapping[int, Any] = field(default_factory=lambda: ERRORS)
    docs: Mapping[str, str] = field(default_factory=dict)  # an operation's description
    only: Sequence[str] = OPERATIONS

    @property
    def id_param(self) -> str:
        return self.id or f"{self.name}_id"

    @property
    def target_kw(self) -> str:
        return self.target or self.name

    def offers(self, operation: str) -> bool:
        wanted = operation in self.only
        needs = {"list": self.list, "create": self.create, "update": self.update, "delete": self.delete}
        return wanted and (operation == "get" or needs[operation] is not None)


def one_of(field: str, allowed: Sequence[str]) -> Callable[[Any], None]:
    """A `check_filters` that refuses a value of the filter `field` outside `allowed` (a 400 naming
    the field), instead of answering an empty list for a value that can never match."""

    def check(filters: Any) -> None:
        value = getattr(filters, field)
        if value and value not in allowed:
            raise ValidationFailed.field(field, f"Must be one of: {', '.join(allowed)}.")

    return check


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def late(module: Any, name: str) -> Callable[..., Any]:
    """module.name, looked up at each call as a written-out handler would (so a test may replace it)."""
    getattr(module, name)  # a missing selector or service fails at import, not at the first request

    def call(**kwargs: Any) -> Any:
        return getattr(module, name)(**kwargs)

    call.__name__ = name
    return call


def declare(
    name: str,
    path: str,
    operations: Sequence[str] = OPERATIONS,
    /,
    *,
    selectors: Any,
    services: Any,
    schemas: Any,
    **overrides: Any,
) -> Crud:
    """A Crud whose parts are found by the naming convention, for the `operations` given; what
    `overrides` names wins. The CSV file is named after the path ("/status/incidents" →
    "status-incidents")."""
    entity = _camel(name)
    found: dict[str, Any] = {
        "out": getattr(schemas, f"{entity}Out"),
        "get": late(selectors, f"{name}_get"),
        "csv": path.strip("/").replace("/", "-"),
        "only": tuple(operations),
    }
    if "list" in operations:
        found["list"] = late(selectors, f"{name}_list")
        found["filters"] = getattr(schemas, f"{entity}Filter", None)
    if "create" in operations:
        found["create"] = late(services, f"{name}_create")
        found["create_in"] = getattr(schemas, f"{entity}In")
    if "update" in operations:
        found["update"] = late(services, f"{name}_update")
        found["patch"] = getattr(schemas, f"{entity}Patch")
    if "delete" in operations:
        found["delete"] = late(services, f"{name}_delete")
    return Crud(name=name, path=path, **{**found, **overrides})


def _param(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)


def _operation(
    module: str, name: str, params: list[inspect.Parameter], body: Callable[..., Any]
) -> Callable[..., Any]:
    """A handler that ninja reads like a written-out one: its name, module (the operation id) and
    signature (the parameters, body and temporal response) are the declared ones."""

    def handler(request: HttpRequest, **kwargs: Any) -> Any:
        return body(request, **kwargs)

    handler.__name__ = handler.__qualname__ = name
    handler.__module__ = module
    handler.__signature__ = inspect.Signature([_param("request", HttpRequest), *params])  # type: ignore[attr-defined]
    return handler


def routes(router: Router, *cruds: Crud, module: str) -> None:
    """Add each entity's operations to `router`, in the order list, create, get, update, delete."""
    for crud in cruds:
        _routes(router, crud, module)


def _routes(router: Router, crud: Crud, module: str) -> None:
    response = _param("response", HttpResponse)
    pk = _param(crud.id_param, int)
    errors = dict(crud.errors)

    def get_object(request: HttpRequest, kwargs: dict[str, Any]) -> Any:
        return crud.get(user=request.auth, pk=kwargs[crud.id_param])

    if crud.offers("list"):

        def list_body(request: HttpRequest, *, params: ListParams, filters: Any = None) -> Any:
            if crud.check_filters and filters is not None:
                crud.check_filters(filters)
            qs = crud.list(user=request.auth, **(filters.dict() if filters is not None else {}))
            if crud.wrap_list:
                qs = crud.wrap_list(qs)
            return list_response(request, qs, params, crud.out, ordering=crud.ordering, name=crud.csv)

        list_params = [_param("filters", Query[crud.filters])] if crud.filters else []
        list_params.append(_param("params", Query[ListParams]))
        router.get(
            crud.path,
            response=page_response_schema(crud.out),
            description=crud.docs.get("list", CSV_NOTE),
        )(_operation(module, f"{crud.name}_list", list_params, list_body))

    if crud.offers("create"):

        def create_body(request: HttpRequest, *, response: HttpResponse, payload: Schema) -> Any:
            return created_with_etag(response, crud.create(actor=request.auth, **payload.dict()))

        created = crud.create_out or crud.out
        router.post(crud.path, response={201: created, **errors}, description=crud.docs.get("create"))(
            _operation(
                module, f"{crud.name}_create", [response, _param("payload", crud.create_in)], create_body
            )
        )

    detail = f"{crud.path}/{{{crud.id_param}}}"

    if crud.offers("get"):

        def get_body(request: HttpRequest, *, response: HttpResponse, **kwargs: Any) -> Any:
            return with_etag(response, get_object(request, kwargs))

        router.get(detail, response={200: crud.out, **errors}, description=crud.docs.get("get"))(
            _operation(module, f"{crud.name}_get", [response, pk], get_body)
        )

    if crud.offers("update"):

        def update_body(
            request: HttpRequest, *, response: HttpResponse, payload: Schema, **kwargs: Any
        ) -> Any:
            target = {crud.target_kw: get_object(request, kwargs)}
            reread = crud.get if crud.reread else None
            return updated_with_etag(request, response, crud.update, payload, reread=reread, **target)

        router.patch(detail, response={200: crud.out, **errors}, description=crud.docs.get("update"))(
            _operation(
                module, f"{crud.name}_update", [response, pk, _param("payload", crud.patch)], update_body
            )
        )

    if crud.offers("delete"):

        def delete_body(request: HttpRequest, **kwargs: Any) -> Any:
            return deleted(request, crud.delete, **{crud.target_kw: get_object(request, kwargs)})

        router.delete(detail, response={204: None, **errors}, description=crud.docs.get("delete"))(
            _operation(module, f"{crud.name}_delete", [pk], delete_body)
        )


def command(
    router: Router,
    path: str,
    *,
    name: str,
    module: str,
    id: str,
    get: Callable[..., Any],
    service: Callable[..., Any],
    target: str,
    out: type[Schema],
    payload: type[Schema] | None = None,
    fields: Sequence[str] = (),
    version: Callable[[HttpRequest, Any], int | None] = if_match_version,
    required: bool = False,
    answer: Callable[[HttpRequest, HttpResponse, Any], Any] | None = None,
    description: str | None = None,
) -> None:
    """A step on one object, `POST {path}` (acknowledge, submit, close…): the object as the caller
    may see it (another tenant's is a 404), then its service with the payload's `fields` and the
    version If-Match names (optional unless `required`; the service compares it under lock), then
    the object as a GET reads it, with its ETag (or what `answer` makes of the service's result).
    The handler is named `name` in `module`, so its operation id reads as if written out."""

    def body(request: HttpRequest, *, response: HttpResponse, payload: Any = None, **kwargs: Any) -> Any:
        obj = get(user=request.auth, pk=kwargs[id])
        values = {field: getattr(payload, field) for field in fields}
        done = service(actor=request.auth, **{target: obj}, expected_version=version(request, obj), **values)
        if answer is not None:
            return answer(request, response, done)
        return with_etag(response, get(user=request.auth, pk=obj.pk))

    params = [_param("response", HttpResponse), _param(id, int)]
    if payload is not None:
        params.append(_param("payload", payload))
    extra = IF_MATCH_REQUIRED if required else IF_MATCH_OPTIONAL
    router.post(path, response={200: out, **ERRORS}, openapi_extra=extra, description=description)(
        _operation(module, name, params, body)
    )


def steps(
    router: Router,
    prefix: str,
    target: str,
    out: type[Schema],
    *,
    module: str,
    selectors: Any,
    services: Any,
    answer: Callable[[HttpRequest, HttpResponse, Any], Any] | None = None,
) -> Callable[..., None]:
    """The steps of one kind of object, declared one line each:

        step = steps(router, "/rcas/{rca_id}", "rca", RcaOut, module=__name__, selectors=selectors,
                     services=services)
        step("submit", "rca_submit")                      # POST /rcas/{rca_id}/submit
        step("close", "escalation_close", CloseIn, "reason")

    Each is a `command` on `selectors.<target>_get`, whose service is `services.<service>` (both
    looked up at each call), and whose handler is named after the service unless `name` says
    otherwise."""
    get, id = late(selectors, f"{target}_get"), prefix.rsplit("{", 1)[1].rstrip("}")

    def step(path: str, service: str, payload: type[Schema] | None = None, *fields: str, **more: Any) -> None:
        command(
            router,
            f"{prefix}/{path}",
            **{"name": service, **more},
            module=module,
            id=id,
            get=get,
            service=late(services, service),
            target=target,
            out=out,
            payload=payload,
            fields=fields,
            answer=answer,
        )

    return step
