"""Demo data of Operations on Demand (G1–G6): a catalogue with rate history, requests in every
state (submitted, approved, partially approved, denied) and the engagements the approvals started;
an engagement running since two months ago with time entries (kicked off on its start date), last
month closed with its statement, and an engagement whose kick-off is overdue (its start deadline
past, not started); modifications (G5): one approved (blocks up, a new allocation row), one sent to
scoping with the CSDM and the second request that follows it, awaiting review. Idempotent:
offerings by name, requests and modifications by their notes."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.ood import rules, services
from opsdesk.ood.models import (
    Engagement,
    EngagementAllocation,
    Modification,
    MonthClose,
    Offering,
    OodRequest,
)
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import deadline_meet

#: name, description, plans, regions, rate per block from January 2026.
OFFERINGS = (
    (
        "EKS maintenance",
        "Amazon EKS version upgrades, managed node group and add-on maintenance, and cluster health reviews.",
        ("advanced", "accelerate"),
        (),
        "1450.00",
    ),
    (
        "Control Tower operations",
        "AWS Control Tower landing zone updates, guardrail management and account vending.",
        ("advanced", "accelerate"),
        (),
        "1200.00",
    ),
    (
        "SAP cluster management",
        "Operation of SAP HANA and NetWeaver high-availability clusters on AWS.",
        ("accelerate",),
        ("eu-west-1", "eu-west-2"),
        "2100.00",
    ),
)
#: EKS maintenance costs more from next January: a second rate, the first kept for earlier months.
EKS_NEW_RATE = "1525.00"

NORTHWIND, CONTOSO = "Northwind Trading", "Contoso Health"


def _line(offering: Offering, blocks: int, accounts: tuple[str, ...], recurrence: str = "monthly") -> dict:
    return {"offering": offering.pk, "blocks": blocks, "accounts": list(accounts), "recurrence": recurrence}


def build_ood(demo: Any) -> None:
    manager = demo.staff[Role.ACCOUNT_MANAGER]
    reviewer = demo.staff[Role.OPERATIONS_REVIEWER]
    today = timezone.localdate()
    catalogue: dict[str, Offering] = {}
    for name, description, plans, regions, rate in OFFERINGS:
        catalogue[name] = demo.ensure(
            Offering.objects.filter(name=name).first(),
            partial(
                services.offering_create,
                actor=manager,
                name=name,
                description=description,
                plans=plans,
                regions=regions,
                rate=rate,
                effective_from=dt.date(2026, 1, 1),
            ),
        )
    eks = catalogue["EKS maintenance"]
    next_january = dt.date(today.year + 1, 1, 1)
    if not eks.rates.filter(effective_from=next_january).exists():
        demo.created += 1
        services.offering_rate_create(
            actor=manager, offering=eks, rate=EKS_NEW_RATE, effective_from=next_january
        )

    def request(
        notes: str, organisation: str, contact: str, submitting: str, lines: list[dict]
    ) -> OodRequest | None:
        if OodRequest.objects.filter(notes=notes).exists():
            return None
        demo.created += 1
        return services.ood_request_create(
            actor=manager,
            organisation=demo.organisations[organisation],
            contact=demo.contacts[contact],
            submitting_account=submitting,
            lines=lines,
            notes=notes,
        )

    ct, sap = catalogue["Control Tower operations"], catalogue["SAP cluster management"]
    approved = request(
        "EKS upgrades for production and shared services, submitted by the management account.",
        NORTHWIND,
        "ops@northwind.example",
        "204815637290",
        [_line(eks, 3, ("318472659014", "539604172836"))],
    )
    if approved is not None:
        services.ood_request_approve(actor=reviewer, request=approved, reason="Scoped with the CSDM.")
    narrowed = request(
        "SAP clusters in production and development; one-time Control Tower landing zone update.",
        NORTHWIND,
        "ops@northwind.example",
        "204815637290",
        [_line(sap, 4, ("318472659014", "427593810265")), _line(ct, 1, ("204815637290",), "one_time")],
    )
    if narrowed is not None:
        services.ood_request_approve(
            actor=reviewer,
            request=narrowed,
            lines=[
                {
                    "line": 1,
                    "blocks": 2,
                    "accounts": ["318472659014"],
                    "reason": "Development has no SAP cluster yet; two blocks cover production.",
                }
            ],
            agreed_start=today + dt.timedelta(days=7),
            agreed_with="Olivia Hart (Northwind), by phone",
        )
    request(
        "Control Tower guardrail review for the shared-services account.",
        NORTHWIND,
        "ops@northwind.example",
        "539604172836",
        [_line(ct, 1, ("539604172836",), "one_time")],
    )
    denied = request(
        "EKS maintenance for the EHR test account.",
        CONTOSO,
        "it@contoso.example",
        "752839401628",
        [_line(eks, 2, ("752839401628",))],
    )
    if denied is not None:
        services.ood_request_deny(
            actor=reviewer,
            request=denied,
            reason="The test account runs no EKS cluster; your CSDM will scope this with you first.",
        )

    _billing_history(demo, request, ct, reviewer, today)
    _modifications(demo, manager, reviewer)

    overdue = request(
        OVERDUE,
        CONTOSO,
        "it@contoso.example",
        "641728390517",
        [_line(ct, 1, ("641728390517",))],
    )
    if overdue is not None:
        services.ood_request_approve(
            actor=reviewer,
            request=overdue,
            agreed_start=today,
            agreed_with="Sofia Lindqvist (Contoso), by email",
        )
        _backdate(overdue.lines.get().engagements.get(), today - dt.timedelta(days=7), kicked_off_by=None)


#: The request of the engagement whose kick-off is overdue (issue 10).
OVERDUE = "Control Tower operations for the EHR production account, agreed to start a week ago."


def _backdate(engagement: Engagement, start: dt.date, *, kicked_off_by: Any) -> Engagement:
    """An engagement as if approved before the demo's history begins: its start (and first
    allocation) moved to `start`, its start deadline set again from it, and, when `kicked_off_by`
    is given, kicked off by them at 10:00 on the start date (on time)."""
    Engagement.objects.filter(pk=engagement.pk).update(
        start_date=start, approved_on=start - dt.timedelta(days=10)
    )
    EngagementAllocation.objects.filter(engagement=engagement).update(from_month=start.replace(day=1))
    engagement = Engagement.objects.select_related("organisation__calendar").get(pk=engagement.pk)
    services.start_deadline_set(engagement)
    if kicked_off_by is not None:
        at = dt.datetime.combine(start, dt.time(10, 0), tzinfo=services.provider_zone())
        Engagement.objects.filter(pk=engagement.pk).update(
            started_at=at, started_by=kicked_off_by, engineer=kicked_off_by
        )
        deadline_meet(
            owner_type=services.DEADLINE_OWNER,
            owner_id=engagement.pk,
            kind=DeadlineKind.ENGAGEMENT_START,
            at=at,
        )
    return Engagement.objects.get(pk=engagement.pk)


#: The request of the engagement with a billing history (G6).
RUNNING = "Control Tower operations for the production account, running since two months ago."
#: (days into the month, hours, what was done) for last month and this month.
LAST_MONTH_TIME = (
    (2, "6.5", "Landing zone update to the latest Control Tower version."),
    (9, "8", "Guardrail drift remediation across the production OU."),
    (16, "7.25", "Account vending: two new workload accounts."),
)
THIS_MONTH_TIME = ((1, "3.75", "Quarterly review of enabled controls."),)


def _billing_history(demo: Any, request: Any, ct: Offering, reviewer: Any, today: dt.date) -> None:
    """G6: an engagement approved before the demo's history begins (its start moved back two
    months, as an engagement approved then would have), time logged in both months, and last month
    closed (invoiced) by billing staff, so its statement is frozen."""
    running = request(
        RUNNING, NORTHWIND, "ops@northwind.example", "318472659014", [_line(ct, 1, ("318472659014",))]
    )
    this_month = today.replace(day=1)
    last_month = rules.first_of_month_after(this_month, -1)
    if running is not None:
        services.ood_request_approve(actor=reviewer, request=running, reason="Running engagement.")
        engineer = demo.staff[Role.ENGINEER]
        since = rules.first_of_month_after(this_month, -2)
        engagement = _backdate(running.lines.get().engagements.get(), since, kicked_off_by=engineer)
        for month, entries in ((last_month, LAST_MONTH_TIME), (this_month, THIS_MONTH_TIME)):
            for day, hours, description in entries:
                work_date = month + dt.timedelta(days=day - 1)
                if work_date <= today:
                    services.time_entry_create(
                        actor=engineer,
                        engagement=engagement,
                        work_date=work_date,
                        hours=hours,
                        description=description,
                    )
    northwind = demo.organisations[NORTHWIND]
    if not MonthClose.objects.filter(organisation=northwind, month=last_month).exists():
        demo.created += 1
        services.month_close(actor=demo.staff[Role.BILLING], organisation=northwind, month=last_month)


#: G5: the running Control Tower engagement goes from 1 to 2 blocks a month (approved).
BLOCKS_UP = "Guardrail work doubles with the new workload OU; two blocks a month from now on."
#: G5: adding the development account to the EKS line is sent to scoping, then asked for again.
SCOPED = "Add the development account to EKS maintenance."
FOLLOW_UP = "Development EKS cluster, as scoped with the CSDM: same blocks as production."


def _modifications(demo: Any, manager: Any, reviewer: Any) -> None:
    contact = demo.contacts["ops@northwind.example"]
    running = Engagement.objects.filter(line__request__notes=RUNNING).first()
    eks = Engagement.objects.filter(
        line__request__notes__startswith="EKS upgrades", account__account_id="318472659014"
    ).first()

    def modification(notes: str, engagement: Engagement | None, **changes: Any) -> Modification | None:
        if engagement is None or Modification.objects.filter(notes=notes).exists():
            return None
        demo.created += 1
        return services.modification_create(
            actor=manager,
            engagement=engagement,
            contact=contact,
            requested_date=timezone.localdate(),
            notes=notes,
            **changes,
        )

    up = modification(BLOCKS_UP, running, blocks=2)
    if up is not None:
        services.modification_approve(actor=reviewer, modification=up, reason="Agreed with the CSDM.")
    scoped = modification(SCOPED, eks, add_accounts=["427593810265"])
    if scoped is not None:
        services.modification_require_scoping(
            actor=reviewer,
            modification=scoped,
            reason="The development cluster's size and upgrade cadence are not known yet; "
            "your CSDM will scope them with you.",
        )
        modification(FOLLOW_UP, eks, add_accounts=["427593810265"], follows=scoped)
