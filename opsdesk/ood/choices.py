"""Vocabulary of Operations on Demand (G1–G4)."""

from django.db import models


class OfferingState(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", "Monthly (recurring)"
    ONE_TIME = "one_time", "One-time"


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DENIED = "denied", "Denied"


DECIDED = (RequestState.APPROVED, RequestState.PARTIALLY_APPROVED, RequestState.DENIED)


class ModificationState(models.TextChoices):
    """G5: a modification is approved, sent to scoping with the CSDM, or denied; once."""

    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    SCOPING_REQUIRED = "scoping_required", "Scoping required"
    DENIED = "denied", "Denied"


class EngagementStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


CURRENCIES = [("GBP", "GBP"), ("EUR", "EUR"), ("USD", "USD")]
DEFAULT_CURRENCY = "GBP"
#: More lines or accounts than any real request carries; keeps one request's work bounded.
MAX_LINES = 50
MAX_ACCOUNTS_PER_LINE = 200
