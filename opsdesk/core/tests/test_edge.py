"""Issue 7: hostile input is refused at the edge with a 4xx in the one JSON shape, never a 500."""

import json

import pytest
from django.test import Client

from opsdesk.core.limits import INT_MAX
from opsdesk.core.tokens import token_create
from opsdesk.directory.models import NamedContact

SHAPE = {"detail", "errors"}


@pytest.fixture
def customer(world):
    _, secret = token_create(actor=world["admin"], user=world["customer_a"], expires_in_days=1)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def staff(world):
    _, secret = token_create(actor=world["admin"], user=world["admin"], expires_in_days=1)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def raw(client, method, url, body: str | bytes, content_type="application/json", **headers):
    return getattr(client, method)(url, data=body, content_type=content_type, **headers)


def field_errors(response) -> dict[str, str]:
    body = response.json()
    assert set(body) == SHAPE, body
    return {e["field"]: e["message"] for e in body["errors"]}


def test_nul_in_a_query_parameter_is_refused_naming_it(customer):
    r = customer.get("/api/v1/services?q=a%00b")
    assert r.status_code == 422
    assert field_errors(r) == {"q": "Null characters are not allowed."}


def test_nul_in_a_json_string_is_refused_naming_the_field(customer):
    r = raw(customer, "post", "/api/v1/tokens", '{"name": "t\\u0000"}')
    assert r.status_code == 422
    assert field_errors(r) == {"name": "Null characters are not allowed."}


def test_unpaired_surrogate_is_refused_and_nothing_is_stored(staff, world):
    contact = world["contact_a"]
    etag = staff.get(f"/api/v1/contacts/{contact.pk}")["ETag"]
    r = raw(staff, "patch", f"/api/v1/contacts/{contact.pk}", '{"name": "a\\ud800b"}', HTTP_IF_MATCH=etag)
    assert r.status_code == 422
    assert field_errors(r) == {"name": "Unpaired surrogate characters are not allowed."}
    assert NamedContact.objects.get(pk=contact.pk).name == contact.name


def test_nested_fields_are_named_by_their_path(staff, world):
    body = json.dumps({"name": "x", "regions": ["eu-west-2", "a\x00"], "deep": {"n": 2**64}})
    r = raw(staff, "post", "/api/v1/accounts", body)
    assert r.status_code == 422
    assert field_errors(r) == {
        "regions.1": "Null characters are not allowed.",
        "deep.n": f"Must be between {-INT_MAX} and {INT_MAX}.",
    }


def test_offset_beyond_any_list_is_refused(customer):
    r = customer.get("/api/v1/services?offset=9223372036854775808")
    assert r.status_code == 422
    assert "offset" in field_errors(r)
    assert customer.get("/api/v1/services?offset=1000000").status_code == 200


def test_numbers_a_database_cannot_hold_are_refused(staff, world):
    r = raw(staff, "post", "/api/v1/tokens", '{"name": "t", "expires_in_days": 99999999999999999999}')
    assert r.status_code == 422 and "expires_in_days" in field_errors(r)
    r = raw(staff, "post", "/api/v1/tokens", '{"name": "t", "expires_in_days": 1e400}')
    assert r.status_code == 422 and field_errors(r) == {"expires_in_days": "Must be a finite number."}
    r = raw(staff, "post", "/api/v1/tokens", '{"name": "t", "expires_in_days": NaN}')
    assert r.status_code == 400 and r.json()["detail"].startswith("Cannot parse request body")


def test_a_body_over_the_limit_is_413_in_the_json_shape(staff, settings):
    settings.API_MAX_BODY_BYTES = 1000
    r = raw(staff, "post", "/api/v1/tokens", json.dumps({"name": "x" * 2000}))
    assert r.status_code == 413
    assert set(r.json()) == SHAPE and "at most 1000 bytes" in r.json()["detail"]


def test_a_body_that_is_not_json_is_415(staff):
    r = raw(staff, "post", "/api/v1/tokens", '{"name": "t"}', content_type="text/plain")
    assert r.status_code == 415
    assert field_errors(r) == {"Content-Type": "Must be application/json."}


