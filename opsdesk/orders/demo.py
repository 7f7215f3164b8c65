"""Demo orders (H1) at every stage, so `make run` shows the board filled: an enquiry from the
customer's main named contact, one in requirements capture with a project manager, a quote
revised once (both versions kept), a quote that expired unaccepted, one whose order form failed
validation (its report listed), one validated and overdue for acceptance (its warning and breach
told to the order desk by the sweep), one validated in time, one in build and one whose service is
enabled with its runbooks. Idempotent by organisation and title; every step goes through the order
services as the people who would take it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.directory.choices import OnboardingState
from opsdesk.orders import services
from opsdesk.orders.choices import OrderState
from opsdesk.orders.models import Order, OrderEvent, Quote

QUOTE = [
    {
        "category": "project_management",
        "description": "Project management (days)",
        "quantity": "6",
        "unit_price": "650.00",
    },
    {
        "category": "licensing",
        "description": "Monitoring agent licences (per instance, yearly)",
        "quantity": "24",
        "unit_price": "42.50",
    },
    {
        "category": "network_integration",
        "description": "Site-to-site VPN and Transit Gateway attachment",
        "quantity": "1",
        "unit_price": "1850.00",
    },
    {
        "category": "services",
        "description": "Managed service, first month",
        "quantity": "1",
        "unit_price": "3200.00",
    },
]


@dataclass(frozen=True)
class OrderSpec:
    organisation: str
    title: str
    stage: str
    service_reference: str
    complex: bool = False
    #: the valid order was received this many days ago (before the acceptance clock starts)
    received_days_ago: int = 0
    #: leave these order form fields empty (the validation report lists them)
    missing: tuple[str, ...] = ()
    #: from the organisation's main named contact (the one with a portal user)
    by_customer: bool = False
    #: quoted once before the quote that stands (a revised quote: both versions kept)
    revised: bool = False
    #: the quote's last valid day was this many days ago (an expired quote)
    expired_days_ago: int = 0


ORDERS = (
    OrderSpec(
        "Northwind Trading", "Data lake on S3 and Athena", OrderState.ENQUIRY, "NW-DATALAKE", by_customer=True
    ),
    OrderSpec(
        "Contoso Health",
        "Disaster recovery to eu-west-1",
        OrderState.PROJECT_MANAGEMENT,
        "CON-DR",
        complex=True,
    ),
    OrderSpec(
        "Fabrikam Labs", "SageMaker research platform", OrderState.QUOTED, "FAB-SAGEMAKER", revised=True
    ),
    OrderSpec(
        "Contoso Health",
        "Amazon Connect contact centre",
        OrderState.QUOTED,
        "CON-CONNECT",
        expired_days_ago=3,
    ),
    OrderSpec(
        "Northwind Trading",
        "Managed EKS for the web shop",
        OrderState.RECEIVED,
        "NW-EKS",
        missing=("purchase_order", "billing_address", "requested_start"),
    ),
    OrderSpec(
        "Contoso Health",
        "Patient portal on ECS Fargate",
        OrderState.VALIDATED,
        "CON-PORTAL",
        received_days_ago=8,
    ),
    OrderSpec("Northwind Trading", "Cross-account backup with AWS Backup", OrderState.VALIDATED, "NW-BACKUP"),
    OrderSpec("Northwind Trading", "Control Tower landing zone", OrderState.BUILD, "NW-LZ", complex=True),
    OrderSpec(
        "Contoso Health", "Managed Aurora for clinical reporting", OrderState.ENABLED, "CON-AURORA-RPT"
    ),
)
RUNBOOKS = ("Failover and recovery", "Monthly patching")
#: Runbooks agreed at build, in the shape of the directory's demo runbooks.
RUNBOOK = """# {what}

| Step | Who |
|---|---|
| Confirm the alarm and the customer impact | Cloud engineer |
| Follow the procedure below | Cloud engineer |

## Restart procedure

1. Check the CloudWatch dashboard of the service.
2. Restart the affected tasks one at a time; confirm health checks pass.

## Escalation

