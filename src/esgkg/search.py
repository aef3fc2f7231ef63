"""Search by name (``find``) and by indicator words (``find-figure``) through a full-text index.

The index is a SQLite database with FTS5 tables, ``search.sqlite``, written by every build into
the build's own folder before the build is marked complete and swapped in (``store/builds.py``):
a reader always sees the index of the store it reads, a killed build leaves the previous store
and index in place, and two builds never write the same file (the build lock, one folder each).

What is in it, per report graph (each computed over that report's graph plus the ontology and
vocabularies, exactly as ``--report`` restricts a query):

- ``find_rows``: the rows ``queries/find.rq`` gives for every named thing (report, kind, name,
  IRI, pages, whether a page is estimated), and ``find_terms`` (FTS5): every name the query
  matches on (``skos:prefLabel``, ``esgkg:shortName``, ``formerName``, ``partnerName``).
- ``figure_rows``: the rows ``queries/find-figure.rq`` gives for every figure, the IRIs each row
  is found by (``figure_keys``: its indicator and its breakdown codes), and ``figure_terms``
  (FTS5): the labels and synonyms (``skos:prefLabel``, ``skos:altLabel``) of those IRIs.

Matching is what the SPARQL queries do: the text is contained in a label, case-insensitively
(so a prefix, a word or a phrase: "attr", "Attrition", "scope 2"). The FTS5 tables use the
trigram tokenizer: the text, quoted as one FTS5 string (so ``"``, ``*``, ``NEAR``, ``-``, ``:``
in it are plain characters), selects candidate labels through the index, and each candidate is
checked to contain the text (lowercased) before a row is returned. A text shorter than three
characters cannot use a trigram index: it is checked against every label of the index (a scan
of the label table, not of the store). The rows are ordered as the queries order them, then by
build order, so ``limit`` / ``offset`` pages are disjoint and complete.

The rows of the whole store (no ``report``) are the rows of every report: a thing or figure is
found by the labels its report's graphs give it (the same rows as the SPARQL over the union on
the shipped data, ``tests/test_search.py``). The ``.rq`` files stay the reference: they run
unchanged in any SPARQL engine (a remote one, or the export loaded elsewhere).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import ids
from .errors import InputError, StoreError
from .store.execute import QueryTimeout
from .store.execute import _term as _from_plain

SEARCH_FILE = "search.sqlite"
ONTOLOGY_GRAPH = str(ids.ONTOLOGY_GRAPH)
SEARCH_VERSION = 2  # bump when the tables or their rows change: an older index is then refused
SEARCHABLE = ("find", "find-figure", "data-quality-notes")  # the named queries answered from the index
_TEXT_SEARCHES = ("find", "find-figure")  # of these, the ones that look for a text
PAGED = ", ".join(SEARCHABLE[:-1]) + " and " + SEARCHABLE[-1]  # their names, for messages
DEFAULT_LIMIT = 50  # rows a page holds when the CLI or the server is not told (--limit, limit=)
MAX_TEXT = 1000  # characters of a search text; a longer one is refused
_TRIGRAM = 3

FIND_COLUMNS = ["report", "kind", "name", "thing", "pages", "pageEstimated"]
FIGURE_COLUMNS = ["report", "indicator", "about", "breakdown", "year", "qualifier", "valuePrinted",
                  "unitPrinted", "pages", "pageEstimated"]
NOTE_COLUMNS = ["report", "fact", "note", "pages"]
_FIND_ORDER = 3  # ORDER BY ?report ?kind ?name
_FIGURE_ORDER = ("report", "indicator", "about", "year", "breakdown")

_PREFIXES = """PREFIX esgkg: <https://w3id.org/esgkg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX qudt: <http://qudt.org/schema/qudt/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

