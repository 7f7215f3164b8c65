"""Root-cause analysis pages (C6) and the customer home's open
incidents panel (C4, L4): through the Django client, each page calling through to its service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.incidents import services
from opsdesk.incidents.rca import services as rca_services
from opsdesk.incidents.rca.models import RcaState, RootCauseAnalysis
from opsdesk.incidents.selectors import checklist_list
from opsdesk.incidents.tests.conftest import client_for, log
from opsdesk.testing.world import CANARY_B

pytestmark = pytest.mark.django_db

SECTIONS = {
    "impact": "Checkout **unavailable** for 40 minutes.",
    "timeline_of_events": "09:02 alarm; 09:42 restored.",
    "monitoring_assessment": "No alarm on the connection pool.",
    "lessons_learned": "Pool exhaustion was not visible.",
    "recommendations": "Alarm on pool usage.",
}


def url(name: str, *args) -> str:
    return reverse(f"incidents:{name}", args=args)


def p2(world, tag: str = "a", title: str = "Checkout degraded"):
    return services.incident_log(
        actor=world["service_desk"],
        reported_by=world[f"contact_{tag}"],
        service=world[f"service_{tag}"],
        title=title,
        description="Slow",
        priority="P2",
        diagnostics_confirmed=list(checklist_list().values_list("pk", flat=True)),
    )


@pytest.fixture
def report(world):
    return rca_services.rca_request(actor=world["service_desk"], incident=p2(world))


@pytest.fixture
def desk(world):
    return client_for(world["service_desk"])


def fresh(report) -> RootCauseAnalysis:
    return RootCauseAnalysis.objects.get(pk=report.pk)


def test_staff_submit_names_each_empty_section_then_edits_and_submits(world, desk, report):
    page = desk.get(url("rca_detail", report.pk))
    assert page.status_code == 200
    assert b"Not written yet" in page.content

    response = desk.post(url("rca_submit", report.pk), {"version": report.version})
    assert response.status_code == 200
    text = response.content.decode()
    for label in ("Impact of the incident", "Timeline of events", "Lessons learned", "action plan has no"):
        assert label in text
    assert fresh(report).state == RcaState.DRAFT

    edit = desk.get(url("rca_edit", report.pk))
    assert edit.status_code == 200
    response = desk.post(url("rca_edit", report.pk), {"version": report.version, **SECTIONS})
    assert response.status_code == 302
    saved = fresh(report)
    assert saved.impact == SECTIONS["impact"]

    # The sections render as Markdown.
    page = desk.get(url("rca_detail", report.pk))
    assert b"<strong>unavailable</strong>" in page.content

    response = desk.post(url("rca_action_add", report.pk), {"description": "Add a pool alarm"})
    assert response.status_code == 302
    response = desk.post(url("rca_submit", report.pk), {"version": fresh(report).version})
    assert response.status_code == 302
    assert fresh(report).state == RcaState.SUBMITTED


def test_stale_edit_is_refused(desk, report):
    stale = report.version
    assert desk.post(url("rca_edit", report.pk), {"version": stale, "impact": "First"}).status_code == 302
    response = desk.post(url("rca_edit", report.pk), {"version": stale, "impact": "Second"})
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert fresh(report).impact == "First"


def test_edit_saves_with_its_message_and_a_submitted_report_refuses_edits_on_the_form(world, desk, report):
    page = desk.get(url("rca_edit", report.pk))
    assert page.context["title"] == f"Root-cause analysis of {report.incident.reference}"
    assert page.context["cancel_url"] == url("rca_detail", report.pk)
    saved = desk.post(url("rca_edit", report.pk), {"version": report.version, **SECTIONS}, follow=True)
    assert saved.redirect_chain == [(url("rca_detail", report.pk), 302)]
    assert "Root-cause analysis saved." in saved.content.decode()

    rca_services.rca_action_add(
        actor=world["service_desk"], rca=fresh(report), description="Alarm on the pool"
    )
    rca_services.rca_submit(actor=world["service_desk"], rca=fresh(report))
    data = {**SECTIONS, "impact": "Rewritten after submission", "version": fresh(report).version}
    refused = desk.post(url("rca_edit", report.pk), data)
    assert refused.status_code == 200
    assert "can no longer be edited" in " ".join(refused.context["form"].non_field_errors())
    assert "Save sections" in refused.content.decode()
    assert fresh(report).impact == SECTIONS["impact"]


def test_action_add_errors_and_done(world, desk, report):
    response = desk.post(url("rca_action_add", report.pk), {"description": ""})
    assert response.status_code == 200
    assert "Describe the action." in response.content.decode()
    assert not report.actions.exists()

    response = desk.post(
        url("rca_action_add", report.pk),
        {
            "description": "Update the restart runbook",
            "owner": world["engineer"].pk,
            "due_date": "2030-01-31",
            "runbook_update": "on",
        },
    )
    assert response.status_code == 302
    action = report.actions.get()
    assert (
        action.runbook_update
        and action.owner == world["engineer"]
        and action.due_date == dt.date(2030, 1, 31)
    )
    page = desk.get(url("rca_detail", report.pk)).content.decode()
    assert "Update the restart runbook" in page and "Mark done" in page

    response = desk.post(url("rca_action_done", action.pk), {"done": "True", "version": action.version})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
    assert 'data-testid="action-done"' in desk.get(url("rca_detail", report.pk)).content.decode()


def test_customer_reads_and_accepts_but_cannot_write(world, report):
    desk = world["service_desk"]
    rca_services.rca_update(actor=desk, rca=report, **SECTIONS)
    rca_services.rca_action_add(actor=desk, rca=report, description="Alarm")
    customer = client_for(world["customer_a"])

    page = customer.get(url("rca_detail", report.pk)).content.decode()
    assert "Accept this report" not in page and "Edit sections" not in page
    assert customer.post(url("rca_edit", report.pk), {"version": 1, **SECTIONS}).status_code == 403
    assert customer.post(url("rca_submit", report.pk), {"version": 1}).status_code == 403

    rca_services.rca_submit(actor=desk, rca=fresh(report))
    page = customer.get(url("rca_detail", report.pk)).content.decode()
    assert "Accept this report" in page
    assert customer.post(url("rca_accept", report.pk)).status_code == 302
    accepted = fresh(report)
    assert accepted.state == RcaState.ACCEPTED and accepted.accepted_by == world["customer_a"]
    # Accepting twice: the service's error comes back on the page (no accept form any more: shown bound).
    response = customer.post(url("rca_accept", report.pk))
    assert response.status_code == 200 and "Only a submitted report" in response.content.decode()


def test_customer_of_another_organisation_gets_404(world, report):
    other = client_for(world["customer_b"])
    action = rca_services.rca_action_add(actor=world["service_desk"], rca=report, description="Alarm")
    assert other.get(url("rca_detail", report.pk)).status_code == 404
    assert other.get(url("rca_history", report.pk)).status_code == 404
    assert other.post(url("rca_accept", report.pk)).status_code == 404
    assert other.post(url("rca_action_done", action.pk), {"version": 1}).status_code == 404
    listing = other.get(url("rca_list"))
    assert listing.status_code == 200
    assert list(listing.context["listing"].page.object_list) == []
    # Their own organisation's reports are listed.
    own = rca_services.rca_request(actor=world["service_desk"], incident=p2(world, "b", f"B {CANARY_B}"))
    listing = other.get(url("rca_list"))
    assert [r.pk for r in listing.context["listing"].page.object_list] == [own.pk]


def test_overdue_filter(world, desk, report):
    late = rca_services.rca_request(actor=world["service_desk"], incident=p2(world, title="Late one"))
    RootCauseAnalysis.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=2))

    everything = desk.get(url("rca_list"))
    assert {r.pk for r in everything.context["listing"].page.object_list} == {report.pk, late.pk}
    overdue = desk.get(url("rca_list"), {"overdue": "yes"})
    assert [r.pk for r in overdue.context["listing"].page.object_list] == [late.pk]
    assert 'data-testid="overdue"' in overdue.content.decode()
    on_time = desk.get(url("rca_list"), {"overdue": "no"})
    assert [r.pk for r in on_time.context["listing"].page.object_list] == [report.pk]
    partial = desk.get(url("rca_list"), {"overdue": "yes"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"Late one" in partial.content
    assert 'data-testid="overdue"' in desk.get(url("rca_detail", late.pk)).content.decode()


def test_incident_page_links_to_its_rca(desk, report):
    page = desk.get(url("detail", report.incident_id)).content.decode()
    assert url("rca_detail", report.pk) in page


def test_customer_home_shows_their_open_incidents_only(world):
    mine = log(world, title="Mine is broken", description="x")
    theirs = world["service_b"].reference
    log(world, who="customer_b", title="Theirs is broken", description="x", service_reference=theirs)
    response = client_for(world["customer_a"]).get(reverse("web:home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your open incidents" in text
    assert [i.pk for i in response.context["open_incidents"]] == [mine.pk]
    assert "Mine is broken" in text and "Theirs is broken" not in text
    assert reverse("incidents:log") in text and "Log an incident" in text
