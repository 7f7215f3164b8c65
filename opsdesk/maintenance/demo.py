"""Demo maintenance (E1, E2, E3): AWS Health notices to triage (an RDS scheduled change already
assessed and its contact made, an EC2 issue, an account notification and one about an account no
organisation owns), agreed windows for Northwind (Sunday 02:00–06:00) and Contoso (Saturday
22:00–02:00), a peak-trading blackout, provider maintenance inside the window, outside it with 10
working days' notice and an emergency already under way, a customer window declared by Contoso, and
a provider-wide maintenance on the public status page (E4).
Idempotent by organisation and title; every record goes through the services as the people who
would make it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.directory.demo import CONTOSO, NORTHWIND
from opsdesk.directory.models import NamedContact
from opsdesk.maintenance import services
from opsdesk.maintenance.models import (
    AgreedWindow,
    Blackout,
    CustomerWindow,
    HealthNotice,
    ProviderMaintenance,
)

LONDON = ZoneInfo("Europe/London")


def _next(weekday: int, hour: int, *, after: dt.timedelta) -> dt.datetime:
    earliest = timezone.now() + after
    day = earliest.astimezone(LONDON).date()
    while True:
        at = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
        if day.weekday() == weekday and at >= earliest:
            return at
        day += dt.timedelta(days=1)


def _rfc2822(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def health_event(
    *,
    account: str,
    service: str,
    code: str,
    category: str,
    start: dt.datetime,
    end: dt.datetime | None,
    description: str,
    entities: tuple[str, ...] = (),
    status: str = "open",
    region: str = "eu-west-2",
    suffix: str = "DEMO",
) -> dict:
    """An EventBridge `aws.health` event as AWS sends it (times in `detail` in RFC 2822)."""
    arn = f"arn:aws:health:{region}::event/{service}/{code}/{code}_{suffix}"
    detail: dict[str, Any] = {
        "eventArn": arn,
        "service": service,
        "eventTypeCode": code,
        "eventTypeCategory": category,
        "eventScopeCode": "ACCOUNT_SPECIFIC",
        "startTime": _rfc2822(start),
        "lastUpdatedTime": _rfc2822(timezone.now()),
        "statusCode": status,
        "eventRegion": region,
        "eventDescription": [{"language": "en_US", "latestDescription": description}],
        "affectedEntities": [{"entityValue": e} for e in entities],
    }
    if end is not None:
        detail["endTime"] = _rfc2822(end)
    return {
        "version": "0",
        "id": f"demo-{code.lower()}-{account}",
        "detail-type": "AWS Health Event",
        "source": "aws.health",
        "account": account,
        "time": timezone.now().isoformat(),
        "region": region,
        "resources": [e for e in entities if e.startswith("arn:")],
        "detail": detail,
    }


def build_health_notices(demo: Any, northwind: Any, contoso: Any) -> None:
    """E1: a few AWS Health notices at different points of triage, as staff would find them."""
    desk = demo.staff.get(Role.SERVICE_DESK, demo.admin)
    soon = _next(1, 3, after=dt.timedelta(days=14))
    events = [
        health_event(
            account="318472659014",
            service="RDS",
            code="AWS_RDS_MAINTENANCE_SCHEDULED",
            category="scheduledChange",
            start=soon,
            end=soon + dt.timedelta(hours=2),
            status="upcoming",
            entities=("arn:aws:rds:eu-west-2:318472659014:db:nw-orders",),
            description="Amazon RDS will apply required operating-system updates to your DB instance "
            "nw-orders during the maintenance window. Expect a brief failover (Multi-AZ).",
        ),
        health_event(
            account="641728390517",
            service="EC2",
            code="AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED",
            category="issue",
            start=timezone.now() - dt.timedelta(hours=3),
            end=None,
            entities=("i-0c1a2b3c4d5e6f708",),
            description="The instance store drive of one of your EC2 instances is degraded. Move the "
            "workload off the instance (stop and start it) at a convenient time.",
        ),
        health_event(
            account="204815637290",
            service="LAMBDA",
            code="AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
            category="accountNotification",
            start=timezone.now() - dt.timedelta(days=1),
            end=None,
            entities=("arn:aws:lambda:eu-west-2:539604172836:function:nw-invoice-export",),
            description="The Python 3.9 runtime reaches end of support; functions using it should be "
            "upgraded.",
        ),
        health_event(
            account="999988887777",
            service="EC2",
            code="AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
            category="scheduledChange",
            start=soon + dt.timedelta(days=3),
            end=soon + dt.timedelta(days=3, hours=1),
            status="upcoming",
            entities=("i-0fffeeeddd1112223",),
            description="An EC2 instance is scheduled for retirement (account not in the directory).",
        ),
    ]
    made = []
    for event in events:
        arn, account = event["detail"]["eventArn"], event["account"]
        existing = HealthNotice.objects.filter(event_arn=arn, aws_account_id=account).first()
        made.append(
            demo.ensure(
                existing, lambda event=event: services.health_event_receive(actor=desk, event=event)[0]
            )
        )
    rds, _ec2, lam, _unmatched = made
    if rds is not None and rds.state == "new":
        rds = services.health_notice_assess(
            actor=desk,
            health_notice=rds,
            impact_level="medium",
            impact_assessment="Order database fails over (under a minute of errors on checkout); "
            "outside the Sunday window, so the customer agrees the time.",
        )
        contact = NamedContact.objects.filter(organisation=northwind, email="ops@northwind.example").first()
        if contact is not None:
            services.health_notice_contact(
                actor=desk,
                health_notice=rds,
                contact=contact,
                method="phone",
                note="Agreed to let AWS apply it in the scheduled slot; a change to be raised.",
            )
    if lam is not None and lam.state == "new":
        services.health_notice_assess(
            actor=desk,
            health_notice=lam,
            impact_level="low",
            impact_assessment="One invoice-export function on Python 3.9; upgrade at the next release.",
        )


def build_maintenance(demo: Any) -> None:
    northwind, contoso = demo.organisations.get(NORTHWIND), demo.organisations.get(CONTOSO)
    if northwind is None or contoso is None:
        return
    build_health_notices(demo, northwind, contoso)
    manager = demo.staff.get(Role.CSDM, demo.admin)
    engineer = demo.staff.get(Role.ENGINEER, demo.admin)
    for org, weekday, start, end in ((northwind, 6, "02:00", "06:00"), (contoso, 5, "22:00", "02:00")):
        demo.ensure(
            AgreedWindow.objects.filter(organisation=org).first(),
            lambda org=org, weekday=weekday, start=start, end=end: services.window_create(
                actor=manager,
                organisation=org,
                weekday=weekday,
                start=start,
                end=end,
                notes="Agreed at onboarding.",
            ),
        )
    freeze = "Peak trading freeze"
    demo.ensure(
        Blackout.objects.filter(organisation=northwind, reason=freeze).first(),
        lambda: services.blackout_create(
            actor=manager,
            organisation=northwind,
            starts_at=_next(0, 0, after=dt.timedelta(days=21)),
            ends_at=_next(0, 0, after=dt.timedelta(days=28)),
            reason=freeze,
        ),
    )
    web, data = demo.services.get("NW-PROD-WEB"), demo.services.get("NW-PROD-DATA")

    def planned(title: str, create) -> None:
        demo.ensure(ProviderMaintenance.objects.filter(organisation=northwind, title=title).first(), create)

    sunday = _next(6, 2, after=dt.timedelta(days=1))
    planned(
        "Monthly OS patching (web tier)",
        lambda: services.provider_maintenance_create(
            actor=engineer,
            organisation=northwind,
            title="Monthly OS patching (web tier)",
            description="Rolling AMI refresh of the web Auto Scaling group.",
            starts_at=sunday,
            ends_at=sunday + dt.timedelta(hours=3),
            services=[web.pk] if web else [],
        ),
    )
    out_of_window = dt.datetime.combine(
        services.notice_period_end(northwind.calendar, timezone.now()) + dt.timedelta(days=1),
        dt.time(19),
        tzinfo=LONDON,
    )
    planned(
        "Aurora major version upgrade",
        lambda: services.provider_maintenance_create(
            actor=engineer,
            organisation=northwind,
            title="Aurora major version upgrade",
            description="PostgreSQL 15 to 16 by blue/green deployment; longer than the Sunday window.",
            starts_at=out_of_window,
            ends_at=out_of_window + dt.timedelta(hours=3),
            services=[data.pk] if data else [],
        ),
    )

    def emergency() -> ProviderMaintenance:
        start = timezone.now() + dt.timedelta(minutes=1)
        m = services.provider_maintenance_create(
            actor=engineer,
            organisation=northwind,
            title="OpenSSL security advisory patch",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            services=[web.pk] if web else [],
            is_emergency=True,
            emergency_reason="security_advisory",
            emergency_detail="Critical advisory with a public exploit; cannot wait for Sunday.",
        )
        return services.provider_maintenance_start(
            actor=engineer, provider_maintenance=m, note="Patching started."
        )

    planned("OpenSSL security advisory patch", emergency)

    telephony = "Service desk telephony upgrade"
    evening = dt.datetime.combine(
        services.notice_period_end(services.provider_calendar(), timezone.now()) + dt.timedelta(days=1),
        dt.time(19),
        tzinfo=LONDON,
    )
    demo.ensure(
        ProviderMaintenance.objects.filter(organisation=None, title=telephony).first(),
        lambda: services.provider_maintenance_create(
            actor=manager,
            organisation=None,
            title=telephony,
            starts_at=evening,
            ends_at=evening + dt.timedelta(hours=2),
            description="The telephone line may drop calls for a few minutes; "
            "email and the portal are unaffected.",
            components=["Service desk telephony"],
        ),
    )

    daniel = demo.customers.get("it@contoso.example")
    ehr = demo.services.get("CH-PROD-EHR")
    title = "Clinic site power maintenance"
    if daniel is not None and ehr is not None:
        start = _next(5, 8, after=dt.timedelta(days=2))
        demo.ensure(
            CustomerWindow.objects.filter(organisation=contoso, title=title).first(),
            lambda: services.customer_window_create(
                actor=daniel,
                title=title,
                description="UPS maintenance at the Manchester clinic; the site VPN will drop.",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=4),
                services=[ehr.pk],
            ),
        )
