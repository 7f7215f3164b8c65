"""G1–G4 through the services: the catalogue and its rates, the G2 authorisation rule case by case,
and the review that starts engagements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.notifications.models import Notification
from opsdesk.ood import selectors, services
from opsdesk.ood.models import Engagement, OfferingRate


def messages(exc) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in exc.errors]


# --- catalogue (G1) ----------------------------------------------------------------------------


def test_customers_browse_only_active_offerings_of_their_plan(world, catalogue):
    staff = {o.name for o in selectors.offering_list(user=world["admin"])}
    assert staff == {
        "EKS maintenance",
        "Control Tower operations",
        "SAP cluster management",
        "Legacy patching",
    }
    seen = {o.name for o in selectors.offering_list(user=world["customer_a"])}
    assert seen == {"EKS maintenance", "Control Tower operations"}  # advanced plan, active
    from opsdesk.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.offering_get(user=world["customer_a"], pk=catalogue["sap"].pk)


def test_only_catalogue_staff_manage_offerings(world, catalogue):
    with pytest.raises(PermissionDenied):
        services.offering_create(actor=world["customer_a"], name="X", plans=["advanced"])
    with pytest.raises(PermissionDenied):
        services.offering_update(actor=world["engineer"], offering=catalogue["eks"], state="retired")


def test_rate_history_gives_the_rate_in_force_each_month(world, catalogue):
    eks = catalogue["eks"]
    services.offering_rate_create(
        actor=world["admin"], offering=eks, rate="1500.50", effective_from=dt.date(2026, 7, 1)
    )
    assert selectors.rate_in_force(eks, dt.date(2025, 12, 1)) is None
    assert selectors.rate_in_force(eks, dt.date(2026, 6, 30)).rate == Decimal("1450.00")
    july = selectors.rate_in_force(eks, dt.date(2026, 7, 15))
    assert (july.rate, july.currency) == (Decimal("1500.50"), "GBP")
    assert OfferingRate.objects.filter(offering=eks).count() == 2  # history kept


@pytest.mark.parametrize(
    "rate, effective_from, field, message",
    [
        ("12.345", dt.date(2026, 8, 1), "rate", "more than 2 decimal places"),
        ("-1", dt.date(2026, 8, 1), "rate", "not an amount from 0"),
        ("cheap", dt.date(2026, 8, 1), "rate", "not an amount of money"),
        ("10", dt.date(2026, 8, 2), "effective_from", "first day of a month"),
        ("10", dt.date(2026, 1, 1), "effective_from", "already has a rate from 2026-01-01"),
    ],
)
def test_bad_rates_are_refused(world, catalogue, rate, effective_from, field, message):
    with pytest.raises(ValidationFailed) as info:
        services.offering_rate_create(
            actor=world["admin"], offering=catalogue["eks"], rate=rate, effective_from=effective_from
        )
    assert info.value.errors[0]["field"] == field
    assert message in info.value.errors[0]["message"]


def test_unknown_plan_and_region_are_refused(world):
    with pytest.raises(ValidationFailed, match="Unknown service plan 'gold'"):
        services.offering_create(actor=world["admin"], name="X", plans=["gold"])
    with pytest.raises(ValidationFailed, match="Not an AWS region"):
        services.offering_create(actor=world["admin"], name="X", plans=["advanced"], regions=["mars-1"])


# --- the G2 authorisation rule, case by case ---------------------------------------------------


@pytest.mark.parametrize(
    "submitting, receiving",
    [
        ("standalone", "standalone"),  # the receiving account itself
        ("mgmt", "mgmt"),
        ("mgmt", "member"),  # all-features management account for its onboarded member
        ("mgmt_2", "member_of_2"),
        ("member", "member"),
    ],
)
def test_authorised_submissions(world, accounts, submitting, receiving):
    assert (
        services.check_receiving_account(
            organisation=world["org_a"], submitting=accounts[submitting], receiving=accounts[receiving]
        )
        is None
    )


@pytest.mark.parametrize(
    "submitting, receiving, message",
    [
        ("mgmt", "other_org", "account 222222222202 belongs to another organisation."),
        ("mgmt", "onboarding", "account 111111111104 is not onboarded (it is onboarding)."),
        (
            "standalone",
            "member",
            "can only be requested by itself or by its management account; 111111111103 is neither",
        ),
        (
            "member",
            "mgmt",
            "can only be requested by itself or by its management account; 111111111102 is neither",
        ),
        ("mgmt_basic", "member_of_basic", "111111111105 is a management account not in all-features mode"),
        (
            "mgmt",
            "member_of_2",
            "account 111111111108 is a member of another management account, not of 111111111101",
        ),
        ("mgmt", "standalone", "account 111111111103 is not a member account of 111111111101"),
    ],
)
def test_refused_submissions_each_with_its_reason(world, accounts, submitting, receiving, message):
    problem = services.check_receiving_account(
        organisation=world["org_a"], submitting=accounts[submitting], receiving=accounts[receiving]
    )
    assert problem is not None and message in problem


def test_the_rule_is_enforced_on_submission_naming_the_line(submit, accounts, catalogue):
    line = {"offering": catalogue["eks"].pk, "blocks": 1, "recurrence": "monthly"}
    with pytest.raises(ValidationFailed) as info:
        submit(
            submitting="111111111103",
            lines=[{**line, "accounts": ["111111111103"]}, {**line, "accounts": ["111111111102"]}],
        )
    assert messages(info.value) == [
        (
            "lines.1.accounts",
            "Line 2: account 111111111102 can only be requested by itself or by its management account; "
            "111111111103 is neither.",
        )
    ]


@pytest.mark.parametrize(
    "change, field, message",
    [
        (
            {"offering": "sap"},
            "offering",
            "Line 1: offering “SAP cluster management” is not available on the Advanced plan.",
        ),
        ({"offering": "old"}, "offering", "Line 1: offering “Legacy patching” is retired."),
        ({"offering": 999999}, "offering", "Line 1: unknown offering '999999'."),
        ({"blocks": 0}, "blocks", "Line 1: '0' is not a whole number of blocks from 1 to 10,000."),
        ({"blocks": "1.5"}, "blocks", "Line 1: '1.5' is not a whole number of blocks"),
        ({"blocks": Decimal("2.25")}, "blocks", "Line 1: '2.25' is not a whole number of blocks"),
        (
            {"accounts": ["1111111111020"]},
            "accounts",
            "Line 1: '1111111111020' is not an AWS account id (exactly 12 digits).",
        ),
        ({"accounts": ["999999999999"]}, "accounts", "Line 1: account 999999999999 is not a known account."),
        ({"accounts": ["111111111104"]}, "accounts", "Line 1: account 111111111104 is not onboarded"),
        (
            {"accounts": ["222222222202"]},
            "accounts",
            "Line 1: account 222222222202 belongs to another organisation.",
        ),
        (
            {"accounts": ["111111111108"]},
            "accounts",
            "Line 1: account 111111111108 is a member of another management account",
        ),
        ({"accounts": []}, "accounts", "Line 1: name at least one receiving account id."),
        (
            {"recurrence": "weekly"},
            "recurrence",
            "Line 1: recurrence 'weekly' is not one of: monthly, one_time.",
        ),
        ({"offering": "ct", "accounts": ["111111111109"]}, "accounts", "limited to eu-west-2, eu-west-1"),
    ],
)
def test_each_bad_line_is_refused_with_its_own_message(submit, accounts, catalogue, change, field, message):
    line = {
        "offering": catalogue["eks"].pk,
        "blocks": 1,
        "accounts": ["111111111102"],
        "recurrence": "monthly",
    }
    if isinstance(change.get("offering"), str):
        change = {**change, "offering": catalogue[change["offering"]].pk}
    with pytest.raises(ValidationFailed) as info:
        submit(lines=[{**line, **change}])
    (found_field, found_message), *_ = messages(info.value)
    assert found_field == f"lines.0.{field}"
    assert message in found_message


def test_every_line_problem_is_reported_at_once_and_nothing_is_saved(submit, accounts, catalogue):
    from opsdesk.ood.models import OodRequest

    with pytest.raises(ValidationFailed) as info:
        submit(
            submitting="1234",
            lines=[
                {
                    "offering": catalogue["old"].pk,
                    "blocks": 0,
                    "accounts": ["111111111102"],
                    "recurrence": "monthly",
                },
                {"offering": catalogue["eks"].pk, "blocks": 1, "accounts": ["12"], "recurrence": "one_time"},
            ],
        )
    assert [f for f, _ in messages(info.value)] == [
        "submitting_account",
        "lines.0.offering",
        "lines.0.blocks",
        "lines.1.accounts",
    ]
    assert OodRequest.objects.count() == 0


def test_a_customer_submits_for_their_own_organisation_only(world, submit, accounts):
    with pytest.raises(ValidationFailed, match="own organisation"):
        submit(organisation=world["org_b"].pk)
    with pytest.raises(
        ValidationFailed, match="Submitting account: account 222222222201 is not an account of"
    ):
        submit(submitting="222222222201")


def test_staff_submit_on_behalf_of_a_named_contact(world, submit, accounts):
    request = submit(by="account_manager", organisation=world["org_a"].pk, contact=world["contact_a"].pk)
    assert (request.organisation, request.contact, request.submitted_by) == (
        world["org_a"],
        world["contact_a"],
        world["account_manager"],
    )
    with pytest.raises(ValidationFailed, match="named contact of"):
        submit(by="account_manager", organisation=world["org_a"].pk, contact=world["contact_b"].pk)


# --- review (G3) and engagements (G4) ----------------------------------------------------------


def at(iso: str):
    return mock.patch("django.utils.timezone.now", return_value=dt.datetime.fromisoformat(iso))


def test_nothing_starts_before_approval_then_one_engagement_per_line_and_account(world, submit, catalogue):
    request = submit(
        lines=[
            {
                "offering": catalogue["eks"].pk,
                "blocks": 3,
                "accounts": ["111111111101", "111111111102"],
                "recurrence": "monthly",
            },
            {
                "offering": catalogue["ct"].pk,
                "blocks": 1,
                "accounts": ["111111111102"],
                "recurrence": "one_time",
            },
        ]
    )
    assert request.state == "submitted" and Engagement.objects.count() == 0
    with at("2026-11-20T15:00:00+00:00"):
        decided = services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    assert decided.state == "approved"
    engagements = {
        (e.offering.name, e.account.account_id): e
        for e in Engagement.objects.select_related("offering", "account")
    }
    assert set(engagements) == {
        ("EKS maintenance", "111111111101"),
        ("EKS maintenance", "111111111102"),
        ("Control Tower operations", "111111111102"),
    }
    eks = engagements[("EKS maintenance", "111111111101")]
    assert (eks.start_date, eks.end_month, eks.agreed_start) == (dt.date(2026, 12, 1), None, False)
    assert selectors.allocation_in(eks, dt.date(2027, 3, 1)) == 3
    assert selectors.allocation_in(eks, dt.date(2026, 11, 1)) == 0
    one_time = engagements[("Control Tower operations", "111111111102")]
    assert one_time.end_month == dt.date(2026, 12, 1)
    assert selectors.allocation_in(one_time, dt.date(2027, 1, 1)) == 0
    assert one_time.status_on(dt.date(2027, 1, 5)) == "ended"
    assert eks.status_on(dt.date(2026, 11, 30)) == "scheduled"
    (note,) = Notification.objects.filter(event="ood.request.approved")
    assert note.recipient == world["contact_a"].email
    assert "starts on Tuesday 1 December 2026" in note.body or "start on Tuesday 1 December 2026" in note.body


def test_the_start_follows_the_providers_calendar_date(world, submit):
    """23:30 UTC on 20 June is 00:30 on the 21st in London: after the 20th, so August."""
    request = submit()
    with at("2026-06-20T23:30:00+00:00"):
        services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    engagement = Engagement.objects.get()
    assert (engagement.approved_on, engagement.start_date) == (dt.date(2026, 6, 21), dt.date(2026, 8, 1))


def test_a_mutually_agreed_start_is_recorded_with_who_agreed(world, submit):
    request = submit()
    with pytest.raises(ValidationFailed, match="who agreed"):
        services.ood_request_approve(
            actor=world["operations_reviewer"], request=request, agreed_start=dt.date(2030, 1, 15)
        )
    services.ood_request_approve(
        actor=world["operations_reviewer"],
        request=request,
        agreed_start=timezone.localdate() + dt.timedelta(days=3),
        agreed_with="Customer CTO, call of 2 Dec",
    )
    engagement = Engagement.objects.get()
    assert engagement.agreed_start and engagement.agreed_with == "Customer CTO, call of 2 Dec"
    assert engagement.start_date == timezone.localdate() + dt.timedelta(days=3)


def test_partial_approval_per_line_needs_a_reason(world, submit, catalogue):
    request = submit(
        lines=[
            {
                "offering": catalogue["eks"].pk,
                "blocks": 3,
                "accounts": ["111111111101", "111111111102"],
                "recurrence": "monthly",
            },
            {
                "offering": catalogue["ct"].pk,
                "blocks": 2,
                "accounts": ["111111111102"],
                "recurrence": "monthly",
            },
        ]
    )
    reviewer = world["operations_reviewer"]
    with pytest.raises(ValidationFailed) as info:
        services.ood_request_approve(actor=reviewer, request=request, lines=[{"line": 1, "blocks": 2}])
    assert messages(info.value) == [
        (
            "lines.0.reason",
            "Line 1: say why it is approved only in part (fewer blocks or accounts, or declined).",
        )
    ]
    with pytest.raises(ValidationFailed, match="Line 1: cannot approve 4 blocks; 3 were requested"):
        services.ood_request_approve(actor=reviewer, request=request, lines=[{"line": 1, "blocks": 4}])
    with pytest.raises(ValidationFailed, match="Line 2: 111111111101 was not requested on this line"):
        services.ood_request_approve(
            actor=reviewer, request=request, lines=[{"line": 2, "accounts": ["111111111101"], "reason": "x"}]
        )
    with pytest.raises(ValidationFailed, match="The request has no line 7"):
        services.ood_request_approve(actor=reviewer, request=request, lines=[{"line": 7}])
    assert Engagement.objects.count() == 0
    decided = services.ood_request_approve(
        actor=reviewer,
        request=request,
        lines=[
            {
                "line": 1,
                "blocks": 2,
                "accounts": ["111111111102"],
                "reason": "Management account is out of scope.",
            },
            {"line": 2, "declined": True, "reason": "Control Tower not yet deployed."},
        ],
    )
    assert decided.state == "partially_approved"
    (engagement,) = Engagement.objects.all()
    assert (engagement.account.account_id, selectors.allocation_in(engagement, engagement.start_date)) == (
        "111111111102",
        2,
    )
    body = Notification.objects.get(event="ood.request.partially_approved").body
    assert "2 of 3 block(s) for 111111111102 (Management account is out of scope.)" in body
    assert "0 of 2 block(s) for none (Control Tower not yet deployed.)" in body


def test_deny_needs_a_reason_and_starts_nothing(world, submit):
    request = submit()
    reviewer = world["operations_reviewer"]
    with pytest.raises(ValidationFailed, match="Say why"):
        services.ood_request_deny(actor=reviewer, request=request, reason=" ")
    denied = services.ood_request_deny(
        actor=reviewer, request=request, reason="Scope it with your CSDM first."
    )
    assert denied.state == "denied" and Engagement.objects.count() == 0
    assert (
        "Reason: Scope it with your CSDM first." in Notification.objects.get(event="ood.request.denied").body
    )


def test_a_decision_is_final(world, submit):
    request = submit()
    reviewer = world["operations_reviewer"]
    services.ood_request_deny(actor=reviewer, request=request, reason="No.")
    with pytest.raises(Conflict, match="already denied"):
        services.ood_request_approve(actor=reviewer, request=request)
    request = submit()
    services.ood_request_approve(actor=reviewer, request=request)
    with pytest.raises(Conflict, match="already approved"):
        services.ood_request_deny(actor=reviewer, request=request, reason="Changed my mind")
    assert Engagement.objects.count() == 1


def test_only_operations_reviewers_decide(world, submit):
    request = submit()
    for who in ("customer_a", "engineer", "account_manager"):
        with pytest.raises(PermissionDenied):
            services.ood_request_approve(actor=world[who], request=request)


def test_customers_see_only_their_own_requests_and_engagements(world, submit):
    request = submit()
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    assert list(selectors.ood_request_list(user=world["customer_b"])) == []
    assert list(selectors.engagement_list(user=world["customer_b"])) == []
    assert selectors.ood_request_list(user=world["customer_a"]).count() == 1
    assert selectors.engagement_list(user=world["customer_a"]).count() == 1


def test_an_account_offboarded_before_review_is_not_approved(world, submit, catalogue):
    from opsdesk.directory import services as directory

    request = submit(
        lines=[
            {
                "offering": catalogue["eks"].pk,
                "blocks": 1,
                "accounts": ["111111111101", "111111111102"],
                "recurrence": "monthly",
            }
        ]
    )
    directory.account_update(actor=world["admin"], account=world["member_a"], onboarding_state="offboarded")
    reviewer = world["operations_reviewer"]
    with pytest.raises(ValidationFailed) as info:
        services.ood_request_approve(actor=reviewer, request=request)
    assert messages(info.value) == [
        (
            "lines.0.accounts",
            "Line 1: account 111111111102 is not onboarded (it is offboarded). "
            "Approve the other accounts, or decline the line.",
        )
    ]
    services.ood_request_approve(
        actor=reviewer,
        request=request,
        lines=[{"line": 1, "accounts": ["111111111101"], "reason": "Offboarded."}],
    )
    assert [e.account.account_id for e in Engagement.objects.all()] == ["111111111101"]


@pytest.mark.parametrize("blocks", ["1e2", " ", "2.0", 1.0, None, True])
def test_blocks_must_be_written_as_a_whole_number(submit, catalogue, blocks):
    line = {
        "offering": catalogue["eks"].pk,
        "blocks": blocks,
        "accounts": ["111111111102"],
        "recurrence": "monthly",
    }
    with pytest.raises(ValidationFailed) as info:
        submit(lines=[line])
    assert messages(info.value)[0][0] == "lines.0.blocks"
