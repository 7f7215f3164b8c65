"""`opsdesk demo` (issue 10 item 9): orders at several stages, idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from opsdesk.directory.models import Service
from opsdesk.notifications.models import Notification
from opsdesk.orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_demo_has_orders_at_every_stage_and_runs_twice(db):
    call_command("demo", stdout=io.StringIO())
    states = set(Order.objects.values_list("state", flat=True))
    assert states == {"enquiry", "project_management", "quoted", "received", "validated", "build", "enabled"}
    failed = Order.objects.get(title="Managed EKS for the web shop")
    assert {p["field"] for p in failed.validation_problems} == {
        "purchase_order",
        "billing_address",
        "requested_start",
    }
    overdue = Order.objects.get(title="Patient portal on ECS Fargate")
    assert overdue.acceptance_due_at < timezone.now()
    in_time = Order.objects.get(title="Cross-account backup with AWS Backup")
    assert in_time.acceptance_due_at > timezone.now()
    enabled = Order.objects.get(state="enabled")
    assert enabled.reference and Service.objects.get(pk=enabled.service_id).runbooks.count() == 2
    assert Notification.objects.filter(event="order.accepted").exists()
    count = Order.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Order.objects.count() == count
