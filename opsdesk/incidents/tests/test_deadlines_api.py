"""GET …/deadlines (B3–B7, C6, C7): an incident's, an RCA's and an escalation's deadlines as sla
keeps them — where each stands, the business time left and why it is due when it is — within the
caller's tenancy (another organisation's: 404), with the internal B6 warning for staff only."""

from __future__ import annotations

from datetime import datetime

from opsdesk.calendars.models import Calendar
from opsdesk.calendars.services import business_calendar
from opsdesk.incidents import services
from opsdesk.incidents.escalations.tests.test_escalations import raise_
from opsdesk.incidents.rca.models import RootCauseAnalysis
from opsdesk.incidents.rca.tests.test_rca import closed_p1
from opsdesk.incidents.tests.conftest import client_for, log, logged_by_desk, london
from opsdesk.sla.deadlines import deadline_explain
from opsdesk.sla.models import Deadline
from opsdesk.sla.selectors import INTERNAL_FIELDS

API = "/api/v1"


def get(world, who: str, url: str):
    return client_for(world[who]).get(url)


def by_kind(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["kind"]: row for row in response.json()["deadlines"]}


def test_an_incidents_deadlines_with_their_explanations(world):
    incident = log(world, priority="P3", at=london(2026, 12, 1, 16, 30))  # sla-examples: P3 at 16:30
    url = f"{API}/incidents/{incident.pk}/deadlines"

    staff = by_kind(get(world, "service_desk", url))
    assert set(staff) == {"initial_response", "considered_response"}
    initial = staff["initial_response"]
    assert initial["due_at"] == "2026-12-02T10:00:00Z"  # 1 business hour, or by 10:00 next day
    assert initial["rule"] == {
        "hours": 1.0,
        "fallback": "10:00:00",
        "business_days": None,
        "working_days": None,
    }
    truth = Deadline.objects.get(owner_type="incident", owner_id=incident.pk, kind="initial_response")
    assert initial["explanation"] == deadline_explain(truth)
    assert "10:00 on the next business day" in " ".join(initial["explanation"])
    assert initial["status"] == "breached" and initial["remaining_business_seconds"] < 0  # it is later now
    # B6 at 80 % of the 90 business minutes from 16:30 to 10:00; not recorded until the sweep runs.
    assert (initial["warn_at"], initial["warned_at"]) == ("2026-12-02T09:42:00Z", None)
    assert initial["warning_fraction"] == 0.8

    customer = by_kind(get(world, "customer_a", url))
    assert set(customer) == set(staff)
    for kind, row in customer.items():
        assert not set(INTERNAL_FIELDS) & set(row), "the B6 warning is internal"
        same = set(row) - {"remaining_business_seconds"}  # worked out at each answer's instant
        assert {k: staff[kind][k] for k in same} == {k: row[k] for k in same}
    assert get(world, "customer_b", url).status_code == 404
    assert get(world, "service_desk", f"{API}/incidents/999999/deadlines").status_code == 404


def test_a_paused_incidents_deadlines_keep_the_time_left_at_the_pause(world):
    desk = world["service_desk"]
    incident = logged_by_desk(
        world, title="Slow", description="Slow pages.", priority="P3", at=london(2026, 12, 1, 10)
    )
    incident = services.incident_acknowledge(actor=desk, incident=incident, at=london(2026, 12, 1, 10, 20))
    services.incident_await_customer(
        actor=desk, incident=incident, note="Which region?", at=london(2026, 12, 1, 11)
    )
    rows = by_kind(get(world, "customer_a", f"{API}/incidents/{incident.pk}/deadlines"))
    assert (
        rows["initial_response"]["status"] == "met"
        and rows["initial_response"]["remaining_business_seconds"] is None
    )
    considered = rows["considered_response"]
    assert considered["paused"] is True and considered["status"] == "paused"
    assert considered["paused_at"] == "2026-12-01T11:00:00Z"
    # 4 business hours from 10:00 is 14:00; paused at 11:00 with 3 h left, however long it waits.
    assert considered["remaining_business_seconds"] == 3 * 3600


def test_an_rcas_due_date_in_working_days(world):
    incident = closed_p1(world, closed_at=london(2026, 12, 1, 15))
    rca = RootCauseAnalysis.objects.get(incident=incident)
    url = f"{API}/rcas/{rca.pk}/deadlines"
    (row,) = get(world, "customer_a", url).json()["deadlines"]
    assert (row["kind"], row["due_at"], row["rule"]["working_days"]) == (
        "rca_due",
        "2026-12-15T15:00:00Z",
        10,
    )
    assert (
        row["explanation"][-1]
        == "10 working days later, closed days not counted: due Tue 15 Dec 2026 15:00 GMT."
    )
    assert not set(INTERNAL_FIELDS) & set(row)
    assert "warn_at" in get(world, "service_desk", url).json()["deadlines"][0]
    assert get(world, "customer_b", url).status_code == 404


def test_an_escalations_targets(world):
    at = london(2026, 12, 1, 16, 30)
    incident = logged_by_desk(world, title="Degraded", description="Latency.", priority="P2", at=at)
    escalation = raise_(world, incident, at=at)
    url = f"{API}/escalations/{escalation.pk}/deadlines"
    rows = by_kind(get(world, "customer_a", url))
    assert {k: r["due_at"] for k, r in rows.items()} == {
        "escalation_acknowledgement": "2026-12-02T09:30:00Z",
        "escalation_response": "2026-12-02T10:30:00Z",
    }
    answered_at = datetime.fromisoformat(get(world, "customer_a", url).json()["at"])
    clock = business_calendar(Calendar.objects.get(name="uk"))
    for row in rows.values():
        assert row["calendar"] == "uk" and row["explanation"][0].startswith("Logged Tue 1 Dec 2026 16:30 GMT")
        # The time left is business time from the answer's instant to the due time (past it: < 0).
        due = datetime.fromisoformat(row["due_at"])
        left = clock.business_time_between(answered_at, due).total_seconds()
        assert abs(row["remaining_business_seconds"] - left) <= 60
    assert get(world, "customer_b", url).status_code == 404
    assert get(world, "service_desk", url).status_code == 200
