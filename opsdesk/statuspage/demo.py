"""Demo entries of the public status page (C8): a resolved provider-wide incident. Its planned
provider-wide maintenance is the maintenance app's (maintenance/demo.py). Idempotent by title."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.statuspage import services
from opsdesk.statuspage.models import StatusIncident

INCIDENT_TITLE = "Delayed alarm notifications"


def build_status(demo: Any) -> None:
    actor = demo.staff[Role.SERVICE_DESK]
    now = timezone.now().replace(second=0, microsecond=0)
    if not StatusIncident.objects.filter(title=INCIDENT_TITLE).exists():
        demo.created += 1
        incident = services.status_incident_create(
            actor=actor,
            title=INCIDENT_TITLE,
            impact="minor",
            body="Some CloudWatch alarm notifications are reaching the service desk up to 10 minutes late.",
            components=["Monitoring and alerting"],
            started_at=now - dt.timedelta(days=2, hours=3),
        )
        services.status_incident_post_update(
            actor=actor,
            incident=incident,
            state="identified",
            body="A queue consumer was under-provisioned after a deployment; more capacity is being added.",
        )
        incident.refresh_from_db()
        services.status_incident_post_update(
            actor=actor,
            incident=incident,
            state="resolved",
            body="Notifications are arriving on time again. We are adding an alarm on consumer lag.",
        )
