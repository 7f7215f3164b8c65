from django.db import models


class Priority(models.TextChoices):
    P1 = "P1", "P1 — business critical"
    P2 = "P2", "P2 — degraded"
    P3 = "P3", "P3 — general"
    P4 = "P4", "P4 — query"


class Clock(models.TextChoices):
    ALWAYS = "24x7", "24x7 (elapsed time)"
    BUSINESS = "business", "Business hours (the organisation's calendar)"


class TargetKind(models.TextChoices):
    INITIAL = "initial", "Initial response"
    CONSIDERED = "considered", "Considered response"
