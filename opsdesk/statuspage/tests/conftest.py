"""Fixtures of the status page tests: a manager, an engineer (no "statuspage.manage"), a customer
organisation with a distinctive name that must never reach the public page, and helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.directory import services as directory
from opsdesk.directory.models import User
from opsdesk.schedule.services import window_put
from opsdesk.statuspage import services

PASSWORD = "status-test-password-1"
#: The name of a customer organisation; it must appear on no public page, feed or API answer.
CUSTOMER_NAME = "Quixotic Herring Holdings 4471"


@pytest.fixture
def manager(db) -> User:
    return User.objects.create_user(
        "desk@provider.test", PASSWORD, full_name="Dana Deskworth", role="service_desk"
    )


@pytest.fixture
def customer_org(administrator):
    return directory.organisation_create(
        actor=administrator, name=CUSTOMER_NAME, service_plan="advanced", calendar="uk", notes=CUSTOMER_NAME
    )


@pytest.fixture
def customer(administrator, customer_org) -> User:
    contact = directory.contact_create(
        actor=administrator, organisation=customer_org, name="Carl Customer", email="carl@herring.test"
    )
    return User.objects.create_user(
        "carl@herring.test", PASSWORD, full_name="Carl Customer", role="customer", contact=contact
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def make_incident(manager):
    def make(**kwargs):
        data = {
            "actor": manager,
            "title": "Elevated API error rates",
            "impact": "minor",
            "body": "We are **investigating** elevated error rates.",
            "components": ["AWS eu-west-2 connectivity"],
        }
        return services.status_incident_create(**{**data, **kwargs})

    return make


#: The maintenance lifecycle's states as the schedule's phases (as maintenance.services writes them).
PHASES = {
    "scheduled": "planned",
    "in_progress": "under_way",
    "verifying": "under_way",
    "completed": "done",
    "cancelled": "cancelled",
}


@pytest.fixture
def make_maintenance(db):
    """Provider-wide maintenance as the status page sees it: a public window of the schedule with no
    organisation, as the maintenance app writes one (its own tests cover that path end to end)."""
    made = iter(range(1, 10_000))

    def make(
        *, in_days: float = 2, hours: float = 2, published: bool = True, state: str = "scheduled", **kwargs
    ):
        start = timezone.now() + dt.timedelta(days=in_days)
        data = {
            "title": "Telephony platform upgrade",
            "description": "Calls may drop for a few minutes.",
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=hours),
            "components": ["Service desk telephony"],
        }
        return window_put(
            source="maintenance.provider",
            source_id=next(made),
            kind="provider_maintenance",
            organisation_id=None,
            public=published,
            state=state,
            phase=PHASES[state],
            **{**data, **kwargs},
        )

    return make
