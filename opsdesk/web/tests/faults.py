"""What the fault tests (issue 12, "Faults") run inside their separate processes, against the tests'
own database: the world and the accepted alarms (`seed`), and a certificate fetcher for a real server
process (`fetch`), which serves the test certificate written to OPSDESK_FAULTS_SNS_CERT.

Called as `python -c "import django; django.setup(); from opsdesk.web.tests import faults; …"`: never
imported by pytest's process for the database (its tests talk to their own test database)."""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.error

ACCOUNT = "111111111102"  # the world's member account of tenant A (opsdesk.testing.world)
#: Alarm names of the identities a P1 priority rule matches: their incidents page on-call.
P1_PREFIX = "fault-p1-"
HEADERS = {"x-amz-sns-message-type": "Notification", "content-type": "text/plain; charset=UTF-8"}


def alarm_message(name: str, at: dt.datetime, state: str = "ALARM") -> str:
    """A CloudWatch alarm's SNS Message, as CloudWatch writes it."""
    return json.dumps(
        {
            "AlarmName": name,
            "AlarmDescription": f"{name} on the API",
            "AWSAccountId": ACCOUNT,
            "NewStateValue": state,
            "NewStateReason": "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
            "StateChangeTime": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Region": "EU (Ireland)",
            "AlarmArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{name}",
            "OldStateValue": "OK",
            "Trigger": {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Namespace": "AWS/ApplicationELB",
                "Dimensions": [{"value": "app/prod-api/123", "name": "LoadBalancer"}],
            },
        }
    )


def identity_name(n: int, paged: int) -> str:
    return f"{P1_PREFIX}{n}" if n < paged else f"fault-{n}"


def seed(*, alarms: int, identities: int, paged: int) -> None:
    """The test world, its contact reachable around the clock, a P1 rule for the first `paged`
    identities, an SNS endpoint (its token printed), and `alarms` accepted alarms spread over
    `identities` identities, as the SNS intake stores them (inbox.services.sns_delivery), in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from opsdesk.alerts import services as alerts
    from opsdesk.directory import services as directory
    from opsdesk.inbox import services as inbox
    from opsdesk.inbox.models import Delivery
    from opsdesk.inbox.tests import snsfixture
    from opsdesk.testing.world import build_world

    with transaction.atomic():
        world = build_world()
        admin = world["admin"]
        directory.contact_update(actor=admin, contact=world["contact_a"], is_technical_out_of_hours=True)
        alerts.priority_rule_create(
            actor=admin,
            organisation=world["org_a"],
            priority="P1",
            alarm_pattern=f"{P1_PREFIX}*",
            service=world["service_a"],
        )
        subscription = inbox.sns_subscription_create(
            actor=admin, organisation=world["org_a"], topic_arns=[snsfixture.TOPIC]
        )
    start = timezone.now() - dt.timedelta(minutes=5)
    rows = []
    for n in range(alarms):
        at = start + dt.timedelta(milliseconds=n)
        message = alarm_message(identity_name(n % identities, paged), at)
        document = snsfixture.notification(message=message, message_id=f"fault-{n:05d}", at=at)
        body = json.dumps(document).encode()
        rows.append(inbox.sns_delivery(subscription, document, body=body, headers=HEADERS, now=at))
    Delivery.objects.bulk_create(rows, batch_size=1000)
    print(subscription.token)


def fetch(url: str) -> bytes:
    """settings.SNS_FETCHER of a server process: the test certificate, nothing else."""
    from opsdesk.inbox.tests.snsfixture import CERT_URL

    path = os.environ.get("OPSDESK_FAULTS_SNS_CERT", "")
    if url != CERT_URL or not path:
        raise urllib.error.URLError("not served by the fault tests")
    with open(path, "rb") as handle:
        return handle.read()
