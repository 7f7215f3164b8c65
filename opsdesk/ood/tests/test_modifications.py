"""G5: modifications of engagements — blocks up or down, accounts added or removed, the end of a
monthly engagement — their review (approve, require scoping, deny), the effective date (the G4 date
from the approval, never earlier than requested), the allocation history by month that statements
read, and every refusal leaving everything as it was."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, PreconditionFailed, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.core.roles import Role
from opsdesk.notifications.models import Notification
from opsdesk.ood import rules, selectors, services
from opsdesk.ood.models import Engagement, EngagementAllocation, Modification
from opsdesk.ood.tests.conftest import login

pytestmark = pytest.mark.django_db

SINCE = dt.date(2026, 1, 1)


def at(iso: str):
    return mock.patch("django.utils.timezone.now", return_value=dt.datetime.fromisoformat(iso))


def _started(engagement: Engagement, since: dt.date) -> Engagement:
    """An engagement approved in the past: its start and first allocation moved back to `since`."""
    Engagement.objects.filter(pk=engagement.pk).update(start_date=since)
    EngagementAllocation.objects.filter(engagement=engagement).update(from_month=since.replace(day=1))
    return Engagement.objects.get(pk=engagement.pk)


def _approved(world, submit, lines=None, since=SINCE) -> list[Engagement]:
    request = submit(lines=lines)
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    return [
        _started(e, since)
        for e in Engagement.objects.filter(line__request=request).order_by("account__account_id")
    ]


@pytest.fixture
def engagement(world, submit):
    """Tenant A's monthly EKS engagement, 2 blocks a month for 111111111102, running since January 2026."""
    (found,) = _approved(world, submit)
    return found


@pytest.fixture
def two_accounts(world, submit, catalogue, accounts):
    """A monthly EKS line for the management account and its member, 2 blocks each."""
    line = {
        "offering": catalogue["eks"].pk,
        "blocks": 2,
        "accounts": ["111111111101", "111111111102"],
        "recurrence": "monthly",
    }
    return _approved(world, submit, lines=[line])


def ask(world, engagement, by="customer_a", **changes):
    changes.setdefault("requested_date", timezone.localdate())
    return services.modification_create(actor=world[by], engagement=engagement, **changes)


def approve(world, modification, **kwargs):
    return services.modification_approve(
        actor=world["operations_reviewer"], modification=modification, **kwargs
    )


def state_of_everything() -> tuple:
    """What a refused modification must leave exactly as it was."""
    return (
        Modification.objects.count(),
        sorted(Modification.objects.values_list("pk", "state", "version")),
        sorted(EngagementAllocation.objects.values_list("engagement", "from_month", "blocks")),
        sorted(Engagement.objects.values_list("pk", "account", "end_month", "version")),
        Notification.objects.count(),
    )


# --- the rule (G4 applied to G5) ----------------------------------------------------------------


