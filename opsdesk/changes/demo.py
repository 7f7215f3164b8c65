"""Demo change management (D1–D5), so `make run` shows the change board filled: a catalogue of
standard changes with runbooks, an approved pipeline, and changes at each level and at the steps a
change manager meets — a standard change waiting for the service desk and one confirmed, level-2
changes in planning, waiting for the customer's approver, rejected back to consultation and closed
with a post-change review, and an emergency tied to an incident; and agreed windows (D6): one in
core hours, one overlapping it on the same service (flagged), one at night (chargeable) and one
halted. Idempotent by title; every step
goes through the change services as the people who would take it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import business_calendar
from opsdesk.changes import services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import ApprovedPipeline, Change, StandardChange
from opsdesk.core.roles import Role
from opsdesk.directory import services as directory
from opsdesk.directory.demo import DEMO_PASSWORD
from opsdesk.directory.models import NamedContact, User

#: Northwind's second change approver (the browser flow: one asks, the other approves).
CAB_EMAIL = "change@northwind.example"

CATALOGUE = (
    (
        "Add or remove an IAM Identity Center user",
        "Grant or revoke a named person's access through an existing permission set.",
        "1. Confirm the requester is an authorised change approver.\n2. Add the user to the group.\n"
        "3. Ask the user to sign in and confirm access.\n4. Record the confirmation on the ticket.",
    ),
    (
        "Scale an ECS service within its agreed range",
        "Change a service's desired count inside the autoscaling range agreed at build.",
        "1. Check the range in the service runbook.\n2. Update the desired count.\n"
        "3. Wait for new tasks to pass health checks.\n4. Confirm the ALB targets are healthy.",
    ),
    (
        "Rotate an application secret",
        "Rotate a Secrets Manager secret with an existing rotation function.",
        "1. Trigger rotation.\n2. Watch the rotation Lambda succeed.\n3. Check the application's health.",
    ),
)

DOCUMENTS = {
    "impact_assessment": "Writer failover of about 30 seconds; level 2 confirmed.",
    "engaged": "Customer DBA and application owner; provider cloud engineering.",
    "statement_of_work": "Upgrade Aurora PostgreSQL 14 to 16 with a blue/green deployment.",
    "backout_plan": "Switch back to the blue cluster; restore the pre-change snapshot if needed.",
    "cost_impact": "None: within the managed service.",
    "test_plan": "Checkout smoke tests and the synthetic canary by the customer.",
}
L2_PATH = [
    ChangeState.IDENTIFY,
    ChangeState.IMPACT_ASSESSMENT,
    ChangeState.ENGAGEMENT,
    ChangeState.PLANNING,
    ChangeState.APPROVAL,
]


def _advance(actor: Any, change: Change, to: str) -> Change:
    change = services.change_update(actor=actor, change=change, **DOCUMENTS)
    for state in L2_PATH:
        change = services.change_transition(actor=actor, change=change, to_state=state)
        if state == to:
            break
    return change


def build_changes(demo: Any) -> None:
    staff = demo.staff
    desk, engineer = staff[Role.SERVICE_DESK], staff[Role.ENGINEER]
    for name, description, runbook in CATALOGUE:
        demo.ensure(
            StandardChange.objects.filter(name=name).first(),
            lambda n=name, d=description, r=runbook: services.standard_change_create(
                actor=demo.admin, name=n, description=d, runbook=r
            ),
        )
    web = demo.services.get("NW-PROD-WEB")
    if web is not None:
        demo.ensure(
            ApprovedPipeline.objects.filter(service=web).first(),
            lambda: services.pipeline_create(
                actor=engineer,
                service=web,
                name="GitHub Actions → CodeDeploy (main)",
                note="Storefront code deployments; infrastructure changes still need an RFC.",
            ),
        )
    northwind, contoso, fabrikam = (
        demo.organisations.get(n) for n in ("Northwind Trading", "Contoso Health", "Fabrikam Labs")
    )
    olivia = demo.customers.get("ops@northwind.example")
    daniel = demo.customers.get("it@contoso.example")
    ethan = demo.customers.get("cto@fabrikam.example")
    if None in (northwind, contoso, fabrikam, olivia, daniel, ethan):
        return
    # D5: a second authorised change approver at Northwind, so one can approve what the other asked.
    cab = demo.ensure(
        NamedContact.objects.filter(organisation=northwind, email=CAB_EMAIL).first(),
        lambda: directory.contact_create(
            actor=demo.admin,
            organisation=northwind,
            name="Amelia Grant",
            email=CAB_EMAIL,
            phone="+44 20 7946 0150",
            job_title="Change Advisory Board chair",
            availability_in_hours="Mon–Fri 09:00–17:00",
            gdpr_consent=True,
            gdpr_consent_method="signed onboarding form",
            is_change_approver=True,
            last_verified_at=timezone.now(),
        ),
    )
    demo.customers[CAB_EMAIL] = demo.ensure(
        User.objects.filter(email=CAB_EMAIL).first(),
        lambda: directory.user_create(
            actor=demo.admin,
            email=CAB_EMAIL,
            full_name="Amelia Grant",
            role=Role.CUSTOMER,
            password=DEMO_PASSWORD,
            contact=cab,
        ),
    )
    iam = StandardChange.objects.get(name=CATALOGUE[0][0])
    scale = StandardChange.objects.get(name=CATALOGUE[1][0])
    soon = timezone.now() + dt.timedelta(days=14)
    zone = ZoneInfo("Europe/London")

    def weekday(days: int, hour: int) -> dt.datetime:
        """`hour` o'clock (London) on the first working weekday at least `days` ahead."""
        day = timezone.now().astimezone(zone).date() + dt.timedelta(days=days)
        closed = business_calendar(Calendar.objects.get(name="uk")).closed_dates
        while day.weekday() >= 5 or day in closed:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)

    def once(title: str, build: Any) -> None:
        if not Change.objects.filter(title=title).exists():
            demo.created += 1
            build(title)

    def common(org: Any, contact_email: str, service: str | None) -> dict[str, Any]:
        contact = demo.contacts[contact_email]
        return {
            "organisation": org,
            "lead_contact": contact.pk,
            "services": [demo.services[service].pk] if service and service in demo.services else [],
        }

    once(
        "Give the new analyst console access",
        lambda t: services.change_create(
            actor=olivia,
            level=1,
            title=t,
            standard_change=iam.pk,
            description="Add Priya Shah to Analysts.",
            impact_statement="None.",
            **common(northwind, "ops@northwind.example", "NW-PROD-WEB"),
        ),
    )

    def confirmed(t: str) -> None:
        change = services.change_create(
            actor=olivia,
            level=1,
            title=t,
            standard_change=scale.pk,
            urgency="high",
            description="Scale storefront to 8 tasks for the weekend sale.",
            impact_statement="None expected.",
            **common(northwind, "ops@northwind.example", "NW-PROD-WEB"),
        )
        services.change_approve(actor=desk, change=change)

    once("Scale the storefront for the weekend sale", confirmed)
    once(
        "Upgrade the orders database to Aurora PostgreSQL 16",
        lambda t: _advance(
            engineer,
            services.change_create(
                actor=desk,
                level=2,
                title=t,
                description="Requested by Olivia Hart by phone.",
                impact_statement="Checkout read-only for up to a minute.",
                requested_start=soon,
                requested_end=soon + dt.timedelta(hours=2),
                **common(northwind, "ops@northwind.example", "NW-PROD-DATA"),
            ),
            ChangeState.PLANNING,
        ),
    )

    def waiting(t: str) -> None:
        change = services.change_create(
            actor=desk,
            level=2,
            title=t,
            description="New subnet for the EHR integration engine.",
            impact_statement="Brief routing change on the EHR VPC.",
            requested_start=soon,
            requested_end=soon + dt.timedelta(hours=3),
            **common(contoso, "it@contoso.example", "CH-PROD-EHR"),
        )
        change = _advance(engineer, change, ChangeState.APPROVAL)
        services.change_approve(actor=engineer, change=change)

    once("Add a private subnet for the EHR integration engine", waiting)

    def rejected(t: str) -> None:
        change = services.change_create(
            actor=desk,
            level=2,
            title=t,
            description="Move EHR test to Graviton instances.",
            impact_statement="Test environment unavailable for two hours.",
            **common(contoso, "it@contoso.example", "CH-TEST-EHR"),
        )
        change = _advance(engineer, change, ChangeState.APPROVAL)
        services.change_reject(actor=daniel, change=change, reason="Clashes with the month-end test cycle.")

    once("Move EHR test to Graviton", rejected)

    def reviewed(t: str) -> None:
        change = services.change_create(
            actor=desk,
            level=2,
            title=t,
            description="Enable S3 Object Lock on the research archive.",
            impact_statement="None: new writes only.",
            **common(fabrikam, "cto@fabrikam.example", None),
        )
        change = _advance(engineer, change, ChangeState.APPROVAL)
        change = services.change_approve(actor=engineer, change=change)
        change = services.change_approve(actor=ethan, change=change)
        change = services.change_schedule(
            actor=engineer, change=change, starts_at=weekday(2, 10), ends_at=weekday(2, 11)
        )
        change = services.change_transition(
            actor=engineer, change=change, to_state=ChangeState.IMPLEMENTATION
        )
        change = services.change_update(
            actor=engineer, change=change, checklist=[{"item": "Object Lock on", "done": True}]
        )
        change = services.change_transition(actor=engineer, change=change, to_state=ChangeState.TESTING)
        change = services.change_transition(actor=engineer, change=change, to_state=ChangeState.CLOSED)
        services.change_review(actor=engineer, change=change, notes="Went to plan; retention set to 7 years.")

    once("Enable Object Lock on the research archive", reviewed)

    def emergency(t: str) -> None:
        change = services.change_create(
            actor=desk,
            level=3,
            title=t,
            emergency_reason="incident",
            incident_id=1001,
            confirmed_by_phone=True,
            description="Roll back the storefront task definition.",
            impact_statement="Restores checkout.",
            incident_owner=staff[Role.CLOUD_SUPPORT_MANAGER].pk,
            **common(northwind, "ops@northwind.example", "NW-PROD-WEB"),
        )
        services.change_approve(
            actor=staff[Role.CLOUD_SUPPORT_MANAGER],
            change=change,
            contacted="Phoned Olivia Hart (incident contact) at 02:10; agreed.",
        )

    once("Roll back the storefront release", emergency)

    # D6: agreed windows — one in core hours, one overlapping it on the same service (flagged), one
    # at night (chargeable), and one halted when its implementation deviated from plan.
    def approved(t: str, org: Any, approver: Any, contact: str, service: str, what: str) -> Change:
        change = services.change_create(
            actor=desk,
            level=2,
            title=t,
            description=what,
            impact_statement="Brief interruption inside the agreed window.",
            **common(org, contact, service),
        )
        change = _advance(engineer, change, ChangeState.APPROVAL)
        change = services.change_approve(actor=engineer, change=change)
        return services.change_approve(actor=approver, change=change)

    def scheduled(t: str) -> None:
        what = "Resize the Aurora writer to r7g.2xlarge."
        change = approved(t, northwind, olivia, "ops@northwind.example", "NW-PROD-DATA", what)
        services.change_schedule(
            actor=engineer,
            change=change,
            starts_at=weekday(8, 10),
            ends_at=weekday(8, 12),
            note="Agreed with Olivia Hart by phone.",
        )

    once("Resize the orders database writer", scheduled)

    def overlapping(t: str) -> None:
        what = "Rotate the Aurora master password."
        change = approved(t, northwind, olivia, "ops@northwind.example", "NW-PROD-DATA", what)
        services.change_schedule(
            actor=engineer, change=change, starts_at=weekday(8, 11), ends_at=weekday(8, 13)
        )

    once("Rotate the orders database master password", overlapping)

    def chargeable(t: str) -> None:
        what = "Patch the EHR integration engine hosts."
        change = approved(t, contoso, daniel, "it@contoso.example", "CH-PROD-EHR", what)
        saturday = weekday(9, 2)
        while saturday.weekday() != 5:
            saturday += dt.timedelta(days=1)
        services.change_schedule(
            actor=engineer,
            change=change,
            starts_at=saturday,
            ends_at=saturday + dt.timedelta(hours=3),
            note="Out of hours at the customer's request: chargeable.",
        )

    once("Patch the EHR integration engine hosts", chargeable)

    def halted(t: str) -> None:
        change = approved(
            t, fabrikam, ethan, "cto@fabrikam.example", None, "Move the research cluster to EKS 1.31."
        )
        change = services.change_schedule(
            actor=engineer, change=change, starts_at=weekday(1, 9), ends_at=weekday(1, 17)
        )
        change = services.change_transition(
            actor=engineer, change=change, to_state=ChangeState.IMPLEMENTATION
        )
        services.change_halt(
            actor=engineer,
            change=change,
            reason="The node group upgrade failed health checks; rolled back to 1.30.",
        )

    once("Upgrade the research cluster to EKS 1.31", halted)
