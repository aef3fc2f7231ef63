"""The Python API: a knowledge graph over a built store, asked by query name or SPARQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import ids
from .errors import InputError
from .project import Project, find_project
from .query import NamedQuery, catalogue
from .search import PAGED, SEARCHABLE, SearchResult, search_text
from .store import Store, open_store
from .store.execute import DEFAULT_TIMEOUT, QueryResult

XSD = "http://www.w3.org/2001/XMLSchema#"
QUERY_NAME = re.compile(r"[a-z0-9-]+")  # a named query is a slug; any other text is SPARQL
_NUMERIC = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger",
                              "positiveInteger")}


def python_value(term: Any) -> Any:
    """A plain Python value for an RDF term: str for IRIs, Decimal/int/bool/date for typed literals."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else ""
        try:
            if dt in _NUMERIC:
                return int(term.value)
            if dt in (XSD + "decimal", XSD + "double", XSD + "float"):
                return Decimal(term.value)
            if dt == XSD + "boolean":
                return term.value in ("true", "1")
            if dt == XSD + "date":
                return date.fromisoformat(term.value)
        except ValueError:
            return term.value
        return term.value
    return str(term)


@dataclass
class Result:
    """Rows of a SELECT as dicts of Python values; ``terms`` keeps the RDF terms.

    ``truncated``: the row limit cut the result (there were more rows).
    """

    columns: list[str]
    terms: list[dict[str, Any]]
    truncated: bool = False

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [{c: python_value(r.get(c)) for c in self.columns} for r in self.terms]

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self):
        return iter(self.rows)

    def to_dataframe(self):
        """A pandas DataFrame (pandas is optional: ``pip install esgkg[dataframe]``)."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("to_dataframe() needs pandas: pip install 'esgkg[dataframe]'") from None
        return pd.DataFrame(self.rows, columns=self.columns)


class KnowledgeGraph:
    """The graph of a built store, with the project's named queries."""

    def __init__(self, store: Store, project: Project | None):
        self.store = store
        self.project = project
        self._queries: dict[str, NamedQuery] | None = None
        self._codes: dict[str, frozenset[str]] = {}

    @property
    def queries(self) -> dict[str, NamedQuery]:
        if self._queries is None:
            if self.project is None:
                raise InputError("named queries need the project folder (queries/)")
            self._queries = catalogue(self.project.queries_dir)
        return self._queries

    def reports(self) -> list[str]:
        return [g.rsplit("/", 1)[-1] for g in self.store.graphs() if "/graph/report/" in g]

    def graphs_for(self, report: str | None) -> list[str] | None:
        """None (the union of all graphs) or one report's graph plus ontology and vocabularies."""
        if report is None:
            return None
        if report not in self.reports():
            raise InputError(f"no report {report!r} in the store (reports: {', '.join(self.reports())})")
        return [g for g in self.store.graphs() if "/graph/report/" not in g] + [str(ids.report_graph(report))]

    def codes(self, scheme: str) -> frozenset[str]:
        """The codes of one vocabulary (``standard``, ``indicator`` ...) that the store holds."""
        if scheme not in self._codes:
            base = str(ids.scheme(scheme))
            _, rows = self.store.select("SELECT ?c WHERE { ?c skos:inScheme ?scheme }",
                                        bindings={"scheme": ox.NamedNode(base)})
            self._codes[scheme] = frozenset(
                r["c"].value[len(base) + 1:] for r in rows if r["c"].value.startswith(base + "/"))
        return self._codes[scheme]

    def query(self, name_or_sparql: str, params: dict[str, Any] | None = None, *,
              report: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
              limit: int | None = None, offset: int | None = None, allow_service: bool = False,
              **kwparams: Any) -> Result:
        """Run a named query or a SPARQL SELECT text and return all its rows.

        A text that is a slug (``[a-z0-9-]+``) names a query of ``queries/``; any other text is
        SPARQL. Parameters of a named query come as keywords or, for one named like a keyword
        of this method (``report``, ``timeout``, ``limit``), in the ``params`` dict. ``report``
        restricts the query to that report's graph (plus ontology and vocabularies).

        ``timeout`` (seconds, None for none) stops a longer query with an InputError; ``limit``
        caps the rows (``Result.truncated`` says the cap cut the result); ``allow_service`` lets
        a query call other endpoints with SERVICE (refused otherwise). SPARQL Update is refused.

        ``find`` and ``find-figure`` are answered from the build's full-text index
        (``esgkg.search``), a page at a time: ``offset`` rows skipped, then at most ``limit``
        (None: all of them); ``Result.truncated`` says more rows follow.
        """
        with self.stream(name_or_sparql, params, report=report, timeout=timeout, limit=limit,
                         offset=offset, allow_service=allow_service, **kwparams) as result:
            if result.form != "select":
                raise InputError("query() answers SELECT queries; stream() also runs ASK, CONSTRUCT "
                                 "and DESCRIBE")
            rows = list(result)
        return Result(result.variables, rows, result.truncated)

    def stream(self, name_or_sparql: str, params: dict[str, Any] | None = None, *,
               report: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
               limit: int | None = None, offset: int | None = None, allow_service: bool = False,
               **kwparams: Any) -> QueryResult | SearchResult:
        """Like ``query``, for any query form, as a result that streams: rows (dicts of RDF
        terms) for SELECT, ``Triple``s for CONSTRUCT / DESCRIBE, ``bool(result)`` for ASK.
        Use it as a context manager (leaving early stops the query)."""
        params = {**(params or {}), **kwparams}
        if QUERY_NAME.fullmatch(name_or_sparql):
            return self.stream_named(name_or_sparql, params, report=report, timeout=timeout, limit=limit,
                                     offset=offset, allow_service=allow_service)
        if offset:
            raise InputError("offset pages the named queries find and find-figure; in SPARQL, write OFFSET")
        if params:
            raise InputError("parameters go with named queries; bind SPARQL text yourself")
        return self.stream_sparql(name_or_sparql, report=report, timeout=timeout, limit=limit,
                                  allow_service=allow_service)

    def stream_named(self, name: str, params: dict[str, Any] | None = None, *,
                     report: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                     limit: int | None = None, offset: int | None = None,
                     allow_service: bool = False) -> QueryResult | SearchResult:
        """A named query of ``queries/``, its parameters checked (codes against the store) and bound.

        The one path of every named query, from the CLI, the API and the server: ``find``,
        ``find-figure`` and ``data-quality-notes`` go to the build's search index (paged by
        ``limit`` / ``offset``), every other query to the SPARQL store (``offset`` is refused there).
        """
        named_queries = self.queries if self.project is not None else {}
        if name not in named_queries:
            raise InputError(f"no query named {name!r} (see `esgkg queries`)")
        named = named_queries[name]
        params = params or {}
        if name in SEARCHABLE:
            if "text" in params:
                search_text(params["text"])
            bindings = named.bindings(params, codes=self.codes)
            graphs = self.graphs_for(report)  # an unknown report is an error
            index = self.store.search_index()
            if index is None:  # a store without a full-text index (remote): the query's SPARQL, paged
                return self._page(named, bindings, graphs, limit, offset or 0, timeout)
            text = bindings["text"].value if "text" in bindings else None
            return index.search(name, text, report=report, limit=limit,
                                offset=offset or 0, timeout=timeout)
        if offset:
            raise InputError(f"offset pages {PAGED}; query {name} returns all its "
                             "rows (or the first --limit)")
        bindings = named.bindings(params, codes=self.codes)
        return self.store.query(named.text, graphs=self.graphs_for(report), bindings=bindings,
                                timeout=timeout, limit=limit, allow_service=allow_service)

    def _page(self, named: NamedQuery, bindings: dict, graphs: list[str] | None, limit: int | None,
              offset: int, timeout: float | None) -> SearchResult:
        """Rows ``offset`` to ``offset + limit`` of a searchable query run as SPARQL."""
        cap = None if limit is None else offset + limit
        with self.store.query(named.text, graphs=graphs, bindings=bindings, timeout=timeout,
                              limit=cap) as result:
            rows = list(result)
        return SearchResult(result.variables, rows[offset:], result.truncated, offset)

    def stream_sparql(self, sparql: str, *, report: str | None = None,
                      timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None,
                      allow_service: bool = False) -> QueryResult:
        """A SPARQL query text (SELECT, ASK, CONSTRUCT or DESCRIBE)."""
        return self.store.query(sparql, graphs=self.graphs_for(report), timeout=timeout, limit=limit,
                                allow_service=allow_service)

    def close(self) -> None:
        self.store.close()


def open_graph(path: str | Path | None = None) -> KnowledgeGraph:
    """Open the store at ``path``: a folder, or the http(s) URL of a SPARQL query endpoint
    (default: the current project's store, see ``Project.store_location``).

    The named queries come from the project found from the working directory, else from the
    store's folder, else from the source tree esgkg is installed from (an editable install).
    """
    from .store import is_remote

    project: Project | None = None
    local = path is not None and not is_remote(str(path))
    starts = [Path.cwd(), *([Path(path).resolve()] if local else []), Path(__file__).resolve().parent]
    for start in starts:
        try:
            project = find_project(start)
            break
        except InputError:
            continue
    if path is None:
        if project is None:
            raise InputError("no project found: pass the store's path to esgkg.open()")
        path = project.store_location
    return KnowledgeGraph(open_store(path, project.root if project else None), project)