def test_the_effective_date_is_the_g4_date_never_earlier_than_requested():
    day = dt.date(2026, 1, 1)
    while day < dt.date(2028, 1, 1):
        for ahead in (0, 1, 17, 40, 95):
            requested = day + dt.timedelta(days=ahead)
            # Independently: the first of next month (after the 20th, the month after), against the
            # requested date rounded up to a month start.
            months = 1 if day.day <= 20 else 2
            g4 = dt.date(day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1, 1)
            if requested.day == 1:
                floor = requested
            else:
                floor = dt.date(requested.year + requested.month // 12, requested.month % 12 + 1, 1)
            assert rules.modification_effective(day, requested) == max(g4, floor), (day, requested)
        day += dt.timedelta(days=1)


# --- blocks up and down, history by month -------------------------------------------------------


def test_approved_blocks_change_is_a_new_allocation_from_the_g4_month_history_kept(world, engagement):
    with at("2026-11-20T15:00:00+00:00"):
        modification = ask(world, engagement, blocks=5)
        assert modification.state == "submitted" and modification.effective_month is None
        assert engagement.allocations.count() == 1  # nothing changes before the review
        decided = approve(world, modification, reason="Agreed with the CSDM.")
    assert (decided.state, decided.effective_month) == ("approved", dt.date(2026, 12, 1))
    assert decided.decided_by == world["operations_reviewer"] and decided.decided_at is not None
    rows = list(
        engagement.allocations.order_by("from_month").values_list("from_month", "blocks", "modification")
    )
    assert rows == [(SINCE, 2, None), (dt.date(2026, 12, 1), 5, decided.pk)]
    fresh = Engagement.objects.get(pk=engagement.pk)
    assert [fresh.blocks_in(dt.date(2026, m, 1)) for m in (1, 11, 12)] == [2, 2, 5]
    assert selectors.allocation_in(fresh, dt.date(2027, 6, 1)) == 5

    # After the 20th, the month after next; a requested date later than that wins (to a month start).
    with at("2026-11-21T09:00:00+00:00"):
        down = approve(world, ask(world, engagement, blocks=1))
        later = approve(world, ask(world, engagement, blocks=3, requested_date=dt.date(2027, 3, 15)))
    assert down.effective_month == dt.date(2027, 1, 1)
    assert later.effective_month == dt.date(2027, 4, 1)
    history = selectors.allocation_history(fresh, today=dt.date(2026, 11, 21))
    assert [(h.month, h.blocks, h.changed) for h in history[:5]] == [
        (dt.date(2027, 4, 1), 3, True),
        (dt.date(2027, 3, 1), 1, False),
        (dt.date(2027, 2, 1), 1, False),
        (dt.date(2027, 1, 1), 1, True),
        (dt.date(2026, 12, 1), 5, True),
    ]
    assert history[-1].month == SINCE and history[-1].blocks == 2 and len(history) == 16
    assert AuditEvent.objects.filter(object_type__icontains="modification").count() >= 6


def test_statements_use_the_allocation_in_force_each_month_after_a_change(world, engagement, catalogue):
    """Blocks 2 → 4 from three months ago, → 1 from last month: each month bills its own allocation."""
    this_month = timezone.localdate().replace(day=1)
    month = {n: rules.first_of_month_after(this_month, -n) for n in range(1, 5)}
    engagement = _started(engagement, month[4])
    with at(f"{month[4]:%Y-%m}-05T12:00:00+00:00"):
        up = approve(world, ask(world, engagement, blocks=4))
    with at(f"{month[3]:%Y-%m}-25T12:00:00+00:00"):
        down = approve(world, ask(world, engagement, blocks=1))
    assert (up.effective_month, down.effective_month) == (month[3], month[1])
    for n in (4, 3, 1):
        for day, hours in ((2, "20"), (3, "20"), (4, "21")):  # 61 hours in the month
            services.time_entry_create(
                actor=world[Role.ENGINEER],
                engagement=engagement,
                work_date=month[n].replace(day=day),
                hours=hours,
                description="Cluster upgrades.",
            )
    expected = {  # month: (allocated, billed, overrun hours, amount)
        4: (2, 2, Decimal("21.00"), Decimal("2900.00")),
        3: (4, 4, Decimal("0.00"), Decimal("5800.00")),
        2: (4, 0, Decimal("0.00"), Decimal("0.00")),
        1: (1, 1, Decimal("41.00"), Decimal("1450.00")),
    }
    for n, (allocated, billed, overrun, amount) in expected.items():
        (figures,) = selectors.month_figures(user=world["admin"], month=month[n], engagement=engagement.pk)
        assert (figures.allocated_blocks, figures.billed_blocks, figures.overrun_hours) == (
            allocated,
            billed,
            overrun,
        ), n
        statement = selectors.statement(
            user=world["customer_a"], organisation=world["org_a"].pk, month=f"{month[n]:%Y-%m}"
        )
        (line,) = statement.lines
        assert (line.allocated_blocks, line.amount, statement.totals) == (allocated, amount, {"GBP": amount})
    # The statement of a month closed before a change keeps its figures.
    services.month_close(actor=world[Role.BILLING], organisation=world["org_a"], month=f"{month[1]:%Y-%m}")
    closed = selectors.statement(
        user=world["admin"], organisation=world["org_a"].pk, month=f"{month[1]:%Y-%m}"
    )
    assert [x.allocated_blocks for x in closed.lines] == [1]


# --- accounts added and removed, the end of an engagement ----------------------------------------


def test_adding_an_account_starts_an_engagement_on_the_same_line(world, two_accounts, accounts):
    mgmt, member = two_accounts
    with at("2026-11-10T10:00:00+00:00"):
        decided = approve(world, ask(world, member, add_accounts=["111111111109"], blocks=3))
    added = Engagement.objects.get(account__account_id="111111111109")
    assert (added.line_id, added.offering_id, added.recurrence) == (
        member.line_id,
        member.offering_id,
        "monthly",
    )
    assert (added.start_date, added.end_month, added.approved_on) == (
        dt.date(2026, 12, 1),
        None,
        dt.date(2026, 11, 10),
    )
    assert list(added.allocations.values_list("from_month", "blocks", "modification")) == [
        (dt.date(2026, 12, 1), 3, decided.pk)
    ]
    assert member.blocks_in(dt.date(2026, 12, 1)) == 3 and mgmt.blocks_in(dt.date(2026, 12, 1)) == 2


def test_removing_an_account_or_ending_sets_the_end_month_never_deletes(world, two_accounts):
    mgmt, member = two_accounts
    with at("2026-11-25T10:00:00+00:00"):
        removal = approve(world, ask(world, member, remove_accounts="111111111101"))
    assert removal.effective_month == dt.date(2027, 1, 1)
    mgmt.refresh_from_db()
    assert mgmt.end_month == dt.date(2026, 12, 1)  # the last month served: the one before
    assert mgmt.status_on(dt.date(2027, 1, 4)) == "ended" and mgmt.blocks_in(dt.date(2027, 1, 1)) == 0
    with at("2026-11-25T11:00:00+00:00"):
        ending = approve(world, ask(world, member, end=True, requested_date=dt.date(2027, 5, 1)))
    member.refresh_from_db()
    assert (ending.effective_month, member.end_month) == (dt.date(2027, 5, 1), dt.date(2027, 4, 1))
    assert Engagement.objects.filter(pk__in=[mgmt.pk, member.pk]).count() == 2
    history = selectors.allocation_history(member, today=dt.date(2026, 11, 25))
    assert history[0].month == dt.date(2027, 4, 1)  # shown to the end month, not beyond


# --- scoping, the second request, denial and notifications ---------------------------------------


def test_scoping_then_a_second_request_linked_to_the_first_carries_the_change(world, engagement):
    first = ask(world, engagement, blocks=8, notes="Big migration next quarter.")
    with pytest.raises(ValidationFailed) as exc:
        services.modification_require_scoping(
            actor=world["operations_reviewer"], modification=first, reason=" "
        )
    assert exc.value.errors[0]["field"] == "reason"
    scoped = services.modification_require_scoping(
        actor=world["operations_reviewer"], modification=first, reason="Eight blocks needs a scoping call."
    )
    assert (scoped.state, scoped.effective_month) == ("scoping_required", None)
    assert engagement.allocations.count() == 1
    notice = Notification.objects.get(event="ood.modification.scoping_required")
    assert notice.recipient == world["contact_a"].email and "CSDM will scope" in notice.body

    with at("2026-11-02T10:00:00+00:00"):
        second = ask(world, engagement, blocks=6, follows=first.pk)
        assert second.follows == first and list(first.followed_by.all()) == [second]
        approve(world, second)
    assert engagement.blocks_in(dt.date(2026, 12, 1)) == 6
    approved = Notification.objects.get(event="ood.modification.approved")
    assert "1 December 2026" in approved.body and json.loads(json.dumps(approved.payload))[
        "effective_month"
    ] == ("2026-12-01")

    # Only a modification sent to scoping, of the same engagement, is followed.
    before = state_of_everything()
    with pytest.raises(ValidationFailed) as exc:
        ask(world, engagement, blocks=7, follows=second.pk)
    assert exc.value.errors[0]["field"] == "follows" and "approved" in exc.value.errors[0]["message"]
    assert state_of_everything() == before


def test_a_denial_says_why_and_changes_nothing(world, engagement):
    modification = ask(world, engagement, blocks=3)
    before_allocations = list(EngagementAllocation.objects.values_list("pk", "blocks"))
    with pytest.raises(ValidationFailed) as exc:
        services.modification_deny(actor=world["operations_reviewer"], modification=modification, reason="")
    assert exc.value.errors[0]["field"] == "reason"
    denied = services.modification_deny(
        actor=world["operations_reviewer"], modification=modification, reason="No capacity this quarter."
    )
    assert denied.state == "denied" and denied.decision_reason == "No capacity this quarter."
    assert list(EngagementAllocation.objects.values_list("pk", "blocks")) == before_allocations
    assert Notification.objects.filter(event="ood.modification.denied").count() == 1


# --- bad input: each refused naming its field, nothing changes -----------------------------------


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"blocks": 0}, "blocks", "not a whole number of blocks from 1"),
        ({"blocks": -2}, "blocks", "not a whole number of blocks from 1"),
        ({"blocks": Decimal("1.5")}, "blocks", "not a whole number"),
        ({"blocks": "two"}, "blocks", "not a whole number"),
        ({"blocks": 2}, "blocks", "already has 2 block(s) a month; nothing would change"),
        ({"blocks": 3, "end": True}, "blocks", "takes no new blocks"),
        ({"add_accounts": ["222222222202"]}, "add_accounts", "belongs to another organisation"),
        ({"add_accounts": ["111111111104"]}, "add_accounts", "is not onboarded"),
        ({"add_accounts": ["111111111106"]}, "add_accounts", "member of another management account"),
        (
            {"add_accounts": ["111111111102"]},
            "add_accounts",
            "already has an engagement on this request line",
        ),
        ({"add_accounts": ["12345"]}, "add_accounts", "not an AWS account id"),
        ({"add_accounts": ["999999999999"]}, "add_accounts", "not a known account"),
        ({"remove_accounts": ["111111111102"]}, "remove_accounts", "own account"),
        (
            {"remove_accounts": ["111111111103"]},
            "remove_accounts",
            "no running engagement on this request line",
        ),
        ({}, "changes", "Name at least one change"),
        ({"blocks": 3, "requested_date": "2026-13-01"}, "requested_date", "not a date"),
        ({"blocks": 3, "follows": 999999}, "follows", "Unknown modification"),
    ],
)
def test_bad_changes_are_refused_naming_the_field(world, engagement, accounts, changes, field, words):
    before = state_of_everything()
    with pytest.raises(ValidationFailed) as exc:
        ask(world, engagement, **changes)
    assert exc.value.errors[0]["field"] == field, exc.value.errors
    assert words in exc.value.errors[0]["message"]
    assert state_of_everything() == before


