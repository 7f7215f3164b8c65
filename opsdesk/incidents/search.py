"""Incident text search (the queue's and the API's `q`): every word of the query must start a word
of the incident's reference, title or description, in any order and any case — "cert exp" finds
"Certificate expired on the gateway", "INC-000123" and "123" find INC-000123; "tificate" finds
nothing (words and their beginnings, not any substring).

Words are what `search_document` makes of the text: runs of letters and digits, lower-cased, stored
once each in IncidentSearch.document, separated by single spaces. The same function splits the
query, so both sides agree on what a word is, on SQLite and on PostgreSQL alike.

On PostgreSQL the words are a text-search vector (`array_to_tsvector`, no parser or dictionary in
between) with two GIN indexes (migration 0011): all incidents, and open ones only. A query is
`'word1':* & 'word2':*`; the index answers it exactly, so a rare word costs only its matches. The
database cannot estimate a prefix match, though, so the selector picks the plan itself
(`incident_list`): few matches are resolved to ids first; many are checked while walking the
queue's own index (`IncidentsMatching`), where the first page needs only a few rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Expression, F, Func, OuterRef, QuerySet, Subquery
from django.db.models.lookups import In

#: A word: letters and digits (not the underscore, which PostgreSQL's own parser splits on too).
_WORD = re.compile(r"[^\W_]+")
#: Longer words are cut to this many characters (PostgreSQL refuses lexemes over 2 kB); their
#: beginning is still found.
MAX_WORD = 100
#: Words of a query past this many are ignored (each one is another index lookup).
MAX_TERMS = 8


def _words(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in _WORD.findall((text or "").lower())]


def search_document(*texts: str) -> str:
    """The searchable words of `texts`, each once, in order. A number with leading zeros is also
    stored without them, so INC-000123 is found by "123"."""
    words: dict[str, None] = {}
    for text in texts:
        for word in _words(text):
            words[word] = None
            if word.isascii() and word.isdigit() and word[0] == "0" and word.strip("0"):
                words[word.lstrip("0")] = None
    return " ".join(words)


def search_terms(q: str) -> list[str]:
    """The words of a query, each once; none when it has no letter or digit."""
    return list(dict.fromkeys(_words(q)))[:MAX_TERMS]


def _tsquery(terms: Sequence[str], *, prefix: bool = True) -> str:
    # Terms are letters and digits only, so quoting them needs no escaping.
    return " & ".join(f"'{t}'{':*' if prefix else ''}" for t in terms)


class WordsStartWith(Func):
    """True when each term starts a word of `document` (a search document, or an expression
    giving one) — or, with whole=True, is a word of it. PostgreSQL: the indexed text-search vector;
    elsewhere one LIKE per term."""

    output_field = BooleanField()

    def __init__(self, document: Any, terms: Sequence[str], *, whole: bool = False):
        if not terms:
            raise ValueError("WordsStartWith needs at least one term.")
        super().__init__(document)
        self.terms = list(terms)
        self.whole = whole

    def as_sql(self, compiler, connection, **extra):
        document, params = compiler.compile(self.source_expressions[0])
        clauses, all_params = [], []
        for term in self.terms:
            if self.whole:
                clauses.append(f"(' ' || {document} || ' ') LIKE %s")
                all_params += [*params, *params, f"% {term} %"]
            else:
                clauses.append(f"(' ' || {document}) LIKE %s")
                all_params += [*params, f"% {term}%"]
        return "(" + " AND ".join(clauses) + ")", all_params

    def as_postgresql(self, compiler, connection, **extra):
        document, params = compiler.compile(self.source_expressions[0])
        # The same expression as the GIN indexes of migration 0011, so that they serve it.
        return (
            f"array_to_tsvector(string_to_array({document}, ' ')) @@ %s::tsquery",
            (*params, _tsquery(self.terms, prefix=not self.whole)),
        )


def estimated_rows(qs: QuerySet) -> int | None:
    """PostgreSQL's estimate of how many rows `qs` has (EXPLAIN, nothing is read), else None.
    For a text-search match it knows the frequency of the most common words from its statistics
    — but not of a prefix, which it always guesses at 2 %."""
    if connections[qs.db].vendor != "postgresql":
        return None
    plan = json.loads(qs.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class IncidentsMatching(Expression):
    """A condition on incidents: their search document is in `scope` (a queryset of
    IncidentSearch rows whose words match `terms`), written for the query that uses it.

    A page read in an order (ORDER BY … LIMIT, the queue's first page) checks each incident as it
    walks that order — one primary-key lookup per row — and stops once the page is full, which is
    cheap when matches are common (the selector only uses this expression then). Any other query
    (a count, an export) is a semi-join that the GIN index answers. On SQLite it is always the
    semi-join."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, scope: QuerySet, terms: Sequence[str]):
        super().__init__()
        self.joined: Any = In(F("pk"), scope.values("incident_id"))
        document = scope.model.objects.filter(incident_id=OuterRef("pk")).values("document")
        self.walked: Any = WordsStartWith(Subquery(document), terms)

    def get_source_expressions(self) -> list[Any]:
        return [self.joined, self.walked]

    def set_source_expressions(self, exprs: Iterable[Any]) -> None:
        self.joined, self.walked = exprs

    def as_sql(self, compiler, connection, **extra):
        query = compiler.query
        ordered = bool(query.order_by or (query.default_ordering and query.get_meta().ordering))
        walks = connection.vendor == "postgresql" and ordered and query.high_mark is not None
        return compiler.compile(self.walked if walks else self.joined)
