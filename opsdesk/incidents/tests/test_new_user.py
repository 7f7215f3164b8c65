"""What a new user tripped on (issue 9, item 5), as they see it on the pages: the explanation of a
target after a pause, paused incidents in the queue, one duration and one date format, labels
instead of internal codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsdesk.core import humanize
from opsdesk.incidents import services
from opsdesk.incidents.tests.conftest import all_checks, london

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world_with_extras):
    return world_with_extras


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def logged(w, *, priority="P3", at=None, title="New user"):
    return services.incident_log(
        actor=w["service_desk"],
        reported_by=w["contact_a"],
        service=w["service_a"],
        title=title,
        description="Something is wrong.",
        priority=priority,
        diagnostics_confirmed=all_checks(),
        logged_at=at,
    )


def text_of(response) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def paused_and_resumed(w, *, minutes: int):
    """A P1 (24x7 clock) acknowledged, paused for the customer and resumed `minutes` later."""
    desk = w["service_desk"]
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=minutes + 5)
    incident = logged(w, priority="P1", at=start)
    incident = services.incident_acknowledge(
        actor=desk, incident=incident, at=start + dt.timedelta(minutes=1)
    )
    incident = services.incident_await_customer(
        actor=desk, incident=incident, note="Which region?", at=start + dt.timedelta(minutes=2)
    )
    return services.incident_resume(
        actor=desk, incident=incident, at=start + dt.timedelta(minutes=2 + minutes, seconds=30)
    )


def test_after_a_pause_the_explanation_ends_on_the_due_time_shown(w):
    incident = paused_and_resumed(w, minutes=7)
    page = signed_in(w["customer_a"]).get(reverse("incidents:detail", args=[incident.pk]))
    targets = {t.key: t for t in page.context["targets"]}
    considered = targets["considered"]
    shown_due = humanize.when(considered.due)
    assert considered.steps[-1].endswith(f"due {shown_due}.")
    assert "Paused for 7 min of business time" in considered.steps[-1]
    text = text_of(page)
    assert f"Due {shown_due}" in text and f"due {shown_due}." in text
    # The API explains the same, as it is now.
    api = signed_in(w["customer_a"]).get(f"/api/v1/incidents/{incident.pk}")
    assert api.json()["targets"]["considered"]["explanation"][-1].endswith(f"due {shown_due}.")


def test_a_24x7_explanation_is_in_the_provider_time_zone(w):
    incident = logged(w, priority="P1", at=london(2026, 7, 1, 10))  # BST; the 24x7 calendar is UTC
    page = signed_in(w["service_desk"]).get(reverse("incidents:detail", args=[incident.pk]))
    steps = {t.key: t.steps for t in page.context["targets"]}["initial"]
    assert steps[0].startswith("Logged Wed 1 Jul 2026 10:00 BST")
    assert "UTC" not in " ".join(steps)


def test_paused_incidents_sort_after_running_ones_and_show_their_time_left(w):
    desk = w["service_desk"]
    running = logged(w, priority="P3", title="Running one")
    paused = logged(w, priority="P1", title="Paused one")
    paused = services.incident_acknowledge(actor=desk, incident=paused)
    paused = services.incident_await_customer(actor=desk, incident=paused, note="Which region?")
    assert paused.next_target_at is None
    response = signed_in(desk).get(reverse("incidents:queue"))
    references = [row.reference for row in response.context["listing"].page]
    assert references.index(running.reference) < references.index(paused.reference)
    html = response.content.decode()
    row = html[html.index(f'data-reference="{paused.reference}"') :]
    row = row[: row.index("</tr>")]
    assert ">paused<" in row and re.search(r"\d+ (h|min)[^<]* left", row)
    assert "overdue" not in row and "data-deadline" not in row
    # The incident page says the same.
    page = signed_in(desk).get(reverse("incidents:detail", args=[paused.pk]))
    assert re.search(r"\d+ (h|min)[^<]* left</strong>", page.content.decode())


def test_durations_read_as_hours_and_minutes_everywhere():
    assert humanize.relative(-(3 * 60 + 4)) == "3 min overdue"
    assert humanize.relative(18 * 3600 + 56 * 60 + 55) == "in 18 h 57 min"
    assert f"{humanize.duration(93092)} of business time" == "25 h 51 min of business time"
    assert humanize.duration(30) == "under 1 min" and humanize.duration(7200) == "2 h"


def test_one_date_format_on_pages_and_no_iso_in_the_timeline(w):
    desk = w["service_desk"]
    incident = logged(w, priority="P3", at=london(2026, 12, 2, 16, 47))
    services.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 12, 2, 16, 50))
    page = signed_in(desk).get(reverse("incidents:detail", args=[incident.pk]))
    text = text_of(page)
    assert "Wed 2 Dec 2026 16:47 GMT" in text  # logged
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "an ISO or Y-m-d date on the page"
    history = signed_in(desk).get(reverse("incidents:history", args=[incident.pk]))
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text_of(history))


def test_a_customer_history_shows_only_what_their_incident_page_shows(w):
    desk = w["service_desk"]
    incident = logged(w, priority="P3")
    services.incident_assign(actor=desk, incident=incident, assignee=w["engineer"].pk)
    services.incident_acknowledge(actor=desk, incident=incident.__class__.objects.get(pk=incident.pk))
    customer = text_of(signed_in(w["customer_a"]).get(reverse("incidents:history", args=[incident.pk])))
    for internal in ("assignee", "Assignee", "created_by", "sla_calendar", "warning", "Explanation", "{"):
        assert internal not in customer
    assert "State" in customer and "Acknowledged" in customer
    staff = text_of(signed_in(desk).get(reverse("incidents:history", args=[incident.pk])))
    assert "Assignee" in staff and w["engineer"].full_name in staff  # a name, not an id
    assert "assignee_id" not in staff and "sla_calendar_id" not in staff and '"initial"' not in staff
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", staff)


def test_people_see_labels_not_codes_or_clause_ids(w):
    desk = w["service_desk"]
    incident = logged(w, priority="P3")
    incident = services.incident_acknowledge(actor=desk, incident=incident)
    incident = services.incident_start_investigating(actor=desk, incident=incident)
    services.incident_await_customer(actor=desk, incident=incident, note="Which region?")
    for user in (desk, w["customer_a"]):
        text = text_of(signed_in(user).get(reverse("incidents:detail", args=[incident.pk])))
        assert "Investigating → Awaiting customer" in text
        assert "awaiting_customer" not in text
        assert not re.search(r"\((A|B|C|D|I|L)\d+\)", text), "a spec clause id on the page"
    log_page = text_of(signed_in(w["customer_a"]).get(reverse("incidents:log")))
    assert not re.search(r"\((A|B|C|D|I|L)\d+\)", log_page)


def test_a_note_visibility_is_chosen_and_the_form_says_what_posting_does(w):
    desk = w["service_desk"]
    incident = services.incident_acknowledge(actor=desk, incident=logged(w, priority="P3"))
    page = signed_in(desk).get(reverse("incidents:detail", args=[incident.pk]))
    html = page.content.decode()
    form = html[html.index('name="visibility"') - 2000 :]
    assert 'name="visibility"' in html and 'value="public" checked' not in html
    assert "moves the incident to Investigating and counts as the considered response" in form
    missing = signed_in(desk).post(reverse("incidents:note", args=[incident.pk]), {"body": "Looking."})
    assert "Choose who sees this note" in missing.content.decode()
    incident.refresh_from_db()
    assert incident.state == "acknowledged" and not incident.notes.exists()


def test_the_small_things_a_new_user_saw(w, client):
    desk = w["service_desk"]
    incident = services.incident_acknowledge(actor=desk, incident=logged(w, priority="P3"))
    resolved = services.incident_resolve(actor=desk, incident=incident, summary="Restarted the writer.")
    staff = signed_in(desk)
    page = staff.get(reverse("incidents:detail", args=[resolved.pk]))
    # The resolution summary once in the timeline.
    assert text_of(page).count("Restarted the writer.") == 1
    # The close form's required reason is marked required.
    html = page.content.decode()
    field = html[html.index('id="field-reason"') :]
    field = field[: field.index("</div>")]
    assert "How was it confirmed?" in field and 'class="req"' in field
    # A favicon on every page, served as a static file.
    assert 'rel="icon"' in html
    assert 'rel="icon"' in client.get(reverse("web:login")).content.decode()
    assert 'rel="icon"' in client.get(reverse("statuspage:index")).content.decode()
    assert client.get("/static/opsdesk/favicon.svg").status_code == 200
    # The escalation matrix names the service desk once.
    matrix = text_of(staff.get(reverse("incidents:escalation_matrix")))
    assert "(Service desk)" not in matrix and "Service desk" in matrix


def test_runbook_checklists_render_checkboxes():
    from opsdesk.core.richtext import render_markdown

    html = render_markdown("- [ ] Check the ALB\n- [x] Page the DBA\n\n<input type=checkbox>")
    assert "[ ]" not in html and "[x]" not in html
    assert html.count('<input type="checkbox" disabled') == 2 and "disabled checked>" in html
    assert "&lt;input" in html  # typed HTML stays text


def test_the_readme_lists_every_api_resource():
    """Each top-level resource of the API (the OpenAPI snapshot) is named in README › REST API."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    readme = (root / "README.md").read_text()
    section = readme[readme.index("## REST API") : readme.index("### Notifications")]
    paths = json.loads((root / "opsdesk/core/tests/openapi.snapshot.json").read_text())["paths"]
    for resource in ("incidents", "escalations", "rcas"):
        assert f"/api/v1/{resource}" in " ".join(paths)
        assert f"`/{resource}`" in section


