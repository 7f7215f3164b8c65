"""E1: AWS Health notices. The one intake service (strict validation, nothing stored from a malformed
event; de-duplicated by event ARN and account; matched to the organisation by account id and to its
services by the accounts the resources name), triage by staff (assess, contact the named contact,
close, dismiss) with its timeline, tenancy (customers read their organisation's notices, never
another's, never the unmatched ones, and never triage), and raising a change from a notice through
the shell, in one transaction."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.changes.models import Change
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.core.models import SECURITY_ACTIONS, AuditEvent
from opsdesk.maintenance import services
from opsdesk.maintenance.models import HealthNotice
from opsdesk.maintenance.tests.conftest import client_for
from opsdesk.maintenance.tests.factory import event_for, notice

pytestmark = pytest.mark.django_db
API = "/api/v1/maintenance"


def post(client, url, body=None, **headers):
    return client.post(
        url, data=json.dumps(body if body is not None else {}), content_type="application/json", **headers
    )


# --- intake: de-duplication and matching -----------------------------------------------------------


def test_a_new_event_is_a_notice_matched_to_the_organisation_and_its_services(world):
    event = event_for(world, "a")
    made, created = services.health_event_receive(actor=world["service_desk"], event=event)
    assert created is True
    assert made.organisation == world["org_a"] and made.account == world["account_a"]
    assert [s.pk for s in made.services.all()] == [world["service_a"].pk]
    assert made.state == "new" and made.deliveries == 1 and made.category == "scheduledChange"
    assert made.aws_service == "RDS" and made.status_code == "upcoming"
    # AWS Health writes detail times in RFC 2822 ("Sun, 20 Dec 2026 02:00:00 GMT"): read as UTC.
    start = dt.datetime.strptime(event["detail"]["startTime"], "%a, %d %b %Y %H:%M:%S GMT")
    assert made.start_time == start.replace(tzinfo=dt.UTC)
    assert made.description.startswith("Amazon RDS will apply")
    assert made.affected_entities == ["db-orders"] and made.raw == event
    assert [e.to_state for e in made.events.all()] == ["new"]


def test_the_same_event_delivered_twice_is_one_notice_counted_twice_and_updated(world):
    event = event_for(world, "a")
    first, _ = services.health_event_receive(actor=world["service_desk"], event=event)
    again = copy.deepcopy(event)
    again["id"] = "second-delivery"
    again["detail"]["statusCode"] = "closed"
    again["detail"]["eventDescription"][0]["latestDescription"] = "The maintenance is complete."
    again["detail"]["lastUpdatedTime"] = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    again["detail"]["affectedEntities"].append({"entityValue": "db-reports"})
    repeat, created = services.health_event_receive(actor=world["service_desk"], event=again)
    assert created is False and repeat.pk == first.pk
    assert HealthNotice.objects.count() == 1
    repeat.refresh_from_db()
    assert repeat.deliveries == 2 and repeat.event_id == "second-delivery"
    assert repeat.status_code == "closed" and repeat.description == "The maintenance is complete."
    assert repeat.affected_entities == ["db-orders", "db-reports"]
    notes = [e.note for e in repeat.events.all()]
    assert any("status upcoming → closed" in n for n in notes), notes


def test_an_older_delivery_is_counted_but_does_not_overwrite_a_newer_one(world):
    event = event_for(world, "a")
    services.health_event_receive(actor=world["service_desk"], event=event)
    older = copy.deepcopy(event)
    older["detail"]["lastUpdatedTime"] = (timezone.now() - dt.timedelta(days=1)).isoformat()
    older["detail"]["statusCode"] = "open"
    older["detail"]["eventDescription"][0]["latestDescription"] = "Old text."
    made, created = services.health_event_receive(actor=world["service_desk"], event=older)
    made.refresh_from_db()
    assert created is False and made.deliveries == 2
    assert made.status_code == "upcoming" and made.description != "Old text."


def test_the_same_event_arn_on_another_account_is_another_notice(world):
    event = event_for(world, "a")
    services.health_event_receive(actor=world["service_desk"], event=event)
    other = copy.deepcopy(event)
    other["account"] = world["member_a"].account_id
    made, created = services.health_event_receive(actor=world["service_desk"], event=other)
    assert created is True
    assert HealthNotice.objects.filter(event_arn=event["detail"]["eventArn"]).count() == 2
    assert made.account == world["member_a"]


def test_resources_of_other_accounts_of_the_organisation_are_matched_too(world):
    member = world["member_a"].account_id
    entity = f"arn:aws:rds:eu-west-2:{member}:db:orders"
    made, _ = services.health_event_receive(
        actor=world["service_desk"], event=event_for(world, "a", entities=(entity,))
    )
    assert {a.pk for a in made.accounts.all()} == {world["account_a"].pk, world["member_a"].pk}
    assert made.resources == [entity]


def test_an_organisational_view_event_is_about_its_affected_account(world):
    event = event_for(world, "a")
    event["account"] = "999999999999"  # the AWS Organizations management account sending it
    event["detail"]["affectedAccount"] = world["member_a"].account_id
    made, _ = services.health_event_receive(actor=world["service_desk"], event=event)
    assert made.aws_account_id == world["member_a"].account_id and made.organisation == world["org_a"]


def test_an_unknown_account_is_stored_unmatched_and_seen_by_staff_only(world):
    event = event_for(world, "a")
    event["account"] = "999988887777"
    made, created = services.health_event_receive(actor=world["service_desk"], event=event)
    assert created and made.organisation is None and made.account is None and not made.services.exists()
    staff = client_for(world["service_desk"]).get(f"{API}/notices?unmatched=true").json()
    assert [n["id"] for n in staff["results"]] == [made.pk]
    customer = client_for(world["customer_a"])
    assert customer.get(f"{API}/notices").json()["count"] == 0
    assert customer.get(f"{API}/notices/{made.pk}").status_code == 404
    # An unmatched notice has no named contact to liaise with; it may be dismissed.
    with pytest.raises(ValidationFailed) as err:
        services.health_notice_contact(
            actor=world["admin"], health_notice=made, contact=world["contact_a"], method="phone"
        )
    assert err.value.errors[0]["field"] == "contact"


def test_a_repeat_delivery_matches_an_account_recorded_since(world):
    from opsdesk.directory import services as directory

    event = event_for(world, "a")
    event["account"] = "333333333301"
    made, _ = services.health_event_receive(actor=world["admin"], event=event)
    assert made.organisation is None
    directory.account_create(
        actor=world["admin"], organisation=world["org_b"], account_id="333333333301", name="new"
    )
    again, created = services.health_event_receive(actor=world["admin"], event=event)
    assert not created and again.organisation == world["org_b"] and again.deliveries == 2


# --- intake: malformed events ------------------------------------------------------------------------


def _without(path: str):
    def change(event):
        *parents, last = path.split(".")
        target = event
        for part in parents:
            target = target[part]
        del target[last]

    return change


def _setting(path: str, value):
    def change(event):
        *parents, last = path.split(".")
        target = event
        for part in parents:
            target = target[part]
        target[last] = value

    return change


MALFORMED = [
    ("no detail", _without("detail"), "detail"),
    ("no event ARN", _without("detail.eventArn"), "detail.eventArn"),
    (
        "not a Health ARN",
        _setting("detail.eventArn", "arn:aws:ec2:eu-west-2::instance/i-1"),
        "detail.eventArn",
    ),
    ("wrong source", _setting("source", "aws.ec2"), "source"),
    ("wrong detail-type", _setting("detail-type", "EC2 Instance State-change Notification"), "detail-type"),
    ("short account id", _setting("account", "12345"), "account"),
    ("account id with letters", _setting("account", "12345678901a"), "account"),
    ("time not a time", _setting("time", "yesterday"), "time"),
    ("time in year 9999", _setting("time", "9999-12-31T00:00:00+00:00"), "time"),
    ("time without zone", _setting("time", "2026-12-06T02:00:00"), "time"),
    ("start time not a time", _setting("detail.startTime", "soon"), "detail.startTime"),
    ("no start time", _without("detail.startTime"), "detail.startTime"),
    ("ends before it starts", _setting("detail.endTime", "Thu, 01 Jan 2026 00:00:00 GMT"), "detail.endTime"),
    ("unknown category", _setting("detail.eventTypeCategory", "outage"), "detail.eventTypeCategory"),
    ("unknown status", _setting("detail.statusCode", "pending"), "detail.statusCode"),
    ("no event id", _without("id"), "id"),
    (
        "entity without value",
        _setting("detail.affectedEntities", [{"tags": {}}]),
        "detail.affectedEntities.0.entityValue",
    ),
    ("bad affected account", _setting("detail.affectedAccount", "1"), "detail.affectedAccount"),
]


@pytest.mark.parametrize(("change", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_event_is_refused_naming_the_field_and_nothing_is_stored(world, change, field):
    event = event_for(world, "a")
    change(event)
    staff = client_for(world["service_desk"])
    audits = AuditEvent.objects.exclude(action__in=SECURITY_ACTIONS).count()
    r = post(staff, f"{API}/health-events", event)
    assert r.status_code == 422, r.content
    body = r.json()
    assert field in {e["field"] for e in body["errors"]}, body
    assert field in body["detail"]
    assert HealthNotice.objects.count() == 0
    assert AuditEvent.objects.exclude(action__in=SECURITY_ACTIONS).count() == audits


def test_the_service_refuses_what_is_not_an_object_or_too_large(world):
    with pytest.raises(ValidationFailed) as err:
        services.health_event_receive(actor=None, event=["not", "an", "object"])
    assert err.value.errors == [{"field": "event", "message": "An AWS Health event is a JSON object."}]
    event = event_for(world, "a")
    event["detail"]["eventDescription"][0]["latestDescription"] = "x" * (300 * 1024)
    with pytest.raises(ValidationFailed) as err:
        services.health_event_receive(actor=None, event=event)
    assert err.value.errors[0]["field"] == "event"
    assert HealthNotice.objects.count() == 0


def test_every_problem_is_named_at_once(world):
    event = event_for(world, "a")
    event["source"], event["account"], event["detail"]["eventTypeCategory"] = "x", "1", "y"
    with pytest.raises(ValidationFailed) as err:
        services.health_event_receive(actor=None, event=event)
    assert {e["field"] for e in err.value.errors} == {"source", "account", "detail.eventTypeCategory"}


# --- intake through the API ------------------------------------------------------------------------------


def test_the_api_answers_201_for_a_new_event_and_200_for_its_repeat(world):
    staff = client_for(world["engineer"])
    event = event_for(world, "a")
    r = post(staff, f"{API}/health-events", event)
    assert r.status_code == 201, r.content
    assert r["ETag"] and r.json()["organisation"] == world["org_a"].pk and r.json()["deliveries"] == 1
    r = post(staff, f"{API}/health-events", event)
    assert r.status_code == 200 and r.json()["deliveries"] == 2
    assert HealthNotice.objects.count() == 1


@pytest.mark.parametrize("who", ["customer_a", "billing"])
def test_only_operational_staff_post_events(world, who):
    r = post(client_for(world[who]), f"{API}/health-events", event_for(world, "a"))
    assert r.status_code == 403
    assert post(Client(), f"{API}/health-events", event_for(world, "a")).status_code == 401
    with pytest.raises(PermissionDenied):
        services.health_event_receive(actor=world[who], event=event_for(world, "a"))
    assert HealthNotice.objects.count() == 0


# --- triage -------------------------------------------------------------------------------------------------


def test_staff_triage_a_notice_assess_contact_close_with_a_timeline(world):
    made = notice(world, "a")
    staff = client_for(world["service_desk"])
    url = f"{API}/notices/{made.pk}"
    r = staff.get(url)
    assert r.status_code == 200 and r.json()["state"] == "new"
    r = post(
        staff,
        f"{url}/assess",
        {"impact_level": "high", "impact_assessment": "Checkout down 5 min."},
        HTTP_IF_MATCH=r["ETag"],
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "assessed" and r.json()["impact_level"] == "high"
    r = post(
        staff,
        f"{url}/contact",
        {"contact": world["contact_a"].pk, "method": "email", "note": "Sent the slot."},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "contacted" and body["contact"] == world["contact_a"].pk
    assert body["contact_method"] == "email" and body["contacted_at"]
    r = post(staff, f"{url}/close", {"note": "Done."})
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["closed_at"]
    steps = [(e["from_state"], e["to_state"], e["actor"]) for e in r.json()["timeline"]]
    who = world["service_desk"].full_name
    assert steps[1:] == [
        ("new", "assessed", who),
        ("assessed", "contacted", who),
        ("contacted", "closed", who),
    ]
    assert "Contacted Contact" in r.json()["timeline"][2]["note"]


def test_a_step_out_of_order_is_a_conflict_and_changes_nothing(world):
    made = notice(world, "a")
    staff = client_for(world["service_desk"])
    r = post(staff, f"{API}/notices/{made.pk}/contact", {"contact": world["contact_a"].pk, "method": "phone"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "state"
    r = post(staff, f"{API}/notices/{made.pk}/close", {})
    assert r.status_code == 409
    made.refresh_from_db()
    assert made.state == "new" and made.version == 1


def test_the_contact_is_a_current_named_contact_of_the_notices_organisation(world):
    made = notice(world, "a", step="assessed")
    admin = world["admin"]
    for contact, method, at, field in (
        (world["contact_b"], "phone", None, "contact"),
        (world["contact_a"], "carrier pigeon", None, "method"),
        (world["contact_a"], "phone", timezone.now() + dt.timedelta(hours=2), "contacted_at"),
    ):
        with pytest.raises(ValidationFailed) as err:
            services.health_notice_contact(
                actor=admin, health_notice=made, contact=contact, method=method, contacted_at=at
            )
        assert err.value.errors[0]["field"] == field
    r = post(
        client_for(admin),
        f"{API}/notices/{made.pk}/contact",
        {"contact": world["contact_a"].pk, "method": "phone", "contacted_at": "9999-01-01T00:00:00Z"},
    )
    assert r.status_code == 422 and "contacted_at" in r.json()["detail"]
    made.refresh_from_db()
    assert made.state == "assessed" and made.contact is None


def test_a_dismissal_needs_its_reason(world):
    made = notice(world, "a")
    staff = client_for(world["engineer"])
    r = post(staff, f"{API}/notices/{made.pk}/dismiss", {"reason": ""})
    assert r.status_code == 422
    r = post(staff, f"{API}/notices/{made.pk}/dismiss", {"reason": "Not a resource we manage."})
    assert r.status_code == 200 and r.json()["state"] == "dismissed"
    assert r.json()["dismiss_reason"] == "Not a resource we manage."


def test_customers_read_their_notices_and_never_triage_or_see_another_organisations(world):
    mine, theirs = notice(world, "a"), notice(world, "b")
    customer = client_for(world["customer_a"])
    listed = customer.get(f"{API}/notices").json()
    assert [n["id"] for n in listed["results"]] == [mine.pk]
    assert customer.get(f"{API}/notices/{mine.pk}").status_code == 200
    assert customer.get(f"{API}/notices/{theirs.pk}").status_code == 404
    assert (
        post(
            customer, f"{API}/notices/{theirs.pk}/assess", {"impact_level": "low", "impact_assessment": "x"}
        ).status_code
        == 404
    )
    r = post(customer, f"{API}/notices/{mine.pk}/assess", {"impact_level": "low", "impact_assessment": "x"})
    assert r.status_code == 403
    assert post(customer, f"{API}/notices/{mine.pk}/raise-change").status_code == 403
    with pytest.raises(PermissionDenied):
        services.health_notice_dismiss(actor=world["customer_a"], health_notice=mine, reason="no")
    billing = client_for(world["billing"])
    assert billing.get(f"{API}/notices").status_code == 403
    assert billing.get(f"{API}/notices/{mine.pk}").status_code == 403


def test_the_list_filters_by_organisation_state_and_category_with_csv(world):
    a, b = notice(world, "a", step="assessed"), notice(world, "b", category="issue")
    staff = client_for(world["service_desk"])

    def ids(query):
        r = staff.get(f"{API}/notices?{query}")
        assert r.status_code == 200, r.content
        return {n["id"] for n in r.json()["results"]}

    assert ids("") == {a.pk, b.pk}
    assert ids(f"organisation={world['org_b'].pk}") == {b.pk}
    assert ids("state=assessed") == {a.pk}
    assert ids("category=issue") == {b.pk}
    assert ids("ordering=-start_time") == {a.pk, b.pk}
    assert staff.get(f"{API}/notices?state=lost").status_code == 422
    csv = staff.get(f"{API}/notices?format=csv&state=assessed")
    text = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and text.splitlines()[0].startswith("id,")
    assert len(text.strip().splitlines()) == 2 and "AWS_RDS_MAINTENANCE_SCHEDULED" in text


def test_the_list_reads_a_page_in_a_constant_number_of_queries(world, django_assert_max_num_queries):
    for i in range(6):
        notice(world, "a" if i % 2 else "b", step="contacted" if i % 2 else "new", code=f"AWS_EC2_N{i}")
    staff = client_for(world["service_desk"])
    staff.get(f"{API}/notices")  # the session and the user are read once
    with django_assert_max_num_queries(12):
        r = staff.get(f"{API}/notices")
    assert r.json()["count"] == 6


# --- raising a change (the shell composes maintenance and changes) ----------------------------------------


def test_a_change_is_raised_from_a_contacted_notice_and_linked_to_it(world):
    made = notice(world, "a", step="contacted")
    staff = client_for(world["engineer"])
    r = post(staff, f"{API}/notices/{made.pk}/raise-change")
    assert r.status_code == 201, r.content
    change = Change.objects.get(pk=r.json()["id"])
    assert change.organisation == world["org_a"] and change.level == 2 and change.provider_initiated
    assert change.customer_contacted_at == made.contacted_at and "Contact" in change.customer_contact_note
    assert change.title == "AWS RDS scheduled change: AWS_RDS_MAINTENANCE_SCHEDULED"
    assert "Amazon RDS will apply" in change.description and made.event_arn in change.description
    assert change.impact_statement.startswith("Impact medium")
    assert [s.pk for s in change.services.all()] == [world["service_a"].pk]
    assert (change.requested_start, change.requested_end) == (made.start_time, made.end_time)
    assert change.lead_contact == world["contact_a"]
    made.refresh_from_db()
    assert (made.change_id, made.change_reference) == (change.pk, change.reference)
    assert staff.get(f"{API}/notices/{made.pk}").json()["change_reference"] == change.reference
    again = post(staff, f"{API}/notices/{made.pk}/raise-change")
    assert again.status_code == 409 and Change.objects.count() == 1


def test_no_change_before_the_named_contact_is_contacted(world):
    made = notice(world, "a", step="assessed")
    r = post(client_for(world["engineer"]), f"{API}/notices/{made.pk}/raise-change")
    assert r.status_code == 409 and "contact" in r.json()["detail"]
    assert Change.objects.count() == 0


def test_raising_a_change_is_one_transaction(world, monkeypatch):
    """If the notice cannot record the change, the change is not created either."""
    from opsdesk.web import notice_changes

    made = notice(world, "a", step="contacted")

    def refuse(**kwargs):
        raise Conflict("The notice changed meanwhile.")

    monkeypatch.setattr(notice_changes.maintenance_services, "health_notice_link_change", refuse)
    r = post(client_for(world["engineer"]), f"{API}/notices/{made.pk}/raise-change")
    assert r.status_code == 409
    assert Change.objects.count() == 0
    made.refresh_from_db()
    assert made.change_id is None


# --- pages -------------------------------------------------------------------------------------------------


def test_staff_triage_list_and_notice_page_with_the_raise_button(world):
    contacted = notice(world, "a", step="contacted")
    fresh = notice(world, "b", code="AWS_EC2_FRESH")
    staff = client_for(world["service_desk"])
    page = staff.get("/maintenance/notices/?state=contacted").content.decode()
    assert "AWS_RDS_MAINTENANCE_SCHEDULED" in page and "AWS_EC2_FRESH" not in page
    page = staff.get(f"/maintenance/notices/{fresh.pk}/").content.decode()
    assert "Assess the impact" in page and 'data-testid="raise-change"' not in page
    page = staff.get(f"/maintenance/notices/{contacted.pk}/").content.decode()
    assert 'data-testid="raise-change"' in page
    r = staff.post(f"/maintenance/notices/{contacted.pk}/raise-change/", {"version": contacted.version})
    change = Change.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/changes/all/{change.pk}/"
    page = staff.get(f"/maintenance/notices/{contacted.pk}/").content.decode()
    assert f'href="/changes/all/{change.pk}/"' in page and change.reference in page
    assert 'data-testid="raise-change"' not in page


def test_the_assess_page_moves_the_notice(world):
    made = notice(world, "a")
    staff = client_for(world["engineer"])
    r = staff.post(
        f"/maintenance/notices/{made.pk}/assess/",
        {"impact_level": "low", "impact_assessment": "Dev only.", "version": made.version},
    )
    assert r.status_code == 302
    made.refresh_from_db()
    assert made.state == "assessed" and made.impact_level == "low"


def test_customers_see_a_read_only_list_of_their_notices(world):
    mine, theirs = notice(world, "a"), notice(world, "b", code="AWS_EC2_THEIRS")
    customer = client_for(world["customer_a"])
    page = customer.get("/maintenance/notices/").content.decode()
    assert "AWS_RDS_MAINTENANCE_SCHEDULED" in page and "AWS_EC2_THEIRS" not in page
    page = customer.get(f"/maintenance/notices/{mine.pk}/").content.decode()
    assert "Assess the impact" not in page and 'data-testid="raise-change"' not in page
    assert customer.get(f"/maintenance/notices/{theirs.pk}/").status_code == 404
    assert customer.get(f"/maintenance/notices/{mine.pk}/assess/").status_code == 403
    assert client_for(world["billing"]).get("/maintenance/notices/").status_code == 403


@pytest.mark.parametrize(
    ("who", "shown"), [("service_desk", True), ("customer_a", False), ("billing", False)]
)
def test_the_notices_link_is_in_the_navigation_of_those_who_triage(world, who, shown):
    page = client_for(world[who]).get("/").content.decode()
    assert ('data-testid="nav-notices"' in page) is shown
