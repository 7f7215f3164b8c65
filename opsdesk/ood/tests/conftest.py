"""Fixtures of the Operations on Demand tests: the two-tenant world (opsdesk/testing/world.py), a
catalogue, and the account shapes the G2 authorisation rule tells apart, in tenant A."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from opsdesk.directory import services as directory
from opsdesk.ood import services


@pytest.fixture
def catalogue(world):
    admin = world["admin"]
    since = dt.date(2026, 1, 1)
    return {
        "eks": services.offering_create(
            actor=admin,
            name="EKS maintenance",
            description="Cluster upgrades and add-on maintenance.",
            plans=["advanced", "accelerate"],
            rate="1450.00",
            effective_from=since,
        ),
        "ct": services.offering_create(
            actor=admin,
            name="Control Tower operations",
            plans=["advanced"],
            rate="1200.00",
            effective_from=since,
            regions=["eu-west-2", "eu-west-1"],
        ),
        "sap": services.offering_create(
            actor=admin,
            name="SAP cluster management",
            plans=["accelerate"],
            rate="2100.00",
            effective_from=since,
        ),
        "old": services.offering_create(
            actor=admin,
            name="Legacy patching",
            plans=["advanced"],
            state="retired",
            rate="900",
            effective_from=since,
        ),
    }


@pytest.fixture
def accounts(world):
    """Tenant A besides its all-features management account 111111111101 and member 111111111102."""
    admin, org = world["admin"], world["org_a"]

    def account(account_id, **kwargs):
        data = {"onboarding_state": "onboarded", "regions": ["eu-west-2"], **kwargs}
        return directory.account_create(actor=admin, organisation=org, account_id=account_id, **data)

    found = {"mgmt": world["account_a"], "member": world["member_a"], "other_org": world["member_b"]}
    found["standalone"] = account("111111111103")
    found["onboarding"] = account(
        "111111111104", onboarding_state="onboarding", management_account=found["mgmt"].pk
    )
    found["mgmt_basic"] = account("111111111105", is_management_account=True, all_features=False)
    found["member_of_basic"] = account("111111111106", management_account=found["mgmt_basic"].pk)
    found["mgmt_2"] = account("111111111107", is_management_account=True, all_features=True)
    found["member_of_2"] = account("111111111108", management_account=found["mgmt_2"].pk)
    found["us_only"] = account("111111111109", regions=["us-east-1"], management_account=found["mgmt"].pk)
    return found


@pytest.fixture
def submit(world, catalogue):
    """A request of tenant A's customer; lines default to one monthly EKS line."""

    def make(*, by="customer_a", submitting="111111111101", lines=None, **kwargs):
        lines = lines or [
            {
                "offering": catalogue["eks"].pk,
                "blocks": 2,
                "accounts": ["111111111102"],
                "recurrence": "monthly",
            }
        ]
        return services.ood_request_create(
            actor=world[by], submitting_account=submitting, lines=lines, **kwargs
        )

    return make


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