def test_the_desk_has_a_worklist_of_open_escalations_and_the_queue_marks_them(w):
    escalation = w["escalation_a"]
    desk = signed_in(w["service_desk"])
    page = desk.get(reverse("incidents:escalation_worklist"))
    assert page.status_code == 200
    text = text_of(page)
    assert escalation.incident.reference in text and f"Level {escalation.level.level}" in text
    assert signed_in(w["customer_a"]).get(reverse("incidents:escalation_worklist")).status_code == 403
    queue = desk.get(reverse("incidents:queue"), {"state": "all", "q": escalation.incident.reference})
    html = queue.content.decode()
    row = html[html.index(f'data-reference="{escalation.incident.reference}"') :]
    assert 'data-testid="escalated"' in row[: row.index("</tr>")]


def test_my_incidents(w):
    desk = w["service_desk"]
    mine = logged(w, title="Mine to fix")
    services.incident_assign(actor=desk, incident=mine, assignee=desk.pk)
    logged(w, title="Someone else's")
    response = signed_in(desk).get(reverse("incidents:queue"), {"mine": "1", "state": "all"})
    assert [i.pk for i in response.context["listing"].page] == [mine.pk]
    assert "My incidents" in text_of(response)
    customer = w["customer_a"]
    own = services.incident_log(
        actor=customer,
        service_reference=w["service_a"].reference,
        title="Logged by me",
        description="x",
        priority="P4",
        diagnostics_confirmed=all_checks(),
    )
    listed = signed_in(customer).get(reverse("incidents:queue"), {"mine": "1", "state": "all"})
    rows = list(listed.context["listing"].page)
    assert own.pk in [i.pk for i in rows] and all(i.created_by_id == customer.pk for i in rows)


