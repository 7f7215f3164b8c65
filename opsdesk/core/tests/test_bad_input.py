"""Issue 7: the bad-input table, run against every list filter and every create/update body of the
OpenAPI document, so a new endpoint is covered without new test code. Each hostile value must be
refused with a 4xx in the one JSON shape; where the answer is 422 it names the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from opsdesk.config.api import api
from opsdesk.core.roles import Role
from opsdesk.core.tokens import token_create
from opsdesk.testing.once import rolled_back
from opsdesk.testing.world import make_staff

DOCUMENT = api.get_openapi_schema()
COMPONENTS = DOCUMENT["components"]["schemas"]
HUGE = 2**63
YEARS = ("0001-01-01", "9999-12-31")


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        concrete = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(concrete) == 1:
            return _resolve(concrete[0])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0])
    return schema


def _hostile(schema: dict) -> Iterator[tuple[str, Any]]:
    """(what, value) pairs no field of this type may accept."""
    schema = _resolve(schema)
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        yield "huge", HUGE
        yield "huge negative", -HUGE
    elif kind == "string" and fmt == "date-time":
        for year in YEARS:
            yield f"year {year[:4]}", f"{year}T00:00:00+00:00"
    elif kind == "string" and fmt == "date":
        for year in YEARS:
            yield f"year {year[:4]}", year
    elif kind == "string" and "enum" not in schema:
        yield "NUL", "a\x00b"


def _path(template: str) -> str:
    out = template
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + "1" + out[end + 1 :]
    return out


def _query_cases():
    for path, operations in DOCUMENT["paths"].items():
        if "get" not in operations:
            continue
        for param in operations["get"].get("parameters", ()):
            if param["in"] != "query":
                continue
            for what, value in _hostile(param.get("schema", {})):
                yield pytest.param(path, param["name"], value, id=f"GET {path} ?{param['name']}={what}")


def _body_schema(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _resolve(content["application/json"]["schema"])


def _body_cases():
    for path, operations in DOCUMENT["paths"].items():
        for method in ("post", "put", "patch"):
            body = _body_schema(operations.get(method, {}))
            if not body:
                continue
            for name, prop in body.get("properties", {}).items():
                for what, value in _hostile(prop):
                    item = _resolve(prop).get("items")
                    sent = [value] if item is not None else value
                    yield pytest.param(
                        method, path, name, sent, id=f"{method.upper()} {path} {name}={what}"
                    )
                item = _resolve(prop).get("items")
                if item is not None:
                    for what, value in _hostile(item):
                        yield pytest.param(
                            method, path, f"{name}.0", [value], id=f"{method.upper()} {path} {name}[]={what}"
                        )


def _body_operations():
    for path, operations in DOCUMENT["paths"].items():
        for method in ("post", "put", "patch"):
            if _body_schema(operations.get(method, {})):
                yield pytest.param(method, path, id=f"{method.upper()} {path}")


@pytest.fixture(scope="module")
def _token(django_db_setup, django_db_blocker):
    """An administrator alone (every refusal here happens before any object is looked up) with an API
    token, made once for the file's ~1,000 tests in a transaction rolled back at its end; each test
    runs in a savepoint of it, rolled back after the test."""
    with rolled_back(django_db_blocker):
        with django_db_blocker.unblock():
            admin = make_staff(Role.ADMINISTRATOR)
            _, secret = token_create(actor=admin, user=admin, expires_in_days=1)
        yield secret


@pytest.fixture
def staff(_token, db):
    return Client(HTTP_AUTHORIZATION=f"Bearer {_token}", HTTP_IF_MATCH="*")


def _refused(response, field: str | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert {"detail", "errors"} <= set(body), body
    if field is not None and response.status_code == 422:
        fields = {e["field"] for e in body["errors"]}
        assert field in fields or field.split(".")[0] in fields, (field, body)


@pytest.mark.parametrize(("path", "param", "value"), list(_query_cases()))
def test_every_list_filter_refuses_hostile_values(staff, path, param, value):
    response = staff.get(_path(path), {param: value})
    _refused(response, param)
    assert response.status_code != 404 or "{" in path


@pytest.mark.parametrize(("method", "path", "field", "value"), list(_body_cases()))
def test_every_body_field_refuses_hostile_values(staff, method, path, field, value):
    name = field.split(".")[0]
    body = json.dumps({name: value})
    response = getattr(staff, method)(_path(path), data=body, content_type="application/json")
    _refused(response, field)


@pytest.mark.parametrize(("method", "path"), list(_body_operations()))
def test_every_body_refuses_oversized_wrong_type_and_broken_bodies(staff, settings, method, path):
    send = getattr(staff, method)
    url = _path(path)
    _refused(send(url, data="{}", content_type="text/plain"))
    assert send(url, data="{}", content_type="text/plain").status_code == 415
    assert send(url, data='{"a": ', content_type="application/json").status_code == 400
    settings.API_MAX_BODY_BYTES = 100
    response = send(url, data=json.dumps({"x": "y" * 200}), content_type="application/json")
    assert response.status_code == 413 and set(response.json()) >= {"detail", "errors"}
