"""The shell's wiring of alarms and events (issue 12 items 3, 4, 7): inbox deliveries → alerts →
maintenance (E3 suppression, E1 Health) → incidents (C3 proactive create, which pages on-call for
P1/P2). Domains never import each other; this module composes their seams, registered with the inbox
at start-up (web/apps.py)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.urls import reverse

from opsdesk.alerts import services as alerts
from opsdesk.alerts.choices import AlarmState, Priority, SecurityRoute, SecuritySeverity
from opsdesk.core.errors import ApplicationError
from opsdesk.directory.choices import Environment
from opsdesk.directory.models import Organisation
from opsdesk.inbox.choices import CLOUDWATCH_ALARM, EVENTBRIDGE_EVENT, WEBHOOK_ALARM
from opsdesk.incidents import services as incidents
from opsdesk.incidents.choices import Source
from opsdesk.maintenance import selectors as maintenance_selectors
from opsdesk.maintenance import services as maintenance
from opsdesk.oncall import selectors as oncall_selectors
from opsdesk.oncall import services as oncall
from opsdesk.oncall.choices import PageCause

#: A security event's pages (oncall.Page.source_type).
SECURITY_EVENT_SOURCE = "security_event"


def _raise(received: alerts.Received, alarm: alerts.Alarm) -> None:
    alert = received.alert
    description = "\n".join(
        line
        for line in (
            f"Alarm {alarm.name} is in ALARM ({alarm.source}).",
            f"Account {alarm.account_id}, region {alarm.region}." if alarm.account_id else "",
            f"Resource: {alarm.resource}." if alarm.resource else "",
            f"Reason: {alarm.reason}" if alarm.reason else "",
            f"Priority: {alert.priority_reason}",
            f"Alert: /alerts/{alert.pk}/",
        )
        if line
    )
    raise_incident(
        received, title=f"Alarm: {alarm.summary or alarm.name}", description=description, at=alarm.at
    )


def raise_incident(received: alerts.Received, *, title: str, description: str, at: Any = None) -> None:
    """The alert's incident, through incidents' proactive create (C3, paging P1/P2), linked to the
    alert; when it cannot be raised the alert says why. Also used by web/billing_alerts.py."""
    alert = received.alert
    try:
        with transaction.atomic():
            incident = incidents.incident_raise_proactive(
                actor=None,
                organisation=alert.organisation,
                title=title[:200],
                description=description,
                priority=alert.priority,
                service=alert.service,
                source=Source.ALARM,
                at=at,
            )
    except ApplicationError as exc:  # e.g. no technical contact to reach: the alert says why
        alerts.alert_not_raised(alert=alert, reason=f"Incident not raised: {exc}")
        return
    alerts.alert_link_incident(alert=alert, incident_id=incident.pk)


def alarm_process(alarm: alerts.Alarm, *, delivery_id: int | None = None) -> alerts.Received:
    """One alarm through the pipeline (design: alarm → suppressing_window → alarm_receive →
    proactive incident → link); a repeat of an open alert only counts on it."""
    repeated = alerts.alarm_repeat(alarm=alarm, delivery_id=delivery_id)
    if repeated is not None:
        return repeated
    organisation, service = alerts.alarm_target(alarm)
    window = None
    if alarm.state == AlarmState.ALARM and alarm.account_id:
        window = maintenance_selectors.suppressing_window(
            account_id=alarm.account_id, at=alarm.at, service_id=service.pk if service else None
        )
    received = alerts.alarm_receive(
        alarm=alarm,
        organisation=organisation,
        service=service,
        suppressed_by_window_id=window.pk if window else None,
        delivery_id=delivery_id,
    )
    if received.raise_incident:
        _raise(received, alarm)
    return received


def alarm_repeats_counted(alarms: list[tuple[alerts.Alarm, Any]]) -> list[Any]:
    """Of alarms arriving together (an inbox batch, received order, each with its delivery), the
    repeats of an open alert, counted on it in one go per identity (alerts.alarm_repeats) — the
    result alarm_process gives each. Returns their deliveries; the rest (an identity with no open
    alert, what follows an OK that resolved one) are left for alarm_process, one at a time, so a
    batch's transaction stays short."""
    by_identity: dict[str, list[tuple[alerts.Alarm, Any]]] = {}
    for alarm, delivery in alarms:
        by_identity.setdefault(alarm.identity_key, []).append((alarm, delivery))
    counted: list[Any] = []
    # Identities in one order in every batch: two workers' batches lock their alerts alike and
    # never wait on each other in a circle.
    for _, pending in sorted(by_identity.items(), key=lambda item: item[0]):
        done = alerts.alarm_repeats(alarms=[(alarm, delivery.pk) for alarm, delivery in pending])
        counted.extend(delivery for _, delivery in pending[:done])
    return counted


def _cloudwatch_alarm(delivery: Any) -> alerts.Alarm:
    envelope = json.loads(delivery.body)
    return alerts.cloudwatch_alarm_parse(envelope.get("Message", ""))


def cloudwatch_alarm(delivery: Any) -> None:
    """An SNS notification carrying a CloudWatch alarm (inbox kind cloudwatch.alarm)."""
    alarm_process(_cloudwatch_alarm(delivery), delivery_id=delivery.pk)


def cloudwatch_alarms(deliveries: list[Any]) -> list[Any]:
    """Several of them at once (the inbox's batch handler): the repeats it counted."""
    return alarm_repeats_counted([(_cloudwatch_alarm(delivery), delivery) for delivery in deliveries])


