"""The on-call demo step: a team, a weekly rota with someone on call now, the default policy; and
the demo's P1/P2 incidents paged someone. Idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from opsdesk.oncall import selectors
from opsdesk.oncall.models import EscalationPolicy, Page, Rota, Team

pytestmark = pytest.mark.django_db


def test_the_demo_sets_up_on_call_once():
    call_command("demo", stdout=io.StringIO())
    rota = Rota.objects.get(name="Primary on-call")
    assert selectors.rota_oncall(rota=rota).now is not None
    assert EscalationPolicy.objects.get(is_default=True).name == "Default paging"
    assert Page.objects.filter(cause="new_incident").exists()
    assert not Page.objects.filter(flagged=True, cause="new_incident").exists()
    counts = (Team.objects.count(), Rota.objects.count(), EscalationPolicy.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (Team.objects.count(), Rota.objects.count(), EscalationPolicy.objects.count()) == counts
