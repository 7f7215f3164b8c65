"""Huey tasks of sla. The deadline sweep keeps no state of its own: what is due and what was
already recorded are both in the Deadline rows, so a run that dies is finished by the next one and
two runs at once record each warning and breach once (architecture.md, "Durable work")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.sla.deadlines import deadlines_sweep


@db_periodic_task(crontab(minute="*"))
def deadlines_sweep_task() -> int:
    """B6: every minute, record the warnings and breaches of every kind of deadline that came due."""
    return deadlines_sweep()
