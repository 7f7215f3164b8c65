"""On-call over HTTP: who is on call now and next (desk, API), a rota's schedule, the iCalendar
feed, and acknowledging a page from the page, the API and the emailed link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from opsdesk.oncall import feeds, services
from opsdesk.oncall.choices import PageCause, PageState
from opsdesk.oncall.models import Page
from opsdesk.oncall.tests.conftest import client_for

pytestmark = pytest.mark.django_db
API = "/api/v1"


def paged_page(oncall) -> Page:
    """A page whose first step ran now: sent to whoever the rota names now."""
    page = services.page_raise(
        source_type="incident", source_id=77, cause=PageCause.NEW_INCIDENT, title="INC-77 P1 down"
    )
    services.pages_sweep()
    page.refresh_from_db()
    return page


def recipient(page):
    return page.recipients.get().user


def test_who_is_on_call_now_and_next_in_the_api_and_on_the_desk(oncall):
    body = client_for(oncall["engineer"]).get(f"{API}/oncall/now")
    assert body.status_code == 200
    [row] = body.json()
    assert row["rota"] == "Platform primary" and row["now"]["user"]["id"] in (
        oncall["first"].pk,
        oncall["second"].pk,
    )
    assert row["next"]["user"]["id"] != row["now"]["user"]["id"]
    desk = client_for(oncall["engineer"]).get("/")
    panel = re.search(r'data-testid="oncall-now".*?</article>', desk.content.decode(), re.S).group(0)
    assert "Platform primary" in panel and row["now"]["user"]["full_name"] in panel
    # Customers see no panel and get 403 from the API.
    assert 'data-testid="oncall-now"' not in client_for(oncall["customer_a"]).get("/").content.decode()
    assert client_for(oncall["customer_a"]).get(f"{API}/oncall/now").status_code == 403


def test_the_rota_schedule_in_the_api_with_gaps_and_bad_windows(oncall):
    client = client_for(oncall["engineer"])
    url = f"{API}/oncall/rotas/{oncall['rota'].pk}/schedule"
    body = client.get(url, {"start": "2026-11-29T00:00:00Z", "end": "2026-12-14T09:00:00Z"}).json()
    assert [s["user"]["id"] for s in body["shifts"]] == [oncall["first"].pk, oncall["second"].pk]
    assert body["gaps"] == [{"starts_at": "2026-11-29T00:00:00Z", "ends_at": "2026-11-30T09:00:00Z"}]
    bad = client.get(url, {"start": "2026-12-14T00:00:00Z", "end": "2026-12-01T00:00:00Z"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end"
    assert client.get(f"{API}/oncall/rotas/987654/schedule").status_code == 404


def test_the_rota_page_shows_gaps_and_overlaps(oncall):
    rota = oncall["rota"]
    for user, start, end in ((oncall["manager"], 9, 17), (oncall["second"], 12, 20)):
        services.rota_override_create(
            actor=oncall["admin"],
            rota=rota.pk,
            user=user.pk,
            starts_at=timezone.now() + dt.timedelta(days=1, hours=start),
            ends_at=timezone.now() + dt.timedelta(days=1, hours=end),
        )
    services.rota_update(
        actor=oncall["admin"], rota=rota, ends_on=timezone.localdate() + dt.timedelta(days=10)
    )
    page = client_for(oncall["engineer"]).get(reverse("oncall:rota_detail", args=[rota.pk])).content.decode()
    assert 'data-testid="rota-gap"' in page and 'data-testid="rota-overlap"' in page
    assert "Pages then go to the fallback team" in page


def test_the_icalendar_feed_parses_and_a_forged_address_is_404(oncall):
    rota = oncall["rota"]
    response = Client().get(reverse("oncall:rota_feed", args=[feeds.feed_token(rota)]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert events and all(str(e["summary"]).startswith("On call: ") for e in events)
    names = {str(e["summary"])[len("On call: ") :] for e in events}
    assert names <= {oncall["first"].full_name, oncall["second"].full_name}
    # Whole turns (those not cut by the feed's window) are a week long: no DST change between
    # December and February.
    ordered = sorted(events, key=lambda e: e.decoded("dtstart"))
    assert len(ordered) >= 8
    assert all(e.decoded("dtend") - e.decoded("dtstart") == dt.timedelta(days=7) for e in ordered[1:-1])
    assert Client().get(reverse("oncall:rota_feed", args=["forged:token"])).status_code == 404
    # Signed-in staff download it from the rota page too; customers may not.
    assert (
        client_for(oncall["engineer"]).get(reverse("oncall:rota_calendar", args=[rota.pk])).status_code == 200
    )
    assert (
        client_for(oncall["customer_a"]).get(reverse("oncall:rota_calendar", args=[rota.pk])).status_code
        == 403
    )


def test_acknowledge_through_the_api(oncall):
    page = paged_page(oncall)
    person = recipient(page)
    other = oncall["second"] if person == oncall["first"] else oncall["first"]
    url = f"{API}/oncall/pages/{page.pk}/acknowledge"
    refused = client_for(other).post(url)
    assert refused.status_code == 403 and "only a person it was sent to" in refused.json()["detail"]
    done = client_for(person).post(url)
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    assert done.json()["acknowledged_via"] == "api"
    again = client_for(person).post(url)
    assert again.status_code == 422 and "Already acknowledged" in again.json()["errors"][0]["message"]
    assert client_for(oncall["customer_a"]).post(url).status_code in (403, 404)


def test_acknowledge_from_the_page(oncall):
    page = paged_page(oncall)
    person = recipient(page)
    detail = client_for(person).get(reverse("oncall:page_detail", args=[page.pk])).content.decode()
    assert 'data-testid="acknowledge"' in detail
    other = client_for(oncall["manager"])
    assert (
        'data-testid="acknowledge"'
        not in other.get(reverse("oncall:page_detail", args=[page.pk])).content.decode()
    )
    response = other.post(reverse("oncall:page_acknowledge", args=[page.pk]))
    assert response.status_code == 403
    page.refresh_from_db()
    assert page.state == PageState.OPEN
    response = client_for(person).post(reverse("oncall:page_acknowledge", args=[page.pk]), follow=True)
    assert "Page acknowledged" in response.content.decode()
    page.refresh_from_db()
    assert page.state == PageState.ACKNOWLEDGED and page.acknowledged_via == "ui"


def test_acknowledge_from_the_emailed_link_without_signing_in(oncall, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = paged_page(oncall)
    [message] = [m for m in mail.outbox if "[PAGE]" in m.subject]
    link = re.search(r"http://\S+/oncall/ack/\S+/", message.body).group(0)
    path = link.split("8000", 1)[1]
    anonymous = Client()
    shown = anonymous.get(path)
    assert shown.status_code == 200 and "INC-77 P1 down" in shown.content.decode()
    page.refresh_from_db()
    assert page.state == PageState.OPEN  # opening the link (a mail scanner) changes nothing
    done = anonymous.post(path, follow=True)
    assert 'data-testid="ack-done"' in done.content.decode()
    page.refresh_from_db()
    assert page.state == PageState.ACKNOWLEDGED and page.acknowledged_via == "email"
    assert page.acknowledged_by.email == message.to[0]
    bad = anonymous.get(reverse("oncall:page_ack_link", args=["not-a-token"]))
    assert "not valid" in bad.content.decode()


def test_the_page_list_costs_the_same_queries_for_one_page_or_many(oncall):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(oncall["engineer"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/oncall/pages").status_code == 200
            assert client.get(reverse("oncall:page_list")).status_code == 200
        return len(captured)

    for n in range(1, 6):
        services.page_raise(
            source_type="incident", source_id=n, cause=PageCause.NEW_INCIDENT, title=f"INC-{n}"
        )
        services.pages_sweep()
        if n == 1:
            one = queries()
    assert queries() == one


def test_bad_input_on_the_forms_is_shown_on_the_field_and_stores_nothing(oncall):
    client = client_for(oncall["admin"])
    team = oncall["oncall_team"].pk
    response = client.post(
        reverse("oncall:policy_create"),
        {"name": "Typo", "team": team, "steps": "rota Platform primary\nwait ten"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["steps"] == ["Line 2: “wait” takes whole minutes, e.g. “wait 10”."]
    response = client.post(
        reverse("oncall:policy_create"),
        {"name": "Nothing", "team": team, "steps": "wait 5", "repeat_count": 0},
    )
    assert "must notify someone" in response.context["form"].errors["steps"][0]
    response = client.post(
        reverse("oncall:override_create"),
        {
            "rota": oncall["rota"].pk,
            "user": oncall["manager"].pk,
            "starts_at": "2026-11-01T09:00",
            "ends_at": "2026-11-02T09:00",
        },
    )
    assert "cannot start before it" in response.context["form"].errors["starts_at"][0]
    response = client.post(
        reverse("oncall:rota_create"),
        {
            "team": team,
            "name": "X",
            "handover": "daily",
            "handover_time": "09:00",
            "starts_on": "2026-12-01",
            "participants": "nobody@nowhere.test",
        },
    )
    assert response.context["form"].errors["participants"] == ["No user with the email nobody@nowhere.test."]
    from opsdesk.oncall.models import EscalationPolicy, Rota, RotaOverride

    assert (
        EscalationPolicy.objects.count() == 1
        and Rota.objects.count() == 1
        and not RotaOverride.objects.exists()
    )
