"""Directory pages (A1–A5, L4): lists with filters and sorting, forms with inline errors and
stale-version protection, tenancy (404) and permissions (403) through the same selectors/services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.core.models import AuditEvent
from opsdesk.core.ui.views import STALE_EDIT_MESSAGE
from opsdesk.directory import services
from opsdesk.directory.models import CloudAccount, NamedContact, Organisation, Runbook, Service, User
from opsdesk.testing.world import CANARY_A, CANARY_B

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args) -> str:
    return reverse(f"directory:{name}", args=args)


@pytest.fixture
def staff(client, world):
    client.force_login(world["service_desk"])
    return client


@pytest.fixture
def admin_client(client, world):
    client.force_login(world["admin"])
    return client


def rows(response) -> list:
    return list(response.context["listing"].page.object_list)


# --- lists: filters, sorting, htmx partials, pagination ---------------------------------------


def test_organisation_list_filters_by_search_and_plan(staff, world):
    assert len(rows(staff.get(url("organisation_list")))) == 2
    assert [o.pk for o in rows(staff.get(url("organisation_list"), {"q": CANARY_B}))] == [world["org_b"].pk]
    assert rows(staff.get(url("organisation_list"), {"service_plan": "accelerate"})) == []
    assert len(rows(staff.get(url("organisation_list"), {"service_plan": "advanced"}))) == 2


def test_sorting_by_whitelisted_keys_only(staff, world):
    ascending = [a.account_id for a in rows(staff.get(url("account_list"), {"sort": "account_id"}))]
    descending = [a.account_id for a in rows(staff.get(url("account_list"), {"sort": "-account_id"}))]
    assert ascending == sorted(ascending) and descending == ascending[::-1]
    response = staff.get(url("account_list"), {"sort": "organisation__calendar__timezone"})
    assert response.status_code == 200 and response.context["listing"].sort == "account_id"
    # The header links toggle the direction and keep the filters.
    text = staff.get(url("account_list"), {"sort": "account_id", "q": "1111"}).content.decode()
    assert 'href="/accounts/?sort=-account_id&amp;q=1111"' in text or "q=1111&amp;sort=-account_id" in text
    assert 'aria-sort="ascending"' in text


def test_account_filters_state_kind_and_organisation(staff, world):
    services.account_update(actor=world["admin"], account=world["member_b"], onboarding_state="offboarded")
    offboarded = rows(staff.get(url("account_list"), {"onboarding_state": "offboarded"}))
    assert [a.pk for a in offboarded] == [world["member_b"].pk]
    management = rows(staff.get(url("account_list"), {"kind": "management"}))
    assert {a.pk for a in management} == {world["account_a"].pk, world["account_b"].pk}
    of_a = rows(staff.get(url("account_list"), {"organisation": world["org_a"].pk}))
    assert {a.pk for a in of_a} == {world["account_a"].pk, world["member_a"].pk}
    # A filter value that is not a choice filters nothing instead of failing.
    assert staff.get(url("account_list"), {"onboarding_state": "bogus"}).status_code == 200


def test_contact_filters_flag_and_verification(staff, world):
    services.contact_update(actor=world["admin"], contact=world["contact_b"], is_billing_contact=True)
    billing = rows(staff.get(url("contact_list"), {"flag": "is_billing_contact"}))
    assert [c.pk for c in billing] == [world["contact_b"].pk]
    services.contact_mark_verified(actor=world["admin"], contact=world["contact_a"])
    stale = rows(staff.get(url("contact_list"), {"verification": "stale"}))
    assert [c.pk for c in stale] == [world["contact_b"].pk]


def test_service_filter_by_environment(staff, world):
    assert rows(staff.get(url("service_list"), {"environment": "non-production"})) == []
    assert len(rows(staff.get(url("service_list"), {"environment": "production"}))) == 2


def test_htmx_request_gets_only_the_table_partial(staff, world):
    full = staff.get(url("contact_list"), {"q": CANARY_A})
    partial = staff.get(url("contact_list"), {"q": CANARY_A}, **HTMX)
    assert b"<html" in full.content and b'id="results"' in full.content
    assert b"<html" not in partial.content and b'id="rows"' in partial.content
    assert CANARY_A.encode() in partial.content and CANARY_B.encode() not in partial.content
    assert "HX-Request" in partial["Vary"]
    # The filter form targets the same URL with htmx and works as a plain GET form too.
    assert b'hx-get="/contacts/"' in full.content and b'method="get"' in full.content


def test_lists_paginate(admin_client, world):
    for i in range(27):
        services.contact_create(
            actor=world["admin"], organisation=world["org_a"], name=f"Bulk {i:02}", email=f"bulk{i}@a.test"
        )
    first = admin_client.get(url("contact_list"))
    assert len(rows(first)) == 25 and b'rel="next"' in first.content
    second = admin_client.get(url("contact_list"), {"page": 2})
    assert len(rows(second)) == 4


# --- detail pages --------------------------------------------------------------------------------


def test_account_detail_shows_the_organizations_structure(staff, world):
    text = staff.get(url("account_detail", world["account_a"].pk)).content.decode()
    assert "all-features" in text and world["member_a"].account_id in text
    text = staff.get(url("account_detail", world["member_a"].pk)).content.decode()
    assert "Member account of" in text and world["account_a"].account_id in text


def test_contact_detail_badges_and_overdue_warning(staff, world):
    response = staff.get(url("contact_detail", world["contact_a"].pk))
    text = response.content.decode()
    assert "badge-flag" in text and "Escalation contact" in text and "Authorised change approver" in text
    assert 'data-testid="verification-warning"' in text and "Never verified" in text
    NamedContact.objects.filter(pk=world["contact_a"].pk).update(
        last_verified_at=world["contact_a"].created_at - dt.timedelta(days=120)
    )
    text = staff.get(url("contact_detail", world["contact_a"].pk)).content.decode()
    assert "Not verified for" in text


def test_mark_verified_is_a_post_action(staff, world):
    target = url("contact_verify", world["contact_a"].pk)
    assert staff.get(target).status_code == 405
    response = staff.post(target)
    assert response.status_code == 302 and response["Location"] == url(
        "contact_detail", world["contact_a"].pk
    )
    assert NamedContact.objects.get(pk=world["contact_a"].pk).last_verified_at is not None
    assert b"verification-warning" not in staff.get(response["Location"]).content


def test_service_detail_renders_runbooks_as_sanitised_markdown(staff, world):
    services.runbook_create(
        actor=world["admin"],
        service=world["service_a"],
        title="Danger",
        body="## Steps\n\n<script>alert(1)</script>\n\n- [link](javascript:alert(1))",
    )
    text = staff.get(url("service_detail", world["service_a"].pk)).content.decode()
    assert "<h1>Restart</h1>" in text and "<h2>Steps</h2>" in text
    assert "<script>alert(1)</script>" not in text and 'href="javascript:' not in text
    assert world["account_a"].account_id in text and world["contact_a"].name in text


def test_history_shows_before_and_after(staff, world):
    services.organisation_update(actor=world["admin"], organisation=world["org_a"], notes="changed notes")
    response = staff.get(url("organisation_history", world["org_a"].pk))
    text = response.content.decode()
    assert response.status_code == 200
    assert "changed notes" in text and f"notes {CANARY_A}" in text
    assert "Updated" in text and "Created" in text


# --- forms: inline errors, nothing stored, stale versions --------------------------------------


def test_create_account_with_11_digits_shows_inline_error_and_stores_nothing(staff, world):
    before = CloudAccount.objects.count()
    events = AuditEvent.objects.count()
    response = staff.post(
        url("account_create"),
        {
            "organisation": world["org_a"].pk,
            "account_id": "12345678901",
            "onboarding_state": "onboarding",
        },
    )
    assert response.status_code == 200
    assert "12 digits" in " ".join(response.context["form"].errors["account_id"])
    assert b'id="account_id-error"' in response.content and b'aria-invalid="true"' in response.content
    assert CloudAccount.objects.count() == before and AuditEvent.objects.count() == events


def test_create_account_success_redirects_to_it(staff, world):
    response = staff.post(
        url("account_create"),
        {
            "organisation": world["org_a"].pk,
            "account_id": "444444444401",
            "name": "new",
            "regions": "eu-west-2, us-east-1",
            "onboarding_state": "onboarded",
            "management_account": world["account_a"].pk,
        },
    )
    account = CloudAccount.objects.get(account_id="444444444401")
    assert response.status_code == 302 and response["Location"] == url("account_detail", account.pk)
    assert account.regions == ["eu-west-2", "us-east-1"] and account.management_account == world["account_a"]


def test_service_error_on_a_structural_rule_lands_on_its_field(staff, world):
    response = staff.post(
        url("account_create"),
        {
            "organisation": world["org_b"].pk,
            "account_id": "444444444402",
            "onboarding_state": "onboarded",
            "all_features": "on",
        },
    )
    assert "Only a management account" in " ".join(response.context["form"].errors["all_features"])
    assert not CloudAccount.objects.filter(account_id="444444444402").exists()


def test_management_account_choices_follow_the_organisation(staff, world):
    form = staff.get(url("account_create"), {"organisation": world["org_b"].pk}).context["form"]
    assert [c for c, _ in form.fields["management_account"].choices if c] == [str(world["account_b"].pk)]
    assert form.initial["organisation"] == world["org_b"].pk


def test_create_organisation_missing_name_is_a_form_error(client, world):
    client.force_login(world["csdm"])
    count = Organisation.objects.count()
    response = client.post(url("organisation_create"), {"service_plan": "advanced", "calendar": "uk"})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert Organisation.objects.count() == count


def test_edit_with_a_stale_version_is_refused(admin_client, world):
    org = world["org_a"]
    form = admin_client.get(url("organisation_update", org.pk)).context["form"]
    assert form.initial["version"] == org.version
    services.organisation_update(actor=world["csdm"], organisation=org, notes="someone else")
    data = {
        "name": "Mine",
        "service_plan": "advanced",
        "calendar": "uk",
        "notes": "mine",
        "version": org.version,
    }
    response = admin_client.post(url("organisation_update", org.pk), data)
    assert response.status_code == 200
    assert STALE_EDIT_MESSAGE in response.context["form"].non_field_errors()
    assert "changed by someone else" in response.content.decode()
    assert Organisation.objects.get(pk=org.pk).notes == "someone else"
    fresh = Organisation.objects.get(pk=org.pk)
    response = admin_client.post(url("organisation_update", org.pk), {**data, "version": fresh.version})
    assert response.status_code == 302 and Organisation.objects.get(pk=org.pk).name == "Mine"


def test_runbook_create_and_edit(staff, world):
    response = staff.post(
        url("runbook_create", world["service_a"].pk), {"title": "Failover", "body": "1. go"}
    )
    runbook = Runbook.objects.get(title="Failover")
    assert response["Location"].endswith(f"#runbook-{runbook.pk}")
    response = staff.post(
        url("runbook_update", runbook.pk),
        {"title": "Failover", "body": "1. go\n2. check", "version": runbook.version},
    )
    assert response.status_code == 302 and Runbook.objects.get(pk=runbook.pk).body.endswith("check")


def test_service_create_rejects_accounts_not_onboarded(staff, world):
    pending = services.account_create(
        actor=world["admin"], organisation=world["org_a"], account_id="555555555501"
    )
    response = staff.post(
        url("service_create"),
        {
            "organisation": world["org_a"].pk,
            "reference": "NEW-1",
            "name": "New",
            "environment": "production",
            "accounts": [pending.pk],
        },
    )
    assert response.status_code == 200
    assert "onboarded" in " ".join(response.context["form"].errors["accounts"])


def as_post(form) -> dict:
    """What the browser sends back for a form as it was shown (unchecked boxes and empty values left out)."""
    data = {}
    for field in form:
        value = field.value()
        if value not in (None, "", False, []):
            data[field.html_name] = value
    return data


@pytest.mark.parametrize(
    ("name", "title", "submit", "cancel"),
    [
        ("organisation_create", "New organisation", "Create organisation", "organisation_list"),
        ("account_create", "New cloud account", "Create account", "account_list"),
        ("contact_create", "New named contact", "Create contact", "contact_list"),
        ("service_create", "New service", "Create service", "service_list"),
        ("user_create", "New user", "Create user", "user_list"),
    ],
)
def test_an_invalid_create_shows_its_page_again_with_the_errors(admin_client, name, title, submit, cancel):
    response = admin_client.post(url(name), {})
    assert response.status_code == 200 and response.context["form"].errors
    assert [t.name for t in response.templates][0] == "core/form.html"
    context = response.context
    assert (context["title"], context["submit_label"], context["cancel_url"]) == (title, submit, url(cancel))
    assert 'aria-invalid="true"' in response.content.decode()


def test_an_invalid_runbook_is_shown_again_on_its_service(admin_client, world):
    service = world["service_a"]
    response = admin_client.post(url("runbook_create", service.pk), {"title": "", "body": "x"})
    assert response.status_code == 200 and "title" in response.context["form"].errors
    assert response.context["title"] == f"New runbook for {service.reference}"
    assert response.context["cancel_url"] == url("service_detail", service.pk)
    assert not Runbook.objects.filter(body="x").exists()


@pytest.mark.parametrize(
    ("name", "key", "model", "field", "saved"),
    [
        ("organisation_update", "org_a", Organisation, "notes", "Organisation {o.name} saved."),
        ("account_update", "member_a", CloudAccount, "name", "Account {o.account_id} saved."),
        ("contact_update", "contact_a", NamedContact, "job_title", "Contact {o.name} saved."),
        ("service_update", "service_a", Service, "description", "Service {o.reference} saved."),
        ("runbook_update", "runbook_a", Runbook, "body", "Runbook “{o.title}” saved."),
        ("user_update", "engineer", User, "full_name", "User {o.email} saved."),
    ],
)
def test_every_edit_page_refuses_a_stale_version_then_saves(
    admin_client, world, name, key, model, field, saved
):
    obj = world[key]
    page = admin_client.get(url(name, obj.pk))
    assert page.context["submit_label"] in ("Save changes", "Save runbook")
    data = {**as_post(page.context["form"]), field: "Edited through the page"}
    model.objects.filter(pk=obj.pk).update(version=F("version") + 1)  # someone else saved meanwhile

    stale = admin_client.post(url(name, obj.pk), data)
    assert stale.status_code == 200
    assert STALE_EDIT_MESSAGE in stale.context["form"].non_field_errors()
    assert stale.context["title"] == page.context["title"]
    assert getattr(model.objects.get(pk=obj.pk), field) != "Edited through the page"

    data["version"] = model.objects.get(pk=obj.pk).version
    response = admin_client.post(url(name, obj.pk), data)
    obj = model.objects.get(pk=obj.pk)
    assert response.status_code == 302 and getattr(obj, field) == "Edited through the page"
    detail = f"{url('service_detail', obj.service_id)}#runbook-{obj.pk}" if model is Runbook else None
    assert response["Location"] == (detail or page.context["cancel_url"])
    assert [m.message for m in get_messages(response.wsgi_request)] == [saved.format(o=obj)]


# --- tenancy and permissions ----------------------------------------------------------------------


def test_customer_sees_only_their_own_organisation(client, world):
    client.force_login(world["customer_a"])
    for name in ("organisation_list", "account_list", "contact_list", "service_list"):
        response = client.get(url(name))
        assert response.status_code == 200
        assert CANARY_A in response.content.decode() and CANARY_B not in response.content.decode(), name
        assert response.context["create_url"] is None
    for name, key in (
        ("organisation_detail", "org_b"),
        ("account_detail", "account_b"),
        ("contact_detail", "contact_b"),
        ("service_detail", "service_b"),
        ("organisation_history", "org_b"),
        ("runbook_history", "runbook_b"),
    ):
        response = client.get(url(name, world[key].pk))
        assert response.status_code == 404, name
        assert b"Page not found" in response.content
    text = client.get(url("organisation_detail", world["org_a"].pk)).content.decode()
    assert "/edit/" not in text and "Add account" not in text


def test_customer_post_to_edit_is_forbidden(client, world):
    client.force_login(world["customer_a"])
    org = world["org_a"]
    data = {"name": "Hijack", "service_plan": "advanced", "calendar": "uk", "version": org.version}
    response = client.post(url("organisation_update", org.pk), data)
    assert response.status_code == 403 and b"Not allowed" in response.content
    assert client.post(url("contact_verify", world["contact_a"].pk)).status_code == 403
    assert (
        client.post(url("account_create"), {"organisation": org.pk, "account_id": "666666666601"}).status_code
        == 403
    )
    assert client.get(url("user_list")).status_code == 403
    assert Organisation.objects.get(pk=org.pk).name == org.name


def test_customer_history_shows_public_events_only(client, world):
    client.force_login(world["customer_a"])
    response = client.get(url("organisation_history", world["org_a"].pk))
    assert response.status_code == 200 and all(e.public for e in response.context["page"])


def test_staff_without_the_permission_get_403_on_forms(client, world):
    client.force_login(world["operations_reviewer"])
    assert client.get(url("organisation_create")).status_code == 403
    assert client.get(url("account_update", world["account_a"].pk)).status_code == 403
    assert client.get(url("organisation_detail", world["org_a"].pk)).status_code == 200


def test_users_are_managed_by_administrators(client, world):
    client.force_login(world["service_desk"])
    assert client.get(url("user_list")).status_code == 200
    assert client.get(url("user_create")).status_code == 403
    client.force_login(world["admin"])
    response = client.post(
        url("user_create"),
        {
            "email": "new.engineer@provider.test",
            "full_name": "New Engineer",
            "role": "engineer",
            "is_active": "on",
            "password": "short",
        },
    )
    assert response.status_code == 200 and "password" in response.context["form"].errors
    response = client.post(
        url("user_create"),
        {
            "email": "new.customer@a.test",
            "full_name": "New Customer",
            "role": "customer",
            "is_active": "on",
        },
    )
    assert "contact" in response.context["form"].errors
    engineer = world["engineer"]
    response = client.post(
        url("user_update", engineer.pk),
        {
            "email": engineer.email,
            "full_name": "Renamed",
            "role": "engineer",
            "is_active": "on",
            "version": engineer.version,
        },
    )
    assert response.status_code == 302
    assert client.get(url("user_list"), {"role": "engineer"}).context["listing"].total == 1
    assert b"Renamed" in client.get(url("user_history", engineer.pk)).content


def test_list_pages_do_not_query_per_row(staff, world):
    """No N+1: a list costs the same number of queries with 1 or many rows per organisation."""
    names = ("organisation_list", "account_list", "contact_list", "service_list", "user_list")

    def counts() -> dict[str, int]:
        result = {}
        for name in names:
            with CaptureQueriesContext(connection) as ctx:
                assert staff.get(url(name)).status_code == 200
            result[name] = len(ctx.captured_queries)
        return result

    before = counts()
    admin, org = world["admin"], world["org_a"]
    for i in range(3):
        account = services.account_create(
            actor=admin,
            organisation=org,
            account_id=f"77777777770{i}",
            onboarding_state="onboarded",
            management_account=world["account_a"].pk,
        )
        contact = services.contact_create(actor=admin, organisation=org, name=f"N{i}", email=f"n{i}@a.test")
        services.service_create(
            actor=admin,
            organisation=org,
            reference=f"NPLUS-{i}",
            name="n",
            environment="production",
            accounts=[account.pk],
            contacts=[contact.pk],
        )
    assert counts() == before
