"""Sign-in/out, the landing pages and the shared page furniture (L4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.directory import services
from opsdesk.testing.world import CANARY_A, CANARY_B, PASSWORD
from opsdesk.web.selectors import staff_dashboard

pytestmark = pytest.mark.django_db


def test_every_page_but_login_needs_a_session(client, world):
    for url in (
        "/",
        reverse("directory:organisation_list"),
        reverse("directory:account_detail", args=[world["account_a"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))
    assert client.get(reverse("web:login")).status_code == 200


def test_login_with_email_then_logout_by_post(client, world):
    response = client.post(
        reverse("web:login"), {"username": world["customer_a"].email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert client.get("/").status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405  # logging out is a POST (CSRF-protected)
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")
    assert client.get("/").status_code == 302


def test_login_failure_is_shown_on_the_form(client, world):
    response = client.post(
        reverse("web:login"), {"username": world["admin"].email, "password": "wrong-one-xx"}
    )
    assert response.status_code == 200
    assert b"form-errors" in response.content


def test_staff_desk_dashboard_counts(client, world):
    client.force_login(world["service_desk"])
    response = client.get("/")
    assert response.status_code == 200
    assert b"Staff desk" in response.content
    counts = response.context
    assert counts["organisation_count"] == 2
    states = {row["value"]: row["count"] for row in counts["accounts_by_state"]}
    assert states == {"onboarding": 0, "onboarded": 4, "offboarded": 0}
    # World contacts were never verified: both count as overdue (I3).
    assert counts["stale_contact_count"] == 2
    envs = {row["value"]: row["count"] for row in counts["services_by_environment"]}
    assert envs == {"production": 2, "non-production": 0}
    nav = [item["label"] for item in counts["nav_items"]]
    assert nav == ["Desk", "Organisations", "Accounts", "Contacts", "Services", "Users"]


def test_marking_a_contact_verified_takes_it_off_the_dashboard(world):
    services.contact_mark_verified(actor=world["admin"], contact=world["contact_a"])
    assert staff_dashboard(user=world["admin"])["stale_contact_count"] == 1


def test_customer_portal_home_shows_only_their_organisation(client, world):
    client.force_login(world["customer_a"])
    response = client.get("/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Customer portal" in text
    assert world["org_a"].name in text
    assert world["csdm"].full_name in text
    assert world["account_a"].account_id in text and world["member_a"].account_id in text
    assert world["service_a"].reference in text
    assert CANARY_B not in text
    nav = [item["label"] for item in response.context["nav_items"]]
    assert nav == ["Home", "Organisation", "Accounts", "Contacts", "Services"]
    assert "Users" not in nav


def test_static_assets_are_linked(client, world):
    client.force_login(world["customer_b"])
    text = client.get("/").content.decode()
    for asset in ("opsdesk/vendor/pico.min.css", "opsdesk/vendor/htmx.min.js", "opsdesk/opsdesk.css"):
        assert asset in text
    assert CANARY_A not in text


def test_not_found_page_is_the_styled_one(client, world):
    client.force_login(world["customer_a"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
