"""Issue 10: the engagement start as an sla deadline — set on approval (close of business of the
first working day on or after the start date), met by the kick-off, moved by an agreed start date
and by a calendar change (B5), warned and breached once by the sweep (B6) with a notice to the CSDM
and the service desk through the outbox, shown on the page and in the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from opsdesk.notifications.models import Notification
from opsdesk.ood import services
from opsdesk.ood.models import Engagement
from opsdesk.ood.tests.conftest import login
from opsdesk.sla.deadlines import deadlines_sweep
from opsdesk.sla.models import Deadline

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _approved(world, submit, start: dt.date) -> Engagement:
    request = submit()
    services.ood_request_approve(
        actor=world["operations_reviewer"], request=request, agreed_start=start, agreed_with="Ops lead"
    )
    return Engagement.objects.get(line__request=request)


def _deadline(engagement: Engagement) -> Deadline:
    return Deadline.objects.get(owner_type="engagement", owner_id=engagement.pk, kind="engagement_start")


def _close_of(day: dt.date) -> dt.datetime:
    """The close of business of a UK-calendar working day (the world's calendar closes at 17:00)."""
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=LONDON)


def test_approval_sets_the_start_deadline_at_the_close_of_the_first_working_day(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))  # a Monday
    deadline = _deadline(engagement)
    assert deadline.calendar == world["org_a"].calendar
    assert deadline.working_days == 1
    assert deadline.start_at == dt.datetime(2027, 3, 1, 0, 0, tzinfo=LONDON)
    assert deadline.due_at == _close_of(dt.date(2027, 3, 1))
    assert engagement.start_due_at == deadline.due_at
    assert not engagement.is_started


def test_the_g4_start_of_an_approval_gets_its_deadline_too(world, submit):
    request = submit()
    services.ood_request_approve(actor=world["operations_reviewer"], request=request)
    engagement = Engagement.objects.get(line__request=request)
    due = engagement.start_due_at.astimezone(LONDON)
    assert due.time() == dt.time(17, 0) and due.date() >= engagement.start_date
    assert (due.date() - engagement.start_date).days < 5  # the first working day on or after it
    assert _deadline(engagement).due_at == engagement.start_due_at


def test_a_start_on_a_weekend_is_due_at_the_close_of_the_next_working_day(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 5, 1))  # Saturday; Monday 3 May is a bank holiday
    assert engagement.start_due_at == _close_of(dt.date(2027, 5, 4))


