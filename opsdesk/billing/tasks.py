"""Huey tasks of billing reviews (issue 12 item 6): the weekly review. Safe to run twice: an alert
exists once per (organisation, account, week) and its notifications carry a dedup key."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.billing import services


@db_periodic_task(crontab(day_of_week="1", hour="7", minute="5"))
def billing_weekly_review() -> int:
    """Mondays 07:05 (server time, UTC): the week just ended against the one before (F4)."""
    return services.billing_alerts_weekly()
