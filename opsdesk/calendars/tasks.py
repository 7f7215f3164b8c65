"""B5: open targets on a changed calendar are recomputed by a task after the change commits; the
minute sweep finishes any recomputation a dead worker left undone."""

from django.db.models import F
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.calendars.models import Calendar


def recompute_now(calendar_id: int) -> int:
    """Recompute every open target on the calendar as it is now; returns how many were updated."""
    from django.apps import apps

    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        return 0
    version = calendar.version
    updated = 0
    if apps.is_installed("opsdesk.incidents"):
        from opsdesk.incidents.services import incident_targets_recompute

        updated = incident_targets_recompute(calendar=calendar)
    from opsdesk.calendars.services import calendar_mark_recomputed

    calendar_mark_recomputed(calendar_id=calendar_id, version=version)
    return updated or 0


@db_task()
def recompute_calendar_targets(calendar_id: int) -> int:
    return recompute_now(calendar_id)


@db_periodic_task(crontab(minute="*"))
def recompute_calendars_sweep() -> None:
    for calendar_id in Calendar.objects.filter(recomputed_version__lt=F("version")).values_list(
        "pk", flat=True
    ):
        recompute_now(calendar_id)
