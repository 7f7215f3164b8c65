"""Incident services: logging (C1, C2), proactive incidents (C3), the lifecycle (C4), notes (C5)
and the pause of the SLA clock (B4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsdesk.core.models import AuditEvent
from opsdesk.directory import services as directory
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import EventKind, IncidentState, Source
from opsdesk.incidents.models import DiagnosticsChecklistItem, Incident, IncidentEvent, IncidentNote
from opsdesk.incidents.tests.conftest import all_checks, log, london
from opsdesk.notifications.models import Notification


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _counts():
    return Incident.objects.count(), AuditEvent.objects.count(), Notification.objects.count()


def _fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- logging (C1, C2) ----------------------------------------------------------------------------


def test_customer_logs_p3_with_the_targets_of_sla_examples_row_3(world):
    incident = log(world, at=london(2026, 12, 1, 16, 30))

    assert incident.reference == f"INC-{incident.pk:06d}"
    assert incident.organisation == world["org_a"]
    assert incident.service == world["service_a"]
    assert incident.reported_by == world["contact_a"]
    assert incident.created_by == world["customer_a"]
    assert incident.source == Source.CUSTOMER
    assert incident.state == IncidentState.NEW
    assert incident.sla_calendar.name == "uk"
    assert incident.initial_response_due == utc(2026, 12, 2, 10, 0)
    assert incident.considered_response_due == utc(2026, 12, 2, 12, 0)
    # B6: 80 % of 1.5 business hours (16:30–17:00, 09:00–10:00) is 72 min: Wed 09:42;
    # 80 % of 3.5 business hours is 2 h 48 min: 30 min on Tuesday, then Wed 11:18.
    assert incident.initial_warning_at == utc(2026, 12, 2, 9, 42)
    assert incident.considered_warning_at == utc(2026, 12, 2, 11, 18)
    assert incident.next_target_at == incident.initial_response_due
    assert incident.telephone_follow_up_required is False
    assert incident.diagnostics_confirmed == sorted(all_checks())
    steps = incident.explanation
    assert steps["calendar"] == "uk"
    assert any("10:00 on the next business day" in s for s in steps["initial"])
    assert any("12:00 on the next business day" in s for s in steps["considered"])

    audit = AuditEvent.objects.get(object_type="incidents.incident", object_id=str(incident.pk))
    assert audit.after["reference"] == incident.reference
    assert audit.organisation_id == world["org_a"].pk
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.LOGGED).count() == 1
    mail = Notification.objects.get(event="incident.logged", channel="email")
    assert mail.recipient == world["contact_a"].email
    assert incident.reference in mail.subject
    assert "Wed 2 Dec 2026 10:00 GMT" in mail.body and "Wed 2 Dec 2026 12:00 GMT" in mail.body


@pytest.mark.parametrize(
    ("priority", "logged", "initial", "considered"),
    [
        ("P3", london(2026, 12, 1, 10, 0), utc(2026, 12, 1, 11), utc(2026, 12, 1, 14)),
        ("P3", london(2026, 12, 1, 13, 30), utc(2026, 12, 1, 14, 30), utc(2026, 12, 2, 12)),
        ("P3", london(2026, 12, 4, 20, 0), utc(2026, 12, 7, 10), utc(2026, 12, 7, 13)),
        ("P3", london(2026, 12, 24, 16, 15), utc(2026, 12, 29, 10), utc(2026, 12, 29, 12)),
        ("P3", london(2026, 3, 27, 16, 30), utc(2026, 3, 30, 9), utc(2026, 3, 30, 11)),
        ("P4", london(2026, 12, 7, 11, 0), utc(2026, 12, 8, 11), utc(2026, 12, 8, 11)),
        ("P4", london(2026, 12, 7, 9, 0), utc(2026, 12, 7, 17), utc(2026, 12, 7, 17)),
        ("P1", utc(2026, 3, 29, 0, 50), utc(2026, 3, 29, 1, 5), utc(2026, 3, 29, 1, 50)),
    ],
)
def test_stored_targets_are_the_worked_examples(world, priority, logged, initial, considered):
    incident = log(world, priority=priority, at=logged)
    assert (incident.initial_response_due, incident.considered_response_due) == (initial, considered)
    assert incident.sla_calendar.name == ("24x7" if priority == "P1" else "uk")


def test_staff_log_on_behalf_of_a_named_contact(world, desk):
    incident = log(world, who="service_desk", reported_by=world["contact_a"].pk)
    assert incident.reported_by == world["contact_a"]
    assert incident.created_by == desk
    assert incident.source == Source.STAFF


def test_missing_fields_are_all_named_at_once_and_nothing_is_stored(world):
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.incident_log(
            actor=world["customer_a"],
            service_reference="",
            title=" ",
            description="",
            priority="P3",
            diagnostics_confirmed=[],
        )
    assert _fields(exc) == {"service_reference", "title", "description", "diagnostics_confirmed"}
    assert _counts() == before


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"service_reference": "NOPE-1"}, "service_reference", "has no service with the reference"),
        ({"priority": "P9"}, "priority", "Unknown priority"),
        ({"priority": ""}, "priority", "required"),
        ({"diagnostics_confirmed": []}, "diagnostics_confirmed", "Confirm every diagnostics check"),
        ({"diagnostics_confirmed": [987654]}, "diagnostics_confirmed", "Not an active checklist item"),
        ({"reported_by": "other"}, "reported_by", "own named contact"),
    ],
)
def test_each_bad_input_names_its_field_and_stores_nothing(world, changes, field, words):
    if changes.get("reported_by") == "other":
        changes = {"reported_by": world["contact_b"].pk}
    if changes.get("diagnostics_confirmed") == []:
        changes = {"diagnostics_confirmed": all_checks()[:-1]}
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        log(world, **changes)
    assert field in _fields(exc)
    assert words in " ".join(e["message"] for e in exc.value.errors)
    assert _counts() == before


def test_a_service_of_another_organisation_is_unknown(world):
    with pytest.raises(ValidationFailed) as exc:
        log(world, service_reference=world["service_b"].reference)
    assert _fields(exc) == {"service_reference"}
    assert "CanaryBravo" not in exc.value.errors[0]["message"].replace(world["service_b"].reference, "")


@pytest.fixture
def dev_service(world):
    """A non-production service of A, "A-DEV": P1 and P2 are refused on it (C2)."""
    return directory.service_create(
        actor=world["admin"],
        organisation=world["org_a"],
        reference="A-DEV",
        name="Dev",
        environment="non-production",
    )


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_p1_p2_only_on_production_services(world, dev_service, priority):
    """C2."""
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        log(world, priority=priority, service_reference="A-DEV")
    assert _fields(exc) == {"priority"}
    assert "P1 and P2 are only for production services" in exc.value.errors[0]["message"]
    assert _counts() == before
    assert log(world, priority="P3", service_reference="A-DEV").priority == "P3"


def test_staff_need_a_named_contact_of_that_organisation(world):
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.incident_log(
            actor=world["service_desk"],
            service_reference=world["service_a"].reference,
            title="t",
            description="d",
            priority="P3",
            diagnostics_confirmed=all_checks(),
        )
    assert _fields(exc) == {"reported_by"}
    with pytest.raises(ValidationFailed) as exc:
        services.incident_log(
            actor=world["service_desk"],
            service=world["service_a"],
            reported_by=world["contact_b"],
            title="t",
            description="d",
            priority="P3",
            diagnostics_confirmed=all_checks(),
        )
    assert _fields(exc) == {"reported_by"}
    assert _counts() == before


def test_users_without_a_role_that_logs_cannot_log(world):
    from opsdesk.directory.models import User

    partner = User.objects.create_user("p@x.test", "pw-123456789", full_name="P", role="partner")
    with pytest.raises(PermissionDenied):
        services.incident_log(
            actor=partner,
            service=world["service_a"],
            reported_by=world["contact_a"],
            title="t",
            description="d",
            priority="P3",
            diagnostics_confirmed=all_checks(),
        )


# --- telephone follow-up (C2) ------------------------------------------------------------------


def test_customer_p1_needs_a_telephone_follow_up_until_a_call_is_recorded(world, desk):
    incident = log(world, priority="P1")
    assert incident.telephone_follow_up_required is True
    assert "telephone" in Notification.objects.get(event="incident.logged", channel="email").body
    incident = services.incident_record_call(actor=desk, incident=incident, summary="Spoke to Ana.")
    assert incident.telephone_follow_up_required is False
    assert incident.telephone_call_recorded_at is not None
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.CALL_RECORDED).exists()
    assert log(world, priority="P3").telephone_follow_up_required is False


def test_raising_a_customer_incident_to_p2_asks_for_a_call(world, desk):
    incident = log(world, priority="P3", at=london(2026, 12, 1, 10))
    incident = services.incident_change_priority(actor=desk, incident=incident, priority="P2")
    assert incident.telephone_follow_up_required is True
    assert incident.sla_calendar.name == "24x7"
    assert incident.initial_response_due == utc(2026, 12, 1, 11)
    assert incident.considered_response_due == utc(2026, 12, 1, 12)


def test_priority_change_rechecks_production(world, dev_service, desk):
    incident = log(world, priority="P3", service_reference="A-DEV")
    with pytest.raises(ValidationFailed) as exc:
        services.incident_change_priority(actor=desk, incident=incident, priority="P1")
    assert _fields(exc) == {"priority"}


# --- proactive incidents (C3) -----------------------------------------------------------------


@pytest.fixture
def night_contact(world):
    return directory.contact_create(
        actor=world["admin"],
        organisation=world["org_a"],
        name="Night Owl",
        email="night@a.test",
        gdpr_consent=True,
        is_technical_out_of_hours=True,
    )


def test_proactive_in_hours_reaches_the_in_hours_technical_contact(world, desk, night_contact):
    incident = services.incident_raise_proactive(
        actor=desk,
        organisation=world["org_a"],
        title="CPU alarm",
        description="CPU above 95 % for 10 minutes.",
        priority="P2",
        service=world["service_a"],
        source="alarm",
        at=london(2026, 12, 1, 10, 0),
    )
    assert incident.contact_to_reach == world["contact_a"]
    assert incident.reported_by is None
    assert incident.source == Source.ALARM
    assert incident.sla_calendar.name == "24x7"
    assert (
        Notification.objects.get(event="incident.logged", channel="email").recipient
        == world["contact_a"].email
    )


def test_proactive_out_of_hours_reaches_the_out_of_hours_contact(world, desk, night_contact):
    incident = services.incident_raise_proactive(
        actor=desk,
        organisation=world["org_a"],
        title="Disk alarm",
        description="Disk 90 % full.",
        priority="P3",
        at=london(2026, 12, 5, 3, 0),
    )
    assert incident.contact_to_reach == night_contact
    assert incident.service is None
    assert incident.initial_response_due == utc(2026, 12, 7, 10)


def test_proactive_without_an_out_of_hours_contact_is_refused(world, desk):
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.incident_raise_proactive(
            actor=desk,
            organisation=world["org_a"],
            title="Disk alarm",
            description="Disk 90 % full.",
            priority="P3",
            at=london(2026, 12, 5, 3, 0),
        )
    assert _fields(exc) == {"contact_to_reach"}
    assert _counts() == before


def test_customers_cannot_raise_proactive_incidents(world):
    with pytest.raises(PermissionDenied):
        services.incident_raise_proactive(
            actor=world["customer_a"], organisation=world["org_a"], title="t", description="d", priority="P3"
        )


# --- lifecycle (C4) ----------------------------------------------------------------------------


def test_full_lifecycle_is_timestamped_attributed_and_audited(world, desk):
    incident = log(world, at=london(2026, 12, 1, 10, 0))
    incident = services.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 12, 1, 10, 20))
    assert incident.state == IncidentState.ACKNOWLEDGED
    assert incident.initial_response_at == utc(2026, 12, 1, 10, 20)
    assert incident.next_target_at == incident.considered_response_due

    incident = services.incident_start_investigating(
        actor=desk, incident=incident, at=london(2026, 12, 1, 10, 30)
    )
    assert incident.state == IncidentState.INVESTIGATING
    assert incident.considered_response_at is None  # the move alone is not a considered response

    services.incident_add_note(
        actor=desk,
        incident=incident,
        body="We found the failing target group and are draining it.",
        at=london(2026, 12, 1, 11, 0),
    )
    incident.refresh_from_db()
    assert incident.considered_response_at == utc(2026, 12, 1, 11)
    assert incident.next_target_at is None

    incident = services.incident_resolve(
        actor=desk, incident=incident, summary="Replaced the instance.", at=london(2026, 12, 1, 12)
    )
    assert incident.state == IncidentState.RESOLVED
    assert incident.resolved_at == utc(2026, 12, 1, 12)
    incident = services.incident_close(actor=world["customer_a"], incident=incident, customer_confirmed=True)
    assert incident.state == IncidentState.CLOSED
    assert incident.closed_at is not None and incident.customer_confirmed_at is not None

    moves = list(
        IncidentEvent.objects.filter(incident=incident)
        .exclude(to_state="")
        .order_by("pk")
        .values_list("from_state", "to_state")
    )
    assert moves == [
        ("", "new"),
        ("new", "acknowledged"),
        ("acknowledged", "investigating"),
        ("investigating", "resolved"),
        ("resolved", "closed"),
    ]
    actors = set(IncidentEvent.objects.filter(incident=incident).values_list("actor__email", flat=True))
    assert actors == {world["customer_a"].email, desk.email}
    states = [
        e.after["state"]
        for e in AuditEvent.objects.filter(
            object_type="incidents.incident", object_id=str(incident.pk)
        ).order_by("id")
    ]
    assert states[0] == "new" and states[-1] == "closed"


def test_closing_a_new_incident_is_an_invalid_transition(world, desk):
    incident = log(world)
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        services.incident_close(actor=desk, incident=incident, customer_confirmed=True, reason="phone")
    assert _fields(exc) == {"state"}
    message = exc.value.errors[0]["message"]
    assert "from New to Closed" in message and "Allowed next states: Acknowledged" in message
    assert _counts() == before


@pytest.mark.parametrize(
    ("steps", "move"),
    [
        ([], "resolve"),
        (["ack"], "ack"),
        (["ack"], "resume"),
        (["ack", "resolve", "close"], "ack"),
    ],
)
def test_invalid_transitions_list_the_allowed_next_states(world, desk, steps, move):
    incident = log(world)
    do = {
        "ack": lambda i: services.incident_acknowledge(actor=desk, incident=i),
        "resolve": lambda i: services.incident_resolve(actor=desk, incident=i, summary="Fixed it."),
        "close": lambda i: services.incident_close(
            actor=desk, incident=i, customer_confirmed=True, reason="phone"
        ),
        "resume": lambda i: services.incident_resume(actor=desk, incident=i),
    }
    for step in steps:
        incident = do[step](incident)
    with pytest.raises(ValidationFailed) as exc:
        do[move](incident)
    assert _fields(exc) == {"state"}
    assert (
        "Allowed next states" in exc.value.errors[0]["message"]
        or "Only an incident" in exc.value.errors[0]["message"]
    )


def test_closing_needs_the_customers_confirmation(world, desk):
    incident = services.incident_acknowledge(actor=desk, incident=log(world))
    incident = services.incident_resolve(actor=desk, incident=incident, summary="Fixed it.")
    with pytest.raises(ValidationFailed) as exc:
        services.incident_close(actor=desk, incident=incident, customer_confirmed=False, reason="")
    assert _fields(exc) == {"customer_confirmed", "reason"}
    with pytest.raises(ValidationFailed) as exc:
        services.incident_close(actor=desk, incident=incident, customer_confirmed=True, reason="  ")
    assert _fields(exc) == {"reason"}
    with pytest.raises(ValidationFailed) as exc:
        services.incident_close(actor=world["customer_a"], incident=incident, customer_confirmed=False)
    assert _fields(exc) == {"customer_confirmed"}
    closed = services.incident_close(
        actor=desk, incident=incident, customer_confirmed=True, reason="Ana confirmed by phone."
    )
    assert closed.closure_reason == "Ana confirmed by phone."
    assert (
        "on the customer's behalf" in IncidentEvent.objects.get(incident=closed, kind=EventKind.CLOSED).detail
    )


def test_only_incident_staff_move_incidents(world):
    incident = log(world)
    for who in ("customer_a", "account_manager", "change_manager"):
        with pytest.raises(PermissionDenied):
            services.incident_acknowledge(actor=world[who], incident=incident)


# --- pause (B4) ---------------------------------------------------------------------------------


def test_pause_moves_unmet_targets_by_the_paused_business_time(world, desk):
    incident = log(world, priority="P4", at=london(2026, 12, 1, 10, 0))
    assert incident.considered_response_due == utc(2026, 12, 2, 10)
    warning = incident.considered_warning_at
    incident = services.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 12, 1, 10, 30))
    initial_due = incident.initial_response_due

    incident = services.incident_await_customer(
        actor=desk,
        incident=incident,
        note="Please send us the request ids of the failing calls and the time you saw them.",
        at=london(2026, 12, 1, 16, 0),
    )
    assert incident.state == IncidentState.AWAITING_CUSTOMER
    assert incident.paused_at == utc(2026, 12, 1, 16)
    assert incident.considered_response_at is None  # a question is not the considered response

    incident = services.incident_resume(actor=desk, incident=incident, at=london(2026, 12, 2, 10, 0))
    assert incident.state == IncidentState.INVESTIGATING
    assert incident.paused_at is None
    assert incident.paused_seconds == 2 * 3600  # Tue 16:00–17:00 and Wed 09:00–10:00
    assert incident.considered_response_due == utc(2026, 12, 2, 12)
    assert warning == utc(2026, 12, 1, 16, 24)
    assert incident.considered_warning_at == utc(2026, 12, 2, 10, 24)  # 2 business hours later
    assert incident.initial_response_due == initial_due  # met: stays
    assert incident.next_target_at == utc(2026, 12, 2, 12)
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.RESUMED).count() == 1


def test_a_customer_reply_resumes_the_clock(world, desk):
    incident = services.incident_acknowledge(
        actor=desk, incident=log(world, priority="P4", at=london(2026, 12, 1, 10))
    )
    services.incident_await_customer(
        actor=desk, incident=incident, note="Which region?", at=london(2026, 12, 1, 11)
    )
    services.incident_add_note(
        actor=world["customer_a"], incident=incident, body="eu-west-2.", at=london(2026, 12, 1, 11, 30)
    )
    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING
    assert incident.paused_seconds == 1800
    assert incident.considered_response_due == utc(2026, 12, 2, 10, 30)


# --- notes (C5) ---------------------------------------------------------------------------------


def test_customers_never_see_internal_notes(world, desk):
    incident = services.incident_acknowledge(actor=desk, incident=log(world))
    services.incident_add_note(actor=desk, incident=incident, body="Internal: noisy neighbour?", public=False)
    services.incident_add_note(
        actor=desk, incident=incident, body="We are on it and will update you by noon."
    )

    customer_notes = list(selectors.incident_notes(user=world["customer_a"], incident=incident))
    assert [n.public for n in customer_notes] == [True]
    timeline = selectors.incident_timeline(user=world["customer_a"], incident=incident)
    assert all(e.public for e in timeline)
    assert not any("noisy neighbour" in (e.body + e.detail) for e in timeline)
    staff_timeline = selectors.incident_timeline(user=desk, incident=incident)
    assert any("noisy neighbour" in e.body for e in staff_timeline)
    # The internal note is not in the customer's (public) history either.
    assert not AuditEvent.objects.filter(
        object_type="incidents.incidentnote", public=True, after__public=False
    )


def test_customers_add_public_notes_only(world):
    incident = log(world)
    with pytest.raises(ValidationFailed) as exc:
        services.incident_add_note(actor=world["customer_a"], incident=incident, body="hidden?", public=False)
    assert _fields(exc) == {"public"}
    note = services.incident_add_note(actor=world["customer_a"], incident=incident, body="More detail: 502s.")
    assert note.public
    incident.refresh_from_db()
    assert incident.considered_response_at is None  # customers do not respond to themselves


def test_first_substantive_public_staff_note_is_the_considered_response(world, desk):
    incident = services.incident_acknowledge(actor=desk, incident=log(world))
    services.incident_add_note(actor=desk, incident=incident, body="Looking.")
    incident.refresh_from_db()
    assert incident.considered_response_at is None
    assert incident.state == IncidentState.ACKNOWLEDGED
    services.incident_add_note(
        actor=desk, incident=incident, body="Internal analysis of the logs", public=False
    )
    incident.refresh_from_db()
    assert incident.considered_response_at is None
    services.incident_add_note(
        actor=desk, incident=incident, body="The database failed over; we are restoring."
    )
    incident.refresh_from_db()
    assert incident.considered_response_at is not None
    assert incident.state == IncidentState.INVESTIGATING
    notes = Notification.objects.filter(event="incident.note", channel="email")
    assert notes.count() == 2  # the two public notes reached the named contact
    assert set(notes.values_list("recipient", flat=True)) == {world["contact_a"].email}


def test_the_customers_own_note_is_not_mailed_back_to_them(world):
    incident = log(world)
    services.incident_add_note(actor=world["customer_a"], incident=incident, body="Extra detail.")
    assert not Notification.objects.filter(event="incident.note", channel="email").exists()


# --- tenancy (A4) -------------------------------------------------------------------------------


def test_another_tenants_incident_is_not_found(world):
    incident = log(world)
    with pytest.raises(NotFound):
        selectors.incident_get(user=world["customer_b"], pk=incident.pk)
    assert selectors.incident_get(user=world["customer_a"], pk=incident.pk) == incident
    assert not selectors.incident_list(user=world["customer_b"]).exists()
    assert selectors.incident_list(user=world["engineer"]).count() == 1


def test_list_filters(world, desk):
    a = log(world, priority="P3", title="Payments down")
    b = log(world, priority="P4", title="Question about backups")
    services.incident_acknowledge(actor=desk, incident=b)
    services.incident_assign(actor=desk, incident=b, assignee=world["engineer"])
    c = services.incident_resolve(
        actor=desk, incident=services.incident_acknowledge(actor=desk, incident=log(world)), summary="Done."
    )

    def ids(**filters):
        return {i.pk for i in selectors.incident_list(user=desk, filters=filters)}

    assert ids(state="open") == {a.pk, b.pk}
    assert ids(state="resolved") == {c.pk}
    assert ids(priority="P4") == {b.pk}
    assert ids(assignee=world["engineer"].pk) == {b.pk}
    assert ids(q="payments") == {a.pk}
    assert ids(q=a.reference) == {a.pk}
    assert ids(organisation=world["org_b"].pk) == set()
    ordered = [i.pk for i in selectors.incident_list(user=desk)]
    assert ordered[-1] == c.pk  # no target left: last


# --- the diagnostics checklist (C1) ---------------------------------------------------------------


def test_the_default_checklist_is_seeded(db):
    texts = list(DiagnosticsChecklistItem.objects.filter(active=True).values_list("text", flat=True))
    assert "Checked the AWS Health Dashboard for the affected region" in texts
    assert len(texts) >= 4


def test_the_service_desk_extends_the_checklist_and_it_must_then_be_confirmed(world, desk):
    before = all_checks()
    item = services.checklist_item_create(actor=desk, text="Checked the service quotas")
    with pytest.raises(ValidationFailed) as exc:
        log(world, diagnostics_confirmed=before)
    assert "Checked the service quotas" in exc.value.errors[0]["message"]
    services.checklist_item_update(actor=desk, item=item, active=False)
    assert log(world, diagnostics_confirmed=before).pk
    for who in ("engineer", "customer_a"):
        with pytest.raises(PermissionDenied):
            services.checklist_item_create(actor=world[who], text="x")
    assert IncidentNote.objects.count() == 0
