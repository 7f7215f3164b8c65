"""Helpers for incident tests: fixed instants (sla-examples.md) and logging shortcuts."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from opsdesk.incidents import services
from opsdesk.incidents.models import DiagnosticsChecklistItem

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def all_checks() -> list[int]:
    return list(DiagnosticsChecklistItem.objects.filter(active=True).values_list("pk", flat=True))


def log(world, *, who: str = "customer_a", priority: str = "P3", at: datetime | None = None, **extra):
    fields = {
        "description": "The API answers 502 since 09:00.",
        "title": "API errors",
        "priority": priority,
        "diagnostics_confirmed": all_checks(),
        "service_reference": world["service_a"].reference,
        **extra,
    }
    if who != "customer_a" and who != "customer_b" and "reported_by" not in extra:
        fields["reported_by"] = world["contact_a"]
    return services.incident_log(actor=world[who], logged_at=at, **fields)


def logged_by_desk(world, *, title: str, description: str, priority: str = "P2", at: datetime | None = None):
    """An incident the service desk logs for tenant A's contact on their service, every check done."""
    return services.incident_log(
        actor=world["service_desk"],
        reported_by=world["contact_a"],
        service=world["service_a"],
        title=title,
        description=description,
        priority=priority,
        diagnostics_confirmed=all_checks(),
        logged_at=at,
    )


@pytest.fixture
def desk(world):
    """The service desk agent who works incidents."""
    return world["service_desk"]


def client_for(user) -> Client:
    """A browser session signed in as `user` (the API's session authentication)."""
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


#: A complete root-cause report (C6), every required section filled.
SECTIONS = {
    "impact": "Checkout unavailable for 40 minutes.",
    "timeline_of_events": "09:02 alarm; 09:05 acknowledged; 09:42 restored.",
    "monitoring_assessment": "The latency alarm fired; no alarm on the connection pool.",
    "lessons_learned": "Pool exhaustion was not visible.",
    "recommendations": "Alarm on pool usage; raise the pool size.",
}
