"""Demo data of Operations on Demand (G1–G4): a catalogue with rate history, requests in every state
(submitted, approved, partially approved, denied) and the engagements the approvals started.
Idempotent: offerings by name, requests by their notes."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.ood import services
from opsdesk.ood.models import Offering, OodRequest

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
