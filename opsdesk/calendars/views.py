"""Business calendar pages (B1, B5): the calendars, their weekly hours, public holidays and closed
days; calendar managers add and remove closures, import them from iCalendar and edit the hours.

Calendars are provider reference data: everyone signed in may read them (customers see the calendar
their SLA runs on); the services decide who may change them (a 403 page). Every change bumps the
calendar's version, and the open targets on it are recomputed (B5) — said on the page after a change.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.calendars import forms, selectors, services
from opsdesk.calendars.engine import public_holidays
from opsdesk.calendars.models import Weekday
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.views import form_page, history_page, require, ui_view

MANAGE = "calendars.manage"
RECOMPUTE_NOTE = "Open incident targets on this calendar are being recomputed."


def _bound(request) -> Any:
    return request.POST if request.method == "POST" else None


def _detail_url(calendar) -> str:
    return reverse("calendars:detail", args=[calendar.pk])


#: The calendar forms' page: breadcrumbs through the calendar, the weekly-hours grid with its help,
#: and a multipart form where a file is uploaded.
_calendar_form_page = functools.partial(
    form_page, template="calendars/form.html", week_help=forms.WEEK_HELP, calendar=None, multipart=False
)


def _week(calendar) -> list[dict[str, Any]]:
    rows = list(calendar.working_hours.all())
    week = []
    for day in Weekday:
        spans = [r for r in rows if r.weekday == day.value]
        minutes = sum(
            (dt.datetime.combine(dt.date.min, s.end) - dt.datetime.combine(dt.date.min, s.start)).seconds
            // 60
            for s in spans
        )
        week.append({"label": day.label, "spans": spans, "hours": minutes / 60})
    return week


@ui_view
def calendar_list(request):
    calendars = list(selectors.calendar_list(user=request.user))
    return render(
        request,
        "calendars/list.html",
        {
            "calendars": [{"calendar": c, "week": _week(c)} for c in calendars],
            "can_manage": has_permission(request.user, MANAGE),
        },
    )


def _year(request) -> int:
    value = request.GET.get("year", "")
    year = int(value) if value.isdigit() else timezone.localdate().year
    return min(max(year, 2000), 2100)


@ui_view
def calendar_detail(request, pk: int):
    calendar = selectors.calendar_get(user=request.user, pk=pk)
    year = _year(request)
    closures_all = selectors.closure_list(user=request.user, calendar=calendar)
    years = sorted({d.year for d in closures_all.dates("date", "year")} | {year, timezone.localdate().year})
    holidays = (
        sorted(public_holidays(calendar.holiday_country, calendar.holiday_subdivision, [year]).items())
        if calendar.holiday_country and not calendar.always_open
        else []
    )
    return render(
        request,
        "calendars/detail.html",
        {
            "calendar": calendar,
            "week": _week(calendar),
            "year": year,
            "years": years,
            "closures": list(selectors.closure_list(user=request.user, calendar=calendar, year=year)),
            "holidays": holidays,
            "can_manage": has_permission(request.user, MANAGE),
        },
    )


@ui_view
def calendar_create(request):
    require(request.user, MANAGE)
    form = forms.CalendarForm(_bound(request))
    return _calendar_form_page(
        request,
        form,
        lambda d: services.calendar_create(actor=request.user, **form.service_arguments()),
        success=_detail_url,
        message=lambda c: f"Calendar {c.name} created.",
        title="New business calendar",
        submit="Create calendar",
        cancel_url=reverse("calendars:list"),
        intro="A time zone, weekly working hours and closed days (public holidays plus your own closures).",
    )


@ui_view
def working_hours_edit(request, pk: int):
    calendar = selectors.calendar_get(user=request.user, pk=pk)
    require(request.user, MANAGE)
    form = forms.WorkingHoursForm(_bound(request), initial=forms.WorkingHoursForm.initial_hours(calendar))
    return _calendar_form_page(
        request,
        form,
        lambda d: services.working_hours_set(
            actor=request.user, calendar=calendar, weekly_hours=d["weekly_hours"]
        ),
        success=_detail_url,
        message=lambda c: f"Working hours of {c.name} saved. {RECOMPUTE_NOTE}",
        calendar=calendar,
        cancel_url=_detail_url(calendar),
        title=f"Working hours of {calendar.name}",
        submit="Save working hours",
        intro=f"Opening spans per weekday in {calendar.timezone} local time.",
    )


@ui_view
def closure_add(request, pk: int):
    calendar = selectors.calendar_get(user=request.user, pk=pk)
    require(request.user, MANAGE)
    form = forms.ClosureForm(_bound(request))
    return _calendar_form_page(
        request,
        form,
        lambda d: services.closure_add(actor=request.user, calendar=calendar, **d),
        success=lambda c: f"{_detail_url(calendar)}?year={c.date.year}",
        message=lambda c: f"{calendar.name} is closed on {c.date:%a %d %b %Y}. {RECOMPUTE_NOTE}",
        calendar=calendar,
        cancel_url=_detail_url(calendar),
        title=f"Add a closed day to {calendar.name}",
        submit="Add closure",
        intro="A whole local day on which no business time counts, beyond the public holidays.",
    )


@require_POST
@ui_view
def closure_remove(request, pk: int, closure_pk: int):
    calendar = selectors.calendar_get(user=request.user, pk=pk)
    closure = selectors.closure_get(user=request.user, calendar=calendar, pk=closure_pk)
    services.closure_remove(actor=request.user, closure=closure)
    messages.success(
        request, f"{calendar.name} is open again on {closure.date:%a %d %b %Y}. {RECOMPUTE_NOTE}"
    )
    return redirect(f"{_detail_url(calendar)}?year={closure.date.year}")


@ui_view
def closures_import(request, pk: int):
    calendar = selectors.calendar_get(user=request.user, pk=pk)
    require(request.user, MANAGE)
    form = forms.ClosureImportForm(request.POST or None, request.FILES or None)

    def message(created: list) -> str:
        if not created:
            return "Every day in the file was already closed; nothing to import."
        return f"{len(created)} closed day{'s' if len(created) != 1 else ''} imported. {RECOMPUTE_NOTE}"

    return _calendar_form_page(
        request,
        form,
        lambda d: services.closures_import_ics(actor=request.user, calendar=calendar, content=d["file"]),
        success=lambda created: _detail_url(calendar) + (f"?year={created[0].date.year}" if created else ""),
        message=message,
        calendar=calendar,
        cancel_url=_detail_url(calendar),
        title=f"Import closed days into {calendar.name}",
        submit="Import",
        intro="Upload an iCalendar (.ics) file, e.g. an office closure calendar exported from a mail system.",
        multipart=True,
    )


calendar_history = history_page(
    selectors.calendar_get,
    back=_detail_url,
    title=lambda calendar: f"Calendar {calendar.name}",
)
