"""A4: every API operation and every UI URL, called by anonymous, customers of A and B and every
staff role. A route without a declaration fails the suite (declare it in <app>/tests/routes*.py)."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from opsdesk.core.permissions import PERMISSIONS
from opsdesk.core.roles import STAFF_ROLES
from opsdesk.testing import walk
from opsdesk.testing.routes import Route

ROUTES = walk.declared_routes()
CUSTOMERS = ("customer_a", "customer_b")
USERS = ["anonymous", *CUSTOMERS, *sorted(STAFF_ROLES)]


def test_every_api_operation_is_declared(client):
    openapi = client.get("/api/v1/openapi.json").json()
    operations = walk.api_operations(openapi)
    declared = {(r.method, r.target) for r in ROUTES if r.kind == "api"}
    missing = sorted(operations - declared)
    stale = sorted(declared - operations)
    assert not missing, f"API operations without a tenancy declaration: {missing}"
    assert not stale, f"Declarations of API operations that do not exist: {stale}"


def test_every_ui_url_is_declared():
    names, unnamed = walk.ui_url_names()
    declared = {r.target for r in ROUTES if r.kind == "ui"}
    assert not unnamed, f"Unnamed URL patterns cannot be declared: {unnamed}"
    missing = sorted(names - declared)
    stale = sorted(declared - names)
    assert not missing, f"UI URLs without a tenancy declaration: {missing}"
    assert not stale, f"Declarations of UI URLs that do not exist: {stale}"


def _call(client: Client, route: Route, world: dict, url: str):
    headers = {}
    if route.if_match:
        obj = type(world[route.if_match])._default_manager.get(pk=world[route.if_match].pk)
        headers["HTTP_IF_MATCH"] = obj.etag
    body = route.body(world) if route.body else None
    method = getattr(client, route.method.lower())
    if route.multipart:
        from django.core.files.uploadedfile import SimpleUploadedFile

        files = {
            k: SimpleUploadedFile(v[0], v[1]) if isinstance(v, tuple) else v for k, v in (body or {}).items()
        }
        return method(url, data=files, **headers)
    if route.kind == "api":
        if body is None:
            return method(url, **headers)
        return method(url, data=json.dumps(body), content_type="application/json", **headers)
    return method(url, data=body or {}, **headers)


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _expect_allowed(route: Route, user) -> bool:
    if route.permission is None:
        return True
    return user.role in PERMISSIONS.get(route.permission, frozenset())


def _check(
    route: Route, who: str, world: dict, response, text: str, missing_response, needs: str | None = None
) -> None:
    status = response.status_code
    label = f"{route_id(route)} as {who}: {status}"
    assert status < 500, label
    if who != "anonymous" and not route.public:
        # The walk signs each user in once per group (_Clients): every call must still be theirs.
        assert response.wsgi_request.user.pk == world[who].pk, f"{label}: not answered as {who}"
    if route.capability:
        assert status == 200, label
        leaked = [m for m in walk.tenant_b_markers(world) if m in text]
        assert not leaked, f"{label}: tenant A's address showed tenant B's data: {leaked}"
        return
    if who == "anonymous":
        if route.public:
            assert walk.CANARY_A not in text and walk.CANARY_B not in text, label
        elif route.anonymous_status is not None:
            assert status == route.anonymous_status, label
        elif route.kind == "api":
            assert status == 401, label
        else:
            assert status == 302 and "/login" in response["Location"], label
        return
    user = world[who]
    foreign = walk.tenant_b_markers(world) if who == "customer_a" else walk.tenant_a_markers(world)
    if who in CUSTOMERS:
        leaked = [m for m in foreign if m in text]
        assert not leaked, f"{label} leaked another tenant's data: {leaked}"
    refers_to_a = any(key.endswith("_a") for key in route.params.values())
    if route.owner is not None:
        if who == route.owner:
            assert status < 400, label
        else:
            assert status == 404, label
        return
    if needs is not None and user.role not in PERMISSIONS.get(needs, frozenset()):
        # Refused, or (a list, reference data) nothing of either tenant's records shown.
        markers = [*walk.tenant_a_markers(world), *walk.tenant_b_markers(world)]
        shown = [m for m in markers if m in text]
        assert status in (403, 404) or (status < 400 and not shown), (
            f"{label}: without {needs} nothing of it is shown: {shown}"
        )
        return
    if who == "customer_b" and refers_to_a:
        assert status == 404, f"{label}: another tenant's object must answer 404"
        assert missing_response is not None
        assert missing_response.status_code == 404, label
        assert walk.redact_ids(response.content) == walk.redact_ids(missing_response.content), (
            f"{label}: the 404 differs from the 404 of a missing object"
        )
        return
    if who in CUSTOMERS and route.staff_only:
        assert status in (403, 404), label
        return
    if _expect_allowed(route, user):
        assert status < 400, f"{label} should succeed; body: {text[:300]}"
    else:
        assert status == 403, f"{label} should be forbidden"


route_id = walk.route_id


GROUPS = walk.declared_routes_by_module()


def _signed_in(world: dict) -> dict[str, str]:
    """One session per user for a group's walk: each signed in with force_login, its session key
    kept. A call's changes to its session are rolled back with the call, and each call starts from
    a client holding only that session's cookie, so it is as signed in as after its own sign-in."""
    sessions = {}
    for who in USERS:
        if who != "anonymous":
            client = Client()
            client.force_login(world[who])
            sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


class _Clients:
    """A test client per user, kept for the group: a new Client loads the whole middleware chain
    again (several ms a request). Before each call its cookies are reset to the user's session alone,
    so nothing a previous call set (a new session, messages, a sign-out) carries over."""

    def __init__(self, world: dict) -> None:
        self.sessions = _signed_in(world)
        self.clients = {who: Client() for who in USERS}

    def __call__(self, who: str) -> Client:
        client = self.clients[who]
        client.cookies = SimpleCookie()
        if who != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[who]
        return client


@pytest.mark.parametrize("module", sorted(GROUPS))
def test_routes_respect_tenancy(module: str, world_with_extras):
    """Every route of one declaring module, called by every user, on the world with every module's
    extras (built once per file: conftest.py, opsdesk/testing/once.py). Every (route, user) call runs
    in a savepoint rolled back afterwards, so each starts from the same world. All failures are
    reported together, each naming its route and user."""
    world = world_with_extras
    needs = walk.module_view_permission(module)
    clients = _Clients(world)
    failures = []
    for route in GROUPS[module]:
        for who in USERS:
            world["walk_user"] = world.get(who)  # for a body that depends on the caller
            with transaction.atomic():
                try:
                    client = clients(who)
                    response = _call(client, route, world, walk.resolve_url(route, world))
                    text = _text(response)
                    missing = None
                    if who == "customer_b" and route.params:
                        client = clients(who)
                        missing = _call(client, route, world, walk.resolve_url(route, world, missing=True))
                    _check(route, who, world, response, text, missing, needs)
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0])
                transaction.set_rollback(True)
    assert not failures, "\n".join(failures)