# queries/find.rq without its text filter: every row it can give.
_FIND_ROWS = _PREFIXES + """
SELECT ?report ?kind ?name ?thing (GROUP_CONCAT(DISTINCT STR(?page); separator=", ") AS ?pages) ?pageEstimated
WHERE {
  ?thing skos:prefLabel ?name ; prov:wasDerivedFrom ?src .
  ?src esgkg:pageNumber ?page ; oa:hasSource ?r .
  FILTER NOT EXISTS { ?thing a qb:Observation }
  { SELECT ?thing (MIN(?kindLabel) AS ?kind) WHERE {
      ?thing a ?class . ?class rdfs:label ?kindLabel .
      FILTER(STRSTARTS(STR(?class), "https://w3id.org/esgkg/ontology#")
             || ?class IN (org:Site, org:FormalOrganization, org:Membership))
      FILTER NOT EXISTS { ?thing a ?sub . ?sub rdfs:subClassOf+ ?class . ?sub rdfs:label ?l2 .
                          FILTER(?sub != ?class) }
    } GROUP BY ?thing }
  OPTIONAL { ?thing esgkg:pageEstimated ?estimated }
  BIND(COALESCE(?estimated, false) AS ?pageEstimated)
  BIND(STRAFTER(STR(?r), "/report/") AS ?report)
}
GROUP BY ?report ?kind ?name ?thing ?pageEstimated
ORDER BY ?report ?kind ?name
"""

# the names find.rq matches on (kept for the things find_rows lists)
_FIND_TERMS = _PREFIXES + """
SELECT DISTINCT ?thing ?n WHERE {
  ?thing skos:prefLabel|esgkg:shortName|esgkg:formerName|esgkg:partnerName ?n }
"""

# queries/find-figure.rq without its label filter, with what a row is found by: its indicator
# (?i) and the breakdown codes of its printings (?codes)
_FIGURE_ROWS = _PREFIXES + """
SELECT ?report ?indicator ?about ?breakdown ?year ?qualifier
       (GROUP_CONCAT(DISTINCT ?printed; separator="; ") AS ?valuePrinted)
       (GROUP_CONCAT(DISTINCT ?unitAsPrinted; separator="; ") AS ?unitPrinted)
       (GROUP_CONCAT(DISTINCT STR(?page); separator=", ") AS ?pages)
       (SUM(IF(?estimated, 1, 0)) > 0 AS ?pageEstimated)
       ?i (GROUP_CONCAT(DISTINCT STR(?code); separator=" ") AS ?codes)
{
  { SELECT ?report ?i ?indicator ?e ?about ?breakdown ?year ?qualifier ?amount ?kind ?printed ?unitAsPrinted
           ?page ?estimated ?code
    WHERE {
      ?o esgkg:indicator ?i ; esgkg:refPeriod/rdfs:label ?year ; esgkg:value ?value ;
         esgkg:valueAsPrinted ?printed ; esgkg:unitAsPrinted ?unitAsPrinted ; esgkg:unitScale ?scale ;
         esgkg:refEntity ?e ; prov:wasDerivedFrom ?src .
      ?src esgkg:pageNumber ?page ; oa:hasSource ?r .
      ?i skos:prefLabel ?indicator .
      OPTIONAL { ?o ?bd ?code . ?bd a qb:DimensionProperty .
                 FILTER(isIRI(?code) && ?bd NOT IN (esgkg:indicator, esgkg:refEntity, esgkg:refPeriod)) }
      OPTIONAL { ?o esgkg:unit ?u . ?u qudt:conversionMultiplier ?m ; qudt:hasQuantityKind ?unitKind }
      OPTIONAL { ?i qudt:hasQuantityKind ?indicatorKind }
      BIND(COALESCE(?unitKind, ?indicatorKind) AS ?kind)
      BIND(?value * ?scale * COALESCE(?m, 1) AS ?amount)
      OPTIONAL { SELECT ?e (MIN(?n) AS ?about) WHERE {
                   { ?e esgkg:shortName ?n } UNION { ?e skos:prefLabel ?n } } GROUP BY ?e }
      OPTIONAL { ?o esgkg:valueQualifier/skos:prefLabel ?qualifier }
      OPTIONAL { ?o esgkg:pageEstimated ?pageIsEstimated }
      BIND(COALESCE(?pageIsEstimated, false) AS ?estimated)
      OPTIONAL { SELECT ?o (GROUP_CONCAT(?cl; separator="; ") AS ?breakdown) {
        { SELECT ?o ?cl {
            ?o ?d ?c . ?d a qb:DimensionProperty .
            FILTER(?d NOT IN (esgkg:indicator, esgkg:refEntity, esgkg:refPeriod))
            ?c skos:prefLabel ?cl } ORDER BY ?cl } } GROUP BY ?o }
      BIND(STRAFTER(STR(?r), "/report/") AS ?report)
    }
    ORDER BY ?page }
}
GROUP BY ?report ?i ?indicator ?e ?about ?breakdown ?year ?qualifier ?amount ?kind
ORDER BY ?report ?indicator ?about ?year ?breakdown
"""

