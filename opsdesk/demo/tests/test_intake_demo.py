"""The intake demo step (issue 12): `make run` shows alerts (one open, one resolved), security events
(paged to the security rota, and one below the paging severity) and an email in triage; the demo
endpoints answer to their documented tokens. Idempotent."""

import io

import pytest
from django.core.management import call_command

from opsdesk.alerts.models import Alert, SecurityEvent
from opsdesk.demo.intake import DEMO_EVENTBRIDGE_KEY, DEMO_SNS_TOKEN
from opsdesk.inbox import services as inbox
from opsdesk.inbox.models import Delivery
from opsdesk.incidents.models import InboundEmail
from opsdesk.oncall.models import EscalationPolicy, Page

pytestmark = pytest.mark.django_db


def test_the_demo_shows_alerts_security_events_and_triage_once():
    call_command("demo", stdout=io.StringIO())
    assert not Delivery.objects.exclude(state="processed").exists()
    assert set(Alert.objects.values_list("state", flat=True)) == {"open", "resolved"}
    routes = sorted(SecurityEvent.objects.values_list("route", flat=True))
    assert routes == ["below_threshold", "paged", "paged"]
    assert EscalationPolicy.objects.get(is_security=True).name == "Security events"
    assert Page.objects.filter(cause="security_event").count() == 2
    assert InboundEmail.objects.filter(incident__isnull=True).count() == 1
    assert inbox.sns_endpoint_exists(token=DEMO_SNS_TOKEN)
    assert inbox._key_by_token(DEMO_EVENTBRIDGE_KEY, "eventbridge") is not None
    counts = (Delivery.objects.count(), Alert.objects.count(), SecurityEvent.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (Delivery.objects.count(), Alert.objects.count(), SecurityEvent.objects.count()) == counts
