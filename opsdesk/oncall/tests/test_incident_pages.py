"""Every cause of issue 9 item 1 pages, once: a new P1/P2 (logged or proactive), each SLA warning
and breach, an escalation raised and one missing its target, and an RCA past due. The incidents
side calls oncall's seam (incidents/paging.py); the sla sweep's signals reach it through the
receivers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opsdesk.incidents import services as incidents
from opsdesk.incidents.escalations import services as escalations
from opsdesk.incidents.rca import services as rcas
from opsdesk.incidents.tests.conftest import log, logged_by_desk, london
from opsdesk.oncall.choices import PageCause
from opsdesk.oncall.models import Page

pytestmark = pytest.mark.django_db


def causes(**filters) -> list[str]:
    return sorted(Page.objects.filter(**filters).values_list("cause", flat=True))


def test_new_p1_and_p2_page_and_p3_p4_do_not(oncall):
    for priority in ("P1", "P2", "P3", "P4"):
        log(oncall, priority=priority, at=london(2026, 12, 1, 10))
    pages = Page.objects.filter(cause=PageCause.NEW_INCIDENT)
    assert sorted(pages.values_list("priority", flat=True)) == ["P1", "P2"]
    page = pages.get(priority="P1")
    assert page.organisation == oncall["org_a"] and page.url == f"/incidents/{page.incident_id}/"


def test_sla_warning_and_breach_page_once_each(oncall):
    # P3 logged Tue 10:00: initial response due 11:00, warning at 10:48 (incidents/tests/test_sla.py).
    incident = log(oncall, at=london(2026, 12, 1, 10, 0))
    assert causes() == []
    incidents.sla_sweep(now=london(2026, 12, 1, 10, 50))
    incidents.sla_sweep(now=london(2026, 12, 1, 10, 51))
    assert causes(incident_id=incident.pk) == [PageCause.SLA_WARNING_INITIAL]
    incidents.sla_sweep(now=london(2026, 12, 1, 11, 5))
    incidents.sla_sweep(now=london(2026, 12, 1, 15))
    incidents.sla_sweep(now=london(2026, 12, 1, 16))
    assert causes(incident_id=incident.pk) == sorted(
        [
            PageCause.SLA_BREACH_CONSIDERED,
            PageCause.SLA_BREACH_INITIAL,
            PageCause.SLA_WARNING_CONSIDERED,
            PageCause.SLA_WARNING_INITIAL,
        ]
    )


def test_an_escalation_pages_when_raised_and_when_it_misses_its_target(oncall):
    incident = logged_by_desk(
        oncall, title="Checkout slow", description="p95 5 s.", priority="P3", at=london(2026, 3, 10, 9)
    )
    escalation = escalations.escalation_raise(
        actor=oncall["customer_a"],
        incident=incident,
        criterion="poor_updates",
        details="Vague.",
        at=london(2026, 3, 10, 10),
    )
    page = Page.objects.get(cause=PageCause.ESCALATION_RAISED)
    assert (page.source_type, page.source_id, page.incident_id) == ("escalation", escalation.pk, incident.pk)
    # Acknowledgement due 11:00 (one working hour): missed.
    incidents.sla_sweep(now=london(2026, 3, 10, 11, 1))
    missed = Page.objects.get(cause=PageCause.ESCALATION_ACKNOWLEDGEMENT_MISSED)
    assert missed.source_id == escalation.pk and "acknowledgement" in missed.body
    incidents.sla_sweep(now=london(2026, 3, 10, 13))  # the considered response missed too: its own page
    assert Page.objects.filter(cause=PageCause.ESCALATION_ACKNOWLEDGEMENT_MISSED).count() == 1
    assert Page.objects.filter(cause=PageCause.ESCALATION_RESPONSE_MISSED).count() == 1


def test_an_rca_past_due_pages(oncall):
    desk = oncall["service_desk"]
    incident = logged_by_desk(oncall, title="Checkout down", description="503s.", priority="P2")
    now = timezone.now()
    report = rcas.rca_request(actor=desk, incident=incident, at=now - dt.timedelta(days=30))
    incidents.sla_sweep(now=now)
    page = Page.objects.get(cause=PageCause.RCA_OVERDUE)
    assert (page.source_type, page.source_id) == ("rca", report.pk)
