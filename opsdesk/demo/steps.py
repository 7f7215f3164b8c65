"""The order in which the apps' demo steps run (L5): the directory's first (staff, customers, their
accounts and services), then the apps that refer to them. A new app with demo data adds its step
here, after the steps whose data it reads from `Demo`."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from opsdesk.billing.demo import build_billing
from opsdesk.changes.demo import build_changes
from opsdesk.demo.intake import build_intake
from opsdesk.directory import demo as directory_demo
from opsdesk.directory.demo import Demo, administrator
from opsdesk.incidents.demo import build_incidents
from opsdesk.maintenance.demo import build_maintenance
from opsdesk.oncall.demo import build_oncall
from opsdesk.ood.demo import build_ood
from opsdesk.orders.demo import build_orders
from opsdesk.statuspage.demo import build_status

STEPS: list[Callable[[Demo], None]] = [
    *directory_demo.STEPS,
    build_oncall,  # before incidents: a demo P1/P2 pages whoever is on call
    build_incidents,
    build_status,
    build_ood,
    build_orders,
    build_changes,
    build_maintenance,
    build_billing,
    build_intake,  # last: its alarms and events go through incidents, on-call and maintenance
]


def run_demo() -> Demo:
    """Create whatever of the demo data is missing, all or nothing."""
    with transaction.atomic():
        admin, created = administrator()
        demo = Demo(admin=admin, created=int(created))
        for step in STEPS:
            step(demo)
    return demo
