"""Directory endpoints (A1–A5, L3): every PATCH and DELETE needs If-Match (428 without it, 412 when
stale), a PATCH answers what a GET answers with the new ETag, and a DELETE answers 204."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opsdesk.directory import services

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def admin(world) -> Client:
    client = Client()
    client.force_login(world["admin"])
    return client


def patch(client, url, body, **headers):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize(
    ("path", "key", "body"),
    [
        ("organisations", "org_a", {"notes": "patched"}),
        ("accounts", "member_a", {"name": "patched"}),
        ("contacts", "contact_a", {"phone": "+44 2"}),
        ("services", "service_a", {"description": "patched"}),
        ("runbooks", "runbook_a", {"body": "patched"}),
        ("users", "engineer", {"full_name": "Patched"}),
    ],
)
def test_patch_needs_if_match_and_answers_like_a_get(admin, world, path, key, body):
    url = f"{API}/{path}/{world[key].pk}"
    etag = admin.get(url)["ETag"]
    assert patch(admin, url, body).status_code == 428
    assert patch(admin, url, body, HTTP_IF_MATCH='"0-0"').status_code == 412
    response = patch(admin, url, body, HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    after = admin.get(url)
    assert response.json() == after.json() and response["ETag"] == after["ETag"]
    assert all(after.json()[field] == value for field, value in body.items())
    assert patch(admin, url, body, HTTP_IF_MATCH=etag).status_code == 412


@pytest.mark.parametrize(
    ("path", "key"),
    [("accounts", "member_a"), ("contacts", None), ("services", "service_a"), ("runbooks", "runbook_a")],
)
def test_delete_needs_if_match_and_answers_204(admin, world, path, key):
    target = (
        world[key]
        if key
        else services.contact_create(
            actor=world["admin"], organisation=world["org_a"], name="Spare", email="spare@a.test"
        )
    )
    url = f"{API}/{path}/{target.pk}"
    assert admin.delete(url).status_code == 428
    assert admin.delete(url, HTTP_IF_MATCH='"0-0"').status_code == 412
    response = admin.delete(url, HTTP_IF_MATCH=admin.get(url)["ETag"])
    assert response.status_code == 204 and response.content == b""
    assert admin.get(url).status_code == 404
