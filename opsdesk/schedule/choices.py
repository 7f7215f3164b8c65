from django.db import models


class WindowKind(models.TextChoices):
    CHANGE = "change", "Change"
    PROVIDER_MAINTENANCE = "provider_maintenance", "Provider maintenance"
    CUSTOMER_MAINTENANCE = "customer_maintenance", "Customer maintenance"
    BLACKOUT = "blackout", "Blackout"


class WindowPhase(models.TextChoices):
    """The source's own states, normalised: what the calendar, the feeds and overlap checks need."""

    PLANNED = "planned", "Planned"
    UNDER_WAY = "under_way", "Under way"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


#: Phases that hold their slot: a new window overlapping one of these is flagged.
HOLDING_PHASES = (WindowPhase.PLANNED, WindowPhase.UNDER_WAY)
