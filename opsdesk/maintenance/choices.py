"""The provider-maintenance lifecycle of E2 as explicit states, and the emergency reasons of E2."""

from django.db import models


class MaintenanceState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


#: Maintenance that is finished: no step applies to it any more.
FINAL_STATES = frozenset({MaintenanceState.COMPLETED, MaintenanceState.CANCELLED})
#: Maintenance that still occupies its window (what the overlap check and the iCal feed show).
LIVE_STATES = (MaintenanceState.SCHEDULED, MaintenanceState.IN_PROGRESS, MaintenanceState.VERIFYING)


class EmergencyReason(models.TextChoices):
    """E2: "emergency maintenance (security advisories, compliance, resolving an incident)"."""

    SECURITY_ADVISORY = "security_advisory", "Security advisory"
    COMPLIANCE = "compliance", "Compliance"
    INCIDENT_RESOLUTION = "incident_resolution", "Incident resolution"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


#: Step name -> the states it may start from (the state it leads to is in services.py). A started
#: maintenance is ended (early or not) and completed, never cancelled or deleted (E2).
STEP_FROM: dict[str, tuple[str, ...]] = {
    "start": (MaintenanceState.SCHEDULED,),
    "end": (MaintenanceState.IN_PROGRESS,),
    "complete": (MaintenanceState.VERIFYING,),
    "cancel": (MaintenanceState.SCHEDULED,),
}

STEP_LABELS = {
    "start": "start the maintenance",
    "end": "end the work and verify",
    "complete": "complete the maintenance",
    "cancel": "cancel the maintenance",
}
