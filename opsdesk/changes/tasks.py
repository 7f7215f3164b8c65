"""Huey task of change management: every minute, implementation that ran past its agreed window is
halted and escalated (D6). It keeps no state of its own: the change's state and window are the
record, re-read under lock, so a run that dies is finished by the next and two runs halt once."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.changes.services import changes_sweep


@db_periodic_task(crontab(minute="*"))
def changes_sweep_task() -> int:
    return changes_sweep()
