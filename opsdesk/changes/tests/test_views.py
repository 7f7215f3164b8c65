"""The change pages (L4): the board by state, the RFC form and its errors, the change page with the
approval panel and checklist, the step forms, the catalogue, tenancy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.changes import services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import Change, ChangeApproval
from opsdesk.changes.tests.conftest import client_for
from opsdesk.changes.tests.factory import change_at, rfc, second_approver, standard_change
from opsdesk.directory import services as directory

pytestmark = pytest.mark.django_db


def test_the_board_shows_each_change_in_its_state_column(world):
    new = rfc(world, "a")
    waiting = change_at(world, "a", ChangeState.APPROVAL)
    theirs = rfc(world, "b")
    page = client_for(world["change_manager"]).get(reverse("changes:board")).content.decode()
    column = page.split('data-state="confirm_need"')[1].split("</section>")[0]
    assert new.reference in column and waiting.reference not in column
    assert waiting.reference in page.split('data-state="approval"')[1].split("</section>")[0]
    customer = client_for(world["customer_a"]).get(reverse("changes:board")).content.decode()
    assert new.reference in customer and theirs.reference not in customer
    assert 'data-testid="new-rfc"' in customer
    assert client_for(world["billing"]).get(reverse("changes:board")).status_code == 403


def test_the_board_reads_the_same_number_of_queries_at_any_size(world):
    """Cards with and without an agreed window (a card shows its window and the chargeable badge):
    the count must not grow with the cards (it once loaded each card's window on its own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for tag in ("a", "b"):
        rfc(world, tag)
    staff = client_for(world["change_manager"])
    staff.get(reverse("changes:board"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(reverse("changes:board")).status_code == 200
        return len(queries)

    few = count()
    assert few <= 12
    for tag in ("a", "b", "a", "b"):
        rfc(world, tag, level=1)
    for tag in ("a", "b"):
        assert change_at(world, tag, ChangeState.SCHEDULED, scheduled=True).window_id
        implementing = change_at(world, tag, ChangeState.IMPLEMENTATION)
        services.change_halt(actor=world["engineer"], change=implementing, reason="Wrong AMI baked.")
    assert count() == few


def test_a_customer_approver_submits_an_rfc_from_the_form(world):
    customer = client_for(world["customer_a"])
    page = customer.get(reverse("changes:change_create")).content.decode()
    assert 'name="organisation"' not in page and 'name="provider_initiated"' not in page
    r = customer.post(
        reverse("changes:change_create"),
        {
            "level": "2",
            "title": "Add a read replica",
            "description": "Aurora reader in eu-west-2b",
            "impact_statement": "None",
            "urgency": "medium",
            "services": [world["service_a"].pk],
        },
    )
    change = Change.objects.get(title="Add a read replica")
    assert r.status_code == 302 and r["Location"] == reverse("changes:change_detail", args=[change.pk])
    assert change.requester_contact == world["contact_a"] and change.priority == "P3"


def test_the_rfc_form_names_each_problem_and_writes_nothing(world):
    customer = client_for(world["customer_a"])
    r = customer.post(
        reverse("changes:change_create"),
        {"level": "1", "title": "x", "description": "y", "impact_statement": "z", "urgency": "low"},
    )
    assert r.status_code == 200 and "A level-1 change is one of the catalogue" in r.content.decode()
    contact = directory.contact_create(
        actor=world["admin"], organisation=world["org_a"], name="Nina Notapprover", email="nina@a.test"
    )
    user = directory.user_create(
        actor=world["admin"],
        email="nina-user@a.test",
        full_name="Nina",
        role="customer",
        password="test-password-123",
        contact=contact.pk,
    )
    r = client_for(user).post(
        reverse("changes:change_create"),
        {"level": "2", "title": "x", "description": "y", "impact_statement": "z", "urgency": "low"},
    )
    assert r.status_code == 200
    assert "Nina Notapprover is not an authorised change approver" in r.content.decode()
    assert not Change.objects.exists()


def test_the_change_page_has_the_approval_panel_and_checklist(world):
    change = change_at(world, "a", ChangeState.APPROVAL)
    from opsdesk.changes import services

    services.change_update(
        actor=world["engineer"],
        change=change,
        checklist=[{"item": "Snapshot taken", "done": True}, {"item": "Canary green", "done": False}],
    )
    services.change_approve(actor=world["engineer"], change=change)
    page = (
        client_for(world["service_desk"])
        .get(reverse("changes:change_detail", args=[change.pk]))
        .content.decode()
    )
    panel = page.split('data-testid="approval-panel"')[1].split("</article>")[0]
    assert "Approved" in panel and "Staff engineer" in panel and "waiting" in panel
    checklist = page.split('data-testid="checklist"')[1].split("</article>")[0]
    assert '<li class="done">Snapshot taken</li>' in checklist and "Canary green" in checklist
    assert reverse("changes:change_approve", args=[change.pk]) in page
    assert (
        client_for(world["customer_b"]).get(reverse("changes:change_detail", args=[change.pk])).status_code
        == 404
    )


def test_approving_ones_own_change_on_the_page_is_a_form_error_and_nothing_changes(world):
    change = change_at(world, "a", ChangeState.APPROVAL)  # requested by customer_a
    r = client_for(world["customer_a"]).post(
        reverse("changes:change_approve", args=[change.pk]), {"version": change.version}
    )
    assert r.status_code == 200 and "can never approve their own change" in r.content.decode()
    assert not ChangeApproval.objects.exists()
    r = client_for(second_approver(world, "a")).post(
        reverse("changes:change_approve", args=[change.pk]), {"version": change.version}
    )
    assert r.status_code == 302 and ChangeApproval.objects.count() == 1


def test_the_step_forms_move_the_change_and_record_who(world):
    change = rfc(world, "a")
    staff = client_for(world["engineer"])
    page = staff.get(reverse("changes:change_transition", args=[change.pk])).content.decode()
    assert 'value="identify"' in page and 'value="closed"' not in page
    r = staff.post(
        reverse("changes:change_transition", args=[change.pk]),
        {"to_state": "identify", "note": "Need confirmed with the customer", "version": change.version},
    )
    assert r.status_code == 302
    detail = staff.get(reverse("changes:change_detail", args=[change.pk])).content.decode()
    timeline = detail.split('data-testid="timeline"')[1]
    assert "Identify what changes" in timeline and "Staff engineer" in timeline
    assert "Need confirmed with the customer" in timeline
    r = staff.post(
        reverse("changes:change_priority", args=[change.pk]),
        {"priority": "P1", "version": change.version + 1},
    )
    assert r.status_code == 200 and "telephone contact" in r.content.decode()
    assert (
        client_for(world["customer_a"])
        .get(reverse("changes:change_transition", args=[change.pk]))
        .status_code
        == 403
    )


def test_the_edit_form_keeps_the_checklist_as_lines(world):
    change = rfc(world, "a")
    staff = client_for(world["engineer"])
    r = staff.post(
        reverse("changes:change_update", args=[change.pk]),
        {
            "title": change.title,
            "description": change.description,
            "impact_statement": change.impact_statement,
            "urgency": "medium",
            "checklist": "[x] Snapshot taken\n[ ] Smoke test\nTell the customer",
            "version": change.version,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Change.objects.get(pk=change.pk).checklist == [
        {"item": "Snapshot taken", "done": True},
        {"item": "Smoke test", "done": False},
        {"item": "Tell the customer", "done": False},
    ]


def test_the_catalogue_pages(world):
    entry = standard_change(world)
    page = (
        client_for(world["customer_a"])
        .get(reverse("changes:standard_change_detail", args=[entry.pk]))
        .content.decode()
    )
    assert "Add the user" in page and 'data-testid="runbook"' in page
    manager = client_for(world["change_manager"])
    r = manager.post(
        reverse("changes:standard_change_create"),
        {"name": "Restart a worker", "runbook": "1. Restart.", "is_active": "on"},
    )
    assert r.status_code == 302
    assert client_for(world["customer_a"]).get(reverse("changes:standard_change_create")).status_code == 403


def test_a_full_column_counts_what_is_not_shown_up_to_the_cap(world, monkeypatch):
    """A column shows its first page; its badge counts the rest, and past the cap says "N+"."""
    from opsdesk.changes import selectors

    monkeypatch.setattr(selectors, "BOARD_COLUMN_SIZE", 2)
    monkeypatch.setattr(selectors, "BOARD_COUNT_CAP", 4)
    made = [rfc(world, "a") for _ in range(3)]
    state = made[0].state
    staff = world["change_manager"]

    def column():
        return next(c for c in selectors.change_board(user=staff) if c["state"] == state)

    assert (len(column()["changes"]), column()["count"], column()["capped"]) == (2, 3, False)
    page = client_for(staff).get(reverse("changes:board")).content.decode()
    assert "All 3 →" in page
    made += [rfc(world, "b") for _ in range(3)]
    assert (len(column()["changes"]), column()["count"], column()["capped"]) == (2, 4, True)
    assert "All 4+ →" in client_for(staff).get(reverse("changes:board")).content.decode()
    # a customer's board counts their own organisation's changes only
    customer = next(c for c in selectors.change_board(user=world["customer_a"]) if c["state"] == state)
    assert customer["count"] == 3
