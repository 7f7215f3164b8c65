"""Reads of calendars. Calendars are provider reference data: every signed-in user may read them."""

from typing import Any

from django.db.models import QuerySet

from opsdesk.calendars.models import Calendar, Closure
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.selectors import get_or_not_found


def calendar_by_name(name: str, *, field: str = "calendar") -> Calendar:
    calendar = Calendar.objects.filter(name=name).first() if isinstance(name, str) else None
    if calendar is None:
        known = ", ".join(Calendar.objects.values_list("name", flat=True))
        raise ValidationFailed.field(field, f"Unknown calendar '{name}'. Known calendars: {known}.")
    return calendar


def calendar_list(*, user: Any) -> QuerySet:
    if not user.is_authenticated:
        return Calendar.objects.none()
    return Calendar.objects.prefetch_related("working_hours")


def calendar_get(*, user: Any, pk: Any) -> Calendar:
    return get_or_not_found(calendar_list(user=user), pk)


def closure_list(*, user: Any, calendar: Calendar, year: int | None = None) -> QuerySet:
    qs = Closure.objects.filter(calendar=calendar) if user.is_authenticated else Closure.objects.none()
    if year:
        qs = qs.filter(date__year=year)
    return qs


def closure_get(*, user: Any, calendar: Calendar, pk: Any) -> Closure:
    return get_or_not_found(closure_list(user=user, calendar=calendar), pk)
