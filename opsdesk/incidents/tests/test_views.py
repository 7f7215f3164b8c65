"""Incident pages (C1–C7, B3–B6, L4): the queue's order, filters, htmx partial and constant query
count; logging with inline errors that store nothing; the incident page's targets, timeline and
tenancy; every action form calling through to its service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.selectors import checklist_list
from opsdesk.incidents.tests.routes import INCIDENT_ROUTES
from opsdesk.testing import walk
from opsdesk.testing.world import CANARY_A, CANARY_B

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args) -> str:
    return reverse(f"incidents:{name}", args=args)


@pytest.fixture
def w(world_with_extras):
    return world_with_extras


@pytest.fixture
def desk(client, w):
    client.force_login(w["service_desk"])
    return client


@pytest.fixture
def customer_a(w):
    c = Client()
    c.force_login(w["customer_a"])
    return c


def rows(response) -> list:
    return list(response.context["listing"].page.object_list)


def checks() -> list[int]:
    return list(checklist_list().values_list("pk", flat=True))


def log(w, *, priority="P3", at=None, tag="a", title="Queue test"):
    return services.incident_log(
        actor=w[f"customer_{tag}"],
        service=w[f"service_{tag}"],
        title=title,
        description="Something is wrong",
        priority=priority,
        diagnostics_confirmed=checks(),
        logged_at=at,
    )


# --- the queue -------------------------------------------------------------------------------------


def test_queue_is_sorted_by_next_target_with_none_last(desk, w):
    now = timezone.now()
    p4 = log(w, priority="P4", at=now - dt.timedelta(minutes=5), title="P4")
    p1 = log(w, priority="P1", at=now - dt.timedelta(minutes=1), title="P1")
    resolved = services.incident_resolve(
        actor=w["service_desk"],
        incident=services.incident_acknowledge(actor=w["service_desk"], incident=log(w, title="done")),
        summary="Fixed it for good.",
    )
    listed = rows(desk.get(url("queue"), {"state": "all"}))
    dues = [i.next_target_at for i in listed]
    known = [d for d in dues if d is not None]
    assert known == sorted(known)
    assert dues.index(None) == len(known), "incidents without a next target come last"
    assert listed.index(p1) < listed.index(p4)
    assert resolved in listed and resolved.next_target_at is None
    # The default is the open queue: resolved incidents are not in it.
    assert resolved not in rows(desk.get(url("queue")))


def test_queue_filters(desk, w):
    p1 = log(w, priority="P1", title="Checkout down")
    b = log(w, tag="b", title="Other tenant")
    assert [i.pk for i in rows(desk.get(url("queue"), {"priority": "P1"}))] == [p1.pk]
    assert {i.organisation_id for i in rows(desk.get(url("queue"), {"organisation": w["org_b"].pk}))} == {
        w["org_b"].pk
    }
    assert [i.pk for i in rows(desk.get(url("queue"), {"q": "checkout"}))] == [p1.pk]
    assert b in rows(desk.get(url("queue"), {"state": "new"}))
    assert rows(desk.get(url("queue"), {"state": "closed"})) == []
    services.incident_assign(actor=w["service_desk"], incident=p1, assignee=w["engineer"].pk)
    assert [i.pk for i in rows(desk.get(url("queue"), {"assignee": w["engineer"].pk}))] == [p1.pk]


def test_queue_htmx_returns_only_the_table_and_rows_carry_countdowns(desk, w):
    incident = log(w)
    full = desk.get(url("queue"))
    assert b"<html" in full.content and b"countdown.js" in full.content
    partial = desk.get(url("queue"), {"q": incident.reference}, **HTMX)
    text = partial.content.decode()
    assert "<html" not in text and 'id="rows"' in text
    assert incident.reference in text
    assert f'data-deadline="{timezone.localtime(incident.next_target_at).isoformat()}"' in text
    assert "data-warning=" in text and "data-sla-row" in text


def test_queue_marks_warning_and_breached_rows(desk, w):
    now = timezone.now()
    breached = log(w, priority="P1", at=now - dt.timedelta(hours=3), title="Late")
    warning = log(w, priority="P1", at=now - dt.timedelta(minutes=13), title="Soon")  # 80 % of 15 min = 12
    fresh = log(w, priority="P1", at=now, title="Fresh")
    listed = {i.pk: i for i in rows(desk.get(url("queue")))}
    assert listed[breached.pk].sla_status == "breached"
    assert listed[warning.pk].sla_status == "warning"
    assert listed[fresh.pk].sla_status == ""
    text = desk.get(url("queue"), {"q": "Late"}).content.decode()
    assert "sla-breached" in text


def test_queue_costs_a_constant_number_of_queries(desk, w):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(url("queue"), {"state": "all"}).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(4):
        incident = log(w, title=f"More {i}", tag="a" if i % 2 else "b")
        services.incident_assign(actor=w["service_desk"], incident=incident, assignee=w["engineer"].pk)
    assert count() == before


def test_queue_countdown_writes_the_due_time_in_the_one_format(desk, w):
    """The countdown tag writes the due time in the one format of pages (core.humanize), in the
    provider's zone in winter (GMT) and summer (BST) alike, and the time left in the one duration
    format; a paused incident shows the time it has left, not a due time."""
    from opsdesk.incidents.selectors import annotate_next_target, annotate_queue
    from opsdesk.incidents.templatetags.incident_ui import countdown

    incident = log(w, priority="P1", title="Countdown")
    for due in (dt.datetime(2026, 1, 5, 9, 5, tzinfo=dt.UTC), dt.datetime(2026, 7, 3, 23, 30, tzinfo=dt.UTC)):
        incident.next_target_at = due
        html = countdown(annotate_next_target(incident, due - dt.timedelta(hours=1)))
        assert f'data-deadline="{due.isoformat()}"' in html
    assert 'due Sat 4 Jul 2026 00:30 BST"' in html
    assert "Initial response · Sat 4 Jul 00:30 BST</small>" in html
    assert "overdue<" in html  # 2026-07-03 is past
    incident.next_target_at = timezone.now() + dt.timedelta(hours=18, minutes=56, seconds=55)
    assert ">in 18 h 57 min</time>" in countdown(annotate_next_target(incident, timezone.now()))
    incident.next_target_at = timezone.now() - dt.timedelta(minutes=3, seconds=4)
    assert ">3 min overdue</time>" in countdown(annotate_next_target(incident, timezone.now()))
    incident.next_target_at = None
    assert "—" in countdown(annotate_next_target(incident, timezone.now()))
    incident.paused_at = incident.initial_response_due - dt.timedelta(minutes=10)
    incident.state = "awaiting_customer"
    annotate_queue([incident], timezone.now())
    html = countdown(incident)
    assert ">paused<" in html and "10 min left" in html


def test_queue_filters_refuse_an_organisation_or_assignee_not_offered(desk, w, customer_a):
    from opsdesk.incidents.forms import STATE_OPEN, IncidentFilterForm

    form = IncidentFilterForm(
        {"organisation": str(w["org_b"].pk)}, user=w["service_desk"], default_state=STATE_OPEN
    )
    assert form.is_valid() and form.filters()["organisation"] == w["org_b"].pk
    for field, value in (
        ("organisation", "999999"),
        ("organisation", "x"),
        ("assignee", str(w["customer_a"].pk)),
    ):
        form = IncidentFilterForm({field: value}, user=w["service_desk"], default_state=STATE_OPEN)
        assert not form.is_valid() and list(form.errors) == [field]
        assert form.filters() == {"state": STATE_OPEN}
    page = desk.get(url("queue"), {"organisation": w["org_b"].pk}).content.decode()
    assert f'<option value="{w["org_b"].pk}" selected>' in page
    assert f'<option value="{w["org_a"].pk}">' in page


def test_customer_sees_only_their_organisations_incidents(customer_a, w):
    log(w, tag="b", title=f"Bravo {CANARY_B}")
    response = customer_a.get(url("queue"))
    assert response.status_code == 200
    listed = rows(response)
    assert listed and {i.organisation_id for i in listed} == {w["org_a"].pk}
    assert CANARY_B not in response.content.decode()
    assert "organisation" not in response.context["filter_form"].fields


# --- logging (C1, C2) -------------------------------------------------------------------------------


def _log_form(w, **changes):
    data = {
        "service_reference": w["service_a"].reference,
        "priority": "P3",
        "title": "Checkout slow",
        "description": "Since 10:00 the checkout takes 20 s.",
        "diagnostics_confirmed": checks(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_log_with_a_missing_description_names_the_field_and_stores_nothing(customer_a, w):
    before = Incident.objects.count()
    response = customer_a.post(url("log"), _log_form(w, description=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["description"] == ["This field is required."]
    text = response.content.decode()
    assert 'id="description-error"' in text and "<strong>Description</strong>" in text
    assert Incident.objects.count() == before


def test_log_reports_missing_checks_and_production_only_priorities(customer_a, w):
    from opsdesk.directory import services as directory

    directory.service_create(
        actor=w["admin"], organisation=w["org_a"], reference="A-DEV", name="Dev", environment="non-production"
    )
    before = Incident.objects.count()
    response = customer_a.post(
        url("log"), _log_form(w, service_reference="A-DEV", priority="P1", diagnostics_confirmed=checks()[:1])
    )
    errors = response.context["form"].errors
    assert "only for production services" in errors["priority"][0]
    assert "not confirmed" in errors["diagnostics_confirmed"][0]
    assert Incident.objects.count() == before


def test_customer_logs_and_sees_the_targets_with_their_explanation(customer_a, w):
    response = customer_a.post(url("log"), _log_form(w))
    incident = Incident.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == url("detail", incident.pk)
    page = customer_a.get(response["Location"])
    text = page.content.decode()
    assert "logged as P3" in text
    assert 'data-testid="target-initial"' in text and 'data-testid="target-considered"' in text
    assert incident.explanation["initial"][0] in text
    assert incident.reported_by == w["contact_a"]


def test_staff_log_on_behalf_of_a_named_contact(desk, w):
    response = desk.post(url("log"), _log_form(w, reported_by=w["contact_a"].pk))
    assert response.status_code == 302
    incident = Incident.objects.latest("pk")
    assert incident.reported_by == w["contact_a"] and incident.organisation == w["org_a"]
    missing = desk.post(url("log"), _log_form(w))
    assert "reported_by" in missing.context["form"].errors


# --- the incident page ------------------------------------------------------------------------------


def test_customer_sees_public_notes_only_and_another_tenant_gets_404(customer_a, desk, w):
    incident = w["incident_a"]
    services.incident_add_note(
        actor=w["service_desk"], incident=incident, body="Internal: restart box 3", public=False
    )
    services.incident_add_note(actor=w["service_desk"], incident=incident, body="We are looking at it now.")
    text = customer_a.get(url("detail", incident.pk)).content.decode()
    assert "We are looking at it now." in text
    assert (
        "restart box 3" not in text and "internal" not in text.lower().split("<main")[1].split("</main>")[0]
    )
    staff_text = desk.get(url("detail", incident.pk)).content.decode()
    assert "restart box 3" in staff_text and "badge-internal" in staff_text

    other = Client()
    other.force_login(w["customer_b"])
    assert other.get(url("detail", incident.pk)).status_code == 404
    assert other.post(url("note", incident.pk), {"body": "hi"}).status_code == 404
    assert CANARY_A not in other.get(url("queue"), {"state": "all"}).content.decode()


def test_staff_acknowledge_marks_the_initial_response_met(desk, w):
    incident = w["incident_a"]
    response = desk.post(url("acknowledge", incident.pk))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and incident.initial_response_at is not None
    page = desk.get(url("detail", incident.pk))
    initial = next(t for t in page.context["targets"] if t.key == "initial")
    assert initial.status in ("met", "late")
    assert "acknowledged: initial response given" in page.content.decode()


def test_action_errors_come_back_inline_on_their_form(desk, w):
    incident = w["acked_incident_a"]
    response = desk.post(url("resolve", incident.pk), {"summary": "  "})
    assert response.status_code == 200
    assert response.context["failed"] == "resolve"
    panel = next(p for p in response.context["panels"] if p["name"] == "resolve")
    assert panel["open"] and panel["form"].errors["summary"] == ["Say how the incident was resolved."]
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    # A move the lifecycle does not allow names the way on.
    wrong = desk.post(url("acknowledge", incident.pk))
    assert "cannot move from Acknowledged" in wrong.content.decode()


def test_a_second_rca_request_is_refused_on_the_page(desk, w):
    from opsdesk.incidents.rca.models import RootCauseAnalysis

    incident = log(w, priority="P2")
    first = desk.post(url("rca_request", incident.pk))
    assert first.status_code == 302
    again = desk.post(url("rca_request", incident.pk))
    assert again.status_code == 200
    assert "already requested for this incident" in again.content.decode()
    assert RootCauseAnalysis.objects.filter(incident=incident).count() == 1


def test_internal_note_call_assign_and_priority_call_through(desk, w):
    incident = w["incident_a"]
    unchosen = desk.post(url("note", incident.pk), {"body": "Checked the ALB"})
    assert unchosen.status_code == 200 and "Choose who sees this note" in unchosen.content.decode()
    assert not incident.notes.exists()  # visibility is an explicit choice, never a default
    internal = {"body": "Checked the ALB", "visibility": "internal"}
    assert desk.post(url("note", incident.pk), internal).status_code == 302
    assert incident.notes.get().public is False
    assert desk.post(url("call", incident.pk), {"summary": "Spoke to Olivia"}).status_code == 302
    incident.refresh_from_db()
    assert incident.telephone_call_recorded_at is not None
    data = {"assignee": w["engineer"].pk, "version": incident.version}
    assert desk.post(url("assign", incident.pk), data).status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == w["engineer"]
    stale = desk.post(url("priority", incident.pk), {"priority": "P4", "version": incident.version - 1})
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    ok = desk.post(url("priority", incident.pk), {"priority": "P4", "version": incident.version})
    assert ok.status_code == 302
    incident.refresh_from_db()
    assert incident.priority == "P4"


def test_customer_escalates_and_confirms_resolution(customer_a, w):
    incident = w["p2_incident_a"]
    response = customer_a.post(url("escalate", incident.pk), {"criterion": "", "details": "x"})
    panel = next(p for p in response.context["panels"] if p["name"] == "escalate")
    message = panel["form"].errors["criterion"][0]
    assert "Choose why you are escalating" in message
    assert "poor_updates" not in message and "not_satisfied" not in message  # labels, not codes
    done = customer_a.post(url("escalate", incident.pk), {"criterion": "poor_updates", "details": "No news"})
    assert done.status_code == 302
    text = customer_a.get(url("detail", incident.pk)).content.decode()
    assert 'data-testid="escalation-2"' in text and "Acknowledgement due" in text

    resolved = w["resolved_incident_a"]
    assert customer_a.post(url("close", resolved.pk), {"customer_confirmed": "on"}).status_code == 302
    resolved.refresh_from_db()
    assert resolved.state == "closed" and resolved.customer_confirmed_at is not None


def test_customer_cannot_use_staff_actions(customer_a, w):
    incident = w["incident_a"]
    assert customer_a.post(url("acknowledge", incident.pk)).status_code == 403
    page = customer_a.get(url("detail", incident.pk))
    names = {p["name"] for p in page.context["panels"]}
    assert "acknowledge" not in names and "assign" not in names
    assert {"note", "escalate"} <= names


@pytest.mark.parametrize(
    "route", [r for r in INCIDENT_ROUTES if r.method == "POST"], ids=lambda r: r.target.split(":")[1]
)
def test_every_action_succeeds_for_a_permitted_user(route, w):
    """The walk only checks status < 400; here a permitted user's declared body really goes through
    (a redirect), so the declarations exercise the services and not an error page."""
    from opsdesk.core.permissions import PERMISSIONS

    roles = PERMISSIONS[route.permission] if route.permission else {"service_desk"}
    candidates = {"service_desk": "service_desk", "cloud_support_manager": "cloud_support_manager"}
    who = next(key for key, role in candidates.items() if role in roles)
    client = Client()
    client.force_login(w[who])
    response = client.post(walk.resolve_url(route, w), route.body(w) if route.body else {})
    assert response.status_code == 302, response.content.decode()[:2000]


# --- the diagnostics checklist (C1) -----------------------------------------------------------------


def test_checklist_admin(desk, w):
    assert desk.get(url("checklist_list")).status_code == 200
    response = desk.post(url("checklist_create"), {"text": "Checked the VPC flow logs", "active": "on"})
    assert response.status_code == 302
    item = checklist_list().last()
    assert item.text == "Checked the VPC flow logs"
    page = desk.get(url("checklist_update", item.pk)).content.decode()
    assert "Edit diagnostics check" in page and "confirm every active check" in page
    assert f'href="{url("checklist_list")}"' in page
    edit = desk.post(
        url("checklist_update", item.pk), {"text": item.text, "position": 1, "version": item.version}
    )
    assert edit.status_code == 302
    item.refresh_from_db()
    assert item.active is False and item.position == 1
    stale = desk.post(
        url("checklist_update", item.pk), {"text": "Renamed", "position": 2, "version": item.version - 1}
    )
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    item.refresh_from_db()
    assert item.text == "Checked the VPC flow logs"
    empty = desk.post(url("checklist_create"), {"text": "", "active": "on"})
    assert empty.status_code == 200 and "New diagnostics check" in empty.content.decode()
    customer = Client()
    customer.force_login(w["customer_a"])
    assert customer.get(url("checklist_list")).status_code == 403


# --- the staff desk's incident panels (C4, C6, B6) ----------------------------------------------


def test_staff_desk_shows_open_incidents_by_priority_and_overdue_rcas(desk, w):
    from opsdesk.incidents.rca import services as rca

    now = timezone.now()
    log(w, priority="P1", at=now - dt.timedelta(hours=2), title="Breached P1")
    late = rca.rca_request(
        actor=w["service_desk"], incident=w["p2_incident_a"], at=now - dt.timedelta(days=30)
    )
    response = desk.get(reverse("web:home"))
    assert response.status_code == 200
    rows = {r["value"]: r for r in response.context["incidents_by_priority"]}
    assert rows["P1"]["total"] >= 1 and rows["P1"]["breached"] >= 1
    assert response.context["open_incident_total"] == sum(r["total"] for r in rows.values())
    assert late in response.context["overdue_rcas"]
    text = response.content.decode()
    assert 'data-testid="overdue-rcas"' in text and late.incident.reference in text

    customer = Client()
    customer.force_login(w["customer_a"])
    assert "incidents_by_priority" not in customer.get(reverse("web:home")).context
