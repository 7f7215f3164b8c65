"""Huey task of reports: every minute, the roll-up rows the database triggers marked are
recomputed (reports.services.refresh_all_marked), so that reports seldom have to refresh on read.
It keeps no state of its own: the marks are rows, deleted in the transaction that writes the new
figures, so a run that dies is redone by the next one."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.incidents.reports.services import refresh_all_marked


@db_periodic_task(crontab(minute="*"))
def rollup_refresh_task() -> int:
    return refresh_all_marked()
