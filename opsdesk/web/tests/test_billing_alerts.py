"""Issue 12 item 6 (F4): a crossed billing threshold is an alert on the same pipeline as CloudWatch
alarms (identity, occurrences, state, priority rules, the linked incident, the alerts list), composed
by the shell (web/billing_alerts.py) through billing's threshold_reviewed seam."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsdesk.alerts import services as alert_services
from opsdesk.alerts.models import Alert, AlertOccurrence
from opsdesk.billing import selectors, services
from opsdesk.billing.models import CostImport
from opsdesk.directory import services as directory

#: Three reviewed weeks: 10 → 20 (+100 %, over a 30 % threshold) → 21 (+5 %, back under).
W0, W1, W2 = dt.date(2026, 10, 5), dt.date(2026, 10, 12), dt.date(2026, 10, 19)


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _costs(world, tag="a", amounts=((W0, "10"), (W1, "20"), (W2, "21"))):
    account = world[f"account_{tag}"].account_id
    lines = "".join(f"{account},{day},EC2,{cost}\n" for day, cost in amounts)
    data = io.BytesIO(f"LinkedAccount,Date,Service,Cost\n{lines}".encode())
    services.cost_import_run(actor=world["billing"], file=data, file_name="costs.csv")


@pytest.fixture
def billing_world(world):
    for tag in ("a", "b"):  # C3: an incident needs a technical contact to reach at that moment
        directory.contact_update(
            actor=world["admin"], contact=world[f"contact_{tag}"], is_technical_out_of_hours=True
        )
    return world


def _threshold(world, tag="a", account=True, **limits):
    return services.threshold_create(
        actor=world["billing"],
        organisation=world[f"org_{tag}"].pk,
        account=world[f"account_{tag}"].pk if account else None,
        **limits,
    )


def test_crossing_opens_one_alert_rerunning_adds_nothing_falling_back_under_resolves(billing_world):
    w = billing_world
    threshold = _threshold(w, percent="30")
    _costs(w)
    services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W1)
    alert = Alert.objects.get()
    account = w["account_a"].account_id
    assert (alert.source, alert.state, alert.last_state, alert.occurrences) == ("billing", "open", "ALARM", 1)
    assert alert.identity_key == f"billing:{w['org_a'].pk}:{account}:billing:{threshold.pk}"
    assert (alert.organisation, alert.account_id) == (w["org_a"], account)
    assert alert.name == f"billing:{threshold.pk}"
    assert "changed by +10.00 (+100.00%)" in alert.summary and "percentage threshold" in alert.last_reason
    assert alert.incident_id is not None and alert.priority == "P3"  # routed as any alarm: P3 by default

    # The same review again (the weekly task after an import): no second alert, no new occurrence.
    assert services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W1) == []
    alert.refresh_from_db()
    assert (Alert.objects.count(), alert.occurrences, AlertOccurrence.objects.count()) == (1, 1, 1)

    # The next week is back under 30 %: OK resolves the alert; its incident stays linked.
    services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W2)
    alert.refresh_from_db()
    assert (alert.state, alert.last_state, alert.resolved_at is not None) == ("resolved", "OK", True)
    assert "back under the threshold" in alert.last_reason
    # An older week reviewed again says nothing about now: the alert stays resolved, none is opened.
    services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W1)
    assert list(Alert.objects.values_list("state", flat=True)) == ["resolved"]
    # Under the threshold with no open alert: nothing recorded (no alert per quiet week).
    services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W2)
    assert AlertOccurrence.objects.count() == 2


def test_an_import_crossing_the_organisations_threshold_opens_its_alert_and_a_later_week_repeats(
    billing_world,
):
    w = billing_world
    threshold = _threshold(w, account=False, amount="5")
    alert_services.priority_rule_create(
        actor=w["admin"], organisation=w["org_a"], alarm_pattern="billing:*", priority="P4"
    )
    _costs(w, amounts=((W0, "10"), (W1, "20"), (W2, "40")))
    services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W1)
    services.billing_alerts_evaluate(organisation=w["org_a"], week_start=W2)  # still over: a repeat
    alert = Alert.objects.get()
    assert alert.identity_key == f"billing:{w['org_a'].pk}:-:billing:{threshold.pk}"
    assert (alert.state, alert.occurrences, alert.account_id) == ("open", 2, "")
    assert alert.resource == "all accounts"
    assert alert.priority == "P4" and "Priority rule" in alert.priority_reason  # the mapping applies
    # The threshold removed: nothing will review it again, so its alert is resolved.
    services.threshold_delete(actor=w["billing"], threshold=threshold)
    alert.refresh_from_db()
    assert (alert.state, alert.last_reason) == ("resolved", "The billing threshold was removed.")


def test_customers_see_only_their_own_billing_alerts(billing_world):
    w = billing_world
    for tag in ("a", "b"):
        _threshold(w, tag, percent="30")
        _costs(w, tag)
        services.billing_alerts_evaluate(organisation=w[f"org_{tag}"], week_start=W1)
    mine = Alert.objects.get(organisation=w["org_a"])
    theirs = Alert.objects.get(organisation=w["org_b"])
    customer = _as(w["customer_a"])
    listed = customer.get("/api/v1/alerts?source=billing").json()
    assert [item["id"] for item in listed["results"]] == [mine.pk]
    assert customer.get(f"/api/v1/alerts/{theirs.pk}").status_code == 404
    page = customer.get("/alerts/?source=billing").content.decode()
    assert f'href="/alerts/{mine.pk}/"' in page and f'href="/alerts/{theirs.pk}/"' not in page
    assert mine.summary in page
    assert customer.get(f"/alerts/{theirs.pk}/").status_code == 404
    detail = customer.get(f"/alerts/{mine.pk}/").content.decode()
    assert "Billing review" in detail and "crossed the percentage threshold" in detail
    staff = _as(w["service_desk"]).get("/api/v1/alerts?source=billing").json()
    assert {item["id"] for item in staff["results"]} == {mine.pk, theirs.pk}


def test_an_uploaded_file_crossing_a_threshold_opens_the_alert_once(
    billing_world, django_capture_on_commit_callbacks
):
    w = billing_world
    _threshold(w, account=False, amount="5")
    week = selectors.last_complete_week()
    a = w["account_a"].account_id
    body = f"LinkedAccount,Date,Service,Cost\n{a},{week - dt.timedelta(days=7)},EC2,10\n{a},{week},EC2,20\n"
    billing = _as(w["billing"])
    for _ in range(2):  # the same file uploaded twice: re-imported, reviewed again, still one alert
        with django_capture_on_commit_callbacks(execute=True):
            upload = SimpleUploadedFile("costs.csv", body.encode(), content_type="text/csv")
            assert billing.post("/api/v1/billing/imports", {"file": upload}).status_code == 202
    assert list(CostImport.objects.values_list("state", flat=True)) == ["done", "done"]
    alert = Alert.objects.get()
    assert (alert.source, alert.state, alert.occurrences) == ("billing", "open", 1)
    assert alert.organisation == w["org_a"]
    assert "crossed the amount threshold" in alert.last_reason
