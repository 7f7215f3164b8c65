"""Fixtures of the alerts tests: the test world (two tenants), its first contact reachable around the
clock (C3 needs a technical contact for the instant an alarm arrives), and the local SNS stand-in."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from opsdesk.directory import services as directory
from opsdesk.inbox import services as inbox
from opsdesk.inbox import sns
from opsdesk.inbox.tests import snsfixture


@pytest.fixture
def alarm_world(world):
    directory.contact_update(actor=world["admin"], contact=world["contact_a"], is_technical_out_of_hours=True)
    directory.contact_update(actor=world["admin"], contact=world["contact_b"], is_technical_out_of_hours=True)
    return world


@pytest.fixture
def local_sns(settings):
    settings.SNS_FETCHER = "opsdesk.inbox.tests.snsfixture.fetch"
    sns.clear_certificate_cache()
    snsfixture.SERVED.clear()
    snsfixture.serve_certificate()
    yield snsfixture
    sns.clear_certificate_cache()


def alarm_message(
    account_id: str,
    name: str = "prod-api-5xx",
    state: str = "ALARM",
    *,
    at: dt.datetime | None = None,
    region: str = "eu-west-1",
    namespace: str = "AWS/ApplicationELB",
    reason: str = "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
) -> str:
    """A CloudWatch alarm's SNS Message, as CloudWatch writes it."""
    at = at or timezone.now()
    return json.dumps(
        {
            "AlarmName": name,
            "AlarmDescription": f"{name} on the API",
            "AWSAccountId": account_id,
            "NewStateValue": state,
            "NewStateReason": reason,
            "StateChangeTime": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Region": "EU (Ireland)",
            "AlarmArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}",
            "OldStateValue": "OK",
            "Trigger": {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Namespace": namespace,
                "Dimensions": [{"value": "app/prod-api/123", "name": "LoadBalancer"}],
            },
        }
    )


def sns_endpoint(world: dict[str, Any], tag: str = "a"):
    subscription = inbox.sns_subscription_create(
        actor=world["admin"], organisation=world[f"org_{tag}"], topic_arns=[snsfixture.TOPIC]
    )
    return f"/intake/sns/{subscription.token}/"


def send_alarm(client, path: str, message: str, *, message_id: str | None = None):
    document = snsfixture.sign(snsfixture.notification(message=message, message_id=message_id))
    return snsfixture.post(client, path, document)
