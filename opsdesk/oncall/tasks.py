"""Huey tasks of on-call (issue 9 item 1). They take ids and are safe to run twice: a page is
worked only under the claim token its claim wrote (architecture.md, "Durable work")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.oncall import services


@db_task()
def advance_page(page_id: int) -> int:
    """Scheduled on commit by page_raise: the first step at once, without waiting for the sweep."""
    return sum(
        services.page_run(page_id=pk, token=token) for pk, token in services.pages_claim(page_id=page_id)
    )


@db_periodic_task(crontab(minute="*"))
def pages_sweep_task() -> int:
    """Every minute: the next step of every page whose wait is over, and the pages of dead workers."""
    return services.pages_sweep()
