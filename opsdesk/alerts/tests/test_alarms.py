"""Issue 12 item 3 (F1, F3, C2, C3, E3): CloudWatch alarms through the SNS intake into alerts and
proactive incidents — identity de-duplication, repeat/OK/INSUFFICIENT_DATA, priority rules and the
production clamp, suppression by a customer's maintenance window, and the page of a P1/P2."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.alerts import services as alerts
from opsdesk.alerts.models import Alert, AlertOccurrence
from opsdesk.directory import services as directory
from opsdesk.inbox.models import Delivery
from opsdesk.incidents.models import Incident
from opsdesk.maintenance import services as maintenance
from opsdesk.oncall.models import Page
from opsdesk.web import intake_alerts

from .conftest import alarm_message, send_alarm, sns_endpoint

pytestmark = pytest.mark.usefixtures("local_sns", "_commits")
_CAPTURE = []


@pytest.fixture
def _commits(django_capture_on_commit_callbacks):
    _CAPTURE.append(django_capture_on_commit_callbacks)
    yield
    _CAPTURE.pop()


def _send(world, message, path=None, client=None):
    """As SNS does; the on-commit hand-off runs the real (immediate) task queue."""
    path = path or sns_endpoint(world)
    with _CAPTURE[-1](execute=True):
        response = send_alarm(client or Client(), path, message)
    assert response.status_code == 200, response.content
    return response


def test_an_alarm_is_stored_as_cloudwatch_alarm_opens_an_alert_and_raises_an_incident(alarm_world):
    world = alarm_world
    account = world["member_a"].account_id
    _send(world, alarm_message(account))
    delivery = Delivery.objects.get()
    assert delivery.kind == "cloudwatch.alarm" and delivery.state == "processed", delivery.error
    alert = Alert.objects.get()
    assert (alert.account_id, alert.region, alert.name) == (account, "eu-west-1", "prod-api-5xx")
    assert alert.organisation == world["org_a"] and alert.service == world["service_a"]
    assert alert.state == "open" and alert.occurrences == 1 and alert.priority == "P3"
    assert "LoadBalancer=app/prod-api/123" in alert.resource
    incident = Incident.objects.get(pk=alert.incident_id)
    assert incident.organisation == world["org_a"] and incident.priority == "P3"
    assert incident.source == "alarm" and incident.contact_to_reach == world["contact_a"]


def test_a_repeat_alarm_updates_the_open_alert_ok_resolves_insufficient_data_is_recorded(alarm_world):
    world = alarm_world
    account = world["member_a"].account_id
    path = sns_endpoint(world)
    start = timezone.now() - dt.timedelta(minutes=10)
    _send(world, alarm_message(account, at=start), path)
    _send(world, alarm_message(account, at=start + dt.timedelta(minutes=1)), path)
    _send(
        world,
        alarm_message(account, "prod-api-5xx", "INSUFFICIENT_DATA", at=start + dt.timedelta(minutes=2)),
        path,
    )
    alert = Alert.objects.get()
    assert alert.state == "open" and alert.occurrences == 2 and alert.last_state == "INSUFFICIENT_DATA"
    assert Incident.objects.count() == 1  # the repeat raised nothing more
    _send(world, alarm_message(account, "prod-api-5xx", "OK", at=start + dt.timedelta(minutes=3)), path)
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_at is not None and alert.last_state == "OK"
    outcomes = list(AlertOccurrence.objects.filter(alert=alert).values_list("outcome", flat=True))
    assert outcomes == ["opened", "repeated", "recorded", "resolved"]
    # After OK, the same identity alarming again is a new alert and a new incident.
    _send(world, alarm_message(account, at=start + dt.timedelta(minutes=4)), path)
    assert Alert.objects.filter(state="open").count() == 1 and Alert.objects.count() == 2
    assert Incident.objects.count() == 2


def test_a_repeat_of_an_open_alert_counts_on_it_without_reading_accounts_or_windows(alarm_world):
    """An alarm storm is mostly repeats: each is one locked read and two writes, not the look-ups
    that placed the alert when it opened (its account, services, rules, maintenance windows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = alarm_world["member_a"].account_id
    start = timezone.now() - dt.timedelta(minutes=10)
    first = intake_alerts.alarm_process(alerts.cloudwatch_alarm_parse(alarm_message(account, at=start)))
    repeat = alerts.cloudwatch_alarm_parse(alarm_message(account, at=start + dt.timedelta(minutes=1)))
    with CaptureQueriesContext(connection) as queries:
        again = intake_alerts.alarm_process(repeat)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert again.alert.pk == first.alert.pk and again.alert.occurrences == 2
    assert "cloudaccount" not in read and "maintenance" not in read and "schedule" not in read
    assert "priorityrule" not in read


def test_the_identity_is_account_region_and_name(alarm_world):
    world = alarm_world
    account = world["member_a"].account_id
    path = sns_endpoint(world)
    _send(world, alarm_message(account), path)
    _send(world, alarm_message(account, region="eu-west-2"), path)
    _send(world, alarm_message(account, "prod-db-cpu"), path)
    _send(world, alarm_message(world["account_a"].account_id), path)
    assert Alert.objects.filter(state="open").count() == 4


def test_insufficient_data_alone_never_raises(alarm_world):
    world = alarm_world
    _send(world, alarm_message(world["member_a"].account_id, state="INSUFFICIENT_DATA"))
    alert = Alert.objects.get()
    assert alert.state == "resolved" and alert.incident_id is None and Incident.objects.count() == 0
    assert AlertOccurrence.objects.get().outcome == "recorded"


def test_an_alarm_of_an_unknown_account_is_kept_not_raised(alarm_world):
    _send(alarm_world, alarm_message("999999999999"))
    alert = Alert.objects.get()
    assert alert.organisation is None and alert.incident_id is None
    assert "No organisation" in alert.not_raised_reason and Incident.objects.count() == 0


def _rule(world, priority, **more):
    return alerts.priority_rule_create(
        actor=world["admin"], organisation=world["org_a"], priority=priority, **more
    )


def test_priority_rules_most_specific_wins_and_p1_pages_on_call(alarm_world):
    world = alarm_world
    _rule(world, "P4")
    _rule(world, "P2", namespace="AWS/ApplicationELB")
    _rule(world, "P1", alarm_pattern="prod-api-*", service=world["service_a"])
    account = world["member_a"].account_id
    path = sns_endpoint(world)
    _send(world, alarm_message(account), path)
    _send(world, alarm_message(account, "other", namespace="AWS/ApplicationELB"), path)
    _send(world, alarm_message(account, "batch", namespace="AWS/Batch"), path)
    by_name = {a.name: a for a in Alert.objects.all()}
    assert (
        by_name["prod-api-5xx"].priority == "P1"
        and "Priority rule" in by_name["prod-api-5xx"].priority_reason
    )
    assert by_name["other"].priority == "P2" and by_name["batch"].priority == "P4"
    p1 = Incident.objects.get(pk=by_name["prod-api-5xx"].incident_id)
    assert p1.priority == "P1"
    assert Page.objects.filter(incident_id=p1.pk, cause="new_incident").count() == 1
    p4 = Incident.objects.get(pk=by_name["batch"].incident_id)
    assert p4.priority == "P4" and not Page.objects.filter(incident_id=p4.pk).exists()


def test_p1_on_a_non_production_service_is_clamped_to_p3_with_the_reason(alarm_world):
    world = alarm_world
    directory.service_update(actor=world["admin"], service=world["service_a"], environment="non-production")
    _rule(world, "P1")
    _send(world, alarm_message(world["member_a"].account_id))
    alert = Alert.objects.get()
    assert alert.service is None  # the account has no production service now
    assert alert.priority == "P3" and "Clamped from P1 to P3" in alert.priority_reason
    assert Incident.objects.get(pk=alert.incident_id).priority == "P3"


def test_an_alarm_inside_a_customer_window_is_recorded_against_it_not_raised(alarm_world):
    world = alarm_world
    start = timezone.now() + dt.timedelta(hours=48)
    window = maintenance.customer_window_create(
        actor=world["customer_a"],
        title="Database upgrade",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
        services=[world["service_a"].pk],
    )
    path = sns_endpoint(world)
    _send(world, alarm_message(world["member_a"].account_id, at=start + dt.timedelta(hours=1)), path)
    alert = Alert.objects.get()
    assert alert.suppressed_by_window_id == window.pk and alert.incident_id is None
    assert Incident.objects.count() == 0
    assert AlertOccurrence.objects.get().outcome == "suppressed"
    # Outside the window the same account's alarm is raised.
    _send(world, alarm_message(world["member_a"].account_id, "other"), path)
    assert Incident.objects.count() == 1


def test_no_contact_to_reach_keeps_the_alert_with_the_reason(world):
    # Tenant b's only contact is technical in hours only: out of hours the incident cannot be raised.
    night = timezone.now().replace(hour=2, minute=0, second=0, microsecond=0)
    alarm = alerts.cloudwatch_alarm_parse(alarm_message(world["member_b"].account_id, at=night))
    received = intake_alerts.alarm_process(alarm)
    alert = Alert.objects.get(pk=received.alert.pk)
    assert alert.incident_id is None and "Incident not raised" in alert.not_raised_reason


def test_on_an_account_of_several_production_services_a_rule_naming_one_picks_it(alarm_world):
    """F3: the account runs two production services; a P2 rule for alarms named api-*-5xx on one of
    them says which service the alarm is about, so it is raised as P2 there (C2 allows it)."""
    world = alarm_world
    other = directory.service_create(
        actor=world["admin"],
        organisation=world["org_a"],
        reference="A-PROD-API",
        name="API",
        environment="production",
        accounts=[world["member_a"].pk],
    )
    alerts.priority_rule_create(
        actor=world["admin"],
        organisation=world["org_a"],
        service=other,
        alarm_pattern="api-*-5xx",
        priority="P2",
    )
    _send(world, alarm_message(world["member_a"].account_id, name="api-eu-5xx"))
    _send(world, alarm_message(world["member_a"].account_id, name="db-cpu-high"))
    picked, unknown = Alert.objects.get(name="api-eu-5xx"), Alert.objects.get(name="db-cpu-high")
    assert picked.service == other and picked.priority == "P2"
    assert unknown.service is None and unknown.priority == "P3"


# --- an inbox batch: a storm's repeats counted together (processing.process_due) -------------------


def _accept_without_processing(world, messages, path):
    """Deliveries accepted and committed, their hand-off not run: what a worker finds after a storm."""
    with _CAPTURE[-1](execute=False):
        for message in messages:
            assert send_alarm(Client(), path, message).status_code == 200


def _outcome():
    alerts_now = [
        (a.name, a.state, a.occurrences, a.last_state, a.incident_id is not None)
        for a in Alert.objects.order_by("name", "pk")
    ]
    occurrences = sorted(
        (o.alert.name, o.outcome, o.state_value, o.delivery_id is not None)
        for o in AlertOccurrence.objects.select_related("alert")
    )
    return alerts_now, occurrences


def _storm(account, start):
    """Two identities' alerts opened, then the storm: `api` repeats five times, resolves, fires
    again twice; `db` repeats three times and then has insufficient data. (openers, storm)"""
    tick = iter(range(100))

    def at():
        return start + dt.timedelta(seconds=next(tick))

    openers = [alarm_message(account, "storm-api", at=at()), alarm_message(account, "storm-db", at=at())]
    storm = [alarm_message(account, "storm-api", at=at()) for _ in range(5)]
    storm += [alarm_message(account, "storm-db", at=at()) for _ in range(3)]
    storm += [alarm_message(account, "storm-api", "OK", at=at())]
    storm += [alarm_message(account, "storm-api", at=at()) for _ in range(2)]
    storm += [alarm_message(account, "storm-db", "INSUFFICIENT_DATA", at=at())]
    return openers, storm


def test_a_storm_processed_in_batches_ends_as_one_by_one_does(alarm_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.inbox import processing

    world = alarm_world
    account = world["member_a"].account_id
    path = sns_endpoint(world)
    start = timezone.now() - dt.timedelta(minutes=5)
    openers, storm = _storm(account, start)
    _accept_without_processing(world, openers, path)
    assert processing.process_due() == 2
    _accept_without_processing(world, storm, path)
    assert Delivery.objects.filter(state="received").count() == 12
    with CaptureQueriesContext(connection) as batch:
        assert processing.process_due() == 12
    assert not Delivery.objects.exclude(state="processed").exists()
    together = _outcome()
    assert together[0] == [
        ("storm-api", "resolved", 6, "OK", True),
        ("storm-api", "open", 2, "ALARM", True),  # after the OK, a new alert
        ("storm-db", "open", 4, "INSUFFICIENT_DATA", True),
    ]
    assert len(together[1]) == 14

    # The same, one delivery at a time, on fresh alerts: the same alerts and occurrences.
    AlertOccurrence.objects.all().delete()
    Alert.objects.all().delete()
    openers, storm = _storm(account, start + dt.timedelta(seconds=1))
    _accept_without_processing(world, openers, path)
    assert processing.process_due() == 2
    _accept_without_processing(world, storm, path)
    with CaptureQueriesContext(connection) as one_by_one:
        for delivery in Delivery.objects.filter(state="received").order_by("pk"):
            assert processing.process(delivery.pk)
    assert _outcome() == together
    # Nine of the twelve are repeats of an open alert, counted together: far fewer statements.
    assert len(batch) < len(one_by_one) - 30, (len(batch), len(one_by_one))


def test_a_batch_with_a_bad_delivery_falls_back_to_one_by_one(alarm_world):
    from opsdesk.inbox import processing

    world = alarm_world
    account = world["member_a"].account_id
    path = sns_endpoint(world)
    start = timezone.now() - dt.timedelta(minutes=5)
    messages = [alarm_message(account, "batch-api", at=start + dt.timedelta(seconds=i)) for i in range(4)]
    _accept_without_processing(world, messages[:1], path)
    assert processing.process_due() == 1
    bad = alarm_message(account, "batch-api", "PANIC", at=start)  # an alarm, but no state it can be in
    messages.insert(2, bad)
    _accept_without_processing(world, messages[1:], path)
    assert processing.process_due() == 3
    failed = Delivery.objects.get(state="received")  # back for a retry after its backoff
    assert "PANIC" in failed.body and "NewStateValue" in failed.error and failed.attempts == 1
    alert = Alert.objects.get(name="batch-api")
    assert alert.occurrences == 4 and alert.state == "open"
