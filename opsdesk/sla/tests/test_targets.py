"""B3 / L5: every worked example of sla-examples.md through the CLI and the API, and bad input."""

import io
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from opsdesk.sla import services

# (priority, logged at, initial response due, considered response due), from sla-examples.md
EXAMPLES = [
    ("P3", "2026-12-01T10:00:00+00:00", "2026-12-01T11:00:00+00:00", "2026-12-01T14:00:00+00:00"),
    ("P3", "2026-12-01T13:30:00+00:00", "2026-12-01T14:30:00+00:00", "2026-12-02T12:00:00+00:00"),
    ("P3", "2026-12-01T16:30:00+00:00", "2026-12-02T10:00:00+00:00", "2026-12-02T12:00:00+00:00"),
    ("P3", "2026-12-04T20:00:00+00:00", "2026-12-07T10:00:00+00:00", "2026-12-07T13:00:00+00:00"),
    ("P3", "2026-12-24T16:15:00+00:00", "2026-12-29T10:00:00+00:00", "2026-12-29T12:00:00+00:00"),
    ("P3", "2026-03-27T16:30:00+00:00", "2026-03-30T10:00:00+01:00", "2026-03-30T12:00:00+01:00"),
    ("P4", "2026-12-07T11:00:00+00:00", "2026-12-08T11:00:00+00:00", "2026-12-08T11:00:00+00:00"),
    ("P4", "2026-12-07T09:00:00+00:00", "2026-12-07T17:00:00+00:00", "2026-12-07T17:00:00+00:00"),
    ("P1", "2026-03-29T00:50:00+00:00", "2026-03-29T01:05:00+00:00", "2026-03-29T01:50:00+00:00"),
]


def run(*args, stdin=None):
    out = io.StringIO()
    with mock.patch("sys.stdin", stdin or io.StringIO("")):
        call_command("sla", "targets", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
@pytest.mark.parametrize("priority,logged,initial,considered", EXAMPLES)
def test_cli_single(priority, logged, initial, considered):
    [answer] = run("--priority", priority, "--logged-at", logged)
    assert answer == {
        "priority": priority,
        "logged_at": logged,
        "calendar": "24x7" if priority == "P1" else "uk",
        "initial_response_due": initial,
        "considered_response_due": considered,
    }


@pytest.mark.django_db
def test_cli_exact_output_of_the_spec(capsys):
    call_command("sla", "targets", "--priority", "P3", "--logged-at", "2026-12-01T16:30:00+00:00")
    assert capsys.readouterr().out == (
        '{"priority": "P3", "logged_at": "2026-12-01T16:30:00+00:00", "calendar": "uk", '
        '"initial_response_due": "2026-12-02T10:00:00+00:00", '
        '"considered_response_due": "2026-12-02T12:00:00+00:00"}\n'
    )


@pytest.mark.django_db
def test_cli_batch_in_order():
    lines = "".join(f"{p} {t}\n" for p, t, _, _ in EXAMPLES)
    answers = run(stdin=io.StringIO(lines))
    assert [
        (a["priority"], a["logged_at"], a["initial_response_due"], a["considered_response_due"])
        for a in answers
    ] == [e for e in EXAMPLES]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "line,message",
    [
        ("P7 2026-12-01T10:00:00+00:00", "Unknown priority 'P7'"),
        ("P3 2026-12-01T10:00:00", "no UTC offset"),
        ("P3 yesterday", "not an ISO 8601 timestamp"),
        ("P3", "expected 'PRIORITY TIMESTAMP'"),
    ],
)
def test_cli_batch_bad_line_names_the_line(line, message):
    with pytest.raises(CommandError, match=rf"line 2: .*{message}"):
        run(stdin=io.StringIO(f"P3 2026-12-01T10:00:00+00:00\n{line}\n"))


@pytest.mark.django_db
def test_cli_unknown_calendar():
    with pytest.raises(CommandError, match="Unknown calendar 'mars'"):
        run("--priority", "P3", "--logged-at", "2026-12-01T10:00:00+00:00", "--calendar", "mars")


@pytest.mark.parametrize("priority,logged,initial,considered", EXAMPLES)
def test_api_answers_the_same_with_an_explanation(world, priority, logged, initial, considered):
    client = Client()
    client.force_login(world["customer_a"])
    r = client.get("/api/v1/sla/targets", {"priority": priority, "logged_at": logged})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["initial_response_due"], body["considered_response_due"]) == (initial, considered)
    assert body["explanation"]["initial"] and body["explanation"]["considered"]


def test_api_explains_the_fallback_and_closed_days(world):
    client = Client()
    client.force_login(world["service_desk"])
    body = client.get(
        "/api/v1/sla/targets", {"priority": "P3", "logged_at": "2026-12-24T16:15:00+00:00"}
    ).json()
    text = " ".join(body["explanation"]["considered"])
    assert "next business day" in text and "Christmas" in text


@pytest.mark.parametrize(
    "params,field",
    [
        ({"priority": "P0", "logged_at": "2026-12-01T10:00:00+00:00"}, "priority"),
        ({"priority": "P3", "logged_at": "2026-12-01T10:00:00"}, "logged_at"),
        ({"priority": "P3", "logged_at": "2026-12-01T10:00:00+00:00", "calendar": "mars"}, "calendar"),
        ({"priority": "P3"}, "logged_at"),
    ],
)
def test_api_bad_input(world, params, field):
    client = Client()
    client.force_login(world["service_desk"])
    r = client.get("/api/v1/sla/targets", params)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


def test_an_organisation_on_its_own_policy(world):
    admin = world["admin"]
    rows = [
        {"priority": p, "clock": "business", "initial_hours": 2, "considered_hours": 6} for p in ("P1", "P2")
    ]
    rows += [
        {"priority": p, "clock": "business", "initial_business_days": 1, "considered_business_days": 2}
        for p in ("P3", "P4")
    ]
    policy = services.policy_create(actor=admin, name="Gold", targets=rows)
    from opsdesk.directory.services import organisation_update

    org = organisation_update(actor=admin, organisation=world["org_b"], sla_policy=policy.pk)
    import datetime as dt

    t = services.incident_targets(
        organisation=org, priority="P1", logged_at=dt.datetime.fromisoformat("2026-12-01T16:30:00+00:00")
    )
    assert t.calendar.name == "uk"
    assert t.initial_response_due.isoformat() == "2026-12-02T10:30:00+00:00"  # 30 min Tue + 90 min Wed
    default = services.incident_targets(
        organisation=world["org_a"],
        priority="P1",
        logged_at=dt.datetime.fromisoformat("2026-12-01T16:30:00+00:00"),
    )
    assert default.calendar.name == "24x7" and default.initial_response_due.isoformat().startswith(
        "2026-12-01T16:45"
    )


def test_policy_needs_every_priority(world):
    from opsdesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as info:
        services.policy_create(
            actor=world["admin"],
            name="Half",
            targets=[{"priority": "P1", "clock": "24x7", "initial_hours": 1, "considered_hours": 2}],
        )
    assert info.value.errors[0]["field"] == "targets"
