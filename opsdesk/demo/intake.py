"""Demo intake (issue 12): what `make run` shows on the alerts, security-events and email triage
pages, and the endpoints a demo (or the browser flow) can send alarms to.

- Contoso Health's SNS endpoint for CloudWatch alarms (topic DEMO_TOPIC) and the provider's
  EventBridge API-destination key, each with a known demo token (like the demo passwords: rotate
  them on any real installation);
- a priority rule: alarms named ch-ehr-*-5xx on Contoso's production EHR service are P2 (C2), so
  such an alarm raises a P2 incident that pages whoever is on call;
- the security rota (F2): policy "Security events" pages the primary on-call rota;
- a few deliveries, stored in the inbox and processed like real ones: an open alert, a resolved one,
  three security events (two paged, one below the paging severity) and an email from an unknown
  sender waiting in triage.

Deliveries are stored once by their external id, so running the demo again adds nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils import timezone

from opsdesk.alerts import services as alerts
from opsdesk.alerts.models import PriorityRule
from opsdesk.core.roles import Role
from opsdesk.directory.demo import CONTOSO, NORTHWIND
from opsdesk.directory.models import Service
from opsdesk.inbox import processing
from opsdesk.inbox import services as inbox
from opsdesk.inbox.choices import CLOUDWATCH_ALARM, EMAIL_SMTP, EVENTBRIDGE_EVENT, DeliverySource
from opsdesk.inbox.models import Delivery, IntakeKey, SnsSubscription
from opsdesk.oncall import services as oncall
from opsdesk.oncall.demo import ROTA
from opsdesk.oncall.models import EscalationPolicy, Rota

DEMO_SNS_TOKEN = "sns_demo-contoso-cloudwatch-alarms"
DEMO_EVENTBRIDGE_KEY = "ebk_demo-provider-cloudtrail-events"
DEMO_TOPIC = "arn:aws:sns:eu-west-2:641728390517:contoso-alarms"
CONTOSO_PRODUCTION = "641728390517"
NORTHWIND_PRODUCTION = "318472659014"
NORTHWIND_DEVELOPMENT = "427593810265"
SECURITY_POLICY = "Security events"
PAGED_ALARMS = "ch-ehr-*-5xx"


def _known_token(model: Any, obj: Any, token: str) -> None:
    """The demo's endpoints answer to a documented token (a real one is random, shown once)."""
    digest = inbox.token_digest(token)
    stale = model.objects.filter(pk=obj.pk).exclude(token_hash=digest)
    stale.update(token_hash=digest, token_hint=token[-4:])


def _endpoints(demo: Any) -> None:
    contoso = demo.organisations[CONTOSO]
    subscription = demo.ensure(
        SnsSubscription.objects.filter(organisation=contoso, description="Contoso EHR alarms (demo)").first(),
        lambda: inbox.sns_subscription_create(
            actor=demo.admin,
            organisation=contoso,
            topic_arns=[DEMO_TOPIC],
            description="Contoso EHR alarms (demo)",
        ),
    )
    _known_token(SnsSubscription, subscription, DEMO_SNS_TOKEN)
    key = demo.ensure(
        IntakeKey.objects.filter(purpose="eventbridge", description="Demo CloudTrail events").first(),
        lambda: inbox.intake_key_create(
            actor=demo.admin, purpose="eventbridge", description="Demo CloudTrail events"
        ),
    )
    _known_token(IntakeKey, key, DEMO_EVENTBRIDGE_KEY)
    service = Service.objects.get(organisation=contoso, reference="CH-PROD-EHR")
    demo.ensure(
        PriorityRule.objects.filter(organisation=contoso, alarm_pattern=PAGED_ALARMS).first(),
        lambda: alerts.priority_rule_create(
            actor=demo.admin, organisation=contoso, service=service, alarm_pattern=PAGED_ALARMS, priority="P2"
        ),
    )


