"""The same checks for every entity on the CRUD kit (in the spirit of NetBox's per-model view and
API test cases): a test class names the entity's declarations and a few hooks, and gets list,
filter, CSV, detail with ETag, create with bad input storing nothing, create with an
Idempotency-Key, a stale If-Match refused, delete, history, and another tenant's object as a 404,
on the real database through the real URLs.

    class TestAccounts(CrudCases):
        api = api.ACCOUNTS            # a core.crud.Crud
        pages = views.ACCOUNTS        # a core.ui.crud.Pages (or None)
        def target(self, world): return world["member_a"]
        def other(self, world): return world["member_b"]
        def create_body(self, world): return {...}
        invalid_body = {"account_id": "12"}
        patch_body = {"name": "patched"}
        list_filter = "q=CanaryAlpha7Q"    # the default: tenant A's canary

The world is opsdesk.testing.world's two tenants (`world` fixture); `actor` is who manages the
entity (the administrator unless said otherwise); `outsider` is tenant B's customer.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any, ClassVar

import pytest
from django.test import Client

from opsdesk.core.crud import Crud
from opsdesk.core.ui.crud import Pages

API = "/api/v1"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class CrudCases:
    api: ClassVar[Crud]
    pages: ClassVar[Pages | None] = None
    #: a body the create service refuses (422), and one field the PATCH changes
    invalid_body: ClassVar[dict[str, Any]] = {}
    patch_body: ClassVar[dict[str, Any]] = {}
    #: a query string that keeps the target and drops the other object (tenant A's canary)
    list_filter: ClassVar[str] = "q=CanaryAlpha7Q"
    #: what the outsider gets for the target: a 404 (another tenant's is as if missing), or 403
    #: where the whole kind is out of their reach (e.g. users for a customer)
    outsider_status: ClassVar[int] = 404
    #: the same on the pages, where they differ (a page gated by a permission the API leaves to
    #: the selector)
    outsider_page_status: ClassVar[int | None] = None

    #: Which cases need what the entity offers: a case whose need is missing is not collected
    #: at all (an entity without a create page has no create-page case), rather than skipped.
    _NEEDS: ClassVar[dict[str, Any]] = {
        "test_list_pages_and_filters": lambda c: c.api.offers("list"),
        "test_list_as_csv": lambda c: c.api.offers("list"),
        "test_create_with_bad_input_stores_nothing": lambda c: c.api.offers("create"),
        "test_create_once_per_idempotency_key": lambda c: c.api.offers("create"),
        "test_a_stale_if_match_is_refused": lambda c: c.api.offers("update"),
        "test_delete_needs_the_current_version": lambda c: c.api.offers("delete"),
        "test_list_page_filters_and_exports": lambda c: c.pages is not None and c.pages.list is not None,
        "test_create_page_shows_errors_inline_and_stores_nothing": (
            lambda c: c.pages is not None and c.pages.create is not None
        ),
        "test_edit_page_refuses_a_stale_version": (
            lambda c: c.pages is not None and c.pages.update is not None
        ),
        "test_history_shows_the_changes": lambda c: c.pages is not None,
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hooks = ["target", "other"] + (["create_body"] if cls.api.offers("create") else [])
        missing = [hook for hook in hooks if not callable(getattr(cls, hook, None))]
        if missing:
            raise TypeError(f"{cls.__name__} must define {', '.join(missing)}(world) for CrudCases")
        for name, needs in cls._NEEDS.items():
            if not needs(cls):
                setattr(cls, name, None)  # pytest collects only callables

    @property
    def page_outsider_status(self) -> int:
        return self.outsider_page_status or self.outsider_status

    # --- hooks ----------------------------------------------------------------------------------

    def actor(self, world: dict[str, Any]) -> Any:
        return world["admin"]

    def outsider(self, world: dict[str, Any]) -> Any:
        return world["customer_b"]

    # Each entity's class defines `target(world)` (tenant A's object), `other(world)` (an object of
    # the other tenant, or one the list filter leaves out) and, when the API creates,
    # `create_body(world)`; __init_subclass__ refuses a class that lacks one.

    def deletable(self, world: dict[str, Any]) -> Any:
        return self.target(world)

    # --- helpers --------------------------------------------------------------------------------

    def url(self, obj: Any = None) -> str:
        return f"{API}{self.api.path}" + (f"/{obj.pk}" if obj is not None else "")

    def count(self, world: dict[str, Any]) -> int:
        return type(self.target(world))._default_manager.count()

    def _post(self, client: Client, body: dict[str, Any], **headers: Any):
        return client.post(self.url(), data=json.dumps(body), content_type="application/json", **headers)

    def _patch(self, client: Client, obj: Any, body: dict[str, Any], **headers: Any):
        return client.patch(self.url(obj), data=json.dumps(body), content_type="application/json", **headers)

    # --- the API ------------------------------------------------------------------------------

    def test_list_pages_and_filters(self, world):
        client, target, other = client_for(self.actor(world)), self.target(world), self.other(world)
        page = client.get(self.url(), {"limit": 200})
        assert page.status_code == 200
        ids = {row["id"] for row in page.json()["results"]}
        assert target.pk in ids and other.pk in ids
        filtered = client.get(f"{self.url()}?limit=200&{self.list_filter}")
        ids = {row["id"] for row in filtered.json()["results"]}
        assert target.pk in ids and other.pk not in ids

    def test_list_as_csv(self, world):
        target, other = self.target(world), self.other(world)
        response = client_for(self.actor(world)).get(f"{self.url()}?format=csv&{self.list_filter}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        ids = {row["id"] for row in rows}
        assert str(target.pk) in ids and str(other.pk) not in ids

    def test_detail_carries_its_etag(self, world):
        target = self.target(world)
        response = client_for(self.actor(world)).get(self.url(target))
        assert response.status_code == 200 and response.json()["id"] == target.pk
        assert response["ETag"] == target.etag

    def test_another_tenants_object_is_not_found(self, world):
        outsider = client_for(self.outsider(world))
        target = self.target(world)
        assert outsider.get(self.url(target)).status_code == self.outsider_status
        if self.api.offers("update"):
            response = self._patch(outsider, target, self.patch_body, HTTP_IF_MATCH=target.etag)
            assert response.status_code == self.outsider_status
        if self.pages is not None:
            assert outsider.get(self.pages.detail_url(target)).status_code == self.page_outsider_status

    def test_create_with_bad_input_stores_nothing(self, world):
        before = self.count(world)
        response = self._post(client_for(self.actor(world)), {**self.create_body(world), **self.invalid_body})
        assert response.status_code == 422 and response.json()["errors"]
        assert self.count(world) == before

    def test_create_once_per_idempotency_key(self, world):
        client, body, key = client_for(self.actor(world)), self.create_body(world), str(uuid.uuid4())
        before = self.count(world)
        first = self._post(client, body, HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code == 201, first.content
        again = self._post(client, body, HTTP_IDEMPOTENCY_KEY=key)
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        assert self.count(world) == before + 1
        assert client.get(f"{API}{self.api.path}/{first.json()['id']}")["ETag"] == first["ETag"]

    def test_a_stale_if_match_is_refused(self, world):
        client, target = client_for(self.actor(world)), self.target(world)
        etag = client.get(self.url(target))["ETag"]
        assert self._patch(client, target, self.patch_body).status_code == 428
        fresh = self._patch(client, target, self.patch_body, HTTP_IF_MATCH=etag)
        assert fresh.status_code == 200 and fresh["ETag"] != etag
        assert self._patch(client, target, self.patch_body, HTTP_IF_MATCH=etag).status_code == 412

    def test_delete_needs_the_current_version(self, world):
        client, obj = client_for(self.actor(world)), self.deletable(world)
        assert client.delete(self.url(obj), HTTP_IF_MATCH=f'"{obj.pk}-0"').status_code == 412
        response = client.delete(self.url(obj), HTTP_IF_MATCH=client.get(self.url(obj))["ETag"])
        assert response.status_code == 204
        assert client.get(self.url(obj)).status_code == 404

    # --- the pages ----------------------------------------------------------------------------

    def test_list_page_filters_and_exports(self, world):
        client, target = client_for(self.actor(world)), self.target(world)
        page = client.get(self.pages.url("list"))
        assert page.status_code == 200 and page.context["listing"].total >= 1
        shown = {obj.pk for obj in page.context["listing"].page}
        assert target.pk in shown
        if self.pages.csv is not None:
            export = client.get(self.pages.url("list"), {"format": "csv"})
            assert export["Content-Type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
            assert str(target.pk) in {row["id"] for row in rows}

    def test_create_page_shows_errors_inline_and_stores_nothing(self, world):
        client, before = client_for(self.actor(world)), self.count(world)
        response = client.post(self.pages.url("create"), {})
        assert response.status_code == 200 and response.context["form"].errors
        assert b'aria-invalid="true"' in response.content
        assert self.count(world) == before

    def test_edit_page_refuses_a_stale_version(self, world):
        client, target = client_for(self.actor(world)), self.target(world)
        form = client.get(self.pages.url("update", target.pk)).context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
        response = client.post(self.pages.url("update", target.pk), {**data, "version": target.version + 1})
        assert response.status_code == 200 and response.context["form"].non_field_errors()
        target.refresh_from_db()
        assert target.version == form.initial["version"]

    def test_history_shows_the_changes(self, world):
        client, target = client_for(self.actor(world)), self.target(world)
        if self.api.offers("update"):
            self._patch(client, target, self.patch_body, HTTP_IF_MATCH=client.get(self.url(target))["ETag"])
        response = client.get(self.pages.url("history", target.pk))
        assert response.status_code == 200
        actions = [event.action for event in response.context["page"]]
        assert "create" in actions and (not self.api.offers("update") or "update" in actions)
        outsider = client_for(self.outsider(world)).get(self.pages.url("history", target.pk))
        assert outsider.status_code == self.page_outsider_status
