"""Huey tasks of incidents. The SLA sweep keeps no state of its own: what is due and what was
already recorded are both in the database, so a run that dies is finished by the next one and two
runs at once record each warning and breach once (architecture.md, "Durable work")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def incidents_sla_sweep() -> int:
    """B6: every minute, record and notify the SLA warnings and breaches that have come due."""
    from opsdesk.incidents.services import sla_sweep

    return sla_sweep()