def test_an_effective_date_in_the_past_is_refused(world, engagement):
    before = state_of_everything()
    with at("2026-11-10T10:00:00+00:00"), pytest.raises(ValidationFailed) as exc:
        ask(world, engagement, blocks=3, requested_date=dt.date(2026, 11, 9))
    assert (
        exc.value.errors[0]["field"] == "requested_date" and "in the past" in exc.value.errors[0]["message"]
    )
    assert state_of_everything() == before


def test_a_one_time_engagement_cannot_be_ended_or_changed(world, submit, catalogue):
    line = {
        "offering": catalogue["eks"].pk,
        "blocks": 1,
        "accounts": ["111111111102"],
        "recurrence": "one_time",
    }
    (one_time,) = _approved(world, submit, lines=[line], since=timezone.localdate().replace(day=1))
    before = state_of_everything()
    with pytest.raises(ValidationFailed) as exc:
        ask(world, one_time, end=True)
    assert exc.value.errors[0]["field"] == "end" and "one-time engagement" in exc.value.errors[0]["message"]
    with pytest.raises(ValidationFailed) as exc:
        ask(world, one_time, blocks=2)
    assert exc.value.errors[0]["field"] == "engagement"
    assert state_of_everything() == before


def test_deciding_an_already_decided_modification_is_refused(world, engagement):
    modification = ask(world, engagement, blocks=3)
    with at("2026-11-02T10:00:00+00:00"):
        approve(world, modification)
    before = state_of_everything()
    for decide in (
        lambda: approve(world, modification),
        lambda: services.modification_deny(
            actor=world["operations_reviewer"], modification=modification, reason="Changed my mind."
        ),
        lambda: services.modification_require_scoping(
            actor=world["operations_reviewer"], modification=modification, reason="Scope it."
        ),
    ):
        with pytest.raises(Conflict, match="already approved"):
            decide()
    other = ask(world, engagement, blocks=4)
    with pytest.raises(PreconditionFailed):
        approve(world, other, expected_version=other.version + 1)
    assert state_of_everything()[2:] == before[2:]