# the labels and synonyms find-figure.rq matches on
_FIGURE_TERMS = _PREFIXES + """
SELECT DISTINCT ?c ?l WHERE { ?c skos:prefLabel|skos:altLabel ?l . FILTER(isIRI(?c)) }
"""

# queries/data-quality-notes.rq as it is: every row (tests/test_search.py compares the two). The
# index runs it once per report graph, and once over the graphs no report owns (``report`` "").
_NOTE_ROWS = _PREFIXES + """
SELECT ?report ?fact ?note
       (REPLACE(GROUP_CONCAT(DISTINCT IF(BOUND(?page), STR(?page), ""); separator=", "),
                "^, |, $|(, ), ", "$1") AS ?pages)
WHERE {
  GRAPH ?g {
    ?x esgkg:curationNote ?note .
    OPTIONAL { ?x prov:wasDerivedFrom/esgkg:pageNumber ?page }
  }
  OPTIONAL { SELECT ?g ?x ?label WHERE { GRAPH ?g { ?x skos:prefLabel ?label } } }
  OPTIONAL {
    { SELECT ?x ?i WHERE { ?x esgkg:indicator ?i } }
    { SELECT ?i ?ind WHERE { ?i skos:notation ?ind } }
    { SELECT ?x ?p WHERE { ?x esgkg:refPeriod ?p } }
    { SELECT ?p ?per WHERE { ?p rdfs:label ?per } }
    { SELECT ?x ?v WHERE { ?x esgkg:valueAsPrinted ?v } }
  }
  BIND(COALESCE(?label, CONCAT(?ind, " ", ?per, " = ", ?v), STR(?x)) AS ?fact)
  BIND(STRAFTER(STR(?g), "/graph/report/") AS ?report)
}
GROUP BY ?report ?fact ?note
"""

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE find_rows(id INTEGER PRIMARY KEY, graph TEXT NOT NULL, thing TEXT NOT NULL,
                       k1 TEXT, k2 TEXT, k3 TEXT, terms TEXT NOT NULL);
CREATE VIRTUAL TABLE find_terms USING fts5(label, thing UNINDEXED, graph UNINDEXED, tokenize='trigram');
CREATE TABLE figure_rows(id INTEGER PRIMARY KEY, graph TEXT NOT NULL,
                         k1 TEXT, k2 TEXT, k3 TEXT, k4 TEXT, k5 TEXT, terms TEXT NOT NULL);
CREATE TABLE figure_keys(figure INTEGER NOT NULL, graph TEXT NOT NULL, iri TEXT NOT NULL);
CREATE VIRTUAL TABLE figure_terms USING fts5(label, iri UNINDEXED, graph UNINDEXED, tokenize='trigram');
CREATE TABLE note_rows(id INTEGER PRIMARY KEY, graph TEXT NOT NULL, k1 TEXT, k2 TEXT, terms TEXT NOT NULL);
"""
_INDEXES = """
CREATE INDEX find_rows_thing ON find_rows(thing, graph);
CREATE INDEX find_rows_order ON find_rows(k1, k2, k3, id);
CREATE INDEX figure_keys_iri ON figure_keys(iri, graph);
CREATE INDEX figure_rows_order ON figure_rows(k1, k2, k3, k4, k5, id);
CREATE INDEX note_rows_order ON note_rows(k1, k2, id);
"""


# -- FTS5 ---------------------------------------------------------------------------------------


def fts5_missing() -> str | None:
    """Why this Python's sqlite3 cannot hold the index (no FTS5, or no trigram tokenizer), or None."""
    try:
        conn = sqlite3.connect(":memory:")
        try:
            conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='trigram')")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return (f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5 trigram tokenizer "
                f"({exc}); esgkg's search index needs SQLite 3.34 or later built with FTS5")
    return None


def require_fts5() -> None:
    problem = fts5_missing()
    if problem:
        raise StoreError(problem)


# -- terms: RDF terms <-> JSON ------------------------------------------------------------------

