"""The demo step of Operations on Demand: a catalogue, requests in every state and engagements,
made through the services and idempotent."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from opsdesk.ood.demo import RUNNING
from opsdesk.ood.models import (
    Engagement,
    EngagementAllocation,
    Modification,
    MonthClose,
    Offering,
    OfferingRate,
    OodRequest,
    TimeEntry,
)

pytestmark = pytest.mark.django_db


def test_demo_catalogue_requests_and_engagements():
    call_command("demo", stdout=io.StringIO())
    assert set(Offering.objects.values_list("name", flat=True)) == {
        "EKS maintenance",
        "Control Tower operations",
        "SAP cluster management",
    }
    assert OfferingRate.objects.filter(offering__name="EKS maintenance").count() == 2
    states = sorted(OodRequest.objects.values_list("state", flat=True))
    assert states == ["approved", "approved", "approved", "denied", "partially_approved", "submitted"]
    # 2 EKS accounts, 1 SAP account, 1 Control Tower one-time, 1 Control Tower running since two
    # months ago, 1 Control Tower whose kick-off is overdue
    assert Engagement.objects.count() == 6
    agreed = Engagement.objects.filter(agreed_start=True)
    assert agreed.count() == 3 and all(e.agreed_with for e in agreed)
    # issue 10: every engagement has its start deadline; the running one was kicked off on time,
    # one is overdue
    now = timezone.now()
    assert all(e.start_due_at is not None for e in Engagement.objects.all())
    running = Engagement.objects.get(line__request__notes=RUNNING)
    assert running.started_at is not None and running.started_at <= running.start_due_at
    overdue = [e for e in Engagement.objects.all() if e.start_overdue(now)]
    assert [e.account.account_id for e in overdue] == ["641728390517"]
    # G6: time logged, and last month closed with its statement frozen.
    assert TimeEntry.objects.filter(month__lt=timezone.localdate().replace(day=1)).count() == 3
    (close,) = MonthClose.objects.all()
    (line,) = close.lines.all()
    assert (line.offering, line.hours_used) == ("Control Tower operations", Decimal("21.75"))
    assert (line.billed_blocks, line.overrun_hours) == (1, Decimal("1.75"))  # flagged, not billed
    assert close.closed_by.role == "billing"

    # G5: blocks up approved (a second allocation row, the first kept); scoping, then a follow-up.
    states = dict(Modification.objects.values_list("notes", "state"))
    assert sorted(states.values()) == ["approved", "scoping_required", "submitted"]
    up = Modification.objects.get(state="approved")
    rows = EngagementAllocation.objects.filter(engagement=up.engagement).values_list("blocks", flat=True)
    assert list(rows) == [1, 2]
    follow_up = Modification.objects.get(state="submitted")
    assert follow_up.follows.state == "scoping_required"

    def counts():
        models = (Offering, OodRequest, Engagement, TimeEntry, MonthClose, Modification, EngagementAllocation)
        return [m.objects.count() for m in models]

    before = counts()
    call_command("demo", stdout=io.StringIO())
    assert counts() == before
