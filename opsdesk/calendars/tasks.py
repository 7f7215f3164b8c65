"""B5: what is kept on a changed calendar is recomputed by a task after the change commits; the
minute sweep finishes any recomputation a dead worker left undone
(recomputed_version < version). Calendars knows nothing of what
is kept: the task sends calendars.signals.calendar_changed and the layers above receive it."""

from django.db.models import F
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.signals import calendar_changed


def recompute_now(calendar_id: int) -> int:
    """Have every receiver recompute what it keeps on the calendar as it is now; returns how many
    rows they updated."""
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        return 0
    version = calendar.version
    responses = calendar_changed.send(sender=Calendar, calendar=calendar)
    Calendar.objects.filter(pk=calendar_id, recomputed_version__lt=version).update(recomputed_version=version)
    return sum(result for _receiver, result in responses if isinstance(result, int))


@db_task()
def recompute_calendar_targets(calendar_id: int) -> int:
    return recompute_now(calendar_id)


@db_periodic_task(crontab(minute="*"))
def recompute_calendars_sweep() -> None:
    for calendar_id in Calendar.objects.filter(recomputed_version__lt=F("version")).values_list(
        "pk", flat=True
    ):
        recompute_now(calendar_id)
