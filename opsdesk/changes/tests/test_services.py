"""D1–D5 through the services: who may submit an RFC, priority and its telephone contact, the
levels and their deadlines, the level-2 workflow, and the approval matrix case by case."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from opsdesk.changes import services
from opsdesk.changes.choices import ChangeState
from opsdesk.changes.models import ApprovalRule, Change, ChangeApproval, ChangeEvent, PriorityCall
from opsdesk.changes.tests.factory import DOCUMENTS, advance, change_at, rfc, second_approver, standard_change
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.directory import services as directory
from opsdesk.notifications.models import Notification
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.models import Deadline

LONDON = ZoneInfo("Europe/London")


def _reload(change: Change) -> Change:
    return Change.objects.get(pk=change.pk)


def _at_approval(world, **extra) -> Change:
    return advance(world, rfc(world, "a", **extra), ChangeState.APPROVAL)


# --- D1, D2: requests for change --------------------------------------------------------------


def test_an_authorised_change_approver_submits_an_rfc_logged_as_p3(world):
    change = rfc(world, "a", urgency="high")
    assert change.reference.startswith("CHG-") and change.priority == "P3"
    assert change.state == ChangeState.CONFIRM_NEED
    assert change.requester_contact == world["contact_a"] and change.requested_by == world["customer_a"]
    assert [s.pk for s in change.services.all()] == [world["service_a"].pk]
    event = ChangeEvent.objects.get(change=change)
    assert event.actor == world["customer_a"] and "P3" in event.note


def test_an_rfc_from_a_contact_who_is_not_a_change_approver_is_refused_and_nothing_is_written(world):
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
    with pytest.raises(PermissionDenied) as exc:
        rfc(world, "a", by=user)
    assert "Nina Notapprover is not an authorised change approver" in exc.value.detail
    assert exc.value.errors[0]["field"] == "requested_by"
    assert not Change.objects.exists() and not Deadline.objects.filter(owner_type="change").exists()


def test_a_customer_cannot_submit_for_another_organisation(world):
    with pytest.raises(ValidationFailed) as exc:
        rfc(world, "a", by=world["customer_b"])
    assert exc.value.errors[0]["field"] == "organisation"


def test_staff_submit_and_a_provider_initiated_change_records_the_customer_contact_first(world):
    with pytest.raises(ValidationFailed) as exc:
        rfc(world, "a", by=world["service_desk"], provider_initiated=True)
    assert exc.value.errors[0]["field"] == "customer_contacted_at"
    called = timezone.now() - dt.timedelta(hours=2)
    change = rfc(
        world,
        "a",
        by=world["service_desk"],
        provider_initiated=True,
        customer_contacted_at=called,
        customer_contact_note="Spoke to the ops lead; agreed.",
    )
    assert change.provider_initiated and change.customer_contacted_at == called
    assert change.requester_contact is None


def test_bad_rfc_input_names_the_field(world):
    cases = [
        ({"services": [world["service_b"].pk]}, "services"),
        ({"lead_contact": world["contact_b"].pk}, "lead_contact"),
        ({"level": 5}, "level"),
        ({"impact_statement": ""}, "impact_statement"),
        (
            {
                "requested_start": timezone.now() + dt.timedelta(days=3),
                "requested_end": timezone.now() + dt.timedelta(days=2),
            },
            "requested_end",
        ),
        ({"requested_start": timezone.now() - dt.timedelta(days=1)}, "requested_start"),
        ({"level": 1, "standard_change": None}, "standard_change"),
        ({"level": 3, "emergency_reason": ""}, "emergency_reason"),
        ({"level": 3, "incident_id": None}, "incident_id"),
        (
            {"level": 3, "emergency_reason": "vulnerability_exploited", "incident_id": None},
            "vulnerability_reference",
        ),
        ({"emergency_reason": "incident"}, "emergency_reason"),
    ]
    for extra, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            rfc(world, "a", **extra)
        assert exc.value.errors[0]["field"] == field, (extra, exc.value.errors)
    assert not Change.objects.exists()


def test_raising_the_priority_needs_a_recorded_telephone_contact(world):
    change = rfc(world, "a")
    with pytest.raises(ValidationFailed) as exc:
        services.change_set_priority(actor=world["service_desk"], change=change, priority="P2")
    assert {e["field"] for e in exc.value.errors} == {"caller", "called_at", "note"}
    assert _reload(change).priority == "P3" and not PriorityCall.objects.exists()
    called = timezone.now() - dt.timedelta(minutes=5)
    change = services.change_set_priority(
        actor=world["service_desk"],
        change=change,
        priority="P2",
        caller="Ops lead (customer)",
        called_at=called,
        note="Payment outage risk.",
    )
    assert change.priority == "P2"
    call = PriorityCall.objects.get(change=change)
    assert (call.caller, call.from_priority, call.to_priority) == ("Ops lead (customer)", "P3", "P2")
    # lowering it again needs no call
    change = services.change_set_priority(actor=world["service_desk"], change=change, priority="P4")
    assert change.priority == "P4" and PriorityCall.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.change_set_priority(actor=world["customer_a"], change=change, priority="P1")


# --- D3: levels and their deadlines ------------------------------------------------------------


def test_level_1_comes_from_the_catalogue_and_is_due_within_2_working_days(world):
    from opsdesk.calendars.services import business_calendar

    change = rfc(world, "a", level=1)
    assert change.standard_change == standard_change(world) and change.state == ChangeState.APPROVAL
    deadline = Deadline.objects.get(owner_type="change", owner_id=change.pk)
    assert deadline.kind == DeadlineKind.CHANGE_IMPLEMENTATION and deadline.working_days == 2
    clock = business_calendar(world["org_a"].calendar)
    assert deadline.due_at == clock.add_business_days(deadline.start_at, 2)
    assert change.implementation_due_at == deadline.due_at


def test_an_inactive_standard_change_is_not_offered(world):
    entry = standard_change(world)
    services.standard_change_update(actor=world["change_manager"], standard_change=entry, is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        rfc(world, "a", level=1)
    assert exc.value.errors[0]["field"] == "standard_change"


def test_level_2_is_reviewed_within_10_working_days_and_the_deadline_is_met_on_approval(world):
    change = _at_approval(world)
    deadline = Deadline.objects.get(owner_type="change", owner_id=change.pk)
    assert deadline.kind == DeadlineKind.CHANGE_REVIEW and deadline.working_days == 10
    assert _reload(change).review_due_at == deadline.due_at
    change = services.change_approve(actor=world["engineer"], change=change)
    change = services.change_approve(actor=second_approver(world, "a"), change=change)
    deadline.refresh_from_db()
    assert change.state == ChangeState.SCHEDULED and deadline.met_at is not None


def test_the_deadline_copies_move_when_the_calendar_changes(world, django_capture_on_commit_callbacks):
    from opsdesk.calendars import services as calendars

    change = rfc(world, "a", level=1)
    services._start_clock(change, at=dt.datetime(2030, 3, 5, 10, 0, tzinfo=LONDON))  # a Tuesday
    assert _reload(change).implementation_due_at == dt.datetime(2030, 3, 7, 10, 0, tzinfo=LONDON)
    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(
            actor=world["admin"], calendar=world["org_a"].calendar, date=dt.date(2030, 3, 6), reason="Move"
        )
    moved = _reload(change)
    assert moved.implementation_due_at == dt.datetime(2030, 3, 8, 10, 0, tzinfo=LONDON)
    assert moved.version > change.version


def test_a_level_3_change_confirmed_by_phone_is_documented_before_it_closes(world):
    change = rfc(
        world,
        "a",
        level=3,
        by=world["service_desk"],
        description="",
        impact_statement="",
        confirmed_by_phone=True,
        incident_owner=world["cloud_support_manager"].pk,
    )
    assert change.documented_at is None and change.incident_id == 4242
    change = services.change_approve(
        actor=world["cloud_support_manager"],
        change=change,
        contacted="Phoned the customer's incident contact.",
    )
    change = services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.TESTING)
    with pytest.raises(ValidationFailed) as exc:
        services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.CLOSED)
    assert exc.value.errors[0]["field"] == "description"
    change = services.change_update(
        actor=world["engineer"],
        change=change,
        description="Patched the WAF rule.",
        impact_statement="None after patching.",
    )
    assert change.documented_at is not None
    change = services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.CLOSED)
    assert change.state == ChangeState.CLOSED


# --- D4: the level-2 workflow ------------------------------------------------------------------


def test_the_ten_steps_each_record_who_and_when(world):
    change = change_at(world, "a", ChangeState.REVIEWED)
    states = list(ChangeEvent.objects.filter(change=change).values_list("to_state", flat=True))
    for state in (
        "confirm_need",
        "identify",
        "impact_assessment",
        "engagement",
        "planning",
        "approval",
        "scheduled",
        "implementation",
        "testing",
        "closed",
        "reviewed",
    ):
        assert state in states
    assert all(e.actor_id and e.at for e in ChangeEvent.objects.filter(change=change))
    assert _reload(change).review_notes == "Went to plan." and _reload(change).reviewed_at


def test_a_step_cannot_be_skipped_and_the_refusal_names_the_state(world):
    change = rfc(world, "a")
    with pytest.raises(Conflict) as exc:
        services.change_transition(
            actor=world["engineer"], change=change, to_state=ChangeState.IMPLEMENTATION
        )
    assert "from confirm need to implement" in exc.value.detail
    assert _reload(change).state == ChangeState.CONFIRM_NEED


def test_a_step_is_not_left_until_its_document_is_written(world):
    change = rfc(world, "a")
    for state in (ChangeState.IDENTIFY, ChangeState.IMPACT_ASSESSMENT):
        change = services.change_transition(actor=world["engineer"], change=change, to_state=state)
    with pytest.raises(ValidationFailed) as exc:
        services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.ENGAGEMENT)
    assert exc.value.errors[0]["field"] == "impact_assessment"


def test_a_change_closes_only_with_its_checklist_done(world):
    change = change_at(world, "a", ChangeState.TESTING)
    change = services.change_update(
        actor=world["engineer"],
        change=change,
        checklist=[{"item": "Snapshot taken", "done": True}, {"item": "Smoke test", "done": False}],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.CLOSED)
    assert "Smoke test" in exc.value.errors[0]["message"]
    change = services.change_update(
        actor=world["engineer"],
        change=change,
        checklist=[{"item": "Snapshot taken", "done": True}, {"item": "Smoke test", "done": True}],
    )
    assert services.change_transition(
        actor=world["engineer"], change=change, to_state=ChangeState.CLOSED
    ).closed_at


def test_customers_do_not_run_the_workflow(world):
    change = rfc(world, "a")
    with pytest.raises(PermissionDenied):
        services.change_transition(actor=world["customer_a"], change=change, to_state=ChangeState.IDENTIFY)


# --- D5: the approval matrix, case by case -----------------------------------------------------


def test_the_matrix_is_data(db):
    rows = {(r.level, r.side): r for r in ApprovalRule.objects.all()}
    assert set(rows) == {
        (1, "provider"),
        (1, "customer"),
        (2, "provider"),
        (2, "customer"),
        (3, "incident_owner"),
        (3, "customer"),
    }
    assert rows[(2, "provider")].roles == ["service_desk", "engineer"]
    assert rows[(2, "customer")].required and not rows[(1, "customer")].required


def test_level_1_the_service_desk_confirms_and_the_customer_is_notified_via_the_ticket(
    world, django_capture_on_commit_callbacks
):
    change = rfc(world, "a", level=1)
    with pytest.raises(PermissionDenied) as exc:  # cloud engineering does not confirm standard changes
        services.change_approve(actor=world["engineer"], change=change)
    assert "Service desk" in exc.value.detail
    with pytest.raises(PermissionDenied) as exc:  # the customer confirmed in advance: no decision to give
        services.change_approve(actor=second_approver(world, "a"), change=change)
    assert "confirmed in advance" in exc.value.detail
    change = services.change_approve(actor=world["service_desk"], change=change)
    assert change.state == ChangeState.IMPLEMENTATION
    mail = Notification.objects.get(event="change.confirmed")
    assert mail.recipient == world["contact_a"].email and change.reference in mail.subject


def test_level_2_needs_both_the_provider_and_the_customer_approver(world):
    change = _at_approval(world)
    change = services.change_approve(actor=world["engineer"], change=change)
    assert change.state == ChangeState.APPROVAL  # waiting for the customer
    assert "waiting for: customer" in ChangeEvent.objects.filter(change=change).last().note
    change = services.change_approve(actor=second_approver(world, "a"), change=change)
    assert change.state == ChangeState.SCHEDULED  # D3: the schedule is agreed with the customer next
    assert set(ChangeApproval.objects.filter(change=change).values_list("side", flat=True)) == {
        "provider",
        "customer",
    }


def test_level_2_customer_first_then_the_service_desk(world):
    change = _at_approval(world)
    change = services.change_approve(actor=second_approver(world, "a"), change=change)
    assert change.state == ChangeState.APPROVAL
    assert (
        services.change_approve(actor=world["service_desk"], change=change).state
        == ChangeState.SCHEDULED
    )


def test_level_2_provider_approval_only_by_service_desk_or_cloud_engineering(world):
    change = _at_approval(world)
    for role in ("change_manager", "account_manager", "csdm"):
        with pytest.raises(PermissionDenied):
            services.change_approve(actor=world[role], change=change)
    with pytest.raises(PermissionDenied):
        services.change_approve(actor=world["billing"], change=change)
    assert not ChangeApproval.objects.exists()


def test_the_requester_never_approves_their_own_change(world):
    change = _at_approval(world)  # submitted by customer_a (contact_a)
    with pytest.raises(PermissionDenied) as exc:
        services.change_approve(actor=world["customer_a"], change=change)
    assert "can never approve their own change" in exc.value.detail
    with pytest.raises(PermissionDenied):  # nor on their behalf, by phone
        services.change_approve(actor=world["service_desk"], change=change, contact=world["contact_a"].pk)
    staff_change = _at_approval(world, by=world["engineer"])
    with pytest.raises(PermissionDenied):
        services.change_approve(actor=world["engineer"], change=staff_change)
    assert not ChangeApproval.objects.exists()
    assert _reload(change).state == ChangeState.APPROVAL


def test_only_the_nominated_change_approver_approves_when_one_is_named(world):
    other = second_approver(world, "a")
    third = directory.contact_create(
        actor=world["admin"],
        organisation=world["org_a"],
        name="Tom Third",
        email="tom@a.test",
        is_change_approver=True,
    )
    change = _at_approval(world, authoriser=third.pk)
    with pytest.raises(PermissionDenied) as exc:
        services.change_approve(actor=other, change=change)
    assert "not the change approver nominated" in exc.value.detail
    # the service desk records Tom's approval, given by phone
    change = services.change_approve(actor=world["service_desk"], change=change, contact=third.pk)
    approval = ChangeApproval.objects.get(change=change)
    assert approval.side == "customer" and approval.contact == third


def test_a_non_approver_contact_cannot_approve(world):
    change = _at_approval(world)
    plain = directory.contact_create(
        actor=world["admin"], organisation=world["org_a"], name="Pat Plain", email="pat@a.test"
    )
    with pytest.raises(PermissionDenied) as exc:
        services.change_approve(actor=world["service_desk"], change=change, contact=plain.pk)
    assert "Pat Plain is not an authorised change approver" in exc.value.detail


def test_either_side_rejects_with_a_reason_and_the_change_returns_to_consultation(world):
    for rejecter in ("provider", "customer"):
        change = _at_approval(world)
        change = (
            services.change_approve(actor=world["engineer"], change=change)
            if rejecter == "customer"
            else change
        )
        actor = second_approver(world, "a") if rejecter == "customer" else world["service_desk"]
        with pytest.raises(ValidationFailed) as exc:
            services.change_reject(actor=actor, change=change, reason="")
        assert exc.value.errors[0]["field"] == "reason"
        change = services.change_reject(actor=actor, change=change, reason="Window clashes with month end.")
        assert change.state == ChangeState.CONSULTATION and change.approval_round == 2
        assert "Window clashes" in ChangeEvent.objects.filter(change=change).last().note
        # back to approval: the earlier round's approvals no longer count
        change = services.change_transition(
            actor=world["engineer"], change=change, to_state=ChangeState.APPROVAL
        )
        change = services.change_approve(actor=second_approver(world, "a"), change=change)
        assert change.state == ChangeState.APPROVAL
        change = services.change_approve(actor=world["engineer"], change=change)
        assert change.state == ChangeState.SCHEDULED


def test_one_decision_per_side_per_round(world):
    change = _at_approval(world)
    change = services.change_approve(actor=world["engineer"], change=change)
    with pytest.raises(Conflict):
        services.change_approve(actor=world["service_desk"], change=change)


def test_level_3_the_incident_owner_decides_and_records_whom_they_contacted(world):
    change = rfc(world, "a", level=3, by=world["service_desk"], incident_owner=world["engineer"].pk)
    with pytest.raises(PermissionDenied) as exc:
        services.change_approve(actor=world["cloud_support_manager"], change=change, contacted="x")
    assert "incident owner" in exc.value.detail
    with pytest.raises(PermissionDenied):  # customer incident contacts are told, they do not approve
        services.change_approve(actor=second_approver(world, "a"), change=change)
    with pytest.raises(ValidationFailed) as exc:
        services.change_approve(actor=world["engineer"], change=change)
    assert exc.value.errors[0]["field"] == "contacted"
    change = services.change_approve(
        actor=world["engineer"], change=change, contacted="Phoned Contact A at 02:10."
    )
    approval = ChangeApproval.objects.get(change=change)
    assert (approval.side, approval.contacted) == ("incident_owner", "Phoned Contact A at 02:10.")
    assert change.state == ChangeState.IMPLEMENTATION


def test_level_3_without_a_named_owner_the_deciding_staff_member_becomes_it(world):
    change = rfc(world, "a", level=3)  # a customer approver raised it for a live incident
    change = services.change_approve(
        actor=world["cloud_support_manager"], change=change, contacted="Customer on the bridge."
    )
    assert change.incident_owner == world["cloud_support_manager"]


def test_a_decision_outside_approval_is_refused_naming_the_state(world):
    change = rfc(world, "a")
    with pytest.raises(Conflict) as exc:
        services.change_approve(actor=world["engineer"], change=change)
    assert "confirm need" in exc.value.detail


def test_another_tenants_approver_cannot_decide(world):
    change = _at_approval(world)
    with pytest.raises(PermissionDenied):
        services.change_approve(actor=world["customer_b"], change=change)
    with pytest.raises(ValidationFailed):
        services.change_approve(actor=world["service_desk"], change=change, contact=world["contact_b"].pk)


def test_withdrawing_closes_the_deadlines(world):
    change = rfc(world, "a")
    change = services.change_withdraw(actor=world["service_desk"], change=change, reason="Not needed.")
    assert change.state == ChangeState.WITHDRAWN
    assert Deadline.objects.get(owner_type="change", owner_id=change.pk).closed_at is not None
    with pytest.raises(Conflict):
        services.change_transition(actor=world["engineer"], change=change, to_state=ChangeState.IDENTIFY)


def test_the_catalogue_and_pipelines(world):
    entry = standard_change(world)
    with pytest.raises(ValidationFailed):
        services.standard_change_create(actor=world["change_manager"], name=entry.name.upper(), runbook="x")
    with pytest.raises(PermissionDenied):
        services.standard_change_create(actor=world["customer_a"], name="x", runbook="x")
    rfc(world, "a", level=1)
    with pytest.raises(ValidationFailed):
        services.standard_change_delete(actor=world["change_manager"], standard_change=entry)
    pipeline = services.pipeline_create(
        actor=world["engineer"], service=world["service_a"].pk, name="GitHub Actions main"
    )
    assert pipeline.service == world["service_a"]
    with pytest.raises(ValidationFailed):
        services.pipeline_create(
            actor=world["engineer"], service=world["service_a"].pk, name="GitHub Actions main"
        )
    assert DOCUMENTS  # the documents the factory writes
