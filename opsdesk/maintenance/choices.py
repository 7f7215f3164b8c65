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


# --- cloud-provider notices (E1) -------------------------------------------------------------------


class NoticeCategory(models.TextChoices):
    """AWS Health's `eventTypeCategory`."""

    ISSUE = "issue", "Issue"
    ACCOUNT_NOTIFICATION = "accountNotification", "Account notification"
    SCHEDULED_CHANGE = "scheduledChange", "Scheduled change"
    INVESTIGATION = "investigation", "Investigation"


class NoticeStatus(models.TextChoices):
    """AWS Health's `statusCode` of the event itself (not our triage)."""

    OPEN = "open", "Open"
    UPCOMING = "upcoming", "Upcoming"
    CLOSED = "closed", "Closed"


class NoticeState(models.TextChoices):
    """E1 triage: new → assessed (impact) → contacted (the named contact liaised with) → closed;
    or dismissed with its reason."""

    NEW = "new", "New"
    ASSESSED = "assessed", "Assessed"
    CONTACTED = "contacted", "Contacted"
    CLOSED = "closed", "Closed"
    DISMISSED = "dismissed", "Dismissed"


class ImpactLevel(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"


#: Triage step -> the states it may start from. Assessing again refines the assessment; a notice is
#: contacted only once assessed (the contact says what the impact is).
NOTICE_STEP_FROM: dict[str, tuple[str, ...]] = {
    "assess": (NoticeState.NEW, NoticeState.ASSESSED),
    "contact": (NoticeState.ASSESSED, NoticeState.CONTACTED),
    "close": (NoticeState.ASSESSED, NoticeState.CONTACTED),
    "dismiss": (NoticeState.NEW, NoticeState.ASSESSED),
}

NOTICE_STEP_LABELS = {
    "assess": "assess the impact",
    "contact": "record the contact with the named contact",
    "close": "close the notice",
    "dismiss": "dismiss the notice",
}
