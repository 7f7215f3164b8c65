"""Pages stop when nobody needs calling any more (issue 9 item 1): the initial response given ends
the pages that asked for it, a resolved or closed incident ends its pages and its escalations',
an escalation acknowledged or answered ends its own and a submitted RCA its overdue page. A stopped
page says so with its reason and time on its page and in the list, is audited, and neither the
policy nor the sweep notifies it again. Raising an incident to P1/P2 pages once per raise, and
each distinct escalation target missed pages once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import AuditAction, AuditEvent
from opsdesk.incidents import services as incidents
from opsdesk.incidents.escalations import services as escalations
from opsdesk.incidents.rca import services as rcas
from opsdesk.incidents.tests.conftest import log, logged_by_desk, london
from opsdesk.oncall import services
from opsdesk.oncall.choices import PageCause, PageState
from opsdesk.oncall.models import Page, PageRecipient
from opsdesk.oncall.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def sent(page: Page) -> int:
    return PageRecipient.objects.filter(page=page).count()


def sweep_through_the_policy(start: dt.datetime) -> None:
    for minutes in (0, 11, 21, 31, 41, 61):
        services.pages_sweep(now=start + dt.timedelta(minutes=minutes))


def slow_checkout(world):
    """A P3 the service desk logged on Tuesday 10 March 2026 at 09:00."""
    return logged_by_desk(
        world, title="Checkout slow", description="p95 5 s.", priority="P3", at=london(2026, 3, 10, 9)
    )


def escalate(world, incident):
    """The customer escalates it at 10:00: level 2, acknowledgement due 11:00, response 12:00."""
    return escalations.escalation_raise(
        actor=world["customer_a"],
        incident=incident,
        criterion="poor_updates",
        details="Vague.",
        at=london(2026, 3, 10, 10),
    )


def test_the_initial_response_stops_the_new_incident_page(oncall):
    desk = oncall["service_desk"]
    incident = log(oncall, priority="P1", at=london(2026, 12, 3, 3, 0))
    page = Page.objects.get(incident_id=incident.pk, cause=PageCause.NEW_INCIDENT)
    start = timezone.now()
    assert services.pages_sweep(now=start) == 1  # the engineer on call
    incidents.incident_acknowledge(actor=desk, incident=incident)
    page.refresh_from_db()
    assert page.state == PageState.STOPPED and page.next_step_at is None
    assert page.stop_reason == "The initial response was given." and page.stopped_at is not None
    # Ten minutes on the manager would be next, then the whole team: nobody is.
    sweep_through_the_policy(start)
    assert sent(page) == 1
    # Audited as a change of the page, by whoever responded.
    audit = AuditEvent.objects.filter(
        object_type="oncall.page", object_id=str(page.pk), action=AuditAction.UPDATE
    )
    assert audit.filter(actor=desk).exists()
    # Nobody can acknowledge it any more; the page says why.
    with pytest.raises(ValidationFailed) as stopped:
        services.page_acknowledge(actor=oncall["first"], page=page)
    assert "The initial response was given." in stopped.value.errors[0]["message"]
    client = client_for(oncall["first"])
    detail = client.get(reverse("oncall:page_detail", args=[page.pk])).content.decode()
    assert "Stopped" in detail and "The initial response was given." in detail
    assert 'data-testid="acknowledge"' not in detail
    listing = client.get(reverse("oncall:page_list")).content.decode()
    assert "Stopped" in listing and "The initial response was given." in listing
    api = client.get(f"/api/v1/oncall/pages/{page.pk}").json()
    assert api["state"] == "stopped" and api["stop_reason"] == "The initial response was given."


def test_resolving_stops_the_incident_and_escalation_pages_but_not_an_acknowledged_one(oncall):
    desk = oncall["service_desk"]
    incident = slow_checkout(oncall)
    incident = incidents.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 3, 10, 9, 5))
    # Raised to P1 after the initial response: that raise pages.
    incident = incidents.incident_change_priority(actor=desk, incident=incident, priority="P1")
    raised = Page.objects.get(incident_id=incident.pk, cause=PageCause.PRIORITY_RAISED)
    escalation = escalate(oncall, incident)
    escalated = Page.objects.get(cause=PageCause.ESCALATION_RAISED, source_id=escalation.pk)
    start = timezone.now()
    services.pages_sweep(now=start)
    assert sent(raised) == 1 and sent(escalated) == 1
    services.page_acknowledge(actor=raised.recipients.get().user, page=raised)

    incidents.incident_resolve(actor=desk, incident=incident, summary="Capacity added; p95 back to 200 ms.")
    escalated.refresh_from_db()
    raised.refresh_from_db()
    assert escalated.state == PageState.STOPPED
    assert escalated.stop_reason == f"Incident {incident.reference} was resolved."
    assert raised.state == PageState.ACKNOWLEDGED  # what a human already took stays theirs
    sweep_through_the_policy(start)
    assert sent(escalated) == 1 and sent(raised) == 1


def test_closing_stops_what_resolving_left_and_the_sweep_pages_none_of_it(oncall):
    desk = oncall["service_desk"]
    incident = log(oncall, priority="P2", at=london(2026, 12, 3, 3, 0))
    incident = incidents.incident_acknowledge(actor=desk, incident=incident)
    incident = incidents.incident_resolve(actor=desk, incident=incident, summary="Restarted the pool.")
    # A page raised about the incident after it was resolved (an escalation target, say).
    late = services.page_raise(
        source_type="incident",
        source_id=incident.pk,
        incident_id=incident.pk,
        cause=PageCause.SLA_BREACH_CONSIDERED,
        title=f"{incident.reference} late",
    )
    incidents.incident_close(actor=desk, incident=incident, customer_confirmed=True, reason="Phoned Ana.")
    late.refresh_from_db()
    assert (
        late.state == PageState.STOPPED and late.stop_reason == f"Incident {incident.reference} was closed."
    )
    sweep_through_the_policy(timezone.now())
    assert sent(late) == 0


def test_escalation_pages_stop_when_acknowledged_and_answered(oncall):
    incident = slow_checkout(oncall)
    escalation = escalate(oncall, incident)
    raised = Page.objects.get(cause=PageCause.ESCALATION_RAISED)
    escalation = escalations.escalation_acknowledge(
        actor=oncall["cloud_support_manager"], escalation=escalation, at=london(2026, 3, 10, 10, 30)
    )
    raised.refresh_from_db()
    assert raised.state == PageState.STOPPED and raised.stop_reason == "The escalation was acknowledged."
    # The considered response (due 12:00) missed: that pages, and the answer stops it.
    incidents.sla_sweep(now=london(2026, 3, 10, 12, 5))
    missed = Page.objects.get(cause=PageCause.ESCALATION_RESPONSE_MISSED)
    assert missed.state == PageState.OPEN
    escalations.escalation_respond(
        actor=oncall["cloud_support_manager"], escalation=escalation, response="Pool resized; watching."
    )
    missed.refresh_from_db()
    assert missed.state == PageState.STOPPED
    assert missed.stop_reason == "The escalation's considered response was given."


def test_a_submitted_rca_stops_its_overdue_page(oncall):
    desk = oncall["service_desk"]
    incident = logged_by_desk(oncall, title="Checkout down", description="503s.", priority="P2")
    now = timezone.now()
    report = rcas.rca_request(actor=desk, incident=incident, at=now - dt.timedelta(days=30))
    incidents.sla_sweep(now=now)
    page = Page.objects.get(cause=PageCause.RCA_OVERDUE)
    rcas.rca_update(
        actor=desk,
        rca=report,
        impact="Checkout down 40 min.",
        timeline_of_events="02:10 alarms; 02:50 pool resized.",
        monitoring_assessment="No alert on pool use.",
        lessons_learned="Watch the pool.",
        recommendations="Alert on pool use.",
    )
    rcas.rca_action_add(actor=desk, rca=report, description="Add the pool alert.")
    rcas.rca_submit(actor=desk, rca=report)
    page.refresh_from_db()
    assert page.state == PageState.STOPPED and page.stop_reason == "The root-cause analysis was submitted."


# --- raising the priority pages (item 2) ---------------------------------------------------------


def test_raising_to_p2_then_p1_pages_once_per_raise(oncall):
    desk = oncall["service_desk"]
    incident = log(oncall, priority="P4", at=london(2026, 12, 1, 10))
    assert not Page.objects.filter(incident_id=incident.pk).exists()
    incident = incidents.incident_change_priority(actor=desk, incident=incident, priority="P3")
    assert not Page.objects.filter(incident_id=incident.pk).exists()  # P3 is not paged
    incident = incidents.incident_change_priority(actor=desk, incident=incident, priority="P2")
    incident = incidents.incident_change_priority(actor=desk, incident=incident, priority="P2")  # saved again
    pages = Page.objects.filter(incident_id=incident.pk, cause=PageCause.PRIORITY_RAISED)
    assert [p.body for p in pages] == ["Raised from P3 to P2: respond within its target."]
    # P2 to P1: the target tightened, so that pages too; lowering pages nobody.
    incident = incidents.incident_change_priority(actor=desk, incident=incident, priority="P1")
    incident = incidents.incident_change_priority(actor=desk, incident=incident, priority="P3")
    assert sorted(p.body for p in pages.all()) == [
        "Raised from P2 to P1: respond within its target.",
        "Raised from P3 to P2: respond within its target.",
    ]
    page = pages.get(body__startswith="Raised from P2")
    assert page.priority == "P1" and page.title.startswith(f"{incident.reference} P1")


# --- each distinct escalation target missed pages (item 3) -----------------------------------------


def test_each_escalation_target_missed_pages_once_per_target_and_level(oncall):
    customer = oncall["customer_a"]
    incident = slow_checkout(oncall)
    level2 = escalate(oncall, incident)
    missed = Page.objects.filter(incident_id=incident.pk, cause__endswith="_missed")
    # Acknowledgement due 11:00 (one working hour): missed, once however often the sweep runs.
    incidents.sla_sweep(now=london(2026, 3, 10, 11, 1))
    incidents.sla_sweep(now=london(2026, 3, 10, 11, 30))
    assert list(missed.values_list("cause", "occurrence")) == [
        (PageCause.ESCALATION_ACKNOWLEDGEMENT_MISSED, "level 2")
    ]
    # The considered response due 12:00 missed too: a second page.
    incidents.sla_sweep(now=london(2026, 3, 10, 12, 1))
    incidents.sla_sweep(now=london(2026, 3, 10, 12, 2))
    assert sorted(missed.values_list("cause", "occurrence")) == sorted(
        [
            (PageCause.ESCALATION_ACKNOWLEDGEMENT_MISSED, "level 2"),
            (PageCause.ESCALATION_RESPONSE_MISSED, "level 2"),
        ]
    )
    assert "considered response" in missed.get(cause=PageCause.ESCALATION_RESPONSE_MISSED).body
    # Moved up to level 3 (level 2's pages stop), which misses its considered response (15:05).
    level3 = escalations.escalation_raise_level(
        actor=customer, escalation=level2, criterion="plan_not_met", at=london(2026, 3, 10, 12, 5)
    )
    assert set(missed.values_list("state", flat=True)) == {PageState.STOPPED}
    incidents.sla_sweep(now=london(2026, 3, 10, 15, 10))
    incidents.sla_sweep(now=london(2026, 3, 10, 15, 20))
    level3_missed = missed.filter(source_id=level3.pk)
    assert list(level3_missed.values_list("cause", "occurrence", "state")) == [
        (PageCause.ESCALATION_RESPONSE_MISSED, "level 3", PageState.OPEN)
    ]
