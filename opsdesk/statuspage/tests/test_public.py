"""C8: the public page, incident pages, Atom feed and GET /api/v1/status show published records
only, need no login, carry no customer data and no staff navigation; the staff pages stay shut."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsdesk.statuspage import services
from opsdesk.statuspage.models import StatusIncident
from opsdesk.statuspage.tests.conftest import CUSTOMER_NAME, login

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
INDEX = "/status/"
FEED = "/status/feed.atom"


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def published_world(make_incident, make_maintenance, manager):
    """Published and draft incidents and maintenance, in every public-relevant situation."""
    ongoing = make_incident(title="Degraded eu-west-2 connectivity", impact="major")
    services.status_incident_post_update(
        actor=manager, incident=ongoing, state="identified", body="A faulty *transit link* was identified."
    )
    draft = make_incident(title="Draft incident nobody may see", published=False, body="Secret draft body")
    recent = make_incident(title="Telephony outage yesterday", impact="critical")
    services.status_incident_post_update(actor=manager, incident=recent, state="resolved", body="Restored.")
    old = make_incident(title="Ancient resolved incident", state="resolved")
    StatusIncident.objects.filter(pk=old.pk).update(
        started_at=timezone.now() - dt.timedelta(days=40), resolved_at=timezone.now() - dt.timedelta(days=30)
    )
    upcoming = make_maintenance(title="Core switch replacement")
    hidden = make_maintenance(title="Draft maintenance nobody may see", published=False)
    cancelled = make_maintenance(title="Cancelled window", state="cancelled")
    return {
        "ongoing": ongoing,
        "draft": draft,
        "recent": recent,
        "old": old,
        "upcoming": upcoming,
        "hidden": hidden,
        "cancelled": cancelled,
    }


def test_public_page_shows_published_items_only(client, published_world):
    page = text(client.get(INDEX))
    assert "Major service disruption" in page  # the worst ongoing impact
    assert "Degraded eu-west-2 connectivity" in page
    assert "A faulty <em>transit link</em> was identified." in page  # the timeline, rendered Markdown
    assert "AWS eu-west-2 connectivity" in page  # affected component
    assert "Telephony outage yesterday" in page  # recent history (resolved within 14 days)
    assert "Core switch replacement" in page  # scheduled maintenance
    for hidden in (
        "Draft incident nobody may see",
        "Secret draft body",
        "Ancient resolved incident",
        "Draft maintenance nobody may see",
        "Cancelled window",
    ):
        assert hidden not in page


def test_banner(client, make_incident, make_maintenance, manager):
    assert "All systems operational" in text(client.get(INDEX))
    notice = make_incident(impact="none", title="Notice")
    assert "All systems operational" in text(client.get(INDEX))
    started_later = make_maintenance(in_days=0.5, title="Started early", state="in_progress")
    assert "Maintenance in progress" in text(client.get(INDEX))  # started on the record
    started_later.delete()
    assert "All systems operational" in text(client.get(INDEX))
    make_maintenance(in_days=-0.01, hours=3, title="Under way")  # inside its window, not started yet
    assert "Maintenance in progress" in text(client.get(INDEX))
    make_incident(impact="minor")
    make_incident(impact="critical", published=False)  # drafts do not count
    assert "Minor service disruption" in text(client.get(INDEX))
    services.status_incident_update(actor=manager, incident=notice, impact="critical")
    page = text(client.get(INDEX))
    assert "Critical service outage" in page and "status-critical" in page


def test_public_incident_detail_and_404s(client, published_world):
    ongoing, draft = published_world["ongoing"], published_world["draft"]
    page = text(client.get(reverse("statuspage:incident", args=[ongoing.pk])))
    assert "Degraded eu-west-2 connectivity" in page and "We are <strong>investigating</strong>" in page
    old = text(client.get(reverse("statuspage:incident", args=[published_world["old"].pk])))
    assert "Ancient resolved incident" in old  # history stays reachable by its link
    assert client.get(reverse("statuspage:incident", args=[draft.pk])).status_code == 404
    assert client.get(reverse("statuspage:incident", args=[987654])).status_code == 404
    assert client.post(INDEX).status_code == 405


def test_feed_is_valid_atom_with_one_entry_per_update_and_maintenance(client, published_world):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{child}") is not None
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    # Published incidents: ongoing (2 updates), recent (2), old (1); published maintenance: 2.
    assert len(entries) == 7, titles
    assert "Degraded eu-west-2 connectivity — Identified" in titles
    assert "Telephony outage yesterday — Resolved" in titles
    assert "Maintenance: Cancelled window (cancelled)" in titles
    assert "Maintenance: Core switch replacement (scheduled)" in titles
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids) and all(ids)
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated")
        link = entry.find(f"{ATOM}link").get("href")
        assert link.startswith("http://testserver/status/")
    body = response.content.decode()
    assert "Draft" not in body and "Secret draft body" not in body
    # Machine fields stay RFC 3339; the text people read uses the pages' one format, in the
    # provider's zone (issue 9): "Wed 2 Dec 2026 16:47 GMT", never UTC or ISO.
    import re

    maintenance = next(e for e in entries if "Core switch" in e.findtext(f"{ATOM}title"))
    text = maintenance.findtext(f"{ATOM}summary") or maintenance.findtext(f"{ATOM}content") or ""
    assert re.search(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} (GMT|BST)", text), text
    assert " UTC" not in text and not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert re.match(r"\d{4}-\d{2}-\d{2}T", maintenance.findtext(f"{ATOM}updated"))


def test_no_customer_data_reaches_the_public(
    client, published_world, customer_org, customer, manager, administrator
):
    """The status models have no link to organisations by design; this guards the pages too."""
    ongoing = published_world["ongoing"]
    answers = [
        client.get(INDEX),
        client.get(reverse("statuspage:incident", args=[ongoing.pk])),
        client.get(FEED),
        client.get("/api/v1/status"),
        # Signed in as a customer, the public page is still the public page.
        login(customer).get(INDEX),
    ]
    forbidden = [CUSTOMER_NAME, "carl@herring.test", "Carl Customer", manager.email, manager.full_name]
    for response in answers:
        content = text(response)
        leaked = [f for f in forbidden if f in content]
        assert not leaked, (response.request["PATH_INFO"], leaked)


def test_public_pages_have_no_staff_navigation_even_when_signed_in(
    client, published_world, manager, customer
):
    for c in (client, login(manager), login(customer)):
        page = text(c.get(INDEX))
        assert 'class="topbar"' not in page and "Sign out" not in page
        assert reverse("statuspage:incident_list") not in page
    assert client.get(INDEX)["Cache-Control"] == "public, max-age=30"


def test_public_api_summary_needs_no_login(client, published_world):
    response = client.get("/api/v1/status")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == {"indicator": "major", "description": "Major service disruption"}
    assert [i["title"] for i in data["incidents"]] == ["Degraded eu-west-2 connectivity"]
    assert [u["state"] for u in data["incidents"][0]["updates"]] == ["identified", "investigating"]
    assert set(data["incidents"][0]["updates"][0]) == {"id", "state", "body", "body_html", "posted_at"}
    assert [i["title"] for i in data["recent"]] == ["Telephony outage yesterday"]
    assert [m["title"] for m in data["maintenance"]] == ["Core switch replacement"]
    assert "published" not in data["incidents"][0] and "author" not in str(data)


STAFF_PAGES = [
    ("incident_list", None),
    ("incident_create", None),
    ("incident_detail", "incident"),
    ("incident_update", "incident"),
    ("incident_post_update", "incident"),
    ("incident_history", "incident"),
    ("maintenance_list", None),
]


@pytest.fixture
def staff_urls(make_incident, make_maintenance):
    objects = {"incident": make_incident(), "maintenance": make_maintenance()}
    return [
        reverse(f"statuspage:{name}", args=[objects[key].pk] if key else None) for name, key in STAFF_PAGES
    ]


def test_anonymous_reads_the_public_page_but_is_sent_to_login_by_staff_pages(staff_urls):
    client = Client()
    assert client.get(INDEX).status_code == 200
    for url in staff_urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_staff_without_the_permission_and_customers_get_403(staff_urls, engineer, customer, manager):
    for user in (engineer, customer):
        client = login(user)
        for url in staff_urls:
            assert client.get(url).status_code == 403, (user.role, url)
    permitted = login(manager)
    for url in staff_urls:
        response = permitted.get(url)
        if url == reverse("statuspage:maintenance_list"):
            # E4: provider-wide maintenance is scheduled on the maintenance pages, not kept here.
            assert response.status_code == 302
            assert response["Location"] == reverse("maintenance:maintenance_list")
        else:
            assert response.status_code == 200, url
