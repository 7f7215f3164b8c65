"""Writes of alerts (issue 12 items 3, 4, 7; F1–F3, C2, E3).

The shell (web/intake_alerts.py) composes one alarm: `cloudwatch_alarm_parse` / `webhook_alarm_parse`
→ `alarm_target` (organisation, service) → maintenance.selectors.suppressing_window (E3) →
`alarm_receive` → incidents' proactive create when `raise_incident` → `alert_link_incident`.
Domains never import each other, so the incident and the window are plain ids here.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from opsdesk.alerts.choices import (
    DEFAULT_PRIORITY,
    PRODUCTION_ONLY,
    SECURITY_SEVERITY_ORDER,
    SEVERITY_PRIORITY,
    AlarmState,
    AlertSource,
    AlertState,
    Outcome,
    Priority,
    SecurityRoute,
    Severity,
)
from opsdesk.alerts.models import Alert, AlertOccurrence, PriorityRule, SecurityEvent, SecurityRule
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.limits import instant_problem
from opsdesk.core.permissions import require_permission
from opsdesk.core.services import record_create, record_delete
from opsdesk.directory.choices import Environment
from opsdesk.directory.models import CloudAccount, Organisation, Service

MANAGE_RULES = "alerts.manage"


@dataclass
class Alarm:
    """One alarm state change, whatever sent it."""

    source: str
    name: str
    state: str
    at: dt.datetime
    account_id: str = ""
    region: str = ""
    reason: str = ""
    namespace: str = ""
    metric: str = ""
    resource: str = ""
    summary: str = ""
    severity: str = ""
    organisation_id: int | None = None
    service_reference: str = ""

    @property
    def identity_key(self) -> str:
        if self.source == AlertSource.WEBHOOK:
            return f"webhook:{self.organisation_id}:{self.name}"
        if self.source == AlertSource.BILLING:  # F4: (organisation, account, billing:<threshold>)
            return f"billing:{self.organisation_id}:{self.account_id or '-'}:{self.name}"
        return f"cloudwatch:{self.account_id}:{self.region}:{self.name}"


@dataclass
class Received:
    """What `alarm_receive` did, for the shell to act on."""

    alert: Alert
    outcome: str
    raise_incident: bool = False
    notes: list[str] = field(default_factory=list)


def _instant(value: Any, name: str) -> dt.datetime:
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value.replace("+0000", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationFailed.field(name, "Must be an ISO 8601 date and time with its offset.")
    problem = instant_problem(parsed)
    if problem:
        raise ValidationFailed.field(name, problem)
    return parsed


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    return str(value).replace("\x00", "")[:limit]


# --- parsing ---------------------------------------------------------------------------------


def cloudwatch_alarm_parse(message: str) -> Alarm:
    """A CloudWatch alarm notification's Message (JSON). The region comes from AlarmArn
    (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), else the Region's name."""
    try:
        doc = json.loads(message)
    except ValueError as exc:
        raise ValidationFailed.field("Message", "Not a CloudWatch alarm (not JSON).") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("AlarmName"), str):
        raise ValidationFailed.field("AlarmName", "Not a CloudWatch alarm (no AlarmName).")
    state = doc.get("NewStateValue")
    if state not in AlarmState.values:
        raise ValidationFailed.field("NewStateValue", "Must be ALARM, OK or INSUFFICIENT_DATA.")
    arn = doc.get("AlarmArn") if isinstance(doc.get("AlarmArn"), str) else ""
    parts = arn.split(":")
    region = parts[3] if len(parts) >= 7 and parts[2] == "cloudwatch" else _text(doc.get("Region"), 40)
    account = _text(doc.get("AWSAccountId") or (parts[4] if len(parts) >= 7 else ""), 12)
    trigger = doc.get("Trigger") if isinstance(doc.get("Trigger"), dict) else {}
    dimensions = trigger.get("Dimensions") if isinstance(trigger.get("Dimensions"), list) else []
    resource = ", ".join(
        f"{d.get('name') or d.get('Name')}={d.get('value') or d.get('Value')}"
        for d in dimensions
        if isinstance(d, dict)
    )
    at = doc.get("StateChangeTime")
    return Alarm(
        source=AlertSource.CLOUDWATCH,
        name=_text(doc["AlarmName"], 255),
        state=state,
        at=_instant(at, "StateChangeTime") if at else timezone.now(),
        account_id=account,
        region=region,
        reason=_text(doc.get("NewStateReason"), 10_000),
        namespace=_text(trigger.get("Namespace"), 255),
        metric=_text(trigger.get("MetricName"), 255),
        resource=_text(resource, 500),
        summary=_text(doc.get("AlarmDescription") or doc["AlarmName"], 500),
    )


