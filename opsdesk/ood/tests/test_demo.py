"""The demo step of Operations on Demand: a catalogue, requests in every state and engagements,
made through the services and idempotent."""

import io

import pytest
from django.core.management import call_command

from opsdesk.ood.models import Engagement, Offering, OfferingRate, OodRequest

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
    assert states == ["approved", "denied", "partially_approved", "submitted"]
    assert Engagement.objects.count() == 4  # 2 EKS accounts, 1 SAP account, 1 Control Tower one-time
    agreed = Engagement.objects.filter(agreed_start=True)
    assert agreed.count() == 2 and all(e.agreed_with for e in agreed)
    counts = (Offering.objects.count(), OodRequest.objects.count(), Engagement.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (Offering.objects.count(), OodRequest.objects.count(), Engagement.objects.count()) == counts
