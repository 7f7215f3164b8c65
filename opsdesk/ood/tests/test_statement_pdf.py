"""G6: every organisation's statements of a month in a fixed number of queries, and the statement
as PDF (page link, UI route and API), with the figures a reader of the PDF sees."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from opsdesk.core.roles import Role
from opsdesk.ood import selectors, services
from opsdesk.ood.models import Engagement, EngagementAllocation
from opsdesk.ood.tests.conftest import login
from opsdesk.ood.tests.test_billing import LAST_MONTH, THIS_MONTH, TWO_AGO, _started, log

pytestmark = pytest.mark.django_db


def _approved(world, submit, line=None, since=TWO_AGO) -> Engagement:
    request = submit(lines=[line] if line else None)
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    return _started(request.lines.get().engagements.get(), since)


def _log(world, engagement, hours: int, month) -> None:
    """`hours` logged in `month`, at most 8 a day from its first day."""
    day = 0
    while hours > 0:
        log(world, engagement, str(min(8, hours)), day=month + dt.timedelta(days=day))
        hours, day = hours - 8, day + 1


def _text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def engagement(world, submit):
    return _approved(world, submit)


def test_month_statements_equal_the_engagement_figures_in_a_fixed_number_of_queries(world, submit, catalogue):
    """Monthly, one-time and ended engagements, an allocation changed mid-way and a rate changed
    after the month: each statement line is the engagement-month month_figures gives."""
    grown = _approved(world, submit)
    EngagementAllocation.objects.create(engagement=grown, from_month=LAST_MONTH, blocks=3)
    _log(world, Engagement.objects.get(pk=grown.pk), 45, LAST_MONTH)
    one_time = _approved(
        world,
        submit,
        {"offering": catalogue["ct"].pk, "blocks": 1, "accounts": ["111111111102"], "recurrence": "one_time"},
        since=LAST_MONTH,
    )
    Engagement.objects.filter(pk=one_time.pk).update(end_month=LAST_MONTH)
    _log(world, Engagement.objects.get(pk=one_time.pk), 25, LAST_MONTH)
    ended = _approved(world, submit)
    Engagement.objects.filter(pk=ended.pk).update(end_month=TWO_AGO)
    services.offering_rate_create(
        actor=world["admin"], offering=catalogue["eks"], rate="1600.00", effective_from=THIS_MONTH
    )

    def figures(user):
        return {
            f.engagement.pk: (
                f.allocated_blocks,
                f.hours_used,
                f.billed_blocks,
                f.overrun_hours,
                f.rate,
                f.amount,
            )
            for f in selectors.month_figures(user=user, month=LAST_MONTH)
        }

    def lines(user, **kwargs):
        return {
            x.engagement_id: (
                x.allocated_blocks,
                x.hours_used,
                x.billed_blocks,
                x.overrun_hours,
                x.rate,
                x.amount,
            )
            for s in selectors.month_statements(user=user, month=LAST_MONTH, **kwargs)
            for x in s.lines
        }

    expected = {
        grown.pk: (3, Decimal("45.00"), 3, Decimal("0.00"), Decimal("1450.00"), Decimal("4350.00")),
        one_time.pk: (1, Decimal("25.00"), 1, Decimal("5.00"), Decimal("1200.00"), Decimal("1200.00")),
    }
    assert lines(world["admin"]) == figures(world["admin"]) == expected
    assert lines(world["customer_a"]) == expected and lines(world["customer_b"]) == {}
    assert lines(world["admin"], organisation=world["org_b"].pk) == {}

    def count(**kwargs) -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.month_statements(user=world["admin"], month=LAST_MONTH, **kwargs)
        return len(ctx.captured_queries)

    many = count()
    for _ in range(3):
        log(world, _approved(world, submit), "2", day=LAST_MONTH)
    assert count() == many == count(organisation=world["org_a"].pk)


def test_the_pdf_has_the_statement_and_the_page_links_to_it(world, engagement, catalogue):
    services.offering_rate_create(
        actor=world["admin"], offering=catalogue["eks"], rate="1600.00", effective_from=THIS_MONTH
    )
    _log(world, engagement, 51, LAST_MONTH)
    client = login(world[Role.BILLING])
    org, month = world["org_a"], f"{LAST_MONTH:%Y-%m}"
    page = client.get(f"/ood/statements/{org.pk}/?month={month}").content.decode()
    assert f'href="/ood/statements/{org.pk}/pdf/?month={month}"' in page

    response = client.get(f"/ood/statements/{org.pk}/pdf/?month={month}")
    assert response["Content-Disposition"] == f'attachment; filename="statement-{org.pk}-{month}.pdf"'
    text = _text(response)
    # 51 h on 2 blocks: 2 billed at last month's rate (not this month's 1,600), 11 h flagged.
    for words in (
        org.name,
        f"{LAST_MONTH:%B %Y}",
        "Provisional",
        "EKS maintenance",
        "111111111102",
        "51.00",
        "11.00 h, flagged",
        "GBP 1450.00",
        "GBP 2900.00",
        "Total GBP",
    ):
        assert words in text, (words, text)
    assert "1600" not in text


def test_a_closed_months_pdf_shows_the_figures_frozen_at_the_close(world, engagement):
    _log(world, engagement, 21, LAST_MONTH)
    services.month_close(actor=world[Role.BILLING], organisation=world["org_a"], month=LAST_MONTH)
    EngagementAllocation.objects.filter(engagement=engagement).update(blocks=1)
    client = login(world["customer_a"])
    text = _text(client.get(f"/ood/statements/{world['org_a'].pk}/pdf/?month={LAST_MONTH:%Y-%m}"))
    assert "Closed (invoiced)" in text and "Provisional" not in text
    assert "GBP 2900.00" in text and "21.00" in text


def test_the_api_serves_the_pdf_for_the_callers_tenant_only(world, engagement):
    log(world, engagement, "5", day=LAST_MONTH)
    url = f"/api/v1/ood/statements?organisation={world['org_a'].pk}&month={LAST_MONTH:%Y-%m}"
    text = _text(login(world["customer_a"]).get(f"{url}&format=pdf"))
    assert "GBP 1450.00" in text and "5.00" in text
    assert login(world["customer_b"]).get(f"{url}&format=pdf").status_code == 404
    assert login(world["customer_b"]).get(f"/ood/statements/{world['org_a'].pk}/pdf/").status_code == 404
    bad = login(world["customer_a"]).get(f"{url}&format=docx")
    assert bad.status_code == 422 and "format" in bad.content.decode()
    bad_month = login(world["customer_a"]).get(f"/ood/statements/{world['org_a'].pk}/pdf/?month=2026-13")
    assert bad_month.status_code == 422 and "not a month" in bad_month.content.decode()