Escalate to the cloud support manager if the service is not healthy within 30 minutes.
"""
STAGES = [s for s in OrderState if s != OrderState.CANCELLED]


def _form(demo: Any, spec: OrderSpec) -> dict[str, Any]:
    org = demo.organisations[spec.organisation]
    contact = next(c for c in demo.contacts.values() if c.organisation_id == org.pk and c.is_order_contact)
    onboarded = [
        a
        for a in demo.accounts.values()
        if a.organisation_id == org.pk and a.onboarding_state == OnboardingState.ONBOARDED
    ]
    account = onboarded[0] if onboarded else None
    form = {
        "order_contact": contact.pk,
        "purchase_order": f"PO-{spec.service_reference}-2026",
        "billing_address": f"{org.name}\nAccounts Payable\n1 Example Street\nLondon EC1A 1BB",
        "service_name": spec.title,
        "service_reference": spec.service_reference,
        "environment": "production",
        "requested_start": timezone.localdate() + dt.timedelta(days=30),
        "accounts": [account.pk] if account else [],
    }
    for name in spec.missing:
        form[name] = None if name == "requested_start" else ""
    return form


def _build(demo: Any, spec: OrderSpec) -> None:
    staff = demo.staff
    # Every step as the demo administrator (the demo's one actor besides the desk, whose audit trail
    # the demo tests read); the people assigned are the real roles.
    am = demo.admin
    sa, pm = staff[Role.SOLUTIONS_ARCHITECT], staff[Role.CSDM]
    org = demo.organisations[spec.organisation]
    target = STAGES.index(spec.stage)
    enquirer = None
    if spec.by_customer:
        enquirer = next(
            (u.contact for u in demo.customers.values() if u.contact and u.contact.organisation_id == org.pk),
            None,
        )
    order = services.order_create(
        actor=am,
        organisation=org,
        contact=enquirer,
        title=spec.title,
        description=f"{org.name} asked about {spec.title.lower()}.",
    )
    if target >= STAGES.index(OrderState.REQUIREMENTS):
        order = services.order_capture_requirements(
            actor=am,
            order=order,
            solution_architect=sa,
            is_complex=spec.complex,
            requirements=f"{spec.title}: production first, then non-production; runbooks agreed at build.",
        )
    if spec.complex and target >= STAGES.index(OrderState.PROJECT_MANAGEMENT):
        order = services.order_assign_project_manager(actor=am, order=order, project_manager=pm)
    if target >= STAGES.index(OrderState.QUOTED):
        if spec.revised:  # a first quote with more project management, revised after a call
            first = [{**QUOTE[0], "quantity": "8"}, *QUOTE[1:]]
            order = services.order_quote(actor=am, order=order, lines=first)
        order = services.order_quote(actor=am, order=order, lines=QUOTE)
        if spec.expired_days_ago:
            # Demo history: the order was quoted weeks ago and its quote's last valid day has passed.
            back = dt.timedelta(days=services.QUOTE_VALID_DAYS + spec.expired_days_ago)
            Quote.objects.filter(order=order).update(
                valid_until=timezone.localdate() - dt.timedelta(days=spec.expired_days_ago),
                quoted_at=F("quoted_at") - back,
            )
            Order.objects.filter(pk=order.pk).update(quoted_at=F("quoted_at") - back)
            OrderEvent.objects.filter(order=order).update(at=F("at") - back)
            order.refresh_from_db()
    if target >= STAGES.index(OrderState.RECEIVED):
        order = services.order_accept_quote(actor=am, order=order, **_form(demo, spec))
        if spec.received_days_ago:
            # The order form arrived some days ago (demo history): its acceptance is now overdue.
            Order.objects.filter(pk=order.pk).update(
                form_received_at=timezone.now() - dt.timedelta(days=spec.received_days_ago)
            )
            order.refresh_from_db()
        if spec.missing or target >= STAGES.index(OrderState.VALIDATED):
            order = services.order_validate(actor=am, order=order)
    if target >= STAGES.index(OrderState.ACCEPTED):
        order = services.order_accept(actor=am, order=order)
    if target >= STAGES.index(OrderState.BUILD):
        order = services.order_start_build(
            actor=am, order=order, note="Build kick-off held with the customer."
        )
    if target >= STAGES.index(OrderState.ENABLED):
        services.order_enable(
            actor=am,
            order=order,
            runbooks=[{"title": title, "body": RUNBOOK.format(what=title)} for title in RUNBOOKS],
        )


def build_orders(demo: Any) -> None:
    for spec in ORDERS:
        org = demo.organisations.get(spec.organisation)
        if org is None or Order.objects.filter(organisation=org, title=spec.title).exists():
            continue
        demo.created += 1
        _build(demo, spec)
