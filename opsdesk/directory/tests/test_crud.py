"""The directory's entities through the CRUD kit's common checks (core.testing.crud)."""

from __future__ import annotations

from opsdesk.core.testing.crud import CrudCases
from opsdesk.directory import api, services, views


class TestOrganisations(CrudCases):
    api = api.ORGANISATIONS
    pages = views.ORGANISATIONS
    invalid_body = {"service_plan": "no-such-plan"}
    patch_body = {"notes": "patched"}

    def target(self, world):
        return world["org_a"]

    def other(self, world):
        return world["org_b"]

    def create_body(self, world):
        return {"name": "Kit Organisation", "service_plan": "advanced"}


class TestAccounts(CrudCases):
    api = api.ACCOUNTS
    pages = views.ACCOUNTS
    invalid_body = {"account_id": "12"}
    patch_body = {"name": "patched"}

    def target(self, world):
        return world["member_a"]

    def other(self, world):
        return world["member_b"]

    def create_body(self, world):
        return {"organisation": world["org_a"].pk, "account_id": "444444444401", "name": "kit"}


class TestContacts(CrudCases):
    api = api.CONTACTS
    pages = views.CONTACTS
    invalid_body = {"email": "not an email"}
    patch_body = {"phone": "+44 20 0000 0000"}

    def target(self, world):
        return world["contact_a"]

    def other(self, world):
        return world["contact_b"]

    def create_body(self, world):
        return {"organisation": world["org_a"].pk, "name": "Kit Contact", "email": "kit@a.test"}

    def deletable(self, world):
        """A contact no user is linked to (a linked one is protected)."""
        return services.contact_create(
            actor=world["admin"], organisation=world["org_a"], name="Spare", email="spare@a.test"
        )


class TestServices(CrudCases):
    api = api.SERVICES
    pages = views.SERVICES
    invalid_body = {"environment": "the-moon"}
    patch_body = {"description": "patched"}

    def target(self, world):
        return world["service_a"]

    def other(self, world):
        return world["service_b"]

    def create_body(self, world):
        return {
            "organisation": world["org_a"].pk,
            "reference": "KIT-1",
            "name": "Kit service",
            "environment": "production",
        }


class TestUsers(CrudCases):
    """A customer sees only themselves through the API (another user is a 404) and no user
    pages at all (a 403 for the whole kind)."""

    api = api.USERS
    pages = views.USERS
    invalid_body = {"role": "no-such-role"}
    patch_body = {"full_name": "Patched Name"}
    outsider_page_status = 403

    def target(self, world):
        return world["customer_a"]

    def other(self, world):
        return world["customer_b"]

    def create_body(self, world):
        return {"email": "kit@provider.test", "full_name": "Kit Person", "role": "engineer"}
