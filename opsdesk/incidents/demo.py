"""Demo incidents for `opsdesk demo`: one in each state of the lifecycle (C4), targets from the
default SLA policy (B3), a P1 closed with its RCA (C6) and an escalation (C7). Idempotent: an
incident is looked up by its organisation and title first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.incidents import services
from opsdesk.incidents.escalations import services as escalation_services
from opsdesk.incidents.escalations.models import EscalationCriterion
from opsdesk.incidents.models import DiagnosticsChecklistItem, Incident


@dataclass(frozen=True)
class IncidentSpec:
    service: str
    reporter: str
    title: str
    description: str
    priority: str
    hours_ago: float
    steps: tuple[str, ...]  # lifecycle steps applied in order


INCIDENTS = (
    IncidentSpec(
        "NW-PROD-WEB",
        "ops@northwind.example",
        "Checkout returns 503 for some customers",
        "Since 08:40 about one in five checkout requests returns 503 from the load balancer. Target group "
        "health checks flap on two of six instances. Health Dashboard shows nothing for eu-west-2.",
        "P2",
        3,
        ("acknowledge", "investigate"),
    ),
    IncidentSpec(
        "NW-PROD-DATA",
        "ops@northwind.example",
        "Order database failover during the night",
        "Aurora failed over at 02:13; orders were refused for six minutes. Service has resumed; we "
        "need to know why the writer was replaced.",
        "P1",
        200,
        ("acknowledge", "investigate", "resolve", "close"),
    ),
    IncidentSpec(
        "NW-DEV-WEB",
        "ops@northwind.example",
        "Nightly staging rebuild fails at terraform apply",
        "The nightly rebuild has failed twice with AccessDenied on iam:PassRole since Monday's change.",
        "P3",
        1,
        (),
    ),
    IncidentSpec(
        "CH-PROD-EHR",
        "it@contoso.example",
        "Clinicians report slow patient search",
        "Patient search takes 8–12 seconds at peak (normally under 1 s) since this morning. Screenshots "
        "and request ids attached.",
        "P2",
        26,
        ("acknowledge", "await_customer"),
    ),
    IncidentSpec(
        "CH-TEST-EHR",
        "it@contoso.example",
        "Question: retention of test environment snapshots",
        "How long are RDS snapshots of the test environment kept, and can we reduce it to 7 days?",
        "P4",
        5,
        ("acknowledge",),
    ),
)


def _apply(step: str, incident: Incident, desk: Any, at: dt.datetime) -> Incident:
    if step == "acknowledge":
        return services.incident_acknowledge(actor=desk, incident=incident, at=at)
    if step == "investigate":
        return services.incident_start_investigating(
            actor=desk,
            incident=incident,
            at=at,
            note="We are looking at the target group health checks and recent deployments; "
            "next update within the hour.",
        )
    if step == "await_customer":
        return services.incident_await_customer(
            actor=desk,
            incident=incident,
            at=at,
            note="Could you send the search terms and times of three slow searches?",
        )
    if step == "resolve":
        return services.incident_resolve(
            actor=desk,
            incident=incident,
            at=at,
            summary="The writer was replaced after a storage health event; the cluster is healthy again.",
        )
    if step == "close":
        return services.incident_close(
            actor=desk,
            incident=incident,
            at=at,
            customer_confirmed=True,
            reason="Customer confirmed by phone that orders are flowing.",
        )
    raise ValueError(step)


def build_incidents(demo: Any) -> None:
    desk = demo.staff[Role.SERVICE_DESK]
    checklist = list(DiagnosticsChecklistItem.objects.filter(active=True).values_list("pk", flat=True))
    now = timezone.now().replace(second=0, microsecond=0)
    for spec in INCIDENTS:
        service = demo.services[spec.service]
        if Incident.objects.filter(organisation=service.organisation, title=spec.title).exists():
            continue
        demo.created += 1
        logged = now - dt.timedelta(hours=spec.hours_ago)
        incident = services.incident_log(
            actor=desk,
            reported_by=demo.contacts[spec.reporter],
            service=service,
            title=spec.title,
            description=spec.description,
            priority=spec.priority,
            diagnostics_confirmed=checklist,
            logged_at=logged,
        )
        step_at = logged
        for step in spec.steps:
            step_at = min(now, step_at + dt.timedelta(minutes=12))
            incident = _apply(step, incident, desk, step_at)
        if spec.priority == "P2" and service.reference == "CH-PROD-EHR":
            escalation_services.escalation_raise(
                actor=desk,
                incident=incident,
                contact=demo.contacts[spec.reporter],
                criterion=EscalationCriterion.objects.order_by("pk").first(),
                details="Two updates promised this morning have not arrived.",
                at=now,
            )
