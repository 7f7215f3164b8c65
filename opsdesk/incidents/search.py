"""Incident text search (the queue's and the API's `q`): every word of the query must start a word
of the incident's reference, title or description, in any order and any case — "cert exp" finds
"Certificate expired on the gateway", "INC-000123" and "123" find INC-000123; "tificate" finds
nothing (words and their beginnings, not any substring); a query without a letter or digit filters
nothing.

Words are what `search_document` makes of the text: runs of letters and digits, lower-cased, stored
once each in IncidentSearch.document, separated by single spaces. The same function splits the
query, so both sides agree on what a word is, on SQLite and on PostgreSQL alike.

On PostgreSQL the words are a text-search vector (`array_to_tsvector`, no parser or dictionary in
between) with two GIN indexes (migration 0011): all incidents, and open ones only. A query is
`'word1':* & 'word2':*`; the index answers it exactly, so a rare word costs only its matches — but
a common one costs all of them, and the database cannot estimate a prefix match to choose well.
So the selector chooses (selectors._search): few matches are resolved to ids first; many are
checked row by row while the first page walks the queue's own index (`IncidentsMatching`), and
counted from the index, or by walking too when the words' statistics (`share_matching`) say
they are very common.
"""

from __future__ import annotations

import bisect
import re
import time
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


def _tsquery(terms: Sequence[str]) -> str:
    # Terms are letters and digits only, so quoting them needs no escaping.
    return " & ".join(f"'{t}':*" for t in terms)


class WordsStartWith(Func):
    """True when each term starts a word of `document` (a search document, or an expression
    giving one). PostgreSQL: the indexed text-search vector; elsewhere one LIKE per term."""

    output_field = BooleanField()

    def __init__(self, document: Any, terms: Sequence[str]):
        if not terms:
            raise ValueError("WordsStartWith needs at least one term.")
        super().__init__(document)
        self.terms = list(terms)

    def as_sql(self, compiler, connection, **extra):
        document, params = compiler.compile(self.source_expressions[0])
        clauses, all_params = [], []
        for term in self.terms:
            clauses.append(f"(' ' || {document}) LIKE %s")
            all_params += [*params, f"% {term}%"]
        return "(" + " AND ".join(clauses) + ")", all_params

    def as_postgresql(self, compiler, connection, **extra):
        document, params = compiler.compile(self.source_expressions[0])
        # The same expression as the GIN indexes of migration 0011, so that they serve it.
        return (
            f"array_to_tsvector(string_to_array({document}, ' ')) @@ %s::tsquery",
            (*params, _tsquery(self.terms)),
        )


class _EachRowWordsStartWith(WordsStartWith):
    """WordsStartWith for a check made row by row: PostgreSQL gets the function behind `@@`
    (ts_match_vq), whose selectivity it does not try to estimate (a third, like any function),
    instead of the operator, whose estimate for a prefix query shrinks with every term (2 % each)
    until walking an index in order looks worse than reading and sorting every candidate."""

    def as_postgresql(self, compiler, connection, **extra):
        document, params = compiler.compile(self.source_expressions[0])
        return (
            f"ts_match_vq(array_to_tsvector(string_to_array({document}, ' ')), %s::tsquery)",
            (*params, _tsquery(self.terms)),
        )


#: How long a process keeps PostgreSQL's word statistics (they change with ANALYZE, which
#: autovacuum runs after a tenth of the rows changed).
STATISTICS_TTL = 600.0
_statistics: dict[str, tuple[float, tuple[list[str], list[float]] | None]] = {}


def _common_words(using: str) -> tuple[list[str], list[float]] | None:
    """ANALYZE's most common words of all incidents' search documents (up to ten times the
    statistics target, 1,000 by default) in sorted order, with the share of documents that have
    each; None without statistics (SQLite, a table never analysed)."""
    cached = _statistics.get(using)
    if cached and time.monotonic() - cached[0] < STATISTICS_TTL:
        return cached[1]
    words = None
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            # The statistics of an expression index are filed under the index's name.
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = 'incident_search_words'"
            )
            row = cursor.fetchone()
        if row and row[0]:
            pairs = sorted(zip(row[0], row[1], strict=False))
            words = ([w for w, _ in pairs], [f for _, f in pairs])
    _statistics[using] = (time.monotonic(), words)
    return words


def share_matching(terms: Sequence[str], *, using: str = "default") -> float | None:
    """About what share of all incidents match `terms`, by PostgreSQL's statistics: for each term
    the most common word starting with it (a lower bound: others may add to it), multiplied over
    the terms as if independent. 0 when a term starts no common word (the match is rare, or at
    least not known to be common); None without statistics."""
    common = _common_words(using)
    if common is None:
        return None
    words, shares = common
    share = 1.0
    for term in terms:
        i = bisect.bisect_left(words, term)
        best = 0.0
        while i < len(words) and words[i].startswith(term):
            best = max(best, shares[i])
            i += 1
        share *= best
    return share


class IncidentsMatching(Expression):
    """A condition on incidents: their search document is in `scope` (a queryset of
    IncidentSearch rows whose words match `terms`), written for the query that uses it.

    A page read in an order (ORDER BY … LIMIT, the queue's first page) checks each incident as it
    walks that order — one primary-key lookup per row — and stops once the page is full, which is
    cheap when matches are common (the selector only uses this expression then). Any other query
    (a count, an export) is a semi-join that the GIN index answers, or, with walk_counts (the
    words are very common), walks too: a capped count then stops at its 1,001st match. On SQLite
    it is always the semi-join."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, scope: QuerySet, terms: Sequence[str], *, walk_counts: bool = False):
        super().__init__()
        self.joined: Any = In(F("pk"), scope.values("incident_id"))
        document = scope.model.objects.filter(incident_id=OuterRef("pk")).values("document")
        self.walked: Any = _EachRowWordsStartWith(Subquery(document), terms)
        self.walk_counts = walk_counts

    def get_source_expressions(self) -> list[Any]:
        return [self.joined, self.walked]

    def set_source_expressions(self, exprs: Iterable[Any]) -> None:
        self.joined, self.walked = exprs

    def as_sql(self, compiler, connection, **extra):
        query = compiler.query
        ordered = bool(query.order_by or (query.default_ordering and query.get_meta().ordering))
        walks = connection.vendor == "postgresql" and (
            self.walk_counts or (ordered and query.high_mark is not None)
        )
        return compiler.compile(self.walked if walks else self.joined)