def _encode(term: Any) -> Any:
    """The worker's plain form of a term (``store/_worker.py``'s ``_term``, which cannot be imported:
    that module ignores SIGINT when loaded), with lists for tuples once stored as JSON."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return [term.value, term.datatype.value, term.language]
    if isinstance(term, ox.BlankNode):
        return [term.value]
    raise TypeError(f"not an RDF term: {term!r}")


def _decode(value: Any) -> Any:
    """A term back from its JSON form: the worker's plain form (``store.execute``), lists for tuples."""
    return _from_plain(tuple(value) if isinstance(value, list) else value)


def _value(term: Any) -> str | None:
    return None if term is None else term.value


_PAGES = FIND_COLUMNS.index("pages"), FIGURE_COLUMNS.index("pages")


def _pages_in_order(term: Any) -> Any:
    """A ``pages`` list ("83, 82, 85") with its pages in ascending order: GROUP_CONCAT lists them in
    an order each engine and store kind picks, the index in one order whatever built it."""
    if not isinstance(term, ox.Literal) or not term.value:
        return term
    parts = term.value.split(", ")
    if not all(p.isdigit() for p in parts):
        return term
    return ox.Literal(", ".join(sorted(parts, key=int)), datatype=term.datatype)


# -- writing the index (at build time) ---------------------------------------------------------


def build_index(target: Path, parts: Sequence[Path] | None = None) -> dict[str, Any]:
    """Write ``<target>/search.sqlite`` from the Oxigraph database at ``target`` (a new build).

    Rows go from each report's query results straight into SQLite, one report at a time, so
    memory grows with the largest report, not with their number. With ``parts`` (the files
    ``index_report`` wrote, one per report graph of the database, in graph IRI order) their rows
    are copied instead, with the same ids, so the index is the same as the queries' on the
    database. Returns what the build's marker records about the index (version, file, rows).
    """
    require_fts5()
    path = target / SEARCH_FILE
    for leftover in (path, path.with_name(SEARCH_FILE + "-journal")):
        leftover.unlink(missing_ok=True)
    store = ox.Store.read_only(str(target))
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=OFF")  # a new file in a build not yet complete
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(_SCHEMA)
        counts = {"things": 0, "figures": 0, "notes": 0}
        graphs = sorted(g.value for g in store.named_graphs())
        with conn:
            if parts is not None:
                for part in parts:
                    _copy_part(conn, part, counts)
            else:
                for graph in (g for g in graphs if "/graph/report/" in g):
                    found = _index_graph(conn, store, graphs, graph)
                    counts = {k: counts[k] + found[k] for k in counts}
            # the notes in the graphs no report owns (the external facts'), once: their report is ""
            shared = [ox.NamedNode(g) for g in graphs if "/graph/report/" not in g]
            counts["notes"] += _index_notes(conn, store, shared, shared, "")
            conn.executescript(_INDEXES)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("version", str(SEARCH_VERSION)), ("build", target.name),
                *((key, str(n)) for key, n in counts.items())])
        conn.execute("INSERT INTO find_terms(find_terms) VALUES ('optimize')")
        conn.execute("INSERT INTO figure_terms(figure_terms) VALUES ('optimize')")
        conn.commit()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the search index {path}: {exc}") from None
    finally:
        conn.close()
        del store
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return {"version": SEARCH_VERSION, "file": SEARCH_FILE, **counts}


def index_report(part: Path, store: ox.Store, graph: str) -> dict[str, int]:
    """Write the index rows of the report graph ``graph`` of ``store`` into a new SQLite file
    ``part`` (the index's tables, without their indexes), for ``build_index(target, parts)``.

    ``store`` must hold the graph and the ontology and vocabulary graphs (the rows depend on
    nothing else: other reports' graphs are outside the query's scope), e.g. a small in-memory
    store, so that reports are indexed in parallel and each in time of its own size.
    """
    part.unlink(missing_ok=True)
    conn = sqlite3.connect(part)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(_SCHEMA)
        with conn:
            return _index_graph(conn, store, sorted(g.value for g in store.named_graphs()), graph)
    finally:
        conn.close()


