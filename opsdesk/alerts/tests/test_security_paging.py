"""Issue 12 item 4 (F2 routing): "by the RACI when that exists, until then to the provider's security
on-call rota". An escalation policy marked as the security rota pages each security event at or
above the paging severity, once per event; lower ones are listed only; with no security rota the
event is flagged and staff are warned. Customers never see security events (theirs or others')."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.alerts.models import SecurityEvent
from opsdesk.alerts.tests import test_intake
from opsdesk.alerts.tests.test_intake import _eb, cloudtrail, eventbridge_key  # noqa: F401 (fixture)
from opsdesk.inbox import services as inbox
from opsdesk.inbox.models import Delivery
from opsdesk.oncall import services as oncall
from opsdesk.oncall.models import Page, PageRecipient


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    test_intake._CAPTURE.append(django_capture_on_commit_callbacks)
    yield
    test_intake._CAPTURE.pop()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def security_rota(alarm_world):
    """Team Security: the engineer always on call on a daily rota; its policy is the security rota."""
    admin, engineer = alarm_world["admin"], alarm_world["engineer"]
    team = oncall.team_create(actor=admin, name="Security", members=[engineer.pk])
    rota = oncall.rota_create(
        actor=admin,
        team=team.pk,
        name="Security on call",
        handover="daily",
        handover_time=dt.time(9, 0),
        starts_on=timezone.localdate() - dt.timedelta(days=7),
        participants=[engineer.pk],
    )
    policy = oncall.escalation_policy_create(
        actor=admin,
        name="Security events",
        team=team.pk,
        steps=[{"action": "notify_rota", "rota": rota.pk}],
        is_security=True,
    )
    alarm_world.update(security_policy=policy)
    return alarm_world


def test_an_event_pages_the_security_rotas_engineer_once(security_rota, eventbridge_key):  # noqa: F811
    world = security_rota
    event = cloudtrail(world["member_a"].account_id, "AuthorizeSecurityGroupIngress")
    assert _eb(eventbridge_key, event).status_code == 200
    assert _eb(eventbridge_key, event).json()["duplicate"] is True  # SNS/EventBridge redelivery
    # Staff re-process the delivery too: still one page, one person paged once.
    delivery = Delivery.objects.get()
    with test_intake._CAPTURE[-1](execute=True):
        inbox.delivery_reprocess(actor=world["admin"], delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.state == "processed", delivery.error

    security = SecurityEvent.objects.get()
    page = Page.objects.get()
    assert (page.cause, page.source_type, page.source_id) == ("security_event", "security_event", security.pk)
    assert page.policy == world["security_policy"] and not page.flagged
    assert page.organisation == world["org_a"] and page.url == f"/alerts/security-events/{security.pk}/"
    assert [r.user for r in PageRecipient.objects.filter(page=page)] == [world["engineer"]]
    assert security.route == "paged" and security.page_id == page.pk

    staff = client_for(world["service_desk"])
    listing = staff.get("/alerts/security-events/").content.decode()
    assert "Paged, open" in listing and world["engineer"].full_name in listing
    assert 'data-testid="no-security-rota"' not in listing
    detail = staff.get(f"/alerts/security-events/{security.pk}/").content.decode()
    assert 'data-testid="security-page"' in detail and world["engineer"].full_name in detail

    # The engineer acknowledges: the security-events page says who.
    oncall.page_acknowledge(actor=world["engineer"], page=page)
    listing = staff.get("/alerts/security-events/").content.decode()
    assert f"Acknowledged by {world['engineer'].full_name}" in listing
    api = staff.get(f"/api/v1/security-events/{security.pk}").json()
    assert api["route"] == "paged" and api["page_state"] == "acknowledged"


def test_a_low_severity_event_does_not_page(security_rota, eventbridge_key):  # noqa: F811
    event = cloudtrail(security_rota["member_a"].account_id, "RebootInstances")
    assert _eb(eventbridge_key, event).status_code == 200
    security = SecurityEvent.objects.get()
    assert security.severity == "low" and security.route == "below_threshold"
    assert "below the paging severity (medium)" in security.routed
    assert not Page.objects.exists()


def test_the_paging_severity_is_configurable(security_rota, eventbridge_key, settings):  # noqa: F811
    settings.SECURITY_PAGE_SEVERITY = "high"
    medium = cloudtrail(security_rota["member_a"].account_id, "AuthorizeSecurityGroupIngress")
    high = cloudtrail(security_rota["member_a"].account_id, "StopLogging", source="cloudtrail.amazonaws.com")
    _eb(eventbridge_key, medium), _eb(eventbridge_key, high)
    routes = dict(SecurityEvent.objects.values_list("severity", "route"))
    assert routes == {"medium": "below_threshold", "high": "paged"}
    assert Page.objects.get(cause="security_event").source_id == SecurityEvent.objects.get(severity="high").pk


def test_no_security_rota_flags_the_event_and_warns_staff(alarm_world, eventbridge_key):  # noqa: F811
    event = cloudtrail(alarm_world["member_a"].account_id, "AuthorizeSecurityGroupIngress")
    assert _eb(eventbridge_key, event).status_code == 200
    security = SecurityEvent.objects.get()
    assert security.route == "no_rota" and security.page_id is None
    assert not Page.objects.filter(cause="security_event").exists()

    staff = client_for(alarm_world["service_desk"])
    listing = staff.get("/alerts/security-events/").content.decode()
    assert 'data-testid="security-no-rota"' in listing  # the event's flag
    assert 'data-testid="no-security-rota"' in listing  # the warning above the list
    detail = staff.get(f"/alerts/security-events/{security.pk}/").content.decode()
    assert 'data-testid="security-no-rota-flag"' in detail
    # The on-call desk and the escalation policies warn too, with the way to fix it for managers.
    assert 'data-testid="no-security-rota"' in staff.get("/").content.decode()
    policies = staff.get("/oncall/policies/").content.decode()
    assert 'data-testid="no-security-rota"' in policies and "Mark one" in policies


def test_marking_a_policy_as_the_security_rota_takes_it_from_the_previous(security_rota):
    world = security_rota
    other = oncall.escalation_policy_create(
        actor=world["admin"], name="Other", team=world["security_policy"].team_id, steps=[
            {"action": "notify_user", "user": world["engineer"].pk}
        ]
    )
    oncall.escalation_policy_update(actor=world["admin"], escalation_policy=other, is_security=True)
    world["security_policy"].refresh_from_db()
    other.refresh_from_db()
    assert other.is_security and not world["security_policy"].is_security
    api = client_for(world["admin"]).get(f"/api/v1/oncall/policies/{other.pk}").json()
    assert api["is_security"] is True


def test_customers_never_see_security_events(security_rota, eventbridge_key):  # noqa: F811
    world = security_rota
    for tag in ("a", "b"):
        _eb(eventbridge_key, cloudtrail(world[f"member_{tag}"].account_id, "AuthorizeSecurityGroupIngress"))
    own = SecurityEvent.objects.get(organisation=world["org_a"])
    other = SecurityEvent.objects.get(organisation=world["org_b"])
    customer = client_for(world["customer_a"])
    for path in (
        "/alerts/security-events/",
        f"/alerts/security-events/{own.pk}/",
        f"/alerts/security-events/{other.pk}/",
        f"/api/v1/security-events/{other.pk}",
        f"/oncall/pages/{other.page_id}/",
    ):
        response = customer.get(path)
        assert response.status_code in (403, 404), path
        assert world["org_b"].name.encode() not in response.content
    assert customer.get("/api/v1/security-events").status_code in (403, 404)


def test_an_oncall_manager_marks_the_security_rota_in_the_policy_form(security_rota):
    world = security_rota
    policy = world["security_policy"]
    oncall.escalation_policy_update(actor=world["admin"], escalation_policy=policy, is_security=False)
    policy.refresh_from_db()
    admin = client_for(world["admin"])
    response = admin.post(
        f"/oncall/policies/{policy.pk}/edit/",
        {
            "name": policy.name,
            "team": policy.team_id,
            "steps": "rota Security on call",
            "repeat_count": 0,
            "is_security": "on",
            "version": policy.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    policy.refresh_from_db()
    assert policy.is_security
    listing = admin.get("/oncall/policies/").content.decode()
    assert 'data-testid="security-policy"' in listing and 'data-testid="no-security-rota"' not in listing
