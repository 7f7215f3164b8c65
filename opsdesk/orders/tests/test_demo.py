"""`opsdesk demo` (issue 10 item 9): orders at several stages, idempotently."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from opsdesk.directory.models import Service
from opsdesk.notifications.models import Notification
from opsdesk.orders.models import Order, Quote
from opsdesk.orders.selectors import quote_status

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
    # raised by the customer's own contact; a revised quote keeps both versions; one quote expired
    enquiry = Order.objects.get(title="Data lake on S3 and Athena")
    assert enquiry.enquirer is not None and enquiry.enquirer.organisation_id == enquiry.organisation_id
    revised = Order.objects.get(title="SageMaker research platform")
    assert [(q.number, q.superseded_at is not None) for q in revised.quotes.order_by("number")] == [
        (1, True),
        (2, False),
    ]
    assert revised.quote_total == Decimal("9970.00")
    expired = Quote.objects.get(order__title="Amazon Connect contact centre")
    assert quote_status(expired) == "expired"
    count = Order.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Order.objects.count() == count
