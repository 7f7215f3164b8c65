"""Incident search (the queue's and the API's `q`): words and the beginnings of words, in any order
and case, in the reference, title or description; the same answers on SQLite and PostgreSQL, and
whichever plan the selector picks for a rare or a common search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.core.api import capped_count
from opsdesk.incidents import search, selectors, services
from opsdesk.incidents.models import IncidentSearch
from opsdesk.incidents.search import MAX_TERMS, MAX_WORD, search_document, search_terms
from opsdesk.incidents.tests.conftest import log

API = "/api/v1"


def test_the_document_is_the_words_lower_cased_each_once():
    assert search_document("INC-000123", "Certificate expired: api.example.com", "CERTIFICATE again") == (
        "inc 000123 123 certificate expired api example com again"
    )
    assert search_document("snake_case Zoë 42", "") == "snake case zoë 42"
    assert search_document("x" * 300) == "x" * MAX_WORD


def test_the_terms_are_the_words_of_the_query():
    assert search_terms("  Cert, EXP!  cert ") == ["cert", "exp"]
    assert search_terms("#-- ?") == []
    assert len(search_terms(" ".join(f"w{i}" for i in range(20)))) == MAX_TERMS


@pytest.fixture
def incidents(world):
    return {
        "cert": log(world, title="Certificate expired on the gateway", description="TLS handshake fails."),
        "disk": log(world, title="Disk full", description="The database volume of api.example.com is full."),
        "late": log(world, title="Late certificates", description="Renewal did not run."),
    }


def common(monkeypatch, limit: int) -> None:
    """Searches matching more than `limit` incidents, in the open queue or in all, count as common."""
    monkeypatch.setattr(selectors, "SEARCH_ID_LIMIT", limit)
    monkeypatch.setattr(selectors, "OPEN_SEARCH_ID_LIMIT", limit)


def found(desk, q: str, **filters) -> set[int]:
    return {i.pk for i in selectors.incident_list(user=desk, filters={"q": q, **filters})}


def test_words_and_their_beginnings_in_any_order_and_case(desk, incidents):
    cert, disk, late = incidents["cert"], incidents["disk"], incidents["late"]
    assert found(desk, "certificate") == {cert.pk, late.pk}
    assert found(desk, "CERT") == {cert.pk, late.pk}
    assert found(desk, "gate cert") == {cert.pk}
    assert found(desk, "certificate renewal") == {late.pk}
    assert found(desk, "example") == {disk.pk}  # a host name's parts are words
    assert found(desk, "tificate") == set()  # not any substring: the beginning of a word
    assert found(desk, "certificate disk") == set()  # every word must be there


def test_a_reference_is_found_with_or_without_its_leading_zeros(desk, incidents):
    disk = incidents["disk"]
    number = disk.reference.removeprefix("INC-")
    assert found(desk, disk.reference) == {disk.pk}
    assert found(desk, number) == {disk.pk}
    assert found(desk, f"INC-{int(number)}") == {disk.pk}


def test_a_query_without_words_filters_nothing(desk, incidents):
    assert found(desk, "?!") == {i.pk for i in incidents.values()}


def test_the_search_follows_the_state_of_the_incident(desk, incidents):
    cert = incidents["cert"]
    services.incident_acknowledge(actor=desk, incident=cert)
    assert found(desk, "gateway", state="open") == {cert.pk}
    services.incident_resolve(actor=desk, incident=cert, summary="Renewed the certificate.")
    assert IncidentSearch.objects.get(incident=cert).is_open is False
    assert found(desk, "gateway", state="open") == set()
    assert found(desk, "gateway", state="resolved") == {cert.pk}
    assert found(desk, "gateway") == {cert.pk}
    services.incident_start_investigating(actor=desk, incident=cert)  # reopened
    assert IncidentSearch.objects.get(incident=cert).is_open is True
    assert found(desk, "gateway", state="open") == {cert.pk}
    assert found(desk, "gateway", state="resolved") == set()


def test_customers_search_only_their_own_incidents(world, desk, incidents):
    other = log(
        world,
        who="customer_b",
        title="Certificate expired too",
        service_reference=world["service_b"].reference,
    )
    assert found(world["customer_a"], "certificate") == {incidents["cert"].pk, incidents["late"].pk}
    assert found(world["customer_b"], "certificate") == {other.pk}
    assert found(desk, "certificate") == {incidents["cert"].pk, incidents["late"].pk, other.pk}


@pytest.mark.parametrize("state", ["open", "", "resolved"])
@pytest.mark.parametrize("plan", ["common", "very common"])
def test_a_common_search_answers_like_a_rare_one(monkeypatch, desk, incidents, state, plan):
    """A search matching more than SEARCH_ID_LIMIT incidents is not resolved to ids: the page walks
    the queue's order (PostgreSQL) and the count asks the text index — or walks too, when
    statistics say the words are very common. Same rows, same order, same count."""
    services.incident_resolve(
        actor=desk,
        incident=services.incident_acknowledge(actor=desk, incident=incidents["late"]),
        summary="Done.",
    )
    filters = {"q": "cert", "state": state}

    def listing():
        qs = selectors.incident_list(user=desk, filters=filters)
        return (
            [i.pk for i in qs[:25]],
            [i.pk for i in qs.order_by("-logged_at", "-pk")[:25]],
            qs.order_by()[:1001].count(),
            list(qs.values_list("pk", flat=True)),
        )

    rare = listing()
    common(monkeypatch, 0)
    if plan == "very common":
        monkeypatch.setattr(selectors, "DENSE_SHARE", 0.0)
    assert listing() == rare
    expected = {"open": [incidents["cert"].pk], "resolved": [incidents["late"].pk]}
    assert rare[0] == expected.get(state, [incidents["cert"].pk, incidents["late"].pk])
    assert rare[1] == rare[0][::-1]


ROW_BY_ROW = ["cert", "gate cert", "certificate renewal", "tificate", "certificate disk", "cert CERT"]


@pytest.mark.parametrize("q", ROW_BY_ROW)
def test_the_row_by_row_check_finds_what_the_text_index_finds(monkeypatch, world, desk, incidents, q):
    """The walking plan checks each row with a string search per term (PostgreSQL): every term must
    start a word, in any order, exactly as the text index's prefix query has it ("cert" is inside
    "concert" but starts no word of it)."""
    log(world, title="Concert hall gateway down", description="Lights and sound.")

    def first_page_and_count(state: str) -> tuple[list[int], int]:
        qs = selectors.incident_list(user=desk, filters={"q": q, "state": state})
        return [i.pk for i in qs[:25]], qs.order_by()[:1001].count()

    rare = [first_page_and_count(state) for state in ("", "open")]
    common(monkeypatch, 0)
    assert [first_page_and_count(state) for state in ("", "open")] == rare
    monkeypatch.setattr(selectors, "DENSE_SHARE", 0.0)
    assert [first_page_and_count(state) for state in ("", "open")] == rare
    assert bool(rare[0][0]) == (q in ("cert", "gate cert", "certificate renewal", "cert CERT"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_how_common_a_search_is_comes_from_the_statistics_of_the_words(world, desk):
    for i in range(40):
        log(world, title=f"Certificate expired #{i}" if i % 4 == 0 else f"Disk full #{i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incidentsearch")
    search._statistics.clear()
    [(word, share)] = search.common_words(["cert"])
    assert word == "certificate" and share == pytest.approx(0.25, abs=0.01)
    assert search.share_matching(search.common_words(["cert", "disk"])) == pytest.approx(
        0.25 * 0.75, abs=0.01
    )
    assert search.common_words(["nothing", "disk"])[0] is None
    assert search.share_matching(search.common_words(["nothing", "disk"])) == 0.0
    search._statistics.clear()


def test_the_api_and_the_queue_search_by_words(world, desk, incidents, client):
    staff = client
    staff.force_login(desk)
    r = staff.get(f"{API}/incidents", {"q": "cert gate"})
    assert [i["id"] for i in r.json()["results"]] == [incidents["cert"].pk]
    assert r.json()["count"] == 1
    r = staff.get(f"{API}/incidents", {"q": "tificate"})
    assert r.json()["count"] == 0
    page = staff.get("/incidents/", {"q": "late cert"}).content.decode()
    assert incidents["late"].reference in page and incidents["cert"].reference not in page


@pytest.mark.parametrize("limit", [None, 0])
def test_a_search_page_costs_the_same_queries_for_more_rows(monkeypatch, world, desk, client, limit):
    if limit is not None:
        common(monkeypatch, limit)
    client.force_login(desk)
    for i in range(3):
        log(world, title=f"Certificate {i}")

    def count(n: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{API}/incidents", {"q": "certificate", "limit": n}).status_code == 200
        return len(ctx.captured_queries)

    count(1)  # once to read what a process keeps (the statistics of the words)
    few = count(1)
    for i in range(5):
        log(world, title=f"Certificate {i}")
    assert count(100) == few


@pytest.mark.parametrize("organisation_filter", [False, True])
def test_a_common_search_in_the_open_queue_counts_from_the_ids_it_already_read(
    monkeypatch, world, desk, incidents, organisation_filter
):
    """The open queue's count of a common word ("1,000+") comes from the ids the search read
    first, one query instead of a second scan of every match; when those fall short of the cap
    (another filter leaves fewer), the count is made exactly, and is right either way."""
    for n in range(3):
        log(world, title=f"Certificate rotation {n}", description="Scheduled.")
    log(world, who="customer_b", title="Certificate on B", service_reference=world["service_b"].reference)
    common(monkeypatch, 2)
    filters = {"q": "cert", "state": "open"}
    if organisation_filter:
        filters["organisation"] = world["org_b"].pk
    qs = selectors.incident_list(user=desk, filters=filters)
    every = qs.order_by().count()
    assert every == (1 if organisation_filter else 6)
    with CaptureQueriesContext(connection) as counted:
        assert capped_count(qs, cap=2) == ((1, True) if organisation_filter else (2, False))
    assert len(counted) == (2 if organisation_filter else 1)
    # The first pass looks up the ids it was given, not the text index again.
    assert "incidentsearch" not in counted[0]["sql"]
    assert capped_count(qs, cap=10) == (every, True)
