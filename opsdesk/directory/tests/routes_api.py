"""Tenancy-walk declarations of the directory API (see opsdesk/testing/routes.py)."""

from opsdesk.testing.routes import Route, api_entity

API = "/api/v1"
SERVICE = {"permission": "directory.change_service"}


def _organisation(w):
    return {"name": "Walk Org", "service_plan": "advanced", "calendar": "uk"}


def _user(w):
    return {"email": "walk@provider.test", "full_name": "Walk", "role": "engineer"}


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
    *api_entity(f"{API}/organisations", "organisation_id", "org_a", create=_organisation,
                create_staff_only=True, update=lambda w: {"notes": "walked"},
                write={"permission": "directory.change_organisation"}),
    *api_entity(f"{API}/accounts", "account_pk", "member_a", create=_account, delete="member_a",
                update=lambda w: {"name": "walked"}, write={"permission": "directory.change_cloudaccount"}),
    *api_entity(f"{API}/contacts", "contact_id", "contact_a", create=_contact, delete="spare_contact_a",
                update=lambda w: {"phone": "+44 1"}, write={"permission": "directory.change_namedcontact"}),
    *api_entity(f"{API}/services", "service_id", "service_a", create=_service, delete="service_a",
                update=lambda w: {"description": "walked"}, write=SERVICE),
    *(
        Route("api", f"{API}/contacts/{{contact_id}}/{step}", "POST", params={"contact_id": "contact_a"},
              permission="directory.change_namedcontact",
              body=(lambda w: {"method": "walk form"}) if step == "consent" else None)
        for step in ("verify", "consent", "withdraw-consent", "retire")
    ),
    Route("api", f"{API}/services/{{service_id}}/runbooks", params={"service_id": "service_a"}),
    Route("api", f"{API}/services/{{service_id}}/runbooks", "POST", params={"service_id": "service_a"},
          body=lambda w: {"title": "Walk", "body": "*walk*"}, **SERVICE),
    *api_entity(f"{API}/runbooks", "runbook_id", "runbook_a", listed=False, delete="runbook_a",
                update=lambda w: {"body": "walked"}, write=SERVICE),
    Route("api", f"{API}/users/me"),
    *api_entity(f"{API}/users", "user_id", "customer_a", create=_user, create_staff_only=True,
                update=lambda w: {"full_name": "Walked"}, write={"permission": "directory.change_user"}),
]

def world_extras(world):
    """A contact of A with no user, which can be deleted."""
    from opsdesk.directory.services import contact_create

    world["spare_contact_a"] = contact_create(
        actor=world["admin"], organisation=world["org_a"], name="Spare CanaryAlpha7Q", email="spare@a.test"
    )
