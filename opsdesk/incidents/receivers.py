"""Incidents react to the layers below through their seams (README › Architecture)."""

from typing import Any

from django.dispatch import receiver

from opsdesk.calendars.signals import calendar_changed
from opsdesk.incidents.services import incident_targets_recompute


@receiver(calendar_changed, dispatch_uid="incident_targets_recompute")
def recompute_incident_targets(*, calendar: Any, **_: Any) -> int:
    """B5: the open incidents on a changed calendar get their targets recomputed."""
    return incident_targets_recompute(calendar=calendar)