def test_the_kick_off_meets_the_deadline_and_records_who_and_when(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    started = services.engagement_start(
        actor=world["service_desk"], engagement=engagement, engineer=world["engineer"].pk
    )
    assert started.started_by == world["service_desk"] and started.engineer == world["engineer"]
    assert started.started_at is not None
    deadline = _deadline(engagement)
    assert deadline.met_at is not None and deadline.met_at <= deadline.due_at
    with pytest.raises(Conflict, match="already started"):
        services.engagement_start(actor=world["engineer"], engagement=started)
    # met: the sweep past its due time records nothing
    assert deadlines_sweep(now=dt.datetime(2027, 3, 5, 12, 0, tzinfo=LONDON)) == 0


def test_bad_kick_offs_are_refused(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    with pytest.raises(PermissionDenied):
        services.engagement_start(actor=world["customer_a"], engagement=engagement)
    with pytest.raises(ValidationFailed, match="not an active member of staff") as caught:
        services.engagement_start(
            actor=world["engineer"], engagement=engagement, engineer=world["customer_a"].pk
        )
    assert caught.value.errors[0]["field"] == "engineer"
    assert not Engagement.objects.get(pk=engagement.pk).is_started
    assert _deadline(engagement).met_at is None


def test_a_bank_holiday_added_to_the_calendar_moves_the_deadline(
    world, submit, django_capture_on_commit_callbacks
):
    from opsdesk.calendars import services as calendars

    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        calendars.closure_add(
            actor=world["admin"], calendar=world["org_a"].calendar, date=dt.date(2027, 3, 1), reason="Move"
        )
    moved = Engagement.objects.get(pk=engagement.pk)
    assert moved.start_due_at == _close_of(dt.date(2027, 3, 2))
    assert _deadline(engagement).due_at == moved.start_due_at
    assert moved.version > engagement.version


def test_an_agreed_start_date_moves_the_deadline_and_the_allocation(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    moved = services.engagement_agree_start(
        actor=world["operations_reviewer"], engagement=engagement, start_date="2027-04-06", agreed_with="CTO"
    )
    assert moved.start_date == dt.date(2027, 4, 6) and moved.agreed_with == "CTO"
    assert moved.start_due_at == _close_of(dt.date(2027, 4, 6))
    assert _deadline(engagement).due_at == moved.start_due_at
    assert [a.from_month for a in moved.allocations.all()] == [dt.date(2027, 4, 1)]
    with pytest.raises(ValidationFailed) as caught:
        services.engagement_agree_start(
            actor=world["operations_reviewer"], engagement=moved, start_date="2020-01-01", agreed_with="CTO"
        )
    assert caught.value.errors[0]["field"] == "start_date"
    assert Engagement.objects.get(pk=engagement.pk).start_date == dt.date(2027, 4, 6)


def test_the_sweep_warns_then_breaches_once_and_notifies_once(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    deadline = _deadline(engagement)
    assert deadline.warn_at is not None and deadline.warn_at < deadline.due_at
    assert deadlines_sweep(now=dt.datetime(2027, 2, 26, 12, 0, tzinfo=LONDON)) == 0  # before the start
    after = dt.datetime(2027, 3, 2, 9, 0, tzinfo=LONDON)
    assert deadlines_sweep(now=after) == 2  # its warning and its breach
    assert deadlines_sweep(now=after) == 0
    assert deadlines_sweep(now=after + dt.timedelta(days=3)) == 0
    deadline.refresh_from_db()
    assert deadline.breached_at == deadline.due_at and deadline.warned_at == deadline.warn_at
    sent = Notification.objects.filter(event__startswith="ood.engagement.start_")
    assert {n.event for n in sent} == {"ood.engagement.start_warning", "ood.engagement.start_breach"}
    breach = [n for n in sent if n.event == "ood.engagement.start_breach" and n.recipient]
    recipients = [n.recipient for n in breach]
    assert len(recipients) == len(set(recipients))  # once each
    assert {world["csdm"].email, world["service_desk"].email} <= set(recipients)
    assert "has not been started" in breach[0].body
    # a kick-off recorded after all meets it: nothing more is sent
    services.engagement_start(actor=world["engineer"], engagement=engagement)
    assert _deadline(engagement).met_at is not None
    assert deadlines_sweep(now=after + dt.timedelta(days=5)) == 0
    assert sent.count() == len(list(sent))


def test_logging_the_first_time_is_a_kick_off(world, submit):
    engagement = _approved(world, submit, dt.date(2026, 12, 3))
    services.time_entry_create(
        actor=world["engineer"], engagement=engagement, work_date="2026-12-03", hours="1", description="Call"
    )
    engagement = Engagement.objects.get(pk=engagement.pk)
    assert engagement.started_by == world["engineer"] and engagement.engineer == world["engineer"]
    assert _deadline(engagement).met_at is not None


def test_the_page_and_the_api_show_the_start(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    page = login(world["customer_a"]).get(f"/ood/engagements/{engagement.pk}/")
    text = page.content.decode()
    assert "Starts by" in text and "1 working day later" in text and "Kick-off" in text
    staff = login(world["engineer"])
    response = staff.post(
        f"/ood/engagements/{engagement.pk}/start/",
        {"engineer": world["engineer"].pk, "version": engagement.version},
    )
    assert response.status_code == 302
    text = staff.get(f"/ood/engagements/{engagement.pk}/").content.decode()
    assert "Started" in text and world["engineer"].full_name in text
    api = login(world["customer_a"])
    body = api.get(f"/api/v1/ood/engagements/{engagement.pk}").json()
    assert body["started_at"] is not None and body["start_due_at"] is not None
    assert body["start_status"] == "met"
    deadlines = api.get(f"/api/v1/ood/engagements/{engagement.pk}/deadlines").json()["deadlines"]
    assert deadlines[0]["kind"] == "engagement_start" and deadlines[0]["status"] == "met"


def test_the_api_start_names_a_bad_engineer(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    client = login(world["engineer"])
    response = client.post(
        f"/api/v1/ood/engagements/{engagement.pk}/start",
        {"engineer": world["customer_a"].pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "engineer"
    assert not Engagement.objects.get(pk=engagement.pk).is_started


def test_the_page_records_an_agreed_start_date(world, submit):
    engagement = _approved(world, submit, dt.date(2027, 3, 1))
    client = login(world["operations_reviewer"])
    page = client.get(f"/ood/engagements/{engagement.pk}/").content.decode()
    assert "Record a mutually agreed start date" in page
    response = client.post(
        f"/ood/engagements/{engagement.pk}/agree-start/",
        {"version": engagement.version, "start_date": "2027-03-08", "agreed_with": "CTO, by phone"},
    )
    assert response.status_code == 302
    moved = Engagement.objects.get(pk=engagement.pk)
    assert moved.start_date == dt.date(2027, 3, 8) and moved.agreed_with == "CTO, by phone"
    assert moved.start_due_at == _close_of(dt.date(2027, 3, 8))
    # a date before the approval is refused with its reason; nothing changes
    response = client.post(
        f"/ood/engagements/{engagement.pk}/agree-start/",
        {"version": moved.version, "start_date": "2020-01-01", "agreed_with": "CTO"},
        follow=True,
    )
    assert "cannot start before its approval" in response.content.decode()
    assert Engagement.objects.get(pk=engagement.pk).start_date == dt.date(2027, 3, 8)
    # customers see no such form
    assert "Record a mutually agreed" not in login(world["customer_a"]).get(
        f"/ood/engagements/{engagement.pk}/"
    ).content.decode()
