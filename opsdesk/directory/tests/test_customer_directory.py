"""Customers keep their own directory (issue 9, item 3): a customer administrator (a flag on their
named contact) adds, edits and retires their organisation's named contacts and portal users,
re-verifies contacts and records or withdraws GDPR consent; a contact without consent cannot be
made a contact for notifications; staff see every change in the audit log."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.core.models import AuditEvent
from opsdesk.directory import selectors, services
from opsdesk.directory.models import NamedContact, User

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def fields(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


@pytest.fixture
def cadmin(world) -> User:
    """customer_a, made their organisation's customer administrator by the provider."""
    services.contact_update(actor=world["admin"], contact=world["contact_a"], is_customer_administrator=True)
    return User.objects.get(pk=world["customer_a"].pk)


def _new_contact(client, world, **extra):
    body = {"organisation": world["org_a"].pk, "name": "Nia Patel", "email": "nia@a.test", **extra}
    return post(client, f"{API}/contacts", body)


def test_customer_administrator_adds_and_edits_their_contacts_and_staff_see_it_audited(world, cadmin):
    client = _client(cadmin)
    created = _new_contact(client, world, job_title="DBA")
    assert created.status_code == 201, created.content
    contact_id = created.json()["id"]
    url = f"{API}/contacts/{contact_id}"
    etag = client.get(url)["ETag"]
    patched = client.patch(
        url, data=json.dumps({"phone": "+44 1"}), content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert patched.status_code == 200 and patched.json()["phone"] == "+44 1"

    staff = _client(world["service_desk"])
    events = staff.get(f"{API}/audit-events?object_type=directory.namedcontact&object_id={contact_id}").json()
    assert sorted((e["action"], e["actor_label"]) for e in events["results"]) == [
        ("create", cadmin.email),
        ("update", cadmin.email),
    ]


def test_a_customer_who_is_not_administrator_gets_403_and_reads_only(world):
    client = _client(world["customer_a"])
    assert _new_contact(client, world).status_code == 403
    url = f"{API}/contacts/{world['contact_a'].pk}"
    assert post(client, f"{url}/retire").status_code == 403
    assert post(client, f"{url}/consent", {"method": "form"}).status_code == 403
    assert client.get(reverse("directory:contact_create")).status_code == 403
    assert client.get(f"{API}/users").json()["count"] == 1  # only themselves
    assert not NamedContact.objects.filter(email="nia@a.test").exists()


def test_another_organisations_contact_is_404_and_cannot_be_created_there(world, cadmin):
    client = _client(cadmin)
    other = world["contact_b"]
    etag = f'"{other.pk}-{other.version}"'
    url = f"{API}/contacts/{other.pk}"
    assert (
        client.patch(url, data="{}", content_type="application/json", HTTP_IF_MATCH=etag).status_code == 404
    )
    for step in ("verify", "retire", "withdraw-consent"):
        assert post(client, f"{url}/{step}").status_code == 404
    assert post(client, f"{url}/consent", {"method": "form"}).status_code == 404
    assert client.get(reverse("directory:contact_update", args=[other.pk])).status_code == 404
    assert client.post(reverse("directory:contact_retire", args=[other.pk])).status_code == 404
    response = post(
        client, f"{API}/contacts", {"organisation": world["org_b"].pk, "name": "X", "email": "x@b.test"}
    )
    assert response.status_code == 422 and fields(response) == {"organisation"}
    # The service itself refuses an object of another organisation handed to it.
    with pytest.raises(Exception) as info:
        services.contact_retire(actor=cadmin, contact=world["contact_b"])
    assert type(info.value).__name__ == "NotFound"
    assert NamedContact.objects.get(pk=other.pk).retired_at is None


def test_no_consent_no_notification_flags(world, cadmin):
    client = _client(cadmin)
    response = _new_contact(client, world, is_technical_out_of_hours=True, is_escalation_contact=True)
    assert response.status_code == 422
    assert fields(response) == {"is_technical_out_of_hours", "is_escalation_contact"}
    assert "GDPR consent" in response.json()["errors"][0]["message"]
    assert not NamedContact.objects.filter(email="nia@a.test").exists()

    contact = _new_contact(client, world, is_billing_contact=True).json()  # not a notification flag
    url = f"{API}/contacts/{contact['id']}"
    etag = client.get(url)["ETag"]
    refused = client.patch(
        url,
        data=json.dumps({"is_technical_in_hours": True}),
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert refused.status_code == 422 and fields(refused) == {"is_technical_in_hours"}

    # Consent first (how is required), then the flag.
    assert fields(post(client, f"{url}/consent", {"method": "  "})) == {"method"}
    consented = post(client, f"{url}/consent", {"method": "signed form"})
    assert consented.status_code == 200
    body = consented.json()
    assert body["gdpr_consent"] and body["gdpr_consent_at"] and body["gdpr_consent_method"] == "signed form"
    assert body["gdpr_consent_recorded_by"]["id"] == cadmin.pk
    done = client.patch(
        url,
        data=json.dumps({"is_technical_in_hours": True}),
        content_type="application/json",
        HTTP_IF_MATCH=consented["ETag"],
    )
    assert done.status_code == 200 and done.json()["is_technical_in_hours"]

    # Withdrawn: the record is cleared and the contact is no longer one for notifications.
    withdrawn = post(client, f"{url}/withdraw-consent").json()
    assert not withdrawn["gdpr_consent"] and withdrawn["gdpr_consent_at"] is None
    assert withdrawn["gdpr_consent_method"] == "" and not withdrawn["is_technical_in_hours"]
    assert post(client, f"{url}/withdraw-consent").status_code == 422


def test_retire_deactivates_the_portal_user_and_ends_reverification(world, cadmin):
    admin = world["admin"]
    contact = services.contact_create(
        actor=admin,
        organisation=world["org_a"],
        name="Leaver",
        email="leaver@a.test",
        gdpr_consent=True,
        is_technical_in_hours=True,
    )
    person = services.user_create(
        actor=admin, email="leaver@a.test", full_name="Leaver", role="customer", contact=contact.pk
    )
    client = _client(cadmin)
    url = f"{API}/contacts/{contact.pk}"
    retired = post(client, f"{url}/retire")
    assert retired.status_code == 200
    assert retired.json()["retired_at"] and not retired.json()["is_technical_in_hours"]
    assert not User.objects.get(pk=person.pk).is_active
    assert post(client, f"{url}/retire").status_code == 422
    assert not selectors.contact_list(user=admin, reverification_due=True).filter(pk=contact.pk).exists()
    assert client.get(f"{API}/contacts?retired=true").json()["count"] == 1
    # A retired contact cannot be made a contact for notifications again, nor get a user.
    refused = client.patch(
        url,
        data=json.dumps({"is_escalation_contact": True}),
        content_type="application/json",
        HTTP_IF_MATCH=retired["ETag"],
    )
    assert refused.status_code == 422
    # Nor can the administrator retire themselves or drop their own flag.
    own = f"{API}/contacts/{world['contact_a'].pk}"
    assert post(client, f"{own}/retire").status_code == 422
    etag = client.get(own)["ETag"]
    demoted = client.patch(
        own,
        data=json.dumps({"is_customer_administrator": False}),
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert demoted.status_code == 422 and fields(demoted) == {"is_customer_administrator"}


def test_customer_administrator_reverifies_a_contact(world, cadmin):
    client = _client(cadmin)
    assert world["contact_a"].last_verified_at is None
    response = post(client, f"{API}/contacts/{world['contact_a'].pk}/verify")
    assert response.status_code == 200 and response.json()["last_verified_at"]
    assert not selectors.contact_reverification_due(NamedContact.objects.get(pk=world["contact_a"].pk))


def test_customer_administrator_manages_their_portal_users_only(world, cadmin):
    client = _client(cadmin)
    contact = services.contact_create(
        actor=cadmin, organisation=world["org_a"], name="New Person", email="new@a.test"
    )
    listed = client.get(f"{API}/users").json()
    assert {u["id"] for u in listed["results"]} == {cadmin.pk}  # org A's users only, no staff
    bad_role = post(
        client,
        f"{API}/users",
        {"email": "x@a.test", "full_name": "X", "role": "administrator", "contact": contact.pk},
    )
    assert bad_role.status_code == 422 and fields(bad_role) == {"role"}
    other_org = post(
        client,
        f"{API}/users",
        {"email": "x@a.test", "full_name": "X", "role": "customer", "contact": world["contact_b"].pk},
    )
    assert other_org.status_code == 422 and fields(other_org) == {"contact"}
    created = post(
        client,
        f"{API}/users",
        {"email": "new@a.test", "full_name": "New Person", "role": "customer", "contact": contact.pk},
    )
    assert created.status_code == 201, created.content
    url = f"{API}/users/{created.json()['id']}"
    patched = client.patch(
        url,
        data=json.dumps({"is_active": False}),
        content_type="application/json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert patched.status_code == 200 and not patched.json()["is_active"]
    # Staff users and another organisation's users are not theirs to see.
    assert client.get(f"{API}/users/{world['engineer'].pk}").status_code == 404
    assert client.get(f"{API}/users/{world['customer_b'].pk}").status_code == 404
    staff = _client(world["admin"])
    events = staff.get(
        f"{API}/audit-events?object_type=directory.user&object_id={created.json()['id']}"
    ).json()
    assert [e["actor_label"] for e in events["results"]] == [cadmin.email, cadmin.email]


def test_portal_pages_for_the_customer_administrator(world, cadmin):
    client = _client(cadmin)
    home = client.get(reverse("web:home")).content.decode()
    assert reverse("directory:user_list") in home  # "Users" in their navigation
    page = client.get(reverse("directory:contact_create"))
    assert page.status_code == 200
    form = page.content.decode()
    assert world["org_a"].name in form and world["org_b"].name not in form
    response = client.post(
        reverse("directory:contact_create"),
        {
            "organisation": world["org_a"].pk,
            "name": "Page Person",
            "email": "page@a.test",
            "is_escalation_contact": "on",
        },
    )
    assert response.status_code == 200  # shown again with the consent error on the field
    assert "GDPR consent" in response.content.decode()
    response = client.post(
        reverse("directory:contact_create"),
        {
            "organisation": world["org_a"].pk,
            "name": "Page Person",
            "email": "page@a.test",
            "is_escalation_contact": "on",
            "gdpr_consent": "on",
            "gdpr_consent_method": "email of 3 March",
        },
    )
    assert response.status_code == 302
    contact = NamedContact.objects.get(email="page@a.test")
    assert (
        contact.gdpr_consent_method == "email of 3 March" and contact.gdpr_consent_recorded_by_id == cadmin.pk
    )

    detail = client.get(reverse("directory:contact_detail", args=[contact.pk])).content.decode()
    assert 'data-testid="consent-actions"' in detail and "recorded by" in detail
    client.post(
        reverse("directory:contact_withdraw_consent", args=[contact.pk]), {"version": contact.version}
    )
    contact.refresh_from_db()
    assert not contact.gdpr_consent and not contact.is_escalation_contact
    response = client.post(
        reverse("directory:contact_consent", args=[contact.pk]), {"method": ""}, follow=True
    )
    assert "Say how consent was given" in response.content.decode()
    client.post(reverse("directory:contact_retire", args=[contact.pk]), {"version": contact.version})
    contact.refresh_from_db()
    assert contact.retired_at is not None

    users = client.get(reverse("directory:user_create"))
    assert users.status_code == 200 and "Administrator" not in users.content.decode().split("<main")[-1]
    assert client.get(reverse("directory:user_list")).status_code == 200
    assert client.get(reverse("directory:user_detail", args=[world["customer_b"].pk])).status_code == 404

    # A plain customer sees none of it.
    plain = _client(world["customer_b"])
    assert plain.get(reverse("directory:user_list")).status_code == 403
    assert (
        'data-testid="consent-actions"'
        not in plain.get(reverse("directory:contact_detail", args=[world["contact_b"].pk])).content.decode()
    )
    assert AuditEvent.objects.filter(actor=cadmin, object_type="directory.namedcontact").count() >= 3
