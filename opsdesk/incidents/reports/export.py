"""The SLA report as CSV rows: the same figures as the API, one row per organisation, priority and
month, durations in seconds, one column per escalation level."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from opsdesk.core.api import _csv_value
from opsdesk.incidents.reports.selectors import SlaReport

COLUMNS = [
    "organisation_id",
    "organisation",
    "priority",
    "month",
    "logged",
    "initial_met",
    "initial_breached",
    "initial_compliance",
    "considered_met",
    "considered_breached",
    "considered_compliance",
    "compliance",
    "paused_seconds",
    "respond_mean_seconds",
    "respond_p90_seconds",
    "resolve_mean_seconds",
    "resolve_p90_seconds",
]
RCA_COLUMNS = ["rca_due", "rca_on_time", "rca_late"]


def header(report: SlaReport) -> list[str]:
    return [*COLUMNS, *(f"escalations_level_{level}" for level, _ in report.levels), *RCA_COLUMNS]


def csv_lines(report: SlaReport) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)

    def line(values: list) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow([_csv_value(v) for v in values])
        return buf.getvalue()

    yield line(header(report))
    for r in report.rows:
        yield line(
            [
                r.organisation_id,
                r.organisation,
                r.priority,
                f"{r.month:%Y-%m}",
                r.logged,
                r.initial_met,
                r.initial_breached,
                r.initial_compliance,
                r.considered_met,
                r.considered_breached,
                r.considered_compliance,
                r.compliance,
                r.paused_seconds,
                r.respond_mean,
                r.respond_p90,
                r.resolve_mean,
                r.resolve_p90,
                *(r.escalations.get(level, 0) for level, _ in report.levels),
                r.rca_due,
                r.rca_on_time,
                r.rca_late,
            ]
        )


def filename(report: SlaReport) -> str:
    f = report.filters
    scope = f"org{f.organisation.pk}" if f.organisation is not None else "all"
    return f"sla-report-{scope}-{f.first:%Y-%m}-{f.last:%Y-%m}.csv"
