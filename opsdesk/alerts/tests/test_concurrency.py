"""Item 3: deliveries of one alarm identity at the same moment make one open alert. On PostgreSQL,
8 real threads with their own connections race; the partial unique constraint lets one insert and the
others re-read and count (on SQLite writes are serialised, so the race is the same code run in turn).

The test commits for real (transaction=True) so the threads see its rows; `available_apps` limits the
flush after it to alerts' tables (the audit log is append-only and refuses TRUNCATE), so its
organisation and account are made without the audited services and removed by the fixture."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from opsdesk.alerts import services as alerts
from opsdesk.alerts.models import Alert, AlertOccurrence
from opsdesk.calendars.models import Calendar
from opsdesk.directory.models import CloudAccount, Organisation, ServicePlan
from opsdesk.testing.world import ACCOUNT_IDS

from .conftest import alarm_message

THREADS = 8


@pytest.fixture
def race_account():
    org = Organisation.objects.create(
        name="Race Ltd",
        service_plan=ServicePlan.objects.get(code="advanced"),
        calendar=Calendar.objects.get(name="uk"),
    )
    account = CloudAccount.objects.create(organisation=org, account_id=ACCOUNT_IDS["a"][0], name="race")
    yield account.account_id
    AlertOccurrence.objects.all().delete()
    Alert.objects.all().delete()
    account.delete()
    org.delete()


@pytest.mark.django_db(transaction=True, available_apps=["opsdesk.alerts"])
def test_eight_concurrent_deliveries_of_one_identity_make_one_open_alert(race_account):
    account_id = race_account
    alarm = alerts.cloudwatch_alarm_parse(alarm_message(account_id))
    organisation, service = alerts.alarm_target(alarm)
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                received = alerts.alarm_receive(alarm=alarm, organisation=organisation, service=service)
            results.append(received.outcome)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            if connection.vendor != "sqlite":
                connections.close_all()

    if connection.vendor == "sqlite":  # one writer at a time: the same path, serialised
        barrier = threading.Barrier(1)
        for _ in range(THREADS):
            deliver()
    else:
        threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == ["opened"] + ["repeated"] * (THREADS - 1)
    alert = Alert.objects.get(state="open")
    assert alert.occurrences == THREADS
    assert AlertOccurrence.objects.filter(alert=alert).count() == THREADS