def _webhook_alarm(delivery: Any) -> alerts.Alarm:
    return alerts.webhook_alarm_parse(delivery.body, organisation_id=delivery.organisation_id)


def webhook_alarm(delivery: Any) -> None:
    """Item 7: the generic JSON webhook of one organisation."""
    alarm_process(_webhook_alarm(delivery), delivery_id=delivery.pk)


def webhook_alarms(deliveries: list[Any]) -> list[Any]:
    return alarm_repeats_counted([(_webhook_alarm(delivery), delivery) for delivery in deliveries])


def _security_incident(security_event: Any) -> int | None:
    """High severity: a proactive incident, P2 on a production account (its one production service),
    else P3."""
    organisation = Organisation.objects.filter(pk=security_event.organisation_id).first()
    if organisation is None:
        return None
    production = list(
        organisation.services.filter(
            environment=Environment.PRODUCTION, accounts__account_id=security_event.account_id
        )[:2]
    )
    service = production[0] if len(production) == 1 else None
    try:
        with transaction.atomic():
            incident = incidents.incident_raise_proactive(
                actor=None,
                organisation=organisation,
                title=f"Security: {security_event.kind} ({security_event.event_name})"[:200],
                description=(
                    f"{security_event.event_name} by {security_event.actor or 'unknown'} on "
                    f"{security_event.resource or 'unknown resource'} in {security_event.account_id}."
                ),
                priority=Priority.P2 if service else Priority.P3,
                service=service,
                source=Source.ALARM,
                at=security_event.event_time,
            )
    except ApplicationError:
        return None
    return incident.pk


def eventbridge_event(delivery: Any) -> None:
    """Item 4: an EventBridge event. AWS Health → maintenance (E1); CloudTrail → the security rule
    table (F2); anything else is kept in the inbox only."""
    event = json.loads(delivery.body)
    if event.get("source") == "aws.health":
        maintenance.health_event_receive(actor=None, event=event)
        return
    security_event, created = alerts.security_event_receive(event=event)
    if security_event is None or not created:
        return
    incident_id = None
    if security_event.severity == SecuritySeverity.HIGH:
        incident_id = _security_incident(security_event)
    _security_route(security_event, incident_id=incident_id)


def _security_body(security_event: Any, incident_id: int | None) -> str:
    e = security_event
    lines = [
        f"{e.event_source} {e.event_name}" + (f" ({e.error_code})" if e.error_code else ""),
        f"Actor: {e.actor or 'unknown'}",
        f"Resource: {e.resource or 'unknown'}",
        f"Account {e.account_id or 'unknown'}, region {e.region or 'unknown'}, at {e.event_time.isoformat()}",
    ]
    if incident_id:
        lines.append(f"Incident: /incidents/{incident_id}/")
    return "\n".join(lines)


def _security_route(security_event: Any, *, incident_id: int | None) -> None:
    """F2 routing: "by the RACI when that exists, until then to the provider's security on-call
    rota". There is no RACI yet, so an event at or above the paging severity raises one page (per
    event: page_raise de-duplicates by the source and cause) worked by the policy marked as the
    security rota; lower ones are listed only. With no security rota the event says so (staff see
    the same warning on the security-events page and the on-call desk)."""
    if not alerts.security_event_pages(security_event):
        alerts.security_event_routed(
            security_event=security_event,
            route=SecurityRoute.BELOW_THRESHOLD,
            routed=(
                f"Not paged: {security_event.get_severity_display().lower()} is below the paging "
                f"severity ({alerts.security_paging_severity()})."
            ),
            incident_id=incident_id,
        )
        return
    policy = oncall_selectors.security_policy()
    if policy is None:
        alerts.security_event_routed(
            security_event=security_event,
            route=SecurityRoute.NO_ROTA,
            routed="Not paged: no security rota (no escalation policy is marked as the security rota).",
            incident_id=incident_id,
        )
        return
    organisation = security_event.organisation
    page = oncall.page_raise(
        source_type=SECURITY_EVENT_SOURCE,
        source_id=security_event.pk,
        cause=PageCause.SECURITY_EVENT,
        title=(
            f"Security {security_event.get_severity_display().lower()}: {security_event.kind} "
            f"({security_event.event_name}) in {security_event.account_id or 'an unknown account'}"
            + (f" · {organisation.name}" if organisation else "")
        ),
        body=_security_body(security_event, incident_id),
        url=reverse("alerts:security_event_detail", args=[security_event.pk]),
        organisation=organisation,
        policy=policy,
    )
    alerts.security_event_routed(
        security_event=security_event,
        route=SecurityRoute.PAGED,
        routed=f"Paged the security rota ({policy.name}).",
        page_id=page.pk,
        incident_id=incident_id,
    )


def register() -> None:
    from opsdesk.inbox import registry

    registry.register(CLOUDWATCH_ALARM, cloudwatch_alarm)
    registry.register(WEBHOOK_ALARM, webhook_alarm)
    registry.register_batch(CLOUDWATCH_ALARM, cloudwatch_alarms)  # storms: repeats counted together
    registry.register_batch(WEBHOOK_ALARM, webhook_alarms)
    registry.register(EVENTBRIDGE_EVENT, eventbridge_event)
    registry.register_check(WEBHOOK_ALARM, _webhook_check)


def _webhook_check(body: bytes, organisation_id: Any) -> None:
    """The webhook intake refuses (400, naming the field) what the alarm pipeline could never read."""
    alerts.webhook_alarm_parse(body, organisation_id=organisation_id)