def test_unparseable_or_absurdly_nested_json_is_400(staff):
    r = raw(staff, "post", "/api/v1/tokens", '{"name": ')
    assert r.status_code == 400 and r.json()["detail"].startswith("Cannot parse request body")
    r = raw(staff, "post", "/api/v1/tokens", "[" * 100_000 + "]" * 100_000)
    assert r.status_code == 400 and set(r.json()) == SHAPE


def test_unknown_paths_and_methods_answer_in_the_json_shape(staff):
    r = staff.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json() == {"detail": "Not found.", "errors": []}
    r = staff.put("/api/v1/services", data="{}", content_type="application/json")
    assert r.status_code == 405 and set(r.json()) == SHAPE
    assert "GET" in r["Allow"] and "Allow" in r.json()["detail"]


def test_csrf_refusal_of_a_session_client_is_in_the_json_shape(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    r = client.post("/api/v1/tokens", data='{"name": "t"}', content_type="application/json")
    assert r.status_code == 403
    assert set(r.json()) == SHAPE and "CSRF" in r.json()["detail"]


def test_an_unexpected_error_is_logged_with_its_request_id_and_answers_the_shape(staff, monkeypatch, caplog):
    from opsdesk.directory import selectors

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "service_list", broken)
    r = staff.get("/api/v1/services", HTTP_X_REQUEST_ID="req-123")
    assert r.status_code == 500
    assert r.json() == {
        "detail": "Internal server error. Quote request id req-123 when reporting it.",
        "errors": [],
        "request_id": "req-123",
    }
    assert "boom" not in r.content.decode()
    logged = [rec for rec in caplog.records if rec.name == "opsdesk.edge"]
    assert logged and logged[0].request_id == "req-123" and logged[0].exc_info[1].args == ("boom",)


def test_nul_in_a_page_query_is_refused_outside_the_api_too(world):
    client = Client()
    client.force_login(world["admin"])
    r = client.get("/incidents/?q=a%00b")
    assert r.status_code == 422 and b"Null characters" in r.content


def test_an_error_outside_the_api_views_still_answers_the_shape_with_the_request_id(staff, monkeypatch):
    from opsdesk.core import middleware

    def broken(secret):
        raise RuntimeError("token store down")

    monkeypatch.setattr(middleware, "token_authenticate", broken)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Bearer opsd_x")
    r = client.get("/api/v1/services", HTTP_X_REQUEST_ID="req-456")
    assert r.status_code == 500
    assert r.json()["request_id"] == "req-456" and "token store" not in r.content.decode()


def test_a_file_upload_still_passes_the_edge(staff, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opsdesk.calendars.models import Calendar

    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
        b"DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261230\r\nDTEND;VALUE=DATE:20261231\r\n"
        b"SUMMARY:Shutdown\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    uk = Calendar.objects.get(name="uk")
    upload = SimpleUploadedFile("closed.ics", ics, content_type="text/calendar")
    r = staff.post(f"/api/v1/calendars/{uk.pk}/closures/import", {"file": upload})
    assert r.status_code == 201, r.content
    assert [c["date"] for c in r.json()] == ["2026-12-30"]


def test_a_broken_multipart_body_is_400(staff, world):
    from opsdesk.calendars.models import Calendar

    uk = Calendar.objects.get(name="uk")
    url = f"/api/v1/calendars/{uk.pk}/closures/import"
    r = staff.post(url, data=b"--x\r\n", content_type="multipart/form-data")
    assert r.status_code == 400 and r.json()["detail"].startswith("Cannot parse request body")


def test_an_over_long_token_name_is_refused_not_cut(customer):
    r = customer.post("/api/v1/tokens", data=json.dumps({"name": "n" * 101}), content_type="application/json")
    assert r.status_code == 422
    assert field_errors(r) == {"name": "At most 100 characters (it has 101)."}


def test_the_openapi_document_declares_what_the_edge_answers_and_local_times_as_they_are(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "401", "403", "422", "429", "500"} <= declared, (method, path)
            if method in ("post", "put", "patch"):
                assert {"413", "415"} <= declared, (method, path)
    start = document["components"]["schemas"]["Span"]["properties"]["start"]
    assert "format" not in start and start["pattern"].startswith("^([01][0-9]|2[0-3])")
