"""Week-on-week reviews, tag filters, thresholds and billing alerts (issue 12 item 6, F4)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from opsdesk.billing import selectors, services
from opsdesk.billing.models import BillingAlert
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.notifications.models import Notification

HEADER = (
    "lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UnblendedCost,"
    "resourceTags/user:Env\n"
)
#: Europe/London left summer time on Sunday 25 October 2026 (01:00 UTC): the week of 19–25 October
#: has a 25-hour Sunday. Review "today" is Tuesday 3 November: last week 26 Oct–1 Nov, previous 19–25.
TODAY = dt.date(2026, 11, 3)
WEEK = dt.date(2026, 10, 26)


def load(world, *lines):
    data = io.BytesIO((HEADER + "".join(f"{line}\n" for line in lines)).encode())
    return services.cost_import_run(actor=world["billing"], file=data, file_name="t.csv")


def dst_costs(world):
    a, m = world["account_a"].account_id, world["member_a"].account_id
    return load(
        world,
        # BST: 18 Oct 23:30 UTC is Monday 19 Oct 00:30 in London: the previous week.
        f"{a},2026-10-18T23:30:00Z,AmazonEC2,10.10,prod",
        # GMT again: 25 Oct 23:30 UTC is still Sunday 25 Oct in London: the previous week.
        f"{a},2026-10-25T23:30:00Z,AmazonEC2,5.05,prod",
        # 1 Nov 23:59 UTC is Sunday 1 Nov in London: the reviewed week; 2 Nov 00:00 UTC is not.
        f"{a},2026-11-01T23:59:00Z,AmazonEC2,20.00,prod",
        f"{a},2026-11-02T00:00:00Z,AmazonEC2,99.00,prod",
        f"{m},2026-10-27T12:00:00Z,AmazonS3,3.333333,dev",
        # BST: 18 Oct 22:59 UTC is Sunday 18 Oct 23:59 in London: before both weeks.
        f"{m},2026-10-18T22:59:00Z,AmazonS3,50,dev",
    )


def test_week_on_week_figures_are_exact_across_the_clock_change(world):
    dst_costs(world)
    review = selectors.week_review(user=world["billing"], organisation=world["org_a"].pk, week_start=WEEK)
    assert selectors.last_complete_week(TODAY) == WEEK
    rows = {r.account.account_id: r for r in review.rows}
    a = rows[world["account_a"].account_id]
    assert (a.previous, a.current, a.change, a.change_percent) == (
        Decimal("15.15"),
        Decimal("20.00"),
        Decimal("4.85"),
        Decimal("32.01"),
    )
    m = rows[world["member_a"].account_id]
    assert (m.previous, m.current, m.change_percent) == (Decimal(0), Decimal("3.333333"), None)
    assert (review.total.previous, review.total.current) == (Decimal("15.15"), Decimal("23.333333"))


def test_the_tag_filter_narrows_the_review(world):
    dst_costs(world)
    review = selectors.week_review(
        user=world["billing"], organisation=world["org_a"].pk, tag="Env=dev", week_start=WEEK
    )
    assert (review.total.previous, review.total.current) == (Decimal(0), Decimal("3.333333"))
    with pytest.raises(ValidationFailed):
        selectors.week_review(user=world["billing"], organisation=world["org_a"].pk, tag="no-equals")


def test_who_sees_reviews(world):
    dst_costs(world)
    org_a = world["org_a"].pk
    for role in ("billing", "administrator", "csdm", "account_manager"):
        selectors.week_review(user=world[role], organisation=org_a, week_start=WEEK)
    for role in ("engineer", "service_desk"):
        with pytest.raises(PermissionDenied):
            selectors.week_review(user=world[role], organisation=org_a)
    with pytest.raises(PermissionDenied):  # a customer whose contact is not a billing contact
        selectors.week_review(user=world["customer_a"], organisation=org_a)
    world["contact_a"].is_billing_contact = True
    world["contact_a"].save()
    customer = type(world["customer_a"]).objects.get(pk=world["customer_a"].pk)
    own = selectors.week_review(user=customer, organisation=None, week_start=WEEK)
    assert own.organisation == world["org_a"] and own.total.current == Decimal("23.333333")
    with pytest.raises(NotFound):
        selectors.week_review(user=customer, organisation=world["org_b"].pk)


@pytest.mark.parametrize(
    ("percent", "amount", "crossed"),
    [("30", None, "percentage"), (None, "4.50", "amount"), ("10", "1", "percentage and amount")],
)
def test_a_crossed_threshold_raises_one_alert_and_emails(world, percent, amount, crossed):
    world["contact_a"].is_billing_contact = True
    world["contact_a"].save()
    services.threshold_create(
        actor=world["billing"],
        organisation=world["org_a"].pk,
        account=world["account_a"].pk,
        percent=percent,
        amount=amount,
    )
    dst_costs(world)
    alerts = services.billing_alerts_evaluate(organisation=world["org_a"], week_start=WEEK)
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.account, alert.previous, alert.current, alert.change, alert.crossed) == (
        world["account_a"],
        Decimal("15.15"),
        Decimal("20.00"),
        Decimal("4.85"),
        crossed,
    )
    assert alert.state == "open"
    emails = set(Notification.objects.filter(event="billing.alert").values_list("recipient", flat=True))
    assert emails == {world["billing"].email, world["contact_a"].email}
    # Evaluated again (the weekly task after an import): still one alert.
    assert services.billing_alerts_evaluate(organisation=world["org_a"], week_start=WEEK) == []
    assert BillingAlert.objects.count() == 1


def test_a_change_below_the_threshold_raises_nothing(world):
    services.threshold_create(actor=world["billing"], organisation=world["org_a"].pk, percent="60")
    dst_costs(world)
    assert services.billing_alerts_evaluate(organisation=world["org_a"], week_start=WEEK) == []


def test_an_import_raises_the_alert_of_the_last_complete_week(world):
    services.threshold_create(actor=world["billing"], organisation=world["org_a"].pk, amount="10")
    a = world["account_a"].account_id
    week = selectors.last_complete_week()
    lines = [f"{a},{week - dt.timedelta(days=7)},EC2,5,prod", f"{a},{week},EC2,25,prod"]
    load(world, *lines)
    alert = BillingAlert.objects.get()
    assert (alert.account, alert.change, alert.crossed) == (None, Decimal("20"), "amount")
    services.billing_alert_acknowledge(actor=world["billing"], alert=alert)
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == world["billing"]


def test_thresholds_are_kept_by_billing_staff_not_engineers_or_customers(world):
    for who in ("engineer", "customer_a"):
        with pytest.raises(PermissionDenied):
            services.threshold_create(actor=world[who], organisation=world["org_a"].pk, percent="5")
    with pytest.raises(ValidationFailed):
        services.threshold_create(actor=world["billing"], organisation=world["org_a"].pk)
