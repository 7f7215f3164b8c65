"""The SLA report page, its CSV, the API and the desk's chart: what staff and customers see, the
charts' text alternatives, and bad input answered with errors naming the problem."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.incidents.reports import selectors
from opsdesk.incidents.reports.schemas import SlaReportOut
from opsdesk.incidents.reports.tests.dataset import LONDON, _incident

pytestmark = pytest.mark.django_db

URL = "/reports/sla/"
API = "/api/v1/sla-report"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _this_month() -> dt.datetime:
    """Two hours into this month (provider time), so that the report of this month includes it."""
    month = selectors.current_month()
    return dt.datetime(month.year, month.month, 1, 2, 0, tzinfo=LONDON)


@pytest.fixture
def recent(world):
    """This month: org A one P1 met and one P1 breached (both targets), org B one P3 met."""
    start = _this_month()
    met = _incident(
        world,
        "a",
        priority="P1",
        logged=start,
        initial_due=15,
        considered_due=60,
        initial_at=5,
        considered_at=30,
        resolved=90,
    )
    late = _incident(
        world,
        "a",
        priority="P1",
        logged=start + dt.timedelta(minutes=1),
        initial_due=15,
        considered_due=60,
        initial_at=20,
        considered_at=70,
        resolved=120,
    )
    other = _incident(
        world,
        "b",
        priority="P3",
        logged=start,
        initial_due=60,
        considered_due=240,
        initial_at=10,
        considered_at=100,
        resolved=300,
    )
    return met, late, other


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_staff_page_shows_figures_charts_and_their_text_alternatives(world, recent):
    response = _client(world["csdm"]).get(URL)
    assert response.status_code == 200
    page = _text(response)
    month = f"{selectors.current_month():%b %Y}"
    assert world["org_a"].name in page and world["org_b"].name in page
    for chart in ("sla-compliance", "sla-volume", "sla-breaches"):
        svg = re.search(rf'<svg[^>]*data-testid="{chart}".*?</svg>', page, re.S)
        assert svg, chart
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg[0] and 'role="img"' in svg[0]
        assert f'<title id="{chart}-title">' in svg[0] and f'<desc id="{chart}-desc">' in svg[0]
        assert f'data-testid="{chart}-table"' in page  # the text alternative
        assert "style=" not in svg[0]  # the Content-Security-Policy allows no inline style
    # This month: 2 met and 2 breached in org A, 2 met in org B: 4 of 6, 66.7 %.
    assert re.search(
        rf"<th scope=\"row\">{month}</th><td class=\"num\">66.7 %</td><td class=\"num\">4</td>"
        r"<td class=\"num\">2</td>",
        page,
    )
    assert "66.7 %" in re.search(r'data-testid="total-compliance">([^<]*)<', page)[1]
    # Breaches by organisation name the worst first, with both kinds told apart by pattern.
    assert f"the most: {world['org_a'].name} with 2 (1 initial, 1 considered)" in page
    assert "url(#sla-breaches-hatch)" in page
    # The staff desk has the small compliance chart.
    desk = _text(_client(world["csdm"]).get("/"))
    assert 'data-testid="desk-compliance" hx-get="/reports/sla/desk-chart/"' in desk
    chart = _text(_client(world["csdm"]).get("/reports/sla/desk-chart/"))
    assert '<title id="desk-compliance-title">' in chart and 'data-testid="desk-compliance-table"' in chart
    assert f'data-month="{month}">66.7 %<' in chart


def test_customer_sees_only_their_organisation(world, recent):
    client = _client(world["customer_a"])
    page = _text(client.get(URL))
    assert world["org_a"].name in page and world["org_b"].name not in page
    assert 'data-testid="sla-compliance"' in page and 'data-testid="sla-breaches"' not in page
    month = f"{selectors.current_month():%b %Y}"
    assert re.search(rf"<th scope=\"row\">{month}</th><td class=\"num\">50 %</td>", page)

    other = world["org_b"].pk
    response = client.get(URL, {"organisation": other})
    assert response.status_code == 404
    assert f"organisation: no organisation with id {other}." in _text(response)
    assert world["org_b"].name not in _text(response)
    response = client.get(API, {"organisation": other})
    assert response.status_code == 404
    assert response.json()["detail"] == f"organisation: no organisation with id {other}."
    missing = client.get(API, {"organisation": 987654321})
    assert missing.status_code == 404
    assert missing.json()["errors"] == [
        {"field": "organisation", "message": "no organisation with id 987654321."}
    ]


def test_csv_has_the_rows_of_the_report(world, recent):
    month = f"{selectors.current_month():%Y-%m}"
    response = _client(world["csdm"]).get(URL, {"format": "csv", "organisation": world["org_a"].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"sla-report-org{world['org_a'].pk}-" in response["Content-Disposition"]
    text = _text(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["organisation"], row["priority"], row["month"], row["logged"]) == (
        world["org_a"].name,
        "P1",
        month,
        "2",
    )
    assert (
        row["initial_met"],
        row["initial_breached"],
        row["considered_met"],
        row["considered_breached"],
    ) == ("1", "1", "1", "1")
    assert (row["compliance"], row["respond_mean_seconds"], row["resolve_p90_seconds"]) == (
        "50.0",
        "750",
        "7020",
    )
    assert row["escalations_level_2"] == "0" and row["rca_due"] == "0"
    api = _client(world["csdm"]).get(API, {"format": "csv", "organisation": world["org_a"].pk})
    assert _text(api) == text


def test_api_answers_json_with_rows_and_months(world, recent):
    response = _client(world["customer_b"]).get(API)
    assert response.status_code == 200
    body = response.json()
    assert body["organisation"] == world["org_b"].pk and body["time_zone"] == "Europe/London"
    assert [(r["priority"], r["logged"], r["compliance"]) for r in body["rows"]] == [("P3", 1, 100.0)]
    assert len(body["months"]) == 12 and body["months"][-1]["compliance"] == 100.0
    assert [level["level"] for level in body["levels"]] == [2, 3, 4]
    # Rendered without the schema's validation: it still validates, and says the same.
    validated = SlaReportOut.model_validate(body).model_dump(mode="json")
    assert validated | {"generated_at": body["generated_at"]} == body
    assert response["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"to_month": "2099-01"}, "to_month", "2099-01 is in the future"),
        ({"from_month": "2026-1"}, "from_month", "write it as YYYY-MM"),
        ({"from_month": "2020-01", "to_month": "2026-01"}, "to_month", "a report covers at most 24"),
        ({"priority": "urgent"}, "priority", "'urgent' is not a priority"),
    ],
)
def test_bad_input_is_an_error_naming_it(world, query, field, words):
    client = _client(world["csdm"])
    page = client.get(URL, query)
    assert page.status_code == 400
    assert re.search(rf'data-testid="error-{field}">[^<]*{re.escape(words)}', html.unescape(_text(page)))
    api = client.get(API, query)
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == field and words in api.json()["errors"][0]["message"]


def test_future_month_is_refused_the_day_before_it_starts(world):
    now = timezone.now()
    month = selectors.current_month(now)
    following = f"{(month + dt.timedelta(days=32)):%Y-%m}"
    response = _client(world["csdm"]).get(API, {"to_month": following})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"to_month: {following} is in the future")