WEBHOOK_STATES = {"alarm": AlarmState.ALARM, "ok": AlarmState.OK}


def webhook_alarm_parse(body: str | bytes, *, organisation_id: int) -> Alarm:
    """Item 7: the generic webhook's payload (README › Webhook alarms). A bad payload is a
    ValidationFailed naming the field."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ValidationFailed.field("body", "Must be a JSON object.") from exc
    if not isinstance(doc, dict):
        raise ValidationFailed.field("body", "Must be a JSON object.")
    identity = doc.get("identity")
    if not isinstance(identity, str) or not identity.strip() or len(identity) > 255 or "\x00" in identity:
        raise ValidationFailed.field("identity", "Required: a text of 1 to 255 characters.")
    state = doc.get("state")
    if state not in WEBHOOK_STATES:
        raise ValidationFailed.field("state", "Must be 'alarm' or 'ok'.")
    severity = doc.get("severity", Severity.MINOR)
    if severity not in Severity.values:
        raise ValidationFailed.field("severity", f"Must be one of {', '.join(Severity.values)}.")
    summary = doc.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ValidationFailed.field("summary", "Required: what is wrong, in a line.")
    for name in ("resource", "service"):
        if doc.get(name) is not None and not isinstance(doc.get(name), str):
            raise ValidationFailed.field(name, "Must be a text.")
    occurred = doc.get("occurred_at")
    return Alarm(
        source=AlertSource.WEBHOOK,
        name=identity.strip(),
        state=WEBHOOK_STATES[state],
        at=_instant(occurred, "occurred_at") if occurred is not None else timezone.now(),
        reason=_text(summary, 10_000),
        summary=_text(summary, 500),
        resource=_text(doc.get("resource"), 500),
        severity=severity,
        organisation_id=organisation_id,
        service_reference=_text(doc.get("service"), 50),
    )


# --- whose alarm, at which priority ------------------------------------------------------------


def alarm_target(alarm: Alarm) -> tuple[Organisation | None, Service | None]:
    """The organisation (by the AWS account, A2; the webhook's own) and the service: the one named
    by the webhook, else the account's production service when it has exactly one, else the
    service of the most specific priority rule naming one of the account's services by alarm
    pattern or namespace (F3: "ch-ehr-*-5xx is the EHR" when the account runs several)."""
    if alarm.source == AlertSource.WEBHOOK:
        organisation = Organisation.objects.filter(pk=alarm.organisation_id).first()
        if organisation is None:
            return None, None
        if alarm.service_reference:
            service = Service.objects.filter(
                organisation=organisation, reference=alarm.service_reference
            ).first()
            return organisation, service
        return organisation, None
    account = CloudAccount.objects.filter(account_id=alarm.account_id).select_related("organisation").first()
    if account is None:
        return None, None
    production = list(account.services.filter(environment=Environment.PRODUCTION)[:2])
    if len(production) == 1:
        return account.organisation, production[0]
    return account.organisation, _service_by_rule(alarm, account)


def _service_by_rule(alarm: Alarm, account: CloudAccount) -> Service | None:
    rules = [
        r
        for r in PriorityRule.objects.filter(
            organisation_id=account.organisation_id, service__accounts=account
        ).select_related("service")
        if (r.alarm_pattern or r.namespace) and _matches(r, alarm, r.service)
    ]
    rules.sort(key=lambda r: (-bool(r.alarm_pattern), -bool(r.namespace), r.pk))
    return rules[0].service if rules else None


def _matches(rule: PriorityRule, alarm: Alarm, service: Service | None) -> bool:
    if rule.service_id is not None and (service is None or rule.service_id != service.pk):
        return False
    if rule.alarm_pattern and not fnmatch.fnmatchcase(alarm.name, rule.alarm_pattern):
        return False
    return not (rule.namespace and rule.namespace != alarm.namespace)


def priority_for(alarm: Alarm, organisation: Organisation, service: Service | None) -> tuple[str, str]:
    """F3: (priority, why). The most specific matching rule (service, then pattern, then namespace)
    wins; without one the webhook's severity, else P3. C2: P1/P2 only on a production service."""
    rules = [r for r in PriorityRule.objects.filter(organisation=organisation) if _matches(r, alarm, service)]
    rules.sort(key=lambda r: (-(r.service_id is not None), -bool(r.alarm_pattern), -bool(r.namespace), r.pk))
    if rules:
        priority, why = rules[0].priority, f"Priority rule #{rules[0].pk} ({rules[0]})."
    elif alarm.severity:
        priority, why = SEVERITY_PRIORITY[alarm.severity], f"Severity {alarm.severity}."
    else:
        priority, why = DEFAULT_PRIORITY, "No priority rule matched: P3."
    if priority in PRODUCTION_ONLY and (service is None or service.environment != Environment.PRODUCTION):
        where = "no known service" if service is None else f"{service.reference} is not production"
        why += f" Clamped from {priority} to P3: P1 and P2 only on production services (C2; {where})."
        priority = Priority.P3
    return priority, why


# --- the alert -------------------------------------------------------------------------------


def _open(alarm: Alarm):
    return Alert.objects.select_for_update().filter(identity_key=alarm.identity_key, state=AlertState.OPEN)


def _change(alert: Alert, alarm: Alarm, now: dt.datetime) -> tuple[dict[str, Any], str]:
    """What one state change of an open alert's identity does to it (set on `alert` too), and the
    occurrence's outcome: ALARM counts, OK resolves, anything else is recorded."""
    if alarm.state == AlarmState.OK:
        changes = {"state": AlertState.RESOLVED, "resolved_at": alarm.at, "last_state": alarm.state}
        outcome = Outcome.RESOLVED
    elif alarm.state == AlarmState.ALARM:
        changes = {"occurrences": alert.occurrences + 1, "last_state": alarm.state}
        outcome = Outcome.REPEATED
    else:
        changes = {"last_state": alarm.state}
        outcome = Outcome.RECORDED
    changes.update(last_reason=alarm.reason, last_seen_at=max(alert.last_seen_at, alarm.at), updated_at=now)
    for name, value in changes.items():
        setattr(alert, name, value)
    return changes, outcome


def _occurrence_row(alert: Alert, alarm: Alarm, outcome: str, delivery_id: int | None) -> AlertOccurrence:
    return AlertOccurrence(
        alert=alert,
        delivery_id=delivery_id,
        state_value=alarm.state,
        reason=alarm.reason,
        outcome=outcome,
        occurred_at=alarm.at,
    )


def _occurrence(alert: Alert, alarm: Alarm, outcome: str, delivery_id: int | None) -> None:
    _occurrence_row(alert, alarm, outcome, delivery_id).save(force_insert=True)


def _repeat(alert: Alert, alarm: Alarm, delivery_id: int | None) -> Received:
    changes, outcome = _change(alert, alarm, timezone.now())
    Alert.objects.filter(pk=alert.pk).update(**changes)
    _occurrence(alert, alarm, outcome, delivery_id)
    return Received(alert, outcome)


def alarm_repeat(*, alarm: Alarm, delivery_id: int | None = None) -> Received | None:
    """A state change of an identity whose alert is open, counted on it without looking up its
    organisation, service or maintenance window again (settled when it opened; alarm_receive
    ignores them for an open alert too): most of an alarm storm is repeats. None when no alert is
    open: then alarm_receive decides, safely against a concurrent first delivery."""
    with transaction.atomic():
        alert = _open(alarm).first()
        return _repeat(alert, alarm, delivery_id) if alert is not None else None


def alarm_repeats(*, alarms: list[tuple[Alarm, int | None]]) -> int:
    """Several state changes of one identity (received order, with their deliveries), counted on
    its open alert in one update and one insert of their occurrences — what alarm_repeat does for
    each, in two writes for all. Stops after the one that resolves the alert (what follows opens a
    new one, through alarm_receive). Returns how many were counted from the first: 0 when no alert
    of the identity is open."""
    with transaction.atomic():
        alert = _open(alarms[0][0]).first()
        if alert is None:
            return 0
        now = timezone.now()
        changed: dict[str, Any] = {}
        rows = []
        for alarm, delivery_id in alarms:
            changes, outcome = _change(alert, alarm, now)
            changed.update(changes)
            rows.append(_occurrence_row(alert, alarm, outcome, delivery_id))
            if alert.state != AlertState.OPEN:
                break
        Alert.objects.filter(pk=alert.pk).update(**{name: getattr(alert, name) for name in changed})
        AlertOccurrence.objects.bulk_create(rows)
    return len(rows)


def alarm_receive(
    *,
    alarm: Alarm,
    organisation: Organisation | None,
    service: Service | None,
    suppressed_by_window_id: int | None = None,
    delivery_id: int | None = None,
) -> Received:
    """F1/F3: one alarm state change into its alert. A new ALARM opens an alert (to be raised
    unless suppressed by a maintenance window, E3, or of no known organisation); a repeat ALARM
    counts on the open alert; OK resolves it; INSUFFICIENT_DATA is recorded on it, never raised
    (nor opens one). Two deliveries of one identity at once: the database lets one insert, the
    other re-reads and updates (a savepoint keeps the caller's transaction usable)."""
    with transaction.atomic():
        alert = _open(alarm).first()
        if alert is not None:
            return _repeat(alert, alarm, delivery_id)
        if alarm.state != AlarmState.ALARM:
            return _record_without_alert(alarm, organisation, service, delivery_id)
        priority, why = (
            priority_for(alarm, organisation, service) if organisation is not None else (DEFAULT_PRIORITY, "")
        )
        alert = Alert(
            source=alarm.source,
            identity_key=alarm.identity_key,
            account_id=alarm.account_id,
            region=alarm.region,
            name=alarm.name,
            organisation=organisation,
            service=service,
            last_state=alarm.state,
            last_reason=alarm.reason,
            summary=alarm.summary,
            resource=alarm.resource,
            namespace=alarm.namespace,
            metric=alarm.metric,
            severity=alarm.severity,
            priority=priority,
            priority_reason=why[:500],
            first_seen_at=alarm.at,
            last_seen_at=alarm.at,
            suppressed_by_window_id=suppressed_by_window_id,
            not_raised_reason="" if organisation else "No organisation has this AWS account.",
        )
        try:
            with transaction.atomic():
                alert.save(force_insert=True)
        except IntegrityError:
            alert = _open(alarm).first()
            if alert is None:  # resolved in between by an OK: this ALARM opens a fresh one
                raise
            return _repeat(alert, alarm, delivery_id)
        suppressed = suppressed_by_window_id is not None
        _occurrence(alert, alarm, Outcome.SUPPRESSED if suppressed else Outcome.OPENED, delivery_id)
        return Received(
            alert,
            Outcome.SUPPRESSED if suppressed else Outcome.OPENED,
            raise_incident=organisation is not None and not suppressed,
        )


def _record_without_alert(
    alarm: Alarm, organisation: Organisation | None, service: Service | None, delivery_id: int | None
) -> Received:
    """OK or INSUFFICIENT_DATA with no open alert: kept on the identity's latest alert (or a
    resolved one made for the record), never raised."""
    alert = Alert.objects.filter(identity_key=alarm.identity_key).order_by("-last_seen_at", "-pk").first()
    if alert is None:
        alert = Alert.objects.create(
            source=alarm.source,
            identity_key=alarm.identity_key,
            account_id=alarm.account_id,
            region=alarm.region,
            name=alarm.name,
            organisation=organisation,
            service=service,
            state=AlertState.RESOLVED,
            last_state=alarm.state,
            last_reason=alarm.reason,
            summary=alarm.summary,
            resource=alarm.resource,
            namespace=alarm.namespace,
            metric=alarm.metric,
            first_seen_at=alarm.at,
            last_seen_at=alarm.at,
            resolved_at=alarm.at,
            not_raised_reason=f"First seen as {alarm.state}: not an alarm.",
        )
    else:
        Alert.objects.filter(pk=alert.pk).update(
            last_state=alarm.state, last_reason=alarm.reason, last_seen_at=max(alert.last_seen_at, alarm.at)
        )
    _occurrence(alert, alarm, Outcome.RECORDED, delivery_id)
    return Received(alert, Outcome.RECORDED)


def alert_link_incident(*, alert: Alert, incident_id: int) -> Alert:
    """The incident raised for the alert (by the shell, through incidents' proactive create)."""
    Alert.objects.filter(pk=alert.pk).update(incident_id=incident_id, updated_at=timezone.now())
    alert.incident_id = incident_id
    return alert


def alert_not_raised(*, alert: Alert, reason: str) -> Alert:
    """The incident could not be raised (e.g. no technical contact to reach): kept visible."""
    Alert.objects.filter(pk=alert.pk).update(not_raised_reason=reason[:300], updated_at=timezone.now())
    alert.not_raised_reason = reason[:300]
    return alert


# --- priority rules --------------------------------------------------------------------------


def priority_rule_create(
    *,
    actor: Any,
    organisation: Any,
    priority: str,
    service: Any = None,
    alarm_pattern: str = "",
    namespace: str = "",
) -> PriorityRule:
    require_permission(actor, MANAGE_RULES)
    if not isinstance(organisation, Organisation):
        organisation = Organisation.objects.restrict(actor).filter(pk=organisation).first()
        if organisation is None:
            raise ValidationFailed.field("organisation", "No such organisation.")
    if service is not None and not isinstance(service, Service):
        service = Service.objects.restrict(actor).filter(pk=service).first()
        if service is None:
            raise ValidationFailed.field("service", "No such service.")
    if service is not None and service.organisation_id != organisation.pk:
        raise ValidationFailed.field("service", f"Not a service of {organisation}.")
    if priority not in Priority.values:
        raise ValidationFailed.field("priority", f"Must be one of {', '.join(Priority.values)}.")
    rule = PriorityRule(
        organisation=organisation,
        service=service,
        alarm_pattern=alarm_pattern,
        namespace=namespace,
        priority=priority,
    )
    with transaction.atomic():
        record_create(actor=actor, obj=rule, public=False)
    return rule


def priority_rule_delete(*, actor: Any, rule: PriorityRule, expected_version: int | None = None) -> None:
    require_permission(actor, MANAGE_RULES)
    with transaction.atomic():
        record_delete(actor=actor, obj=rule, expected_version=expected_version)


# --- security events (F2) --------------------------------------------------------------------


def _instance_type(detail: dict) -> str:
    params = detail.get("requestParameters") if isinstance(detail.get("requestParameters"), dict) else {}
    value = params.get("instanceType")
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else ""


def _type_matches(instance_type: str, patterns: list) -> bool:
    return any(fnmatch.fnmatchcase(instance_type, p) for p in patterns if isinstance(p, str))


def security_classify(event: dict) -> SecurityRule | None:
    """F2: the first active rule (by position) that matches a CloudTrail event's detail."""
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    source, name = detail.get("eventSource", ""), detail.get("eventName", "")
    error = detail.get("errorCode") or ""
    if name == "ConsoleLogin":
        response = detail.get("responseElements") if isinstance(detail.get("responseElements"), dict) else {}
        if response.get("ConsoleLogin") == "Failure":
            error = error or "Failure"
    for rule in SecurityRule.objects.filter(active=True):
        if rule.event_source and rule.event_source != source:
            continue
        if rule.event_names and name not in rule.event_names:
            continue
        if rule.error_codes and error not in rule.error_codes:
            continue
        if rule.instance_types and not _type_matches(_instance_type(detail), rule.instance_types):
            continue
        return rule
    return None


def _resource(detail: dict) -> str:
    resources = detail.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], dict):
        return _text(resources[0].get("ARN") or resources[0].get("arn"), 500)
    params = detail.get("requestParameters")
    if isinstance(params, dict):
        for key in ("groupId", "vpcId", "networkAclId", "internetGatewayId", "policyArn", "name", "userName"):
            if isinstance(params.get(key), str):
                return _text(params[key], 500)
    return ""


