"""Declarations of every API operation and UI URL for the generic tenancy walk (A4).

Each app lists its routes under its tests, in `opsdesk/<app>/tests/routes*.py` (pages in `routes.py`,
the API in `routes_api.py`), as `ROUTES = [Route(...), ...]`: they are test data, not application
code. The walk (core/tests/test_tenancy_walk.py) fails when an OpenAPI operation or a named URL has
no declaration, so a new route is covered by declaring it here — not by writing test code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Route:
    #: "api" (identified by method + OpenAPI path) or "ui" (identified by URL name "ns:name").
    kind: str
    #: API: "/api/v1/accounts/{account_pk}"; UI: "web:account_detail".
    target: str
    method: str = "GET"
    #: path parameter -> key of a test-world object (its pk is used), e.g. {"account_pk": "account_a"}.
    params: dict[str, str] = field(default_factory=dict)
    #: request body (JSON for the API, form data for UI POSTs) built from the world.
    body: Callable[[dict[str, Any]], dict] | None = None
    #: anonymous users may use it (login page, health, status page, OpenAPI document).
    public: bool = False
    #: a capability address (an iCalendar feed's secret URL): the secret in the address is the
    #: credential, so whoever holds it (signed in or not) sees that one organisation's feed; the
    #: walk checks it answers and never shows the other tenant's data. Its params name tenant A's.
    capability: bool = False
    #: only provider staff may use it (customers get 403 or 404).
    staff_only: bool = False
    #: the permission (core.permissions.PERMISSIONS) a user needs to succeed; None = any user
    #: who can see the objects involved.
    permission: str | None = None
    #: world key of the only user who may use it (e.g. one's own API token); others get 404.
    owner: str | None = None
    #: needs If-Match (API updates/deletes): the walk sends the object's current ETag.
    if_match: str | None = None
    #: send the body as multipart/form-data (file uploads: values may be (filename, bytes)).
    multipart: bool = False
    #: query string appended to the URL.
    query: str = ""
    #: what an anonymous caller gets from a UI URL meant for machines (e.g. /metrics: 401 in the JSON
    #: shape) instead of the redirect to the login page.
    anonymous_status: int | None = None


def _named(urls: str, page: str) -> str:
    """A page's URL name by the kit's convention (core/ui/crud.py `Pages`): "directory:account" →
    "directory:account_list"; an app whose pages are its only entity ("calendars:") → "calendars:list"."""
    return f"{urls}{page}" if urls.endswith(":") else f"{urls}_{page}"


def form(
    target: str, body: Callable[[dict[str, Any]], dict], multipart: bool = False, **common: Any
) -> list[Route]:
    """A form page: GET shows it, POST submits `body` (as multipart: a file upload); both with the
    same parameters and rights."""
    post = Route("ui", target, "POST", body=body, multipart=multipart, **common)
    return [Route("ui", target, **common), post]


def ui_pages(
    urls: str,
    key: str = "",
    *,
    pages: Sequence[str] = ("list", "detail", "history"),
    create: Callable[[dict[str, Any]], dict] | None = None,
    update: Callable[[dict[str, Any]], dict] | None = None,
    create_params: dict[str, str] | None = None,
    read: dict[str, Any] | None = None,
    write: dict[str, Any] | None = None,
) -> list[Route]:
    """The pages of one entity on the kit: its read-only `pages` (the list, and the others of the
    object `key`), then the create and edit forms when given their POST bodies. Reading needs `read`
    (nothing more than seeing the object, unless said); writing is staff-only with `read` and `write`."""
    on, read = {"pk": key}, read or {}
    write = {"staff_only": True, **read, **(write or {})}
    routes = [Route("ui", _named(urls, page), params={} if page == "list" else on, **read) for page in pages]
    if create is not None:
        routes += form(_named(urls, "create"), create, params=create_params or {}, **write)
    if update is not None:
        routes += form(_named(urls, "update"), update, params=on, **write)
    return routes


def api_entity(
    path: str,
    id: str = "",
    key: str = "",
    *,
    listed: bool = True,
    shown: bool = True,
    create: Callable[[dict[str, Any]], dict] | None = None,
    update: Callable[[dict[str, Any]], dict] | None = None,
    delete: str = "",
    create_staff_only: bool = False,
    read: dict[str, Any] | None = None,
    write: dict[str, Any] | None = None,
) -> list[Route]:
    """The operations core/crud.py `routes` gives one entity: list (unless not `listed`), create
    (given its body), get (of the object `key` behind the path parameter `id`, unless not `shown`),
    update and delete (given the PATCH body and the world key of the object to delete; both send
    If-Match). Reading needs `read`; writing `read` and `write` (and staff, for a create that only
    staff may do)."""
    detail, read = f"{path}/{{{id}}}", read or {}
    write = {**read, **(write or {})}
    routes = [Route("api", path, **read)] if listed else []
    if create is not None:
        staff = {"staff_only": True} if create_staff_only else {}
        routes.append(Route("api", path, "POST", body=create, **{**write, **staff}))
    if key and shown:
        routes.append(Route("api", detail, params={id: key}, **read))
    if update is not None:
        routes.append(Route("api", detail, "PATCH", params={id: key}, if_match=key, body=update, **write))
    if delete:
        routes.append(Route("api", detail, "DELETE", params={id: delete}, if_match=delete, **write))
    return routes


def steps(path: str, **common: Any) -> Callable[..., Route]:
    """The steps of one kind of object (core/crud.py `steps`), declared one line each:

        step = steps("/api/v1/rcas/{rca_id}", staff_only=True)
        step("submit", "rca_a", RCA)          # POST /api/v1/rcas/{rca_id}/submit on the world's rca_a
    """
    id = path.rsplit("{", 1)[1].rstrip("}")

    def step(name: str, key: str, permission: str | None = None, body=None, **more: Any) -> Route:
        kwargs = {**common, "permission": permission, "body": body, **more}
        return Route("api", f"{path}/{name}", "POST", params={id: key}, **kwargs)

    return step
