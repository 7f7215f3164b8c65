"""L3: error shape, idempotency keys, ETag/If-Match, tokens, lists (pagination, filters, ordering, CSV)."""

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.models import ApiToken, IdempotencyKey
from opsdesk.core.tokens import token_create, token_revoke
from opsdesk.directory.models import CloudAccount, Organisation


@pytest.fixture
def staff(world):
    client = Client()
    client.force_login(world["admin"])
    return client


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def patch(client, url, body, **headers):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


def account_body(world, account_id="666666666601"):
    return {"organisation": world["org_a"].pk, "account_id": account_id, "regions": ["eu-west-2"]}


def test_error_shape_names_every_bad_field(staff, world):
    r = post(
        staff,
        "/api/v1/accounts",
        {"organisation": world["org_a"].pk, "account_id": "12345678901", "regions": ["nowhere"]},
    )
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"detail", "errors"}
    assert {e["field"] for e in body["errors"]} >= {"account_id", "regions"}
    r = post(staff, "/api/v1/accounts", {"account_id": "123456789012"})
    assert r.status_code == 422
    assert {"field": "organisation", "message": "This field is required."} in r.json()["errors"]
    r = staff.get("/api/v1/accounts/999999")
    assert r.status_code == 404 and r.json() == {"detail": "Not found.", "errors": []}
    assert Client().get("/api/v1/accounts").json()["detail"] == "Authentication required."


def test_idempotency_key_replays_the_first_response(staff, world):
    first = post(staff, "/api/v1/accounts", account_body(world), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = post(staff, "/api/v1/accounts", account_body(world), HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CloudAccount.objects.filter(account_id="666666666601").count() == 1
    other = post(staff, "/api/v1/accounts", account_body(world, "666666666602"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not CloudAccount.objects.filter(account_id="666666666602").exists()


def test_idempotency_keys_are_per_user_and_in_flight_is_409(staff, world):
    IdempotencyKey.objects.create(user=world["admin"], key="busy", fingerprint="x" * 64)
    r = post(staff, "/api/v1/accounts", account_body(world), HTTP_IDEMPOTENCY_KEY="busy")
    assert r.status_code in (409, 422)
    other = Client()
    other.force_login(world["service_desk"])
    r = post(other, "/api/v1/accounts", account_body(world), HTTP_IDEMPOTENCY_KEY="busy")
    assert r.status_code == 201


def test_in_flight_same_body_is_409(staff, world):
    from django.test import RequestFactory

    from opsdesk.core.idempotency import fingerprint

    body = account_body(world)
    req = RequestFactory().post("/api/v1/accounts", data=json.dumps(body), content_type="application/json")
    IdempotencyKey.objects.create(user=world["admin"], key="flying", fingerprint=fingerprint(req))
    r = post(staff, "/api/v1/accounts", body, HTTP_IDEMPOTENCY_KEY="flying")
    assert r.status_code == 409
    assert not CloudAccount.objects.filter(account_id="666666666601").exists()


def test_a_failed_create_is_replayed_as_failed_and_keys_expire_after_the_ttl(staff, world):
    bad = {"organisation": world["org_a"].pk, "account_id": "1"}
    assert post(staff, "/api/v1/accounts", bad, HTTP_IDEMPOTENCY_KEY="bad").status_code == 422
    assert post(staff, "/api/v1/accounts", bad, HTTP_IDEMPOTENCY_KEY="bad")["Idempotent-Replayed"] == "true"
    from opsdesk.core.idempotency import purge_expired

    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=23))
    assert purge_expired() == 0
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=49))
    assert purge_expired() == 1


def test_etag_and_if_match(staff, world):
    url = f"/api/v1/accounts/{world['member_a'].pk}"
    r = staff.get(url)
    etag = r["ETag"]
    assert patch(staff, url, {"name": "x"}).status_code == 428
    assert patch(staff, url, {"name": "x"}, HTTP_IF_MATCH='"0-0"').status_code == 412
    ok = patch(staff, url, {"name": "renamed"}, HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok.json()["name"] == "renamed"
    assert ok["ETag"] != etag
    stale = patch(staff, url, {"name": "lost update"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["detail"].startswith("The object was changed")
    assert CloudAccount.objects.get(pk=world["member_a"].pk).name == "renamed"
    assert staff.delete(url).status_code == 428


def test_token_auth_create_expire_revoke(world):
    token, secret = token_create(actor=world["admin"], user=world["customer_a"], expires_in_days=1)
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    client = Client()
    me = client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.status_code == 200 and me.json()["email"] == world["customer_a"].email
    accounts = client.get("/api/v1/accounts", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert {a["organisation_id"] for a in accounts["results"]} == {world["org_a"].pk}
    created = post(client, "/api/v1/tokens", {"name": "x"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert created.status_code == 201  # token clients are not subject to CSRF
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    token2, secret2 = token_create(actor=world["admin"], user=world["customer_a"])
    token_revoke(actor=world["admin"], token=token2)
    r = client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {secret2}")
    assert r.status_code == 401 and r.json()["errors"][0]["field"] == "Authorization"


def test_session_clients_need_csrf_for_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    assert post(client, "/api/v1/tokens", {"name": "x"}).status_code == 403


def test_list_pagination_filter_ordering(staff, world):
    r = staff.get("/api/v1/accounts", {"limit": 1, "offset": 1, "ordering": "-account_id"})
    body = r.json()
    assert body["count"] == 4 and body["limit"] == 1 and len(body["results"]) == 1
    assert body["results"][0]["account_id"] == "222222222201"
    r = staff.get("/api/v1/accounts", {"organisation": world["org_b"].pk, "is_management_account": "true"})
    assert [a["account_id"] for a in r.json()["results"]] == ["222222222201"]
    bad = staff.get("/api/v1/accounts", {"ordering": "secret_field"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ordering"
    assert staff.get("/api/v1/accounts", {"limit": 0}).status_code == 422


def test_csv_export_is_the_filtered_list(staff, world):
    r = staff.get("/api/v1/contacts", {"format": "csv", "organisation": world["org_a"].pk})
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert {row["email"] for row in rows} == {world["contact_a"].email}
    assert rows[0]["is_change_approver"] == "True"


def test_list_query_count_does_not_grow_with_rows(staff, world):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get("/api/v1/services").status_code == 200
        return len(ctx.captured_queries)

    before = count_queries()
    from opsdesk.directory import services

    for i in range(5):
        services.service_create(
            actor=world["admin"],
            organisation=world["org_b"],
            reference=f"EXTRA-{i}",
            name="extra",
            environment="production",
            accounts=[world["account_b"].pk],
        )
    assert count_queries() == before


def test_openapi_document_and_docs_are_served(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/accounts" in doc["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_organisation_create_and_update_via_api(staff, world):
    r = post(
        staff,
        "/api/v1/organisations",
        {"name": "Acme", "service_plan": "accelerate", "calendar": "24x7", "csdm": world["csdm"].pk},
    )
    assert r.status_code == 201, r.json()
    assert r.json()["calendar"] == "24x7" and r.json()["csdm"]["id"] == world["csdm"].pk
    org = Organisation.objects.get(name="Acme")
    bad = patch(staff, f"/api/v1/organisations/{org.pk}", {"calendar": "moon"}, HTTP_IF_MATCH=org.etag)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "calendar"