def _index_graph(conn: sqlite3.Connection, store: ox.Store, graphs: list[str], graph: str) -> dict[str, int]:
    """The rows of one report graph into ``conn``; how many things and figures."""
    report = graph.rsplit("/", 1)[-1]
    shared = [g for g in graphs if "/graph/report/" not in g]
    scope = [ox.NamedNode(g) for g in [*shared, graph]]
    # a named thing, its class and its pages are in the report's graph, the class labels in
    # the ontology's: over these two graphs the rows are the same and come 8 times faster
    # (tests/test_search.py compares them with the SPARQL over all the report's graphs)
    things = [ox.NamedNode(g) for g in (ONTOLOGY_GRAPH, graph) if g in graphs]
    return {"things": _index_things(conn, store, things, scope, report),
            "figures": _index_figures(conn, store, scope, report),
            "notes": _index_notes(conn, store, scope, [ox.NamedNode(graph)], report)}


def _copy_part(conn: sqlite3.Connection, part: Path, counts: dict[str, int]) -> None:
    """Append the rows of a file of ``index_report`` to the index, ids shifted past the rows there."""
    conn.execute("ATTACH DATABASE ? AS part", (str(part),))
    try:
        shift = conn.execute("SELECT COALESCE(MAX(id), 0) FROM find_rows").fetchone()[0]
        conn.execute("INSERT INTO find_rows SELECT id + ?, graph, thing, k1, k2, k3, terms "
                     "FROM part.find_rows ORDER BY id", (shift,))
        conn.execute("INSERT INTO find_terms(label, thing, graph) SELECT label, thing, graph "
                     "FROM part.find_terms ORDER BY rowid")
        shift = conn.execute("SELECT COALESCE(MAX(id), 0) FROM figure_rows").fetchone()[0]
        conn.execute("INSERT INTO figure_rows SELECT id + ?, graph, k1, k2, k3, k4, k5, terms "
                     "FROM part.figure_rows ORDER BY id", (shift,))
        conn.execute("INSERT INTO figure_keys SELECT figure + ?, graph, iri FROM part.figure_keys "
                     "ORDER BY rowid", (shift,))
        conn.execute("INSERT INTO figure_terms(label, iri, graph) SELECT label, iri, graph "
                     "FROM part.figure_terms ORDER BY rowid")
        shift = conn.execute("SELECT COALESCE(MAX(id), 0) FROM note_rows").fetchone()[0]
        conn.execute("INSERT INTO note_rows SELECT id + ?, graph, k1, k2, terms FROM part.note_rows "
                     "ORDER BY id", (shift,))
        for table, key in (("find_rows", "things"), ("figure_rows", "figures"), ("note_rows", "notes")):
            counts[key] += conn.execute(f"SELECT COUNT(*) FROM part.{table}").fetchone()[0]
    finally:
        conn.commit()
        conn.execute("DETACH DATABASE part")


def _select(store: ox.Store, sparql: str, scope: list[ox.NamedNode],
            named: list[ox.NamedNode] | None = None) -> Iterator[Any]:
    solutions = store.query(sparql, default_graph=scope, named_graphs=scope if named is None else named)
    assert isinstance(solutions, ox.QuerySolutions)
    return iter(solutions)


def _index_things(conn: sqlite3.Connection, store: ox.Store, things: list[ox.NamedNode],
                  scope: list[ox.NamedNode], report: str) -> int:
    listed: set[str] = set()  # the things of one report: memory grows with a report, not their number
    n = 0

    def rows() -> Iterator[tuple]:
        nonlocal n
        for sol in _select(store, _FIND_ROWS, things):
            terms = [sol[c] for c in FIND_COLUMNS]
            terms[_PAGES[0]] = _pages_in_order(terms[_PAGES[0]])
            listed.add(terms[3].value)
            n += 1
            yield (report, terms[3].value, *(_value(t) for t in terms[:_FIND_ORDER]),
                   json.dumps([_encode(t) for t in terms], ensure_ascii=False))

    conn.executemany("INSERT INTO find_rows(graph, thing, k1, k2, k3, terms) VALUES (?, ?, ?, ?, ?, ?)",
                     rows())
    conn.executemany("INSERT INTO find_terms(label, thing, graph) VALUES (?, ?, ?)",
                     ((sol["n"].value, sol["thing"].value, report)
                      for sol in _select(store, _FIND_TERMS, scope)
                      if isinstance(sol["thing"], ox.NamedNode) and sol["thing"].value in listed))
    return n