def test_organisation_and_service_pages_list_their_incidents(w):
    incident = logged(w, title="On the service page")
    other = services.incident_log(
        actor=w["customer_b"],
        service_reference=w["service_b"].reference,
        title="Tenant B's",
        description="x",
        priority="P4",
        diagnostics_confirmed=all_checks(),
    )
    for user in (w["service_desk"], w["customer_a"]):
        client = signed_in(user)
        for name, pk, query in (
            ("directory:organisation_detail", w["org_a"].pk, f"organisation={w['org_a'].pk}"),
            ("directory:service_detail", w["service_a"].pk, f"service={w['service_a'].pk}"),
        ):
            html = client.get(reverse(name, args=[pk])).content.decode()
            # Listed in the page the server sends (no script needed), with a link to the queue.
            assert f'data-reference="{incident.reference}"' in html and other.reference not in html
            assert f'href="{reverse("incidents:queue")}?{query}&amp;state=all"' in html
            table = client.get(f"{reverse('incidents:queue')}?{query}&state=all", HTTP_HX_REQUEST="true")
            assert incident.reference in table.content.decode()
            assert other.reference not in table.content.decode()
    # Another tenant's service as a filter shows nothing of theirs.
    sneaky = signed_in(w["customer_a"]).get(
        reverse("incidents:queue"), {"service": w["service_b"].pk, "state": "all"}
    )
    assert other.reference not in sneaky.content.decode()


def test_logging_for_a_contact_offers_only_their_organisation_services(w):
    desk = signed_in(w["service_desk"])
    form = desk.get(reverse("incidents:log"), {"reported_by": w["contact_a"].pk}).context["form"]
    offered = {
        value
        for _group, options in form.fields["service_reference"].choices[1:]
        for value, _label in options
    }
    assert w["service_a"].reference in offered and w["service_b"].reference not in offered
    everything = desk.get(reverse("incidents:log")).context["form"]
    assert "hx-get" in str(everything["reported_by"])
    response = desk.post(
        reverse("incidents:log"),
        {
            "reported_by": w["contact_a"].pk,
            "service_reference": w["service_b"].reference,
            "priority": "P4",
            "title": "Wrong service",
            "description": "x",
            "diagnostics_confirmed": all_checks(),
        },
    )
    errors = response.context["form"].errors["service_reference"][0]
    assert w["org_a"].name in errors and "reporting contact's organisation" in errors
    assert "No service with the reference" not in errors
