"""Tenancy-walk declarations of the Operations on Demand API (see opsdesk/testing/routes.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from opsdesk.testing.routes import Route, api_entity, steps

API = "/api/v1"
CATALOGUE = {"staff_only": True, "permission": "ood.manage_catalogue"}
REVIEW = {"staff_only": True, "permission": "ood.review"}


def _offering(w: dict[str, Any]) -> dict:
    return {"name": "Walk offering", "plans": ["advanced"], "rate": "100.00", "effective_from": "2030-01-01"}


def _request(w: dict[str, Any]) -> dict:
    """Each caller submits for the organisation they may act for: a customer for their own, staff
    for tenant A on behalf of its named contact."""
    user = w.get("walk_user")
    tag = "b" if user is not None and user == w["customer_b"] else "a"
    body = {
        "submitting_account": w[f"account_{tag}"].account_id,
        "lines": [
            {
                "offering": w["ood_offering"].pk,
                "blocks": 1,
                "accounts": [w[f"ood_member_{tag}"].account_id],
                "recurrence": "monthly",
            }
        ],
    }
    if user is not None and user.is_provider_staff:
        body.update(organisation=w["org_a"].pk, contact=w["contact_a"].pk)
    return body


step = steps(f"{API}/ood/requests/{{request_id}}", staff_only=True)
engagement_step = steps(f"{API}/ood/engagements/{{engagement_id}}", staff_only=True)
modification_step = steps(f"{API}/ood/modifications/{{modification_id}}", staff_only=True)


def _modification(w: dict[str, Any]) -> dict:
    """Each caller asks for a change of an engagement they may act for: a customer of their own
    organisation's, staff of tenant A's on behalf of its named contact."""
    user = w.get("walk_user")
    tag = "b" if user is not None and user == w["customer_b"] else "a"
    body = {
        "engagement": w[f"engagement_{tag}" if tag == "a" else "ood_engagement_b"].pk,
        "requested_date": timezone.localdate().isoformat(),
        "blocks": 5,
    }
    if user is not None and user.is_provider_staff:
        body["contact"] = w["contact_a"].pk
    return body

ROUTES = [
    Route("api", f"{API}/ood/start-date", query="approved_on=2026-11-21", permission=None),
    Route("api", f"{API}/ood/bill", query="allocated=3&hours=61"),
    *api_entity(
        f"{API}/ood/offerings",
        "offering_id",
        "ood_offering",
        create=_offering,
        update=lambda w: {"description": "Walked."},
        create_staff_only=True,
        write=CATALOGUE,
    ),
    Route(
        "api",
        f"{API}/ood/offerings/{{offering_id}}/rates",
        "POST",
        params={"offering_id": "ood_offering"},
        body=lambda w: {"rate": "120.00", "effective_from": "2031-01-01"},
        **CATALOGUE,
    ),
    *api_entity(
        f"{API}/ood/requests",
        "request_id",
        "ood_request_a",
        create=_request,
        read={"permission": "ood.view"},
        write={"permission": "ood.request"},
    ),
    step("approve", "ood_request_a", "ood.review", lambda w: {}),
    step("deny", "ood_request_a", "ood.review", lambda w: {"reason": "Walk denial."}),
    *api_entity(f"{API}/ood/engagements", "engagement_id", "engagement_a"),
    Route(
        "api",
        f"{API}/ood/engagements/{{engagement_id}}/deadlines",
        params={"engagement_id": "engagement_start_a"},
    ),
    engagement_step("start", "engagement_start_a", "ood.log_time", lambda w: {}),
    engagement_step(
        "agree-start",
        "engagement_start_a",
        "ood.review",
        lambda w: {"start_date": "2030-06-03", "agreed_with": "Walk"},
    ),
    *api_entity(
        f"{API}/ood/modifications",
        "modification_id",
        "ood_modification_a",
        create=_modification,
        read={"permission": "ood.view"},
        write={"permission": "ood.request"},
    ),
    modification_step("approve", "ood_modification_a", "ood.review", lambda w: {}),
    modification_step("scoping", "ood_modification_a", "ood.review", lambda w: {"reason": "Walk scoping."}),
    modification_step("deny", "ood_modification_a", "ood.review", lambda w: {"reason": "Walk denial."}),
    *api_entity(
        f"{API}/ood/time-entries",
        "time_entry_id",
        "time_entry_a",
        create=lambda w: {
            "engagement": w["engagement_a"].pk,
            "work_date": w["engagement_a"].start_date.isoformat(),
            "hours": "1.25",
            "description": "Walk entry.",
        },
        update=lambda w: {"hours": "0.75"},
        delete="time_entry_a",
        create_staff_only=True,
        write={"staff_only": True, "permission": "ood.log_time"},
    ),
    Route("api", f"{API}/ood/usage", query="month=2026-10"),
    Route(
        "api",
        f"{API}/ood/statements",
        params={"organisation": "org_a"},
        query="organisation={organisation}&month=2026-10",
    ),
    Route(
        "api",
        f"{API}/ood/statements",
        params={"organisation": "org_a"},
        query="organisation={organisation}&month=2026-10&format=pdf",
    ),
    Route(
        "api",
        f"{API}/ood/month-closes",
        "POST",
        body=lambda w: {"organisation": w["org_a"].pk, "month": "2026-09"},
        staff_only=True,
        permission="ood.close_month",
    ),
]


def world_extras(world: dict[str, Any]) -> None:
    """An offering on tenant A's plan, a submitted request of tenant A and an approved one whose
    engagement tenant A owns."""
    from opsdesk.directory.services import account_create
    from opsdesk.ood import services

    # An account of its own: other apps' walks delete tenant A's member account, which an
    # engagement would hold on to (engagements are never deleted).
    world["ood_member_a"] = account_create(
        actor=world["admin"],
        organisation=world["org_a"],
        account_id="111111111190",
        name="ood member CanaryAlpha7Q",
        regions=["eu-west-2"],
        onboarding_state="onboarded",
        management_account=world["account_a"].pk,
    )
    world["ood_member_b"] = world["member_b"]

    world["ood_offering"] = services.offering_create(
        actor=world["admin"], name="EKS maintenance walk", plans=["advanced"], rate="1450.00"
    )
    line = {
        "offering": world["ood_offering"].pk,
        "blocks": 2,
        "accounts": [world["ood_member_a"].account_id],
        "recurrence": "monthly",
    }
    world["ood_request_a"] = services.ood_request_create(
        actor=world["customer_a"], submitting_account=world["account_a"].account_id, lines=[line]
    )
    approved = services.ood_request_create(
        actor=world["customer_a"], submitting_account=world["account_a"].account_id, lines=[line]
    )
    services.ood_request_approve(actor=world["operations_reviewer"], request=approved)
    engagement = approved.lines.get().engagements.get()
    # Started in the past (approved then, as the demo's history is): time can be logged against it.
    type(engagement).objects.filter(pk=engagement.pk).update(start_date=dt.date(2026, 9, 1))
    engagement.allocations.update(from_month=dt.date(2026, 9, 1))
    world["engagement_a"] = type(engagement).objects.get(pk=engagement.pk)
    # Not started, nothing logged: kicked off and given an agreed start date by the walk.
    later = services.ood_request_create(
        actor=world["customer_a"], submitting_account=world["account_a"].account_id, lines=[line]
    )
    services.ood_request_approve(
        actor=world["operations_reviewer"],
        request=later,
        agreed_start=dt.date(2030, 5, 1),
        agreed_with="Walk",
    )
    world["engagement_start_a"] = later.lines.get().engagements.get()
    world["time_entry_a"] = services.time_entry_create(
        actor=world["engineer"],
        engagement=world["engagement_a"],
        work_date=dt.date(2026, 10, 5),
        hours="2",
        description="Walk entry CanaryAlpha7Q",
    )

    # G5: a modification of tenant A's engagement awaiting review, and an engagement of tenant B
    # (on an account of its own, as for tenant A) that tenant B's customer may ask to change.
    world["ood_modification_a"] = services.modification_create(
        actor=world["customer_a"],
        engagement=world["engagement_a"],
        requested_date=timezone.localdate(),
        blocks=3,
    )
    world["ood_member_b_own"] = account_create(
        actor=world["admin"],
        organisation=world["org_b"],
        account_id="222222222290",
        name="ood member CanaryBravo9Z",
        regions=["eu-west-2"],
        onboarding_state="onboarded",
        management_account=world["account_b"].pk,
    )
    offering_b = services.offering_create(
        actor=world["admin"],
        name="EKS maintenance walk B",
        plans=[world["org_b"].service_plan.code],
        rate="1450.00",
    )
    request_b = services.ood_request_create(
        actor=world["customer_b"],
        submitting_account=world["account_b"].account_id,
        lines=[
            {
                "offering": offering_b.pk,
                "blocks": 2,
                "accounts": [world["ood_member_b_own"].account_id],
                "recurrence": "monthly",
            }
        ],
    )
    services.ood_request_approve(actor=world["operations_reviewer"], request=request_b)
    world["ood_engagement_b"] = request_b.lines.get().engagements.get()
