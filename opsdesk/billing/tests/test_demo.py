"""The billing demo (issue 12 item 6): weeks of tagged daily costs and one threshold crossed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from opsdesk.billing.models import BillingAlert, CostImport, DailyCost
from opsdesk.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_demo_has_weeks_of_costs_and_one_crossed_threshold():
    call_command("demo", stdout=io.StringIO())
    record = CostImport.objects.get()
    assert (record.period_end - record.period_start).days == 14 * 7 - 1
    assert DailyCost.objects.filter(tags__Environment="production").exists()
    alert = BillingAlert.objects.get()
    assert alert.account is None and alert.crossed == "percentage" and alert.change > 0
    assert Notification.objects.filter(event="billing.alert").exists()
    call_command("demo", stdout=io.StringIO())
    assert CostImport.objects.count() == 1 and BillingAlert.objects.count() == 1