def test_an_approval_refused_under_lock_changes_nothing(world, two_accounts, accounts):
    """Checked again at approval: the account added was offboarded meanwhile, and the end would
    come before the engagement's first month; the whole approval is refused."""
    mgmt, member = two_accounts
    adding = ask(world, member, add_accounts=["111111111109"], blocks=3)
    accounts["us_only"].__class__.objects.filter(pk=accounts["us_only"].pk).update(
        onboarding_state="offboarded"
    )
    before = state_of_everything()
    with pytest.raises(ValidationFailed) as exc:
        approve(world, adding)
    assert exc.value.errors[0]["field"] == "add_accounts"
    assert state_of_everything() == before

    fresh = _started(member, dt.date(2027, 1, 1))
    ending = ask(world, fresh, end=True)
    before = state_of_everything()
    with at("2026-11-05T10:00:00+00:00"), pytest.raises(ValidationFailed) as exc:
        approve(world, ending)
    assert exc.value.errors[0]["field"] == "end" and "first month" in exc.value.errors[0]["message"]
    assert state_of_everything() == before


# --- who may ask and decide ----------------------------------------------------------------------


def test_who_may_request_and_review(world, engagement):
    with pytest.raises(ValidationFailed) as exc:  # another tenant's engagement is unknown
        ask(world, engagement, by="customer_b", blocks=3)
    assert exc.value.errors[0]["field"] == "engagement"
    with pytest.raises(ValidationFailed, match="named contact of"):  # staff name whom they act for
        ask(world, engagement, by="account_manager", blocks=3)
    on_behalf = ask(world, engagement, by="account_manager", blocks=3, contact=world["contact_a"].pk)
    assert (on_behalf.contact, on_behalf.submitted_by) == (world["contact_a"], world["account_manager"])
    with pytest.raises(PermissionDenied):
        services.modification_approve(actor=world["customer_a"], modification=on_behalf)
    with pytest.raises(PermissionDenied):
        services.modification_create(
            actor=world[Role.BILLING], engagement=engagement, blocks=3, requested_date=timezone.localdate()
        )
    assert [m.pk for m in selectors.modification_list(user=world["customer_b"])] == []
    assert [m.pk for m in selectors.modification_list(user=world["customer_a"])] == [on_behalf.pk]


