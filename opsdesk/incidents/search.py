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
from django.db.models import (
    BooleanField,
    Expression,
    F,
    Func,
    IntegerField,
    OrderBy,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.lookups import GreaterThan, In

from opsdesk.core import counting

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


def _tsquery(terms: Sequence[str], hints: Sequence[str | None] = ()) -> str:
    # Terms are letters and digits only, so quoting them needs no escaping. A hint is a common
    # word starting with its term: `'cert':* | 'certificate'` matches what `'cert':*` matches,
    # but PostgreSQL, which estimates any prefix at 2 %, knows from its statistics how common
    # the word is, and plans joins and sorts for about the right number of rows.
    hints = list(hints) + [None] * (len(terms) - len(hints))
    return " & ".join(f"('{t}':* | '{h}')" if h else f"'{t}':*" for t, h in zip(terms, hints, strict=True))


class WordsStartWith(Func):
    """True when each term starts a word of `document` (a search document, or an expression
    giving one). PostgreSQL: the indexed text-search vector; elsewhere a string search per term.
    `hints`: see _tsquery."""

    output_field = BooleanField()

    def __init__(self, document: Any, terms: Sequence[str], hints: Sequence[str | None] = ()):
        if not terms:
            raise ValueError("WordsStartWith needs at least one term.")
        super().__init__(document)
        self.terms = list(terms)
        self.hints = list(hints)

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(GreaterThan(_WordStarts(self.source_expressions[0], self.terms), 0))

    def as_postgresql(self, compiler, connection, **extra):
        document, params = compiler.compile(self.source_expressions[0])
        # The same expression as the GIN indexes of migration 0011, so that they serve it.
        return (
            f"array_to_tsvector(string_to_array({document}, ' ')) @@ %s::tsquery",
            (*params, _tsquery(self.terms, self.hints)),
        )


class _WordStarts(Func):
    """Where the first term starts a word of `document` (the least such position over all terms),
    0 when some term starts none: `> 0` means every term does. SQLite's check of WordsStartWith,
    and PostgreSQL's when it checks row by row: there a string search per term costs less than half
    of building the row's text-search vector, and PostgreSQL estimates `function > 0` at a third,
    whatever the number of terms, where the `@@` operator's estimate for a prefix query shrinks with
    every term (2 % each) until walking an index in order looks worse than reading and sorting
    every candidate."""

    output_field = IntegerField()

    def __init__(self, document: Any, terms: Sequence[str]):
        super().__init__(document)
        self.terms = list(terms)

    def _positions(self, compiler, find: str, least: str):
        document, params = compiler.compile(self.source_expressions[0])
        positions, all_params = [], []
        for term in self.terms:
            # Words are separated by single spaces: " term" found in " " || document starts a word.
            positions.append(f"{find}(' ' || {document}, %s)")
            all_params += [*params, f" {term}"]
        sql = positions[0] if len(positions) == 1 else f"{least}({', '.join(positions)})"
        return sql, all_params

    def as_sql(self, compiler, connection, **extra):
        return self._positions(compiler, "instr", "MIN")  # SQLite: MIN of several is the least

    def as_postgresql(self, compiler, connection, **extra):
        return self._positions(compiler, "strpos", "LEAST")


class IdIn(Func):
    """pk IN ids. PostgreSQL gets the ids as one array parameter (`= ANY(%s)`) rather than a
    placeholder each: with a thousand ids, Django compiling the list and the driver binding it
    took longer than PostgreSQL took to run the query."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, ids: Iterable[int]):
        super().__init__(F("pk"))
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(In(self.source_expressions[0], self.ids))

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s)", (*params, self.ids)


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


def common_words(terms: Sequence[str], *, using: str = "default") -> list[tuple[str, float] | None] | None:
    """For each term, the most common word starting with it and the share of all incidents that
    have it, by PostgreSQL's statistics (None for a term that starts no common word: it is rare,
    or at least not known to be common); None without statistics."""
    common = _common_words(using)
    if common is None:
        return None
    words, shares = common
    found: list[tuple[str, float] | None] = []
    for term in terms:
        i = bisect.bisect_left(words, term)
        best = None
        while i < len(words) and words[i].startswith(term):
            if best is None or shares[i] > best[1]:
                best = (words[i], shares[i])
            i += 1
        found.append(best)
    return found


def share_matching(found: Sequence[tuple[str, float] | None]) -> float:
    """About what share of all incidents match terms with these common_words: the product of
    their shares, as if independent (a lower bound for each term: other words may add to it)."""
    share = 1.0
    for word in found:
        share *= word[1] if word else 0.0
    return share


class IncidentsMatching(Expression):
    """A condition on incidents: their search document is in `scope` (a queryset of
    IncidentSearch rows whose words match `terms`), written for the query that uses it.

    A page read along `walk_along` (ORDER BY exactly those columns of an index, one way or the
    other, … LIMIT: the queue's first page) checks each incident as it walks the index — one
    primary-key lookup per row — and stops once the page is full, which is cheap when matches are
    common (the selector only uses this expression then). Any other query — a count, an export, a
    page in another order, which would have to check every incident before sorting — is a
    semi-join that the GIN index answers; or, with walk_counts (the words are very common), an
    unordered query walks too, the search documents beside the incidents' primary key: a capped
    count then stops at its 1,001st match. On SQLite it is
    always the semi-join.

    `known`, some of the matches already read (the ids the selector took from the text index
    before choosing this plan), stands in for the whole while a capped count runs a first pass
    (core.counting): a common word's count is then a look-up of those rows instead of a second
    scan of every match, and is re-run in full only when it falls short of the cap."""

    conditional = True
    output_field = BooleanField()

    def __init__(
        self,
        scope: QuerySet,
        terms: Sequence[str],
        *,
        walk_along: str,
        walk_counts: bool = False,
        known: Sequence[int] = (),
    ):
        super().__init__()
        self.known = IdIn(known) if known else None
        self.joined: Any = In(F("pk"), scope.values("incident_id"))
        # One subquery per row, giving the term positions in that row's document.
        starts = (
            scope.model.objects.filter(incident_id=OuterRef("pk"))
            .annotate(starts=_WordStarts(F("document"), terms))
            .values("starts")
        )
        self.walked: Any = GreaterThan(Subquery(starts), 0)
        # An unordered walk (a capped count of very common words) reads the search documents in
        # the order of their key, the incident's id, beside the incidents' primary key: a merge
        # join that stops at the cap, each document checked by string search as it passes (at a
        # million incidents ~3 ms for a word in a fifth of them, against ~40 ms for a subquery per
        # incident).
        checked = (
            scope.model.objects.annotate(starts=_WordStarts(F("document"), terms))
            .filter(starts__gt=0)
            .values("incident_id")
        )
        self.counted: Any = In(F("pk"), checked)
        self.walk_along = walk_along
        self.walk_counts = walk_counts

    def get_source_expressions(self) -> list[Any]:
        return [self.joined, self.walked, self.counted, self.known]

    def set_source_expressions(self, exprs: Iterable[Any]) -> None:
        self.joined, self.walked, self.counted, self.known = exprs

    def _walks(self, query: Any) -> bool:
        """Whether the query walks: a first page along walk_along, or any unordered query with
        walk_counts."""
        order = list(query.order_by or (query.get_meta().ordering if query.default_ordering else ()))
        if not order:
            return self.walk_counts
        keys = []
        for item in order:
            if isinstance(item, OrderBy) and isinstance(item.expression, F):
                keys.append((item.expression.name, item.descending))
            elif isinstance(item, str):
                keys.append((item.removeprefix("-"), item.startswith("-")))
            else:
                return False
        names = ["pk" if name == "id" else name for name, _descending in keys]
        one_way = len({descending for _name, descending in keys}) == 1
        return names == list(self.walk_along) and one_way and query.high_mark is not None

    def as_sql(self, compiler, connection, **extra):
        query = compiler.query
        if self.known is not None and counting.subset_allowed():
            return compiler.compile(self.known)
        if connection.vendor != "postgresql" or not self._walks(query):
            return compiler.compile(self.joined)
        ordered = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        return compiler.compile(self.walked if ordered else self.counted)
