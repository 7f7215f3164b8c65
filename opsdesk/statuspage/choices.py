"""Vocabulary of the status page (C8), in the terms status-page readers know (Statuspage-like)."""

from django.db import models


class StatusImpact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


#: Worst first is the highest rank; the banner shows the worst impact among ongoing incidents.
IMPACT_RANK = {StatusImpact.NONE: 0, StatusImpact.MINOR: 1, StatusImpact.MAJOR: 2, StatusImpact.CRITICAL: 3}


class StatusIncidentState(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


#: Incidents only move forward along this order; resolved is final.
INCIDENT_STATE_ORDER = [s.value for s in StatusIncidentState]


MAX_COMPONENTS = 20
MAX_COMPONENT_LENGTH = 100