# --- the API ----------------------------------------------------------------------------------------


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_modifications_through_the_api(world, engagement, accounts):
    customer = login(world["customer_a"])
    url = "/api/v1/ood/modifications"
    today = timezone.localdate()
    bad = post(
        customer,
        url,
        {
            "engagement": engagement.pk,
            "requested_date": f"{today:%Y-%m-%d}",
            "blocks": 0,
            "add_accounts": ["222222222202"],
        },
    )
    assert bad.status_code == 422
    fields = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert set(fields) == {"blocks", "add_accounts"} and "another organisation" in fields["add_accounts"]
    past = post(customer, url, {"engagement": engagement.pk, "requested_date": "2020-01-01", "blocks": 4})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "requested_date"
    assert Modification.objects.count() == 0

    created = post(
        customer, url, {"engagement": engagement.pk, "requested_date": f"{today:%Y-%m-%d}", "blocks": 4}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["reference"], body["state"], body["blocks"], body["account"]) == (
        f"MOD-{body['id']:06d}",
        "submitted",
        4,
        "111111111102",
    )
    assert [m["id"] for m in customer.get(url).json()["results"]] == [body["id"]]
    assert login(world["customer_b"]).get(f"{url}/{body['id']}").status_code == 404
    assert post(customer, f"{url}/{body['id']}/approve", {}).status_code == 403

    reviewer = login(world["operations_reviewer"])
    refused = post(reviewer, f"{url}/{body['id']}/deny", {"reason": ""})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    approved = post(reviewer, f"{url}/{body['id']}/approve", {"reason": "Fine."})
    assert approved.status_code == 200, approved.content
    effective = approved.json()["effective_month"]
    assert effective == f"{max(rules.engagement_start(today), rules.month_on_or_after(today)):%Y-%m-%d}"
    again = post(reviewer, f"{url}/{body['id']}/scoping", {"reason": "Too late."})
    assert again.status_code == 409
    allocations = customer.get(f"/api/v1/ood/engagements/{engagement.pk}").json()["allocations"]
    assert [(a["from_month"], a["blocks"], a["modification_id"]) for a in allocations] == [
        ("2026-01-01", 2, None),
        (effective, 4, body["id"]),
    ]