def _index_figures(conn: sqlite3.Connection, store: ox.Store, scope: list[ox.NamedNode], report: str) -> int:
    used: set[str] = set()  # the indicators and codes rows are found by: as many as the vocabularies hold
    n = 0
    insert_row = ("INSERT INTO figure_rows(graph, k1, k2, k3, k4, k5, terms) VALUES (?, ?, ?, ?, ?, ?, ?)")
    for sol in _select(store, _FIGURE_ROWS, scope):
        terms = [sol[c] for c in FIGURE_COLUMNS]
        terms[_PAGES[1]] = _pages_in_order(terms[_PAGES[1]])
        keys = [_value(sol[c]) for c in _FIGURE_ORDER]
        cursor = conn.execute(insert_row, (report, *keys, json.dumps([_encode(t) for t in terms],
                                                                     ensure_ascii=False)))
        iris = {sol["i"].value, *(_value(sol["codes"]) or "").split()}
        used |= iris
        conn.executemany("INSERT INTO figure_keys VALUES (?, ?, ?)",
                         ((cursor.lastrowid, report, iri) for iri in sorted(iris)))
        n += 1
    conn.executemany("INSERT INTO figure_terms(label, iri, graph) VALUES (?, ?, ?)",
                     ((sol["l"].value, sol["c"].value, report)
                      for sol in _select(store, _FIGURE_TERMS, scope) if sol["c"].value in used))
    return n


def _index_notes(conn: sqlite3.Connection, store: ox.Store, scope: list[ox.NamedNode],
                 named: list[ox.NamedNode], report: str) -> int:
    """The rows of data-quality-notes for the notes recorded in the ``named`` graphs (a report's,
    or those no report owns), read over ``scope``; how many."""
    rows = []
    for sol in _select(store, _NOTE_ROWS, scope, named):
        terms = [sol[c] for c in NOTE_COLUMNS]
        terms[3] = _pages_in_order(terms[3])
        rows.append((report, _value(terms[0]), _value(terms[1]),
                     json.dumps([_encode(t) for t in terms], ensure_ascii=False)))
    conn.executemany("INSERT INTO note_rows(graph, k1, k2, terms) VALUES (?, ?, ?, ?)", rows)
    return len(rows)


# -- reading it ---------------------------------------------------------------------------------


def search_text(text: object) -> str:
    """The search text as given, checked: a string of at most MAX_TEXT characters."""
    if not isinstance(text, str):
        raise InputError(f"the search text must be a string, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise InputError(f"the search text is {len(text):,} characters long; at most {MAX_TEXT:,} are "
                         "searched for")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the search text is not valid Unicode (it holds a lone surrogate)") from None
    return text


def fts_phrase(text: str) -> str | None:
    """``text`` as one FTS5 string (every character plain), or None where the trigram index cannot
    be used (shorter than three characters, or a NUL that FTS5 strings cannot hold)."""
    if len(text) < _TRIGRAM or "\x00" in text:
        return None
    return '"' + text.replace('"', '""') + '"'


def _contains(label: str | None, needle: str) -> int:
    return int(label is not None and needle in label.lower())


def page_bounds(limit: object, offset: object) -> tuple[int | None, int]:
    """``limit`` (None: all) and ``offset`` checked as non-negative integers."""
    out = []
    for name, value in (("limit", limit), ("offset", offset)):
        if value is None:
            out.append(None)
            continue
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not text.isascii():
            raise InputError(f"{name} must be a whole number of rows, 0 or more, not {value!r}")
        out.append(int(text))
    return out[0], out[1] or 0


