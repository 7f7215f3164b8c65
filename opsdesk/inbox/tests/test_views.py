"""Issue 12 items 4 and 7: the staff pages of the intake keys (EventBridge API destinations and
generic webhooks). The secret is shown once, right after it is made or rotated, and works against
the real intake endpoints; a rotated secret stops at once; bad input is a form error naming the
field; customers never reach the pages, staff without the manage permission cannot change keys."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.inbox import services
from opsdesk.inbox.models import IntakeKey

ALARM = {"identity": "checkout-latency", "state": "alarm", "summary": "Checkout p99 over 2 s"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _secret(response) -> str:
    """The secret as the page shows it: the header value, or the last part of the address."""
    text = response.content.decode()
    shown = re.search(r'data-testid="secret">([^<]+)<', text)
    if shown:
        return shown.group(1)
    return re.search(r'data-testid="endpoint">[^<]*/intake/webhook/([^/<]+)/<', text).group(1)


def _webhook(token: str):
    return Client().post(f"/intake/webhook/{token}/", data=json.dumps(ALARM), content_type="application/json")


def _eventbridge(token: str):
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Test", "source": "aws.test"}
    return Client().post(
        "/intake/eventbridge/",
        data=json.dumps(event),
        content_type="application/json",
        HTTP_X_OPSDESK_INTAKE_KEY=token,
    )


def _create(client, **data):
    return client.post(reverse("inbox:key_create"), data)


@pytest.fixture
def admin(world):
    return client_for(world["admin"])


def test_a_new_webhook_key_is_shown_once_and_its_address_works(world, admin):
    created = _create(admin, purpose="webhook", organisation=world["org_a"].pk, description="Grafana alerts")
    assert created.status_code == 200
    token = _secret(created)
    assert token.startswith("whk_")
    key = IntakeKey.objects.get(description="Grafana alerts")
    assert key.organisation == world["org_a"] and key.token_hint == token[-4:]
    assert _webhook(token).status_code == 200
    # Never again: not on the key's page, not in the list, not in its CSV or its history.
    for url in (
        reverse("inbox:key_detail", args=[key.pk]),
        reverse("inbox:key_list"),
        reverse("inbox:key_list") + "?format=csv",
        reverse("inbox:key_history", args=[key.pk]),
    ):
        page = admin.get(url)
        assert page.status_code == 200, url
        body = b"".join(page.streaming_content) if page.streaming else page.content
        assert token.encode() not in body, url
    listed = admin.get(reverse("inbox:key_list")).content.decode()
    assert "Grafana alerts" in listed and world["org_a"].name in listed and f"…{key.token_hint}" in listed


def test_a_provider_wide_eventbridge_key_goes_in_the_header(world, admin):
    created = _create(admin, purpose="eventbridge", organisation="", description="CloudTrail, all accounts")
    token = _secret(created)
    assert token.startswith("ebk_") and "X-Opsdesk-Intake-Key" in created.content.decode()
    assert IntakeKey.objects.get(description="CloudTrail, all accounts").organisation is None
    assert _eventbridge(token).status_code == 200
    assert _eventbridge("ebk_" + "x" * 43).status_code == 403


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops(world, admin):
    key = services.intake_key_create(
        actor=world["admin"], purpose="eventbridge", organisation=world["org_a"].pk, description="Prod"
    )
    old = key.token
    assert _eventbridge(old).status_code == 200
    detail = admin.get(reverse("inbox:key_detail", args=[key.pk]))
    assert b'data-testid="rotate"' in detail.content and old.encode() not in detail.content
    rotated = admin.post(reverse("inbox:key_rotate", args=[key.pk]), {"version": key.version})
    assert rotated.status_code == 200
    new = _secret(rotated)
    assert new != old
    assert _eventbridge(old).status_code == 403
    assert _eventbridge(new).status_code == 200
    # A page opened before that rotation cannot rotate again over it.
    stale = admin.post(reverse("inbox:key_rotate", args=[key.pk]), {"version": key.version})
    assert stale.status_code == 302
    assert _eventbridge(new).status_code == 200


def test_deleting_asks_first_then_the_secret_stops(world, admin):
    key = services.intake_key_create(
        actor=world["admin"], purpose="webhook", organisation=world["org_a"], description="Old Nagios"
    )
    url = reverse("inbox:key_delete", args=[key.pk])
    confirm = admin.get(url)
    assert confirm.status_code == 200 and "Old Nagios" in confirm.content.decode()
    assert IntakeKey.objects.filter(pk=key.pk).exists()
    gone = admin.post(url, {"version": IntakeKey.objects.get(pk=key.pk).version})
    assert gone.status_code == 302 and gone["Location"] == reverse("inbox:key_list")
    assert not IntakeKey.objects.filter(pk=key.pk).exists()
    assert _webhook(key.token).status_code == 404


@pytest.mark.parametrize(
    "data, field",
    [
        ({"purpose": "webhook", "description": ""}, "description"),
        ({"purpose": "webhook", "description": "   "}, "description"),
        ({"purpose": "webhook", "description": "nul\x00here"}, "description"),
        ({"purpose": "webhook", "description": "x" * 201}, "description"),
        ({"purpose": "webhook", "description": "ok", "organisation": "999999"}, "organisation"),
        ({"purpose": "webhook", "description": "ok", "organisation": "\x00"}, "organisation"),
        ({"purpose": "webhook", "description": "ok", "organisation": ""}, "organisation"),
        ({"purpose": "carrier-pigeon", "description": "ok"}, "purpose"),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(world, admin, data, field):
    data = {"organisation": world["org_a"].pk, **data}
    answer = _create(admin, **data)
    assert answer.status_code == 200
    assert field in answer.context["form"].errors, answer.context["form"].errors
    assert not IntakeKey.objects.exists()


@pytest.mark.parametrize("who", ["customer_a", "customer_b"])
def test_customers_cannot_reach_the_pages(world, who):
    key = services.intake_key_create(
        actor=world["admin"], purpose="webhook", organisation=world["org_a"], description="Zabbix"
    )
    client = client_for(world[who])
    for method, url in (
        ("get", reverse("inbox:key_list")),
        ("get", reverse("inbox:key_create")),
        ("post", reverse("inbox:key_create")),
        ("get", reverse("inbox:key_detail", args=[key.pk])),
        ("post", reverse("inbox:key_rotate", args=[key.pk])),
        ("get", reverse("inbox:key_delete", args=[key.pk])),
        ("post", reverse("inbox:key_delete", args=[key.pk])),
    ):
        answer = getattr(client, method)(url, {"purpose": "webhook", "description": "x", "version": 1})
        assert answer.status_code in (403, 404), (method, url, answer.status_code)
        assert b"Zabbix" not in answer.content
    assert IntakeKey.objects.get(pk=key.pk).token_hint == key.token[-4:]  # not rotated


def test_staff_without_the_manage_permission_see_but_cannot_change(world):
    key = services.intake_key_create(
        actor=world["admin"], purpose="webhook", organisation=world["org_a"], description="Zabbix"
    )
    engineer = client_for(world["engineer"])
    detail = engineer.get(reverse("inbox:key_detail", args=[key.pk]))
    assert detail.status_code == 200 and b'data-testid="rotate"' not in detail.content
    assert engineer.post(reverse("inbox:key_rotate", args=[key.pk])).status_code == 403
    assert engineer.get(reverse("inbox:key_create")).status_code == 403
    assert engineer.post(reverse("inbox:key_delete", args=[key.pk]), {"version": 1}).status_code == 403
    assert _webhook(key.token).status_code == 200


def test_the_inbox_tabs_link_the_keys(world, admin):
    page = admin.get(reverse("inbox:sns_list")).content.decode()
    assert f'href="{reverse("inbox:key_list")}"' in page