# --- the pages ----------------------------------------------------------------------------------


def test_a_customer_requests_a_change_from_the_engagement_page(world, engagement):
    client = login(world["customer_a"])
    page = client.get(reverse("ood:engagement_detail", args=[engagement.pk])).content.decode()
    assert "Request a change" in page and 'data-testid="allocation-months"' in page
    form_url = reverse("ood:modification_create", args=[engagement.pk])
    today = f"{timezone.localdate():%Y-%m-%d}"
    refused = client.post(form_url, {"requested_date": today, "blocks": "0"})
    assert refused.status_code == 200 and "not a whole number of blocks" in refused.content.decode()
    refused = client.post(form_url, {"requested_date": today, "add_accounts": "222222222202"})
    assert refused.status_code == 200 and "belongs to another organisation" in refused.content.decode()
    assert Modification.objects.count() == 0
    done = client.post(form_url, {"requested_date": today, "blocks": "3", "notes": "Peak season."})
    modification = Modification.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "ood:modification_detail", args=[modification.pk]
    )
    detail = client.get(done["Location"]).content.decode()
    assert modification.reference in detail and "3 blocks a month" in detail and "decision-form" not in detail
    assert login(world["customer_b"]).get(done["Location"]).status_code == 404
    assert login(world["customer_b"]).get(form_url).status_code == 404


def test_the_reviewer_decides_on_the_modification_page(world, engagement):
    modification = ask(world, engagement, blocks=3)
    client = login(world["operations_reviewer"])
    detail_url = reverse("ood:modification_detail", args=[modification.pk])
    assert 'data-testid="decision-form"' in client.get(detail_url).content.decode()
    no_reason = client.post(
        reverse("ood:modification_deny", args=[modification.pk]),
        {"version": modification.version, "reason": ""},
    )
    assert no_reason.status_code == 200 and "Say why" in no_reason.content.decode()
    scoped = client.post(
        reverse("ood:modification_scoping", args=[modification.pk]),
        {"version": modification.version, "reason": "Scope with the CSDM."},
    )
    assert scoped.status_code == 302
    page = login(world["customer_a"]).get(detail_url).content.decode()
    assert "Scoping required" in page and "Request the scoped change" in page
    follow_form = login(world["customer_a"]).get(
        reverse("ood:modification_create", args=[engagement.pk]) + f"?follows={modification.pk}"
    )
    assert f'value="{modification.pk}"' in follow_form.content.decode()
    with at("2026-11-02T10:00:00+00:00"):
        second = ask(world, engagement, blocks=4, follows=modification.pk)
        approved = client.post(
            reverse("ood:modification_approve", args=[second.pk]), {"version": second.version, "reason": ""}
        )
    assert approved.status_code == 302
    second.refresh_from_db()
    assert (second.state, second.effective_month) == ("approved", dt.date(2026, 12, 1))
    stale = client.post(reverse("ood:modification_approve", args=[second.pk]), {"version": second.version})
    assert stale.status_code == 302  # already decided: said as a message on the page
    engagement_page = login(world["customer_a"]).get(reverse("ood:engagement_detail", args=[engagement.pk]))
    html = engagement_page.content.decode()
    assert second.reference in html and "December 2026" in html
    listing = client.get(reverse("ood:modification_list")).content.decode()
    assert modification.reference in listing and second.reference in listing
    filtered = reverse("ood:modification_list") + "?engagement=999999&state=approved"
    other = client.get(filtered).content.decode()
    assert modification.reference not in other
