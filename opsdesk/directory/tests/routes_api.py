"""Tenancy-walk declarations of the directory API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route

API = "/api/v1"


def _account(w):
    return {
        "organisation": w["org_a"].pk,
        "account_id": "333333333301",
        "name": "walk",
        "regions": ["eu-west-2"],
        "onboarding_state": "onboarded",
    }


def _contact(w):
    return {
        "organisation": w["org_a"].pk,
        "name": "Walk Contact",
        "email": "walk@example.test",
        "is_billing_contact": True,
    }


def _service(w):
    return {
        "organisation": w["org_a"].pk,
        "reference": "WALK-1",
        "name": "Walk service",
        "environment": "non-production",
        "accounts": [w["account_a"].pk],
    }


ROUTES = [
    Route("api", f"{API}/organisations"),
    Route(
        "api",
        f"{API}/organisations",
        "POST",
        staff_only=True,
        permission="directory.change_organisation",
        body=lambda w: {"name": "Walk Org", "service_plan": "advanced", "calendar": "uk"},
    ),
    Route("api", f"{API}/organisations/{{organisation_id}}", params={"organisation_id": "org_a"}),
    Route(
        "api",
        f"{API}/organisations/{{organisation_id}}",
        "PATCH",
        params={"organisation_id": "org_a"},
        permission="directory.change_organisation",
        if_match="org_a",
        body=lambda w: {"notes": "walked"},
    ),
    Route("api", f"{API}/accounts"),
    Route("api", f"{API}/accounts", "POST", permission="directory.change_cloudaccount", body=_account),
    Route("api", f"{API}/accounts/{{account_pk}}", params={"account_pk": "member_a"}),
    Route(
        "api",
        f"{API}/accounts/{{account_pk}}",
        "PATCH",
        params={"account_pk": "member_a"},
        permission="directory.change_cloudaccount",
        if_match="member_a",
        body=lambda w: {"name": "walked"},
    ),
    Route(
        "api",
        f"{API}/accounts/{{account_pk}}",
        "DELETE",
        params={"account_pk": "member_a"},
        permission="directory.change_cloudaccount",
        if_match="member_a",
    ),
    Route("api", f"{API}/contacts"),
    Route("api", f"{API}/contacts", "POST", permission="directory.change_namedcontact", body=_contact),
    Route("api", f"{API}/contacts/{{contact_id}}", params={"contact_id": "contact_a"}),
    *(
        Route(
            "api",
            f"{API}/contacts/{{contact_id}}/{step}",
            "POST",
            params={"contact_id": "contact_a"},
            permission="directory.change_namedcontact",
            body=(lambda w: {"method": "walk form"}) if step == "consent" else None,
        )
        for step in ("verify", "consent", "withdraw-consent", "retire")
    ),
    Route(
        "api",
        f"{API}/contacts/{{contact_id}}",
        "PATCH",
        params={"contact_id": "contact_a"},
        permission="directory.change_namedcontact",
        if_match="contact_a",
        body=lambda w: {"phone": "+44 1"},
    ),
    Route(
        "api",
        f"{API}/contacts/{{contact_id}}",
        "DELETE",
        params={"contact_id": "spare_contact_a"},
        permission="directory.change_namedcontact",
        if_match="spare_contact_a",
    ),
    Route("api", f"{API}/services"),
    Route("api", f"{API}/services", "POST", permission="directory.change_service", body=_service),
    Route("api", f"{API}/services/{{service_id}}", params={"service_id": "service_a"}),
    Route(
        "api",
        f"{API}/services/{{service_id}}",
        "PATCH",
        params={"service_id": "service_a"},
        permission="directory.change_service",
        if_match="service_a",
        body=lambda w: {"description": "walked"},
    ),
    Route(
        "api",
        f"{API}/services/{{service_id}}",
        "DELETE",
        params={"service_id": "service_a"},
        permission="directory.change_service",
        if_match="service_a",
    ),
    Route("api", f"{API}/services/{{service_id}}/runbooks", params={"service_id": "service_a"}),
    Route(
        "api",
        f"{API}/services/{{service_id}}/runbooks",
        "POST",
        params={"service_id": "service_a"},
        permission="directory.change_service",
        body=lambda w: {"title": "Walk", "body": "*walk*"},
    ),
    Route("api", f"{API}/runbooks/{{runbook_id}}", params={"runbook_id": "runbook_a"}),
    Route(
        "api",
        f"{API}/runbooks/{{runbook_id}}",
        "PATCH",
        params={"runbook_id": "runbook_a"},
        permission="directory.change_service",
        if_match="runbook_a",
        body=lambda w: {"body": "walked"},
    ),
    Route(
        "api",
        f"{API}/runbooks/{{runbook_id}}",
        "DELETE",
        params={"runbook_id": "runbook_a"},
        permission="directory.change_service",
        if_match="runbook_a",
    ),
    Route("api", f"{API}/users"),
    Route("api", f"{API}/users/me"),
    Route(
        "api",
        f"{API}/users",
        "POST",
        staff_only=True,
        permission="directory.change_user",
        body=lambda w: {"email": "walk@provider.test", "full_name": "Walk", "role": "engineer"},
    ),
    Route("api", f"{API}/users/{{user_id}}", params={"user_id": "customer_a"}),
    Route(
        "api",
        f"{API}/users/{{user_id}}",
        "PATCH",
        params={"user_id": "customer_a"},
        permission="directory.change_user",
        if_match="customer_a",
        body=lambda w: {"full_name": "Walked"},
    ),
]


def world_extras(world):
    """A contact of A with no user, which can be deleted."""
    from opsdesk.directory.services import contact_create

    world["spare_contact_a"] = contact_create(
        actor=world["admin"], organisation=world["org_a"], name="Spare CanaryAlpha7Q", email="spare@a.test"
    )