def _security_rota(demo: Any) -> None:
    rota = Rota.objects.get(name=ROTA)
    demo.ensure(
        EscalationPolicy.objects.filter(name=SECURITY_POLICY).first(),
        lambda: oncall.escalation_policy_create(
            actor=demo.admin,
            name=SECURITY_POLICY,
            team=rota.team_id,
            steps=[
                {"action": "notify_rota", "rota": rota.pk},
                {"action": "wait", "minutes": 15},
                {"action": "notify_user", "user": demo.staff[Role.HEAD_OF_CUSTOMER_ENGINEERING].pk},
            ],
            is_security=True,
        ),
    )


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def alarm_notification(
    account: str, name: str, state: str, at: dt.datetime, *, message_id: str, topic: str = DEMO_TOPIC
) -> dict[str, Any]:
    """An SNS Notification carrying a CloudWatch alarm, as CloudWatch and SNS write them (unsigned)."""
    message = {
        "AlarmName": name,
        "AlarmDescription": f"{name} (demo)",
        "AWSAccountId": account,
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 3 datapoints were greater than the threshold (5.0)."
        if state == "ALARM"
        else "Threshold Crossed: no datapoints were greater than the threshold (5.0).",
        "StateChangeTime": _stamp(at),
        "Region": "EU (London)",
        "AlarmArn": f"arn:aws:cloudwatch:eu-west-2:{account}:alarm:{name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "Trigger": {
            "MetricName": "HTTPCode_Target_5XX_Count",
            "Namespace": "AWS/ApplicationELB",
            "Dimensions": [{"name": "LoadBalancer", "value": f"app/{name}/demo"}],
        },
    }
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Subject": f"{state}: \"{name}\" in EU (London)",
        "Message": json.dumps(message),
        "Timestamp": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


def _cloudtrail(event_id: str, account: str, source: str, name: str, at: dt.datetime, **detail) -> dict:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + source.split(".")[0],
        "account": account,
        "time": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-2",
        "resources": [],
        "detail": {
            "eventSource": source,
            "eventName": name,
            "userIdentity": {"arn": f"arn:aws:iam::{account}:user/deploy-bot"},
            **detail,
        },
    }


TRIAGE_EMAIL = b"""From: Chris Baker <chris.baker@suppliers.example>
To: support@provider.example
Subject: Invoice portal down?
Message-ID: <demo-triage-1@suppliers.example>
Date: Thu, 03 Dec 2026 08:12:00 +0000
Content-Type: text/plain; charset=utf-8

Hello, our invoice upload to Northwind's portal has failed since this morning. Who do we talk to?

Chris
"""


def _deliver(source: str, external_id: str, body: bytes, kind: str, organisation: Any = None) -> None:
    if Delivery.objects.filter(source=source, external_id=external_id).exists():
        return
    receipt = inbox.delivery_store(
        source=source, external_id=external_id, body=body, kind=kind, organisation=organisation
    )
    processing.process(receipt.delivery.pk)


def _deliveries(demo: Any) -> None:
    now = timezone.now()
    contoso = demo.organisations[CONTOSO]
    northwind = demo.organisations[NORTHWIND]
    alarms = [
        (CONTOSO_PRODUCTION, "ch-ehr-db-free-storage-low", "ALARM", now - dt.timedelta(hours=2), contoso),
        (NORTHWIND_DEVELOPMENT, "nw-dev-web-cpu-high", "ALARM", now - dt.timedelta(hours=5), northwind),
        (NORTHWIND_DEVELOPMENT, "nw-dev-web-cpu-high", "OK", now - dt.timedelta(hours=4), northwind),
    ]
    for number, (account, name, state, at, organisation) in enumerate(alarms, start=1):
        message_id = f"demo-alarm-{number}"
        document = alarm_notification(account, name, state, at, message_id=message_id)
        body = json.dumps(document).encode()
        _deliver(DeliverySource.SNS, message_id, body, CLOUDWATCH_ALARM, organisation)
    events = [
        _cloudtrail(
            "demo-security-1", NORTHWIND_PRODUCTION, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
            now - dt.timedelta(minutes=50), requestParameters={"groupId": "sg-0a1b2c3d4e5f"},
        ),
        _cloudtrail(
            "demo-security-2", CONTOSO_PRODUCTION, "signin.amazonaws.com", "ConsoleLogin",
            now - dt.timedelta(minutes=30), responseElements={"ConsoleLogin": "Failure"},
        ),
        _cloudtrail(
            "demo-security-3", NORTHWIND_DEVELOPMENT, "ec2.amazonaws.com", "RebootInstances",
            now - dt.timedelta(minutes=10), requestParameters={"instancesSet": {}},
        ),
    ]
    for event in events:
        _deliver(DeliverySource.EVENTBRIDGE, event["id"], json.dumps(event).encode(), EVENTBRIDGE_EVENT)
    _deliver(DeliverySource.EMAIL, "<demo-triage-1@suppliers.example>", TRIAGE_EMAIL, EMAIL_SMTP)


def build_intake(demo: Any) -> None:
    _endpoints(demo)
    _security_rota(demo)
    _deliveries(demo)
