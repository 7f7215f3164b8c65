"""Forms of the calendar pages (B1). They parse and type the input (a weekday's opening spans typed as
"09:00-12:00, 13:00-17:00"); the services decide what a valid calendar is (overlapping spans, a
24x7 calendar without hours, a day closed twice), and their errors come back onto these forms."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms

from opsdesk.calendars.models import Weekday
from opsdesk.core.ui.forms import ServiceErrorsForm

DAY_FIELDS = [(day.value, day.label.lower(), day.label) for day in Weekday]
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
WEEK_HELP = "Local wall-clock time. Empty = closed; several spans: 09:00-12:00, 13:00-17:00."


def format_spans(spans: Iterable[Any]) -> str:
    """WorkingHours rows of one weekday as the text the form takes back."""
    return ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in spans)


def _time(hours: str, minutes: str) -> dt.time:
    return dt.time(int(hours), int(minutes))


def parse_spans(text: str) -> list[tuple[dt.time, dt.time]]:
    """'09:00-12:00, 13:00-17:00' → [(09:00, 12:00), (13:00, 17:00)]; empty → closed."""
    spans = []
    for part in [p for p in re.split(r"[,;\n]", text or "") if p.strip()]:
        match = _SPAN.match(part)
        if not match:
            raise forms.ValidationError(f"'{part.strip()}' is not a span like 09:00-17:00.")
        try:
            start, end = _time(*match.group(1, 2)), _time(*match.group(3, 4))
        except ValueError:
            raise forms.ValidationError(f"'{part.strip()}' is not a valid time of day.")
        spans.append((start, end))
    return spans


class WeeklyHoursMixin(forms.Form):
    """One text field per weekday, cleaned to {weekday: [(start, end), ...]} in `weekly_hours`."""

    def add_day_fields(self) -> None:
        for _value, name, label in DAY_FIELDS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "closed", "class": "mono"}),
            )
            self.fields[name].day_field = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for value, name, _label in DAY_FIELDS:
            try:
                spans = parse_spans(data.get(name) or "")
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if spans:
                weekly[value] = spans
        data["weekly_hours"] = weekly
        return data

    @staticmethod
    def initial_hours(calendar: Any) -> dict[str, str]:
        rows = list(calendar.working_hours.all())
        return {name: format_spans([r for r in rows if r.weekday == value]) for value, name, _ in DAY_FIELDS}

    def day_fields(self) -> list:
        return [self[name] for _value, name, _label in DAY_FIELDS]

    def other_fields(self) -> list:
        names = {name for _value, name, _label in DAY_FIELDS}
        return [f for f in self.visible_fields() if f.name not in names]


class CalendarForm(WeeklyHoursMixin, ServiceErrorsForm):
    name = forms.CharField(
        max_length=50, help_text="Lower-case letters, digits, '-' and '_' (e.g. uk, us-east, 24x7-gold)."
    )
    description = forms.CharField(max_length=200, required=False)
    timezone = forms.CharField(
        max_length=64, initial="Europe/London", help_text="An IANA zone, e.g. Europe/London."
    )
    always_open = forms.BooleanField(required=False, label="Always open (24x7: elapsed time counts)")
    holiday_country = forms.CharField(
        max_length=2,
        required=False,
        initial="GB",
        label="Public holidays: country",
        help_text="From the holidays package, e.g. GB, IE, US. Empty: no public holidays.",
    )
    holiday_subdivision = forms.CharField(
        max_length=10,
        required=False,
        initial="ENG",
        label="Public holidays: subdivision",
        help_text="e.g. ENG for England and Wales, SCT for Scotland.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_day_fields()
        for value, name, _label in DAY_FIELDS:
            self.fields[name].initial = "09:00-17:00" if value < 5 else ""

    def clean_holiday_country(self) -> str:
        return (self.cleaned_data.get("holiday_country") or "").strip().upper()

    def service_arguments(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d["name"].strip(),
            "description": d["description"],
            "timezone": d["timezone"].strip(),
            "always_open": d["always_open"],
            "holiday_country": d["holiday_country"],
            "holiday_subdivision": d["holiday_subdivision"].strip().upper(),
            "weekly_hours": d["weekly_hours"],
        }


class WorkingHoursForm(WeeklyHoursMixin, ServiceErrorsForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_day_fields()


class ClosureForm(ServiceErrorsForm):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200, required=False, help_text="e.g. Office move, company away day.")


class ClosureImportForm(ServiceErrorsForm):
    file = forms.FileField(
        label="iCalendar file (.ics)",
        help_text="Every all-day event closes its day(s); days already closed are skipped.",
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 2 MB.")
        return upload.read()
