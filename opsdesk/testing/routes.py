"""Declarations of every API operation and UI URL for the generic tenancy walk (A4).

Each app lists its routes under its tests, in `opsdesk/<app>/tests/routes*.py` (pages in `routes.py`,
the API in `routes_api.py`), as `ROUTES = [Route(...), ...]`: they are test data, not application
code. The walk (core/tests/test_tenancy_walk.py) fails when an OpenAPI operation or a named URL has
no declaration, so a new route is covered by declaring it here — not by writing test code.
"""

from __future__ import annotations

from collections.abc import Callable
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
