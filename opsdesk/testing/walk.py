"""The generic tenancy walk (A4): collect declared routes, compare them with the OpenAPI document
and the URL resolver, and call each as every kind of user."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from opsdesk.testing.routes import Route
from opsdesk.testing.world import ACCOUNT_IDS, CANARY_A, CANARY_B

#: Declarations are the modules of an app's tests package whose names start with this: `routes`
#: (pages), `routes_api` (the API), or more when one app declares several groups.
DECLARATION_PREFIX = "routes"
#: URL namespaces not walked as UI pages (the API is walked operation by operation instead).
SKIPPED_NAMESPACES = {"api"}


def _opsdesk_modules() -> Iterator[Any]:
    for config in apps.get_app_configs():
        if not config.name.startswith("opsdesk."):
            continue
        try:
            tests = importlib.import_module(f"{config.name}.tests")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tests":
                raise
            continue
        for info in sorted(pkgutil.iter_modules(tests.__path__), key=lambda i: i.name):
            if info.name.startswith(DECLARATION_PREFIX) and not info.ispkg:
                yield importlib.import_module(f"{tests.__name__}.{info.name}")


def declared_routes() -> list[Route]:
    routes: list[Route] = []
    for module in _opsdesk_modules():
        routes.extend(getattr(module, "ROUTES", []))
    return routes


def declared_routes_by_module() -> dict[str, list[Route]]:
    """Routes grouped by the module that declares them: the walk builds one world per group."""
    return {module.__name__: list(getattr(module, "ROUTES", [])) for module in _opsdesk_modules()}


def module_view_permission(name: str) -> str | None:
    """A routes module's `VIEW_PERMISSION`: a user without it sees none of the module's objects
    (e.g. billing staff and incidents), so each of its routes answers them 403 or 404."""
    return next((getattr(m, "VIEW_PERMISSION", None) for m in _opsdesk_modules() if m.__name__ == name), None)


def apply_world_extras(world: dict[str, Any]) -> None:
    for module in _opsdesk_modules():
        extras = getattr(module, "world_extras", None)
        if extras is not None:
            extras(world)


def api_operations(openapi: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in openapi["paths"].items() for method in ops}


def _walk_patterns(patterns, namespace: str | None, unnamed: list[str], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            full_ns = ":".join(x for x in (namespace, p.namespace) if x) if p.namespace else namespace
            yield from _walk_patterns(p.url_patterns, full_ns, unnamed, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            if p.name is None:
                unnamed.append(prefix + str(p.pattern))
                continue
            yield f"{namespace}:{p.name}" if namespace else p.name


def ui_url_names() -> tuple[set[str], list[str]]:
    unnamed: list[str] = []
    names = set(_walk_patterns(get_resolver().url_patterns, None, unnamed))
    return names, [u for u in unnamed if not u.startswith("static")]


def route_id(route: Route) -> str:
    return f"{route.kind}:{route.method}:{route.target}{'?' + route.query if route.query else ''}"


def resolve_url(route: Route, world: dict[str, Any], missing: bool = False) -> str:
    """The route's URL for `world`; an API route's parameters fill its path and its query string
    (e.g. "organisation={organisation}")."""
    values = {name: (987654321 if missing else world[key].pk) for name, key in route.params.items()}
    query = route.query
    if route.kind == "api":
        url = route.target
        for name, value in values.items():
            url = url.replace("{" + name + "}", str(value))
            query = query.replace("{" + name + "}", str(value))
    else:
        url = reverse(route.target, kwargs=values or None)
    return f"{url}?{query}" if query else url


def tenant_a_markers(world: dict[str, Any]) -> list[str]:
    """Strings only tenant A's data contains; none may reach tenant B."""
    return [CANARY_A, CANARY_A.lower(), *ACCOUNT_IDS["a"]]


def tenant_b_markers(world: dict[str, Any]) -> list[str]:
    return [CANARY_B, CANARY_B.lower(), *ACCOUNT_IDS["b"]]


def redact_ids(body: bytes) -> bytes:
    """Bodies compared for 'same as missing' must not differ only by the id in the URL."""
    return re.sub(rb"\d{5,}", b"N", body)
