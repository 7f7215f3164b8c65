"""The SLA report page (issue 9, item 2): staff choose organisation, months and priority; a
customer sees their own organisation's (another's is a 404 saying so). Thin: the filters are
checked and the figures computed by selectors, the charts drawn by charts; `?format=csv` downloads
the same rows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.ui.views import apply_service_errors, require, ui_view
from opsdesk.incidents.reports import export, selectors
from opsdesk.incidents.reports.charts import compliance_line, report_charts
from opsdesk.incidents.reports.forms import ReportFilterForm

TEMPLATE = "reports/sla_report.html"
#: Rows shown on the page; the CSV and the API carry all of them.
PAGE_ROWS = 200
VIEW = "incidents.view"
DESK_MONTHS = 6


@ui_view
def desk_compliance(request: HttpRequest) -> HttpResponse:
    """The staff desk's compliance chart, loaded by htmx after the desk itself: its query reads every
    incident of six months, so the desk page does not wait for it."""
    require(request.user, VIEW)
    trend = selectors.compliance_trend(user=request.user, months=DESK_MONTHS)
    chart = compliance_line("desk-compliance", [(t.label, t.compliance, t.met, t.breached) for t in trend])
    return render(request, "reports/_desk_compliance_chart.html", {"chart": chart, "months": DESK_MONTHS})


@ui_view
def sla_report(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    form = ReportFilterForm(request.GET, user=request.user)
    context = {"form": form, "zone": selectors.provider_zone().key}
    try:
        filters = selectors.report_filters(user=request.user, **form.values())
    except ValidationFailed as exc:
        apply_service_errors(form, exc)
        return render(request, TEMPLATE, context, status=400)
    except NotFound as exc:
        return render(request, TEMPLATE, {**context, "error": exc.detail}, status=404)
    report = selectors.sla_report(user=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(export.csv_lines(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename(report)}"'
        return response
    query = filters.query()
    # The form shows the months and organisation the report covers, defaults included.
    context["form"] = ReportFilterForm(
        {**query, **{k: v for k, v in form.values().items() if v}}, user=request.user
    )
    return render(
        request,
        TEMPLATE,
        {
            **context,
            "report": report,
            "total": report.total,
            "charts": report_charts(report),
            "rows": report.rows[:PAGE_ROWS],
            "row_count": len(report.rows),
            "csv_url": f"{reverse('reports:sla')}?{urlencode({**query, 'format': 'csv'})}",
            "api_url": f"/api/v1/sla-report?{urlencode(query)}",
        },
    )
