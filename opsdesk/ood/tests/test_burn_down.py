"""Issue 10 item 8: the engagement page's burn-down of a month's hours against the allocation, and
the month end projected from the pace so far."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.ood import charts, rules, selectors, services
from opsdesk.ood.models import Engagement
from opsdesk.ood.tests.conftest import login
from opsdesk.ood.tests.test_billing import _started

pytestmark = pytest.mark.django_db

NOVEMBER = dt.date(2026, 11, 1)  # 30 days


@pytest.fixture
def engagement(world, submit):
    """Two blocks a month (40 h) since September 2026."""
    request = submit()
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    return _started(request.lines.get().engagements.get(), dt.date(2026, 9, 1))


def _log(world, engagement: Engagement, day: dt.date, hours: str) -> None:
    services.time_entry_create(
        actor=world[Role.ENGINEER], engagement=engagement, work_date=day, hours=hours, description="Work."
    )


def test_30_hours_by_the_10th_of_a_30_day_month_project_90_hours(world, engagement):
    for day in range(1, 11):
        _log(world, engagement, NOVEMBER.replace(day=day), "3")
    _log(world, engagement, dt.date(2026, 10, 31), "8")  # October's: not in November's burn-down
    engagement = selectors.engagement_get(user=world["admin"], pk=engagement.pk)  # as the page reads it
    with CaptureQueriesContext(connection) as ctx:
        burn = selectors.burn_down(
            user=world["admin"], engagement=engagement, month="2026-11", today=dt.date(2026, 11, 10)
        )
    assert len(ctx.captured_queries) == 1
    assert (burn.days_in_month, burn.elapsed_days, burn.allocated_hours) == (30, 10, Decimal(40))
    assert burn.used == Decimal("30.00") and burn.projected == Decimal("90.00")
    assert burn.projected_overrun == Decimal("50.00") and not burn.complete
    assert burn.days[0] == (1, Decimal("3.00"), Decimal("3.00"))
    assert burn.days[-1] == (10, Decimal("3.00"), Decimal("30.00"))
    assert charts.summary(burn) == (
        "30 h of the 40 h allocated used by day 10 of 30 of November 2026; at this pace the month ends "
        "at 90 h, 50 h over the allocation: overrun hours are flagged for review and not billed."
    )
    svg = str(charts.burn_down_svg(burn))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg and "Projected 90 h" in svg


def test_a_slow_pace_stays_within_the_allocation_and_idle_days_count(world, engagement):
    _log(world, engagement, NOVEMBER.replace(day=2), "6")
    burn = selectors.burn_down(
        user=world["admin"], engagement=engagement, month="2026-11", today=dt.date(2026, 11, 15)
    )
    assert burn.used == Decimal("6.00") and burn.projected == Decimal("12.00") and not burn.projected_overrun
    assert [d for d in burn.days if d[1]] == [(2, Decimal("6.00"), Decimal("6.00"))]
    assert len(burn.days) == 15 and charts.summary(burn).endswith("ends at 12 h, within the allocation.")


def test_the_page_shows_a_past_months_burn_down_with_its_overrun(world, engagement):
    for day in range(3, 9):
        _log(world, engagement, NOVEMBER.replace(day=day), "7.5")
    page = login(world["customer_a"]).get(f"/ood/engagements/{engagement.pk}/?month=2026-11")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="burn-down-chart"' in body and "Burn-down · November 2026" in body
    assert (
        "45 h of the 40 h allocated used in November 2026 (all 30 days). 5 h over the allocation: overrun "
        "hours are flagged for review and not billed." in body
    )
    assert "<td>8 Nov</td><td>7.50</td><td>45.00</td>" in body
    assert 'value="2026-11"' in body


def test_a_bad_month_is_a_form_error_and_another_tenant_sees_nothing(world, engagement):
    client = login(world["customer_a"])
    for month, words in (("2026-13", "not a month"), ("2999-01", "future")):
        body = client.get(f"/ood/engagements/{engagement.pk}/?month={month}").content.decode()
        assert 'data-testid="burn-month-error"' in body and words in body
        assert 'aria-invalid="true"' in body
    assert (
        login(world["customer_b"]).get(f"/ood/engagements/{engagement.pk}/?month=2026-11").status_code == 404
    )


def test_the_engagement_page_reads_the_same_queries_however_many_entries_and_changes(world, engagement):
    """The engagement page (with its burn-down, this month's figures, its last 50 time entries, its
    changes and its allocation history) reads a fixed number of queries: more time entries and more
    modifications cost none."""
    client = login(world["operations_reviewer"])
    url = f"/ood/engagements/{engagement.pk}/?month=2026-11"
    today = timezone.localdate()

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    def change(blocks: int):
        """A new allocation from a month of its own (3, 4, … months ahead), approved."""
        requested = rules.first_of_month_after(today.replace(day=1), blocks)
        modification = services.modification_create(
            actor=world["customer_a"], engagement=engagement, requested_date=requested, blocks=blocks
        )
        return services.modification_approve(actor=world["operations_reviewer"], modification=modification)

    _log(world, engagement, NOVEMBER.replace(day=2), "1")
    change(3)
    client.get(url)  # what a first request caches
    few, body = page()
    assert body.count("<td>Work.</td>") == 1 and "MOD-" in body

    for n in range(60):
        _log(world, engagement, NOVEMBER.replace(day=1 + n % 30), "0.25")
    for n in range(today.day):
        _log(world, engagement, today.replace(day=1 + n), "0.5")
    for blocks in (4, 5, 6):
        change(blocks)
    many, body = page()
    assert many == few
    assert body.count("<td>Work.</td>") == 50  # the latest 50 entries, as before
    assert body.count('href="/ood/modifications/') >= 4
    assert f"{Decimal('0.5') * today.day:.2f} of " in body  # this month's figures

    kick_off = body.split('data-testid="kick-off"')[1].split("</p>")[0]
    assert f"engineer {world[Role.ENGINEER].full_name}" in kick_off  # the first time logged started it
