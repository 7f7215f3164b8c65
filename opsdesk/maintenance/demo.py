"""Demo maintenance (E2, E3): agreed windows for Northwind (Sunday 02:00–06:00) and Contoso (Saturday
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
from opsdesk.maintenance import services
from opsdesk.maintenance.models import AgreedWindow, Blackout, CustomerWindow, ProviderMaintenance

LONDON = ZoneInfo("Europe/London")


def _next(weekday: int, hour: int, *, after: dt.timedelta) -> dt.datetime:
    earliest = timezone.now() + after
    day = earliest.astimezone(LONDON).date()
    while True:
        at = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
        if day.weekday() == weekday and at >= earliest:
            return at
        day += dt.timedelta(days=1)


def build_maintenance(demo: Any) -> None:
    northwind, contoso = demo.organisations.get(NORTHWIND), demo.organisations.get(CONTOSO)
    if northwind is None or contoso is None:
        return
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
