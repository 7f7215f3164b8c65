"""B5: a calendar change reaches the deadlines through calendars' seam (calendars.signals)."""

from typing import Any

from django.dispatch import receiver

from opsdesk.calendars.signals import calendar_changed
from opsdesk.sla.deadlines import deadlines_recompute


@receiver(calendar_changed, dispatch_uid="sla_deadlines_recompute")
def recompute_deadlines(*, calendar: Any, **_: Any) -> int:
    return deadlines_recompute(calendar=calendar)
