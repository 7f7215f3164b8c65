"""Fixtures of the inbox tests: an SNS endpoint of one organisation, and the local SNS stand-in
(snsfixture) in place of the internet."""

from __future__ import annotations

import pytest

from opsdesk.directory import services as directory
from opsdesk.inbox import registry, services, sns
from opsdesk.inbox.tests import snsfixture


@pytest.fixture(autouse=True)
def local_sns(settings):
    settings.SNS_FETCHER = "opsdesk.inbox.tests.snsfixture.fetch"
    sns.clear_certificate_cache()
    snsfixture.SERVED.clear()
    snsfixture.CALLS.clear()
    snsfixture.serve_certificate()
    snsfixture.SERVED[snsfixture.SUBSCRIBE_URL] = b"<ConfirmSubscriptionResponse/>"
    yield snsfixture
    sns.clear_certificate_cache()


@pytest.fixture
def recorded_handler():
    """A test handler for sns.notification that records what it was given (and can fail)."""

    class Recorder:
        def __init__(self):
            self.seen: list[int] = []
            self.fail = False

        def __call__(self, delivery) -> None:
            self.seen.append(delivery.pk)
            if self.fail:
                raise RuntimeError("handler failed on purpose")

    recorder = Recorder()
    registry.register("sns.notification", recorder)
    yield recorder
    registry.unregister("sns.notification")


@pytest.fixture
def org(administrator):
    return directory.organisation_create(
        actor=administrator, name="Alpha Ltd", service_plan="advanced", calendar="uk"
    )


@pytest.fixture
def endpoint(administrator, org):
    """(the subscription, its intake path)."""
    subscription = services.sns_subscription_create(
        actor=administrator, organisation=org, topic_arns=[snsfixture.TOPIC], description="Alarms"
    )
    return subscription, f"/intake/sns/{subscription.token}/"