@dataclass
class SearchResult:
    """One page of a search, shaped like a SELECT's ``QueryResult`` (``form``, ``variables``,
    rows as dicts of RDF terms, ``truncated``: more rows follow this page)."""

    variables: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    offset: int = 0
    form: str = "select"

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.rows) if self.truncated else None

    def close(self) -> None:
        pass

    def __enter__(self) -> SearchResult:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class SearchIndex:
    """The search index of one build (read-only; the build folder never changes once complete)."""

    def __init__(self, build: Path, marker: dict | None):
        self.path = build / SEARCH_FILE
        info = (marker or {}).get("search")
        if not isinstance(info, dict) or not self.path.is_file():
            raise StoreError(
                f"the store's current build ({build.name}) has no search index (a store written by an "
                "older esgkg, or by hand): run `esgkg build` to rebuild it with one")
        if info.get("version") != SEARCH_VERSION:
            raise StoreError(
                f"the search index of the store's current build ({build.name}) is version "
                f"{info.get('version')!r}, this esgkg reads version {SEARCH_VERSION}: run `esgkg build`")
        require_fts5()

    def _connect(self, deadline: float | None) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the search index {self.path}: {exc}") from None
        conn.create_function("esgkg_contains", 2, _contains, deterministic=True)
        if deadline is not None:
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return conn

    def search(self, name: str, text: object = None, *, report: str | None = None, limit: int | None = None,
               offset: int = 0, timeout: float | None = None) -> SearchResult:
        """The rows of the named query ``name`` (``find`` or ``find-figure`` for ``text``; or
        ``data-quality-notes``), in the query's order, ``offset`` rows skipped, at most ``limit``
        (None: all)."""
        if name not in SEARCHABLE:
            raise InputError(f"{name!r} is not answered by the search index (only {', '.join(SEARCHABLE)})")
        limit, offset = page_bounds(limit, offset)
        params: dict[str, Any] = {"report": report, "limit": -1 if limit is None else limit + 1,
                                  "offset": offset}
        if name not in _TEXT_SEARCHES:
            # a report's notes and those of the graphs no report owns, as the query over that
            # report's graphs (plus ontology, vocabularies and external facts) gives them
            sql = ("SELECT terms FROM note_rows WHERE :report IS NULL OR graph = :report OR graph = '' "
                   "ORDER BY k1, k2, id LIMIT :limit OFFSET :offset")
            return self._page(sql, params, NOTE_COLUMNS, limit, offset, timeout)
        text = search_text(text)
        needle = text.lower()
        phrase = fts_phrase(text)
        if name == "find":
            table, key, columns = "find_terms", "thing", FIND_COLUMNS
            order = "r.k1, r.k2, r.k3, r.id"
            join = "SELECT r.terms FROM find_rows r JOIN hit ON r.thing = hit.thing AND r.graph = hit.graph"
        else:
            table, key, columns = "figure_terms", "iri", FIGURE_COLUMNS
            order = "r.k1, r.k2, r.k3, r.k4, r.k5, r.id"
            join = ("SELECT r.terms FROM figure_rows r WHERE r.id IN ("
                    "SELECT k.figure FROM figure_keys k JOIN hit ON k.iri = hit.iri AND k.graph = hit.graph)")
        match = f"{table} MATCH :phrase AND " if phrase is not None else ""
        where = "WHERE" if name == "find" else "AND"
        sql = (f"WITH hit AS (SELECT DISTINCT {key}, graph FROM {table} "
               f"WHERE {match}esgkg_contains(label, :needle) AND (:report IS NULL OR graph = :report)) "
               f"{join} {where} (:report IS NULL OR r.graph = :report) ORDER BY {order} "
               f"LIMIT :limit OFFSET :offset")
        params.update(phrase=phrase, needle=needle)
        return self._page(sql, params, columns, limit, offset, timeout)

    def _page(self, sql: str, params: dict[str, Any], columns: list[str], limit: int | None, offset: int,
              timeout: float | None) -> SearchResult:
        """The rows of ``sql`` (one JSON ``terms`` column, ``limit`` + 1 asked for) as a page."""
        deadline = None if timeout is None else time.monotonic() + timeout
        conn = self._connect(deadline)
        try:
            found = [json.loads(terms) for (terms,) in conn.execute(sql, params)]
        except sqlite3.OperationalError as exc:
            if deadline is not None and time.monotonic() > deadline:
                raise QueryTimeout(timeout) from None
            raise StoreError(f"the search index {self.path} could not answer: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"the search index {self.path} could not answer: {exc}") from None
        finally:
            conn.close()
        truncated = limit is not None and len(found) > limit
        if truncated:
            found = found[:limit]
        rows = [dict(zip(columns, map(_decode, values), strict=True)) for values in found]
        return SearchResult(list(columns), rows, truncated, offset)

    def labels(self, name: str) -> Iterable[tuple[str, str, str]]:
        """(graph, row's key IRI, label) of every indexed label of ``find`` or ``find-figure``
        (for checks and tests)."""
        table, key = ("find_terms", "thing") if name == "find" else ("figure_terms", "iri")
        conn = self._connect(None)
        try:
            return conn.execute(f"SELECT graph, {key}, label FROM {table}").fetchall()
        finally:
            conn.close()