def security_event_receive(*, event: dict) -> tuple[SecurityEvent | None, bool]:
    """F2: a CloudTrail event (via EventBridge) classified by the rule table; (event, created).
    Unmatched events are not kept (None). Once per event id."""
    rule = security_classify(event)
    if rule is None:
        return None, False
    event_id = _text(event.get("id"), 100)
    if not event_id:
        raise ValidationFailed.field("id", "An EventBridge event has an id.")
    existing = SecurityEvent.objects.filter(event_id=event_id).first()
    if existing is not None:
        return existing, False
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    identity = detail.get("userIdentity") if isinstance(detail.get("userIdentity"), dict) else {}
    account_id = _text(event.get("account") or detail.get("recipientAccountId"), 12)
    account = CloudAccount.objects.filter(account_id=account_id).first()
    when = event.get("time") or detail.get("eventTime")
    security_event = SecurityEvent(
        event_id=event_id,
        kind=rule.kind,
        severity=rule.severity,
        account_id=account_id,
        region=_text(event.get("region"), 40),
        organisation_id=account.organisation_id if account else None,
        actor=_text(identity.get("arn"), 500),
        resource=_resource(detail),
        event_source=_text(detail.get("eventSource"), 100),
        event_name=_text(detail.get("eventName"), 100),
        error_code=_text(detail.get("errorCode"), 100),
        event_time=_instant(when, "time") if when else timezone.now(),
        raw=event,
    )
    try:
        with transaction.atomic():
            security_event.save(force_insert=True)
    except IntegrityError:
        return SecurityEvent.objects.get(event_id=event_id), False
    return security_event, True


def security_paging_severity() -> str:
    """The least severity that pages the security rota (OPSDESK_SECURITY_PAGE_SEVERITY)."""
    return settings.SECURITY_PAGE_SEVERITY  # one of SecuritySeverity: the settings refuse others


def security_event_pages(security_event: SecurityEvent) -> bool:
    """F2: an event at or above the paging severity calls the security rota; lower ones are listed."""
    order = SECURITY_SEVERITY_ORDER
    return order.index(security_event.severity) >= order.index(security_paging_severity())


def security_event_routed(
    *,
    security_event: SecurityEvent,
    route: str,
    routed: str,
    page_id: int | None = None,
    incident_id: int | None = None,
) -> SecurityEvent:
    """Where the shell sent it (the security rota's page, an incident) or why nowhere."""
    if route not in SecurityRoute.values:
        raise ValidationFailed.field("route", f"Must be one of {', '.join(SecurityRoute.values)}.")
    changes = {"route": route, "routed": routed[:300], "page_id": page_id, "incident_id": incident_id}
    SecurityEvent.objects.filter(pk=security_event.pk).update(**changes, updated_at=timezone.now())
    for name, value in changes.items():
        setattr(security_event, name, value)
    return security_event
