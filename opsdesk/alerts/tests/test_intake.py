"""Issue 12 items 4 and 7: the EventBridge API destination (key header, rotation, redelivery once,
AWS Health to maintenance, CloudTrail classified by the seeded rule table) and the generic webhook
(payload checked naming the field, idempotency, the alert pipeline)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.alerts.models import Alert, SecurityEvent, SecurityRule
from opsdesk.core.errors import PermissionDenied
from opsdesk.inbox import services as inbox
from opsdesk.inbox.models import Delivery
from opsdesk.incidents.models import Incident
from opsdesk.maintenance.models import HealthNotice

_CAPTURE = []


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    _CAPTURE.append(django_capture_on_commit_callbacks)
    yield
    _CAPTURE.pop()


def _post(path: str, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    with _CAPTURE[-1](execute=True):
        return Client().post(path, data=data, content_type="application/json", **headers)


@pytest.fixture
def eventbridge_key(alarm_world):
    return inbox.intake_key_create(actor=alarm_world["admin"], purpose="eventbridge", description="All")


def cloudtrail(account_id: str, event_name: str, source: str = "ec2.amazonaws.com", **detail) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + source.split(".")[0],
        "account": account_id,
        "time": "2026-12-01T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "eventSource": source,
            "eventName": event_name,
            "userIdentity": {"arn": f"arn:aws:iam::{account_id}:user/mallory"},
            "requestParameters": {"groupId": "sg-0123"},
            **detail,
        },
    }


def _eb(key, event):
    return _post("/intake/eventbridge/", event, HTTP_X_OPSDESK_INTAKE_KEY=key.token)


# --- EventBridge -----------------------------------------------------------------------------


def test_eventbridge_key_missing_401_wrong_403_rotated_old_key_refused(alarm_world, eventbridge_key):
    event = cloudtrail(alarm_world["member_a"].account_id, "CreateSecurityGroup")
    missing = _post("/intake/eventbridge/", event)
    assert missing.status_code == 401 and missing.json()["errors"][0]["field"] == "X-Opsdesk-Intake-Key"
    wrong = _post("/intake/eventbridge/", event, HTTP_X_OPSDESK_INTAKE_KEY="ebk_nope")
    assert wrong.status_code == 403
    assert Delivery.objects.count() == 0
    old = eventbridge_key.token
    rotated = inbox.intake_key_rotate(actor=alarm_world["admin"], key=eventbridge_key)
    assert _post("/intake/eventbridge/", event, HTTP_X_OPSDESK_INTAKE_KEY=old).status_code == 403
    assert _eb(rotated, event).status_code == 200


def test_only_key_managers_make_keys(alarm_world):
    for who in ("billing", "customer_a", "engineer"):
        with pytest.raises(PermissionDenied):
            inbox.intake_key_create(actor=alarm_world[who], purpose="eventbridge")


def test_eventbridge_redelivery_is_stored_once_and_classified_once(alarm_world, eventbridge_key):
    event = cloudtrail(alarm_world["member_a"].account_id, "AuthorizeSecurityGroupIngress")
    first, second = _eb(eventbridge_key, event), _eb(eventbridge_key, event)
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    delivery = Delivery.objects.get()
    assert delivery.source == "eventbridge" and delivery.external_id == event["id"]
    assert delivery.kind == "eventbridge.event" and delivery.state == "processed", delivery.error
    security = SecurityEvent.objects.get()
    assert security.kind == "security_group_change" and security.organisation == alarm_world["org_a"]
    assert security.actor.endswith("user/mallory") and security.resource == "sg-0123"
    assert security.route == "no_rota" and security.routed.startswith("Not paged: no security rota")


def test_an_event_without_an_id_is_400_naming_it(eventbridge_key):
    response = _eb(eventbridge_key, {"source": "aws.ec2"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "id"


KINDS = [
    ("iam_policy_change", dict(source="iam.amazonaws.com", event_name="AttachRolePolicy")),
    ("ec2_instance_change", dict(event_name="StopInstances")),
    (
        "console_signin_failure",
        dict(
            source="signin.amazonaws.com",
            event_name="ConsoleLogin",
            responseElements={"ConsoleLogin": "Failure"},
        ),
    ),
    ("authorisation_failure", dict(event_name="DescribeInstances", errorCode="UnauthorizedOperation")),
    ("security_group_change", dict(event_name="RevokeSecurityGroupIngress")),
    ("cloudtrail_change", dict(source="cloudtrail.amazonaws.com", event_name="StopLogging")),
    ("gateway_change", dict(event_name="DeleteInternetGateway")),
    ("vpc_change", dict(event_name="CreateVpc")),
    ("network_acl_change", dict(event_name="ReplaceNetworkAclEntry")),
    (
        "large_ec2_instance_change",
        dict(event_name="RunInstances", requestParameters={"instanceType": "m5.24xlarge"}),
    ),
]


def test_the_seeded_rule_table_has_the_ten_kinds_of_f2(db):
    assert set(SecurityRule.objects.values_list("kind", flat=True)) == {kind for kind, _ in KINDS}


@pytest.mark.parametrize("kind,spec", KINDS, ids=[k for k, _ in KINDS])
def test_each_kind_is_classified(alarm_world, eventbridge_key, kind, spec):
    spec = dict(spec)
    source = spec.pop("source", "ec2.amazonaws.com")
    event = cloudtrail(alarm_world["member_a"].account_id, spec.pop("event_name"), source, **spec)
    assert _eb(eventbridge_key, event).status_code == 200
    assert SecurityEvent.objects.get().kind == kind


def test_an_unmatched_event_is_not_a_security_event(alarm_world, eventbridge_key):
    event = cloudtrail(alarm_world["member_a"].account_id, "DescribeInstances")
    assert _eb(eventbridge_key, event).status_code == 200
    assert Delivery.objects.get().state == "processed" and SecurityEvent.objects.count() == 0


def test_a_small_instance_is_an_ec2_change_not_a_large_one(alarm_world, eventbridge_key):
    event = cloudtrail(
        alarm_world["member_a"].account_id, "RunInstances", requestParameters={"instanceType": "t3.micro"}
    )
    _eb(eventbridge_key, event)
    assert SecurityEvent.objects.get().kind == "ec2_instance_change"


def test_a_high_severity_event_raises_a_p2_incident_on_a_production_account(alarm_world, eventbridge_key):
    event = cloudtrail(alarm_world["member_a"].account_id, "DeleteTrail", "cloudtrail.amazonaws.com")
    _eb(eventbridge_key, event)
    security = SecurityEvent.objects.get()
    assert security.severity == "high"
    incident = Incident.objects.get(pk=security.incident_id)
    assert incident.priority == "P2" and incident.organisation == alarm_world["org_a"]


def test_an_aws_health_event_goes_to_maintenance(alarm_world, eventbridge_key):
    start = timezone.now() + timezone.timedelta(days=14)
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS Health Event",
        "source": "aws.health",
        "account": alarm_world["account_a"].account_id,
        "time": timezone.now().isoformat(),
        "region": "eu-west-2",
        "resources": ["arn:aws:rds:eu-west-2:111111111101:db:orders"],
        "detail": {
            "eventArn": "arn:aws:health:eu-west-2::event/RDS/AWS_RDS_MAINTENANCE_SCHEDULED/x1",
            "service": "RDS",
            "eventTypeCode": "AWS_RDS_MAINTENANCE_SCHEDULED",
            "eventTypeCategory": "scheduledChange",
            "startTime": start.isoformat(),
            "endTime": (start + timezone.timedelta(hours=2)).isoformat(),
            "statusCode": "upcoming",
            "eventDescription": [{"language": "en_US", "latestDescription": "RDS maintenance."}],
        },
    }
    assert _eb(eventbridge_key, event).status_code == 200
    delivery = Delivery.objects.get()
    assert delivery.state == "processed", delivery.error
    assert HealthNotice.objects.filter(aws_account_id=alarm_world["account_a"].account_id).count() == 1


# --- the generic webhook (item 7) ----------------------------------------------------------------


@pytest.fixture
def webhook(alarm_world):
    key = inbox.intake_key_create(
        actor=alarm_world["admin"], purpose="webhook", organisation=alarm_world["org_a"]
    )
    return f"/intake/webhook/{key.token}/"


def _payload(**more):
    return {
        "identity": "checkout-latency",
        "state": "alarm",
        "summary": "Checkout p99 over 2 s",
        "severity": "major",
        "resource": "checkout-svc",
        "occurred_at": timezone.now().isoformat(),
        **more,
    }


def test_webhook_alarm_opens_an_alert_and_raises_by_severity(alarm_world, webhook):
    world = alarm_world
    response = _post(webhook, _payload(service=world["service_a"].reference))
    assert response.status_code == 200, response.content
    alert = Alert.objects.get()
    assert alert.source == "webhook" and alert.organisation == world["org_a"]
    assert alert.service == world["service_a"] and alert.priority == "P2"
    assert Incident.objects.get(pk=alert.incident_id).priority == "P2"
    # Without a (production) service, major is clamped to P3 (C2).
    _post(webhook, _payload(identity="other"))
    other = Alert.objects.get(name="other")
    assert other.priority == "P3" and "Clamped" in other.priority_reason
    # ok resolves the identity's open alert.
    _post(webhook, _payload(state="ok", summary="back to normal"))
    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_webhook_idempotency_key_and_body_hash_store_once(alarm_world, webhook):
    body = json.dumps(_payload())
    _post(webhook, body)
    assert _post(webhook, body).json()["duplicate"] is True
    _post(webhook, _payload(summary="x"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert _post(webhook, _payload(summary="y"), HTTP_IDEMPOTENCY_KEY="k-1").json()["duplicate"] is True
    assert Delivery.objects.count() == 2
    assert Alert.objects.get().occurrences == 2


@pytest.mark.parametrize(
    "change,field",
    [
        ({"identity": ""}, "identity"),
        ({"state": "firing"}, "state"),
        ({"severity": "sev1"}, "severity"),
        ({"summary": None}, "summary"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "9999-12-31T23:59:59+00:00"}, "occurred_at"),
        ({"resource": 5}, "resource"),
    ],
)
def test_webhook_bad_payload_is_400_naming_the_field(webhook, change, field):
    response = _post(webhook, _payload(**change))
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field
    assert Delivery.objects.count() == 0


def test_webhook_not_json_and_unknown_token(webhook):
    assert _post(webhook, "not json").json()["errors"][0]["field"] == "body"
    assert _post("/intake/webhook/whk_nope/", _payload()).status_code == 404


def test_a_webhook_needs_an_organisation(alarm_world):
    from opsdesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        inbox.intake_key_create(actor=alarm_world["admin"], purpose="webhook")
    assert refused.value.errors[0]["field"] == "organisation"
