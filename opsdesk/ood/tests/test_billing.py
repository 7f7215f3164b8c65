"""G6: time entries, engagement-month figures, statements, month closes, the threshold notice, the
billing-only role and the customer's balance."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.core.roles import Role
from opsdesk.directory import services as directory
from opsdesk.notifications.models import Notification
from opsdesk.ood import rules, selectors, services
from opsdesk.ood.models import Engagement, EngagementAllocation, TimeEntry
from opsdesk.ood.tests.conftest import login

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = rules.first_of_month_after(THIS_MONTH, -1)
TWO_AGO = rules.first_of_month_after(THIS_MONTH, -2)


def _started(engagement: Engagement, since: dt.date) -> Engagement:
    """An engagement approved in the past: its start and first allocation moved back to `since`."""
    Engagement.objects.filter(pk=engagement.pk).update(start_date=since)
    EngagementAllocation.objects.filter(engagement=engagement).update(from_month=since.replace(day=1))
    return Engagement.objects.get(pk=engagement.pk)


@pytest.fixture
def engagement(world, submit):
    request = submit(lines=None)
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    return _started(request.lines.get().engagements.get(), TWO_AGO)


def log(world, engagement, hours, day=None, **kwargs):
    return services.time_entry_create(
        actor=world[Role.ENGINEER],
        engagement=engagement,
        work_date=day or TODAY,
        hours=hours,
        description=kwargs.pop("description", "Upgraded the cluster."),
        **kwargs,
    )


def refused(world, engagement, field, **kwargs):
    before = TimeEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        log(world, engagement, **kwargs)
    assert exc.value.errors[0]["field"] == field
    assert TimeEntry.objects.count() == before
    return exc.value.errors[0]["message"]


# --- 1. time entries ----------------------------------------------------------------------------


def test_an_entry_counts_in_its_work_date_month_even_when_back_dated(world, engagement):
    entry = log(world, engagement, "2.5", day=LAST_MONTH)
    assert entry.month == LAST_MONTH and entry.hours == Decimal("2.50")
    (figures,) = selectors.month_figures(user=world["admin"], month=LAST_MONTH)
    assert figures.hours_used == Decimal("2.50")
    assert selectors.month_figures(user=world["admin"], month=THIS_MONTH)[0].hours_used == 0


@pytest.mark.parametrize(
    "hours,words",
    [
        ("-1", "negative"),
        ("0", "more than 0"),
        ("1.1", "quarter hours"),
        ("abc", "not a number"),
        ("25", "24"),
    ],
)
def test_bad_hours_are_refused_naming_the_field(world, engagement, hours, words):
    assert words in refused(world, engagement, "hours", hours=hours)


def test_a_future_work_date_is_refused(world, engagement):
    assert "future" in refused(world, engagement, "work_date", hours="1", day=TODAY + dt.timedelta(days=1))


def test_a_date_before_the_start_or_after_the_end_month_is_refused(world, engagement):
    message = refused(world, engagement, "work_date", hours="1", day=TWO_AGO - dt.timedelta(days=1))
    assert "not active" in message and "starts on" in message
    Engagement.objects.filter(pk=engagement.pk).update(end_month=TWO_AGO)
    message = refused(world, Engagement.objects.get(pk=engagement.pk), "work_date", hours="1", day=LAST_MONTH)
    assert "last month" in message


def test_an_account_not_on_the_engagement_is_refused(world, engagement):
    assert "not on this engagement" in refused(
        world, engagement, "account", hours="1", account="111111111101"
    )


def test_only_time_loggers_log_and_another_tenants_engagement_is_unknown(world, engagement):
    with pytest.raises(PermissionDenied):
        services.time_entry_create(
            actor=world["customer_a"], engagement=engagement, work_date=TODAY, hours="1", description="x"
        )
    with pytest.raises(PermissionDenied):
        services.time_entry_create(
            actor=world[Role.BILLING], engagement=engagement, work_date=TODAY, hours="1", description="x"
        )


def test_entries_change_while_their_month_is_open_and_are_audited(world, engagement):
    entry = log(world, engagement, "1")
    entry = services.time_entry_update(actor=world[Role.ENGINEER], time_entry=entry, hours="1.75")
    assert entry.hours == Decimal("1.75")
    assert AuditEvent.objects.filter(object_id=str(entry.pk), action="update").exists()
    services.time_entry_delete(actor=world[Role.ENGINEER], time_entry=entry)
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.filter(object_id=str(entry.pk), action="delete").exists()


# --- 2. engagement-month figures ----------------------------------------------------------------


@pytest.mark.parametrize(
    "hours,billed,overrun",
    [
        ([], 0, "0"),
        (["0.5"], 1, "0"),
        (["20"], 1, "0"),
        (["20", "0.25"], 2, "0"),
        (["20", "20", "20", "1"], 3, "1"),
    ],
)
def test_figures_follow_the_billing_table(world, submit, hours, billed, overrun):
    request = submit()
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    engagement = _started(request.lines.get().engagements.get(), LAST_MONTH)
    EngagementAllocation.objects.filter(engagement=engagement).update(blocks=3)
    for index, h in enumerate(hours):
        log(world, engagement, h, day=LAST_MONTH + dt.timedelta(days=index))
    (figures,) = selectors.month_figures(user=world["admin"], month=LAST_MONTH)
    assert figures.allocated_blocks == 3
    assert figures.billed_blocks == billed
    assert figures.overrun_hours == Decimal(overrun)
    assert figures.overrun == (overrun != "0")
    assert figures.amount == Decimal("1450.00") * billed


def test_the_figures_query_count_does_not_grow_with_engagements(world, submit, catalogue):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.month_figures(user=world["admin"], month=LAST_MONTH)
        return len(ctx.captured_queries)

    def add():
        request = submit()
        services.ood_request_approve(actor=world["operations_reviewer"], request=request)
        engagement = _started(request.lines.get().engagements.get(), LAST_MONTH)
        log(world, engagement, "3", day=LAST_MONTH)

    add()
    few = count()
    for _ in range(4):
        add()
    assert len(selectors.month_figures(user=world["admin"], month=LAST_MONTH)) == 5
    assert count() == few


# --- 3. statements and month closes -------------------------------------------------------------


def test_a_statement_uses_the_rate_in_force_that_month_and_freezes_at_close(world, engagement, catalogue):
    services.offering_rate_create(
        actor=world["admin"], offering=catalogue["eks"], rate="1600.00", effective_from=THIS_MONTH
    )
    log(world, engagement, "21", day=LAST_MONTH)
    live = selectors.statement(
        user=world["admin"], organisation=world["org_a"].pk, month=f"{LAST_MONTH:%Y-%m}"
    )
    (line,) = live.lines
    assert (line.billed_blocks, line.rate, line.amount) == (2, Decimal("1450.00"), Decimal("2900.00"))
    assert live.totals == {"GBP": Decimal("2900.00")} and not live.closed

    services.month_close(actor=world[Role.BILLING], organisation=world["org_a"], month=f"{LAST_MONTH:%Y-%m}")
    assert AuditEvent.objects.filter(object_type__icontains="monthclose").exists()
    message = refused(world, engagement, "work_date", hours="1", day=LAST_MONTH)
    assert "closed" in message
    # Figures behind the close move (a new allocation, a rate for that month); the statement does not.
    EngagementAllocation.objects.filter(engagement=engagement).update(blocks=1)
    closed = selectors.statement(
        user=world["admin"], organisation=world["org_a"].pk, month=f"{LAST_MONTH:%Y-%m}"
    )
    assert closed.closed and closed.totals == {"GBP": Decimal("2900.00")}
    assert [(x.billed_blocks, x.amount) for x in closed.lines] == [(2, Decimal("2900.00"))]

    entry = TimeEntry.objects.get()
    with pytest.raises(ValidationFailed):
        services.time_entry_update(actor=world[Role.ENGINEER], time_entry=entry, hours="2")
    with pytest.raises(ValidationFailed):
        services.time_entry_delete(actor=world[Role.ENGINEER], time_entry=entry)
    with pytest.raises(Conflict):
        services.month_close(
            actor=world[Role.BILLING], organisation=world["org_a"], month=f"{LAST_MONTH:%Y-%m}"
        )


@pytest.mark.parametrize(
    "month,words", [("2026-13", "not a month"), ("26-01", "not a month"), ("2999-01", "future")]
)
def test_bad_months_are_refused(world, month, words):
    with pytest.raises(ValidationFailed) as exc:
        services.month_close(actor=world[Role.BILLING], organisation=world["org_a"], month=month)
    assert exc.value.errors[0]["field"] == "month" and words in exc.value.errors[0]["message"]


def test_the_current_month_cannot_be_closed_and_customers_cannot_close(world):
    with pytest.raises(ValidationFailed):
        services.month_close(actor=world[Role.BILLING], organisation=world["org_a"], month=THIS_MONTH)
    with pytest.raises(PermissionDenied):
        services.month_close(actor=world["customer_a"], organisation=world["org_a"], month=LAST_MONTH)


def test_a_one_time_engagement_is_on_its_months_statement(world, submit, catalogue):
    request = submit(
        lines=[
            {
                "offering": catalogue["eks"].pk,
                "blocks": 1,
                "accounts": ["111111111102"],
                "recurrence": "one_time",
            }
        ]
    )
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    engagement = _started(request.lines.get().engagements.get(), LAST_MONTH)
    Engagement.objects.filter(pk=engagement.pk).update(end_month=LAST_MONTH)
    log(world, Engagement.objects.get(pk=engagement.pk), "4", day=LAST_MONTH)
    month = f"{LAST_MONTH:%Y-%m}"
    (line,) = selectors.statement(user=world["admin"], organisation=world["org_a"].pk, month=month).lines
    assert line.recurrence == "one_time" and line.billed_blocks == 1
    assert (
        selectors.statement(
            user=world["admin"], organisation=world["org_a"].pk, month=f"{THIS_MONTH:%Y-%m}"
        ).lines
        == []
    )


# --- 4. threshold notice --------------------------------------------------------------------------


def test_crossing_the_threshold_notifies_the_csdm_and_billing_contact_once(world, engagement, settings):
    settings.OPSDESK_OOD_THRESHOLD_PERCENT = 80
    org = world["org_a"]
    directory.contact_create(
        actor=world["admin"],
        organisation=org,
        name="Bill Payer",
        email="billing@a.example",
        is_billing_contact=True,
    )
    threshold = Notification.objects.filter(event="ood.engagement.threshold")
    log(world, engagement, "16", day=LAST_MONTH)  # 2 blocks are 40 h; 80 % is 32 h
    log(world, engagement, "15.75", day=LAST_MONTH + dt.timedelta(days=1))
    assert not threshold.exists()
    log(world, engagement, "0.25", day=LAST_MONTH + dt.timedelta(days=2))
    assert {n.recipient for n in threshold if n.recipient} == {world[Role.CSDM].email, "billing@a.example"}
    sent = threshold.count()
    log(world, engagement, "2")
    assert threshold.count() == sent
    assert all(n.payload["month"] == f"{LAST_MONTH:%Y-%m}" for n in threshold)


def test_without_a_billing_contact_the_account_manager_is_told(world, engagement, settings):
    settings.OPSDESK_OOD_THRESHOLD_PERCENT = 50
    org = world["org_a"]
    org.contacts.update(is_billing_contact=False)
    type(org).objects.filter(pk=org.pk).update(account_manager=world[Role.ACCOUNT_MANAGER])
    log(world, engagement, "20")
    threshold = Notification.objects.filter(event="ood.engagement.threshold")
    expected = {world[Role.CSDM].email, world[Role.ACCOUNT_MANAGER].email}
    assert {n.recipient for n in threshold if n.recipient} == expected


# --- 5. the billing-only role and 6. the customer's view -----------------------------------------


def test_billing_staff_read_statements_and_close_months_but_see_no_incidents(world, engagement):
    log(world, engagement, "5", day=LAST_MONTH)
    billing = login(world[Role.BILLING])
    month = f"{LAST_MONTH:%Y-%m}"
    org = world["org_a"].pk
    answer = billing.get(f"/api/v1/ood/statements?organisation={org}&month={month}")
    assert answer.status_code == 200 and answer.json()["totals"] == [{"currency": "GBP", "amount": "1450.00"}]
    closed = billing.post(
        "/api/v1/ood/month-closes",
        data=json.dumps({"organisation": org, "month": month}),
        content_type="application/json",
    )
    assert closed.status_code == 201, closed.content
    again = billing.post(
        "/api/v1/ood/month-closes",
        data=json.dumps({"organisation": org, "month": month}),
        content_type="application/json",
    )
    assert again.status_code == 409 and "already closed" in again.json()["detail"]
    page = billing.get(f"/ood/statements/{org}/?month={month}")
    assert page.status_code == 200 and "Closed (invoiced)" in page.content.decode()
    assert billing.get("/api/v1/incidents").status_code == 403
    assert billing.get("/incidents/").status_code in (403, 404)
    assert billing.get(f"/api/v1/incidents/{987654}").status_code in (403, 404)
    assert 'href="/incidents/"' not in billing.get(f"/ood/statements/{org}/?month={month}").content.decode()


def test_a_customer_sees_their_balance_and_statement_and_not_another_tenants(world, engagement):
    log(world, engagement, "12.5")
    customer = login(world["customer_a"])
    page = customer.get("/ood/balance/").content.decode()
    assert "12.50 of 40 h" in page
    usage = customer.get("/api/v1/ood/usage").json()
    assert [(u["hours_used"], u["allocated_hours"], u["billed_blocks"]) for u in usage] == [
        ("12.50", "40", 1)
    ]
    month = f"{THIS_MONTH:%Y-%m}"
    own = customer.get(f"/api/v1/ood/statements?organisation={world['org_a'].pk}&month={month}")
    assert own.status_code == 200 and own.json()["lines"][0]["billed_blocks"] == 1
    other = login(world["customer_b"])
    assert (
        other.get(f"/api/v1/ood/statements?organisation={world['org_a'].pk}&month={month}").status_code == 404
    )
    assert other.get(f"/ood/statements/{world['org_a'].pk}/?month={month}").status_code == 404
    assert other.get("/api/v1/ood/usage").json() == []
    assert (
        customer.post(
            "/api/v1/ood/month-closes",
            data=json.dumps({"organisation": world["org_a"].pk, "month": f"{LAST_MONTH:%Y-%m}"}),
            content_type="application/json",
        ).status_code
        == 403
    )


def test_the_statement_csv_has_a_line_per_engagement_month_and_the_total(world, engagement):
    log(world, engagement, "20", day=LAST_MONTH)
    log(world, engagement, "5", day=LAST_MONTH + dt.timedelta(days=1))
    client = login(world[Role.BILLING])
    body = client.get(f"/ood/statements/{world['org_a'].pk}/csv/?month={LAST_MONTH:%Y-%m}").content.decode()
    rows = [row.split(",") for row in body.strip().splitlines()]
    assert rows[0][:3] == ["month", "offering", "account"]
    assert rows[1][1:3] == ["EKS maintenance", "111111111102"] and rows[1][-3:] == [
        "1450.00",
        "GBP",
        "2900.00",
    ]
    assert rows[-1][1] == "TOTAL" and rows[-1][-1] == "2900.00"


@pytest.mark.parametrize(
    "query,field",
    [("month=2026-13", "month"), ("month=2999-01", "month"), ("month=soon", "month")],
)
def test_bad_statement_queries_are_refused_naming_the_field(world, query, field):
    answer = login(world["admin"]).get(f"/api/v1/ood/statements?organisation={world['org_a'].pk}&{query}")
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field


def test_time_is_logged_through_the_api_and_refusals_name_the_field(world, engagement):
    engineer = login(world[Role.ENGINEER])

    def post(**body):
        data = {
            "engagement": engagement.pk,
            "work_date": f"{TODAY}",
            "hours": "1.5",
            "description": "Patched.",
        }
        return engineer.post(
            "/api/v1/ood/time-entries", data=json.dumps({**data, **body}), content_type="application/json"
        )

    assert post().status_code == 201
    tomorrow = post(work_date=f"{TODAY + dt.timedelta(days=1)}")
    assert tomorrow.status_code == 422 and tomorrow.json()["errors"][0]["field"] == "work_date"
    assert post(hours="0.3").json()["errors"][0]["field"] == "hours"
    assert post(account="111111111101").json()["errors"][0]["field"] == "account"
    assert TimeEntry.objects.count() == 1


def test_an_engineer_logs_time_on_the_engagement_page(world, engagement):
    engineer = login(world[Role.ENGINEER])
    url = f"/ood/engagements/{engagement.pk}/time/new/"
    bad = engineer.post(
        url, {"work_date": f"{TODAY + dt.timedelta(days=2)}", "hours": "1", "description": "x"}
    )
    assert bad.status_code == 200 and "in the future" in bad.content.decode()
    done = engineer.post(
        url, {"work_date": f"{TODAY}", "hours": "3.25", "description": "Node group upgrade."}
    )
    assert done.status_code == 302
    page = engineer.get(f"/ood/engagements/{engagement.pk}/").content.decode()
    assert "3.25 of 40 hours used" in page and "Node group upgrade." in page
