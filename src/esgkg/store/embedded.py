"""Oxigraph on disk as the embedded store: read access to the current build (see ``builds``)."""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError, StoreError
from ..namespaces import PREFIXES
from .builds import CURRENT
from .execute import DEFAULT_TIMEOUT, QueryResult, Row, WorkerPool, run
from .guard import check_query

__all__ = ["EmbeddedStore", "Row", "StoreReads", "bind_values"]

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def bind_values(sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """Bind variables by a ``VALUES`` block opening the first WHERE group.

    Each value is an RDF term whose text pyoxigraph writes (IRIs validated, literals escaped),
    so no caller-given text reaches the query unescaped.
    """
    for name, term in bindings.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise InputError(f"{name!r} is not a SPARQL variable name")
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise InputError(f"parameter {name} must be bound to an IRI or a literal")
    match = _WHERE.search(sparql)
    if match is None:
        raise InputError("a query with parameters needs a WHERE { ... } clause to bind them in")
    values = "".join(f" VALUES ?{n} {{ {t} }}" for n, t in bindings.items())
    return sparql[: match.end()] + values + sparql[match.end():]


class StoreReads:
    """What every store derives from its own ``query``: ``select`` and ``count_per_graph``."""

    def select(self, sparql: str, **kwargs) -> tuple[list[str], list[Row]]:
        """Run a SELECT and return (variable names, rows as dicts of RDF terms).

        Takes the keywords of ``query`` (``limit`` caps the rows read).
        """
        with self.query(sparql, **kwargs) as result:  # type: ignore[attr-defined]
            if result.form != "select":
                raise InputError("expected a SELECT query")
            return result.variables, list(result)

    def count_per_graph(self) -> dict[str, int]:
        """Triples per named graph (no time limit: it reads the whole store)."""
        _names, rows = self.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
            graphs=None, timeout=None)
        return {r["g"].value: int(r["n"].value) for r in rows}


class EmbeddedStore(StoreReads):
    """Read access to the current build of an on-disk store."""

    _pool: WorkerPool | None = None  # the query workers, started at the first query

    def __init__(self, root: Path):
        """Open the build ``<root>/current`` points at, read-only; refuse one that is not complete."""
        from .builds import MARKER, read_marker

        self.root = root
        current = root / CURRENT
        if not current.exists():
            if current.is_symlink():
                raise StoreError(f"the store at {root} is broken: {current} points at "
                                 f"{current.readlink()}, which is missing; run `esgkg build` to rebuild it")
            raise StoreError(
                f"no store at {root}: run `esgkg build` first (or point --store / ESGKG_STORE "
                "at a built store)"
            )
        self.path = current.resolve()
        if read_marker(self.path) is None:
            raise StoreError(
                f"the current build of the store at {root} ({self.path.name}) is not complete: it has "
                f"no valid {MARKER} (an interrupted build, or a store written by an older esgkg); "
                "run `esgkg build` to rebuild it"
            )
        try:
            self._store = ox.Store.read_only(str(self.path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from None

    _search = None  # the build's search index, opened at the first search

    def search_index(self):
        """The full-text search index of this build (``esgkg.search.SearchIndex``); a build without
        one (written by an older esgkg) is a StoreError telling the user to run ``esgkg build``."""
        if self._search is None:
            from ..search import SearchIndex
            from .builds import read_marker

            self._search = SearchIndex(self.path, read_marker(self.path))
        return self._search

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def query(self, sparql: str, *, graphs: Sequence[str] | None = None,
              bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
              timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None,
              allow_service: bool = False) -> QueryResult:
        """Run a SPARQL query: over the union of all named graphs, or only over ``graphs``.

        Every query of esgkg (CLI, API, server) comes through here. The project's prefixes
        (esgkg:, org:, qb:, skos: ...) are predeclared. ``bindings`` are bound as RDF terms in a
        ``VALUES`` block that the RDF library writes (a value is never pasted into the text as
        the caller gave it).

        The query runs in a worker process (``execute``): it is stopped after ``timeout``
        seconds (None: no limit) with QueryTimeout, or by Ctrl-C (KeyboardInterrupt), and reads
        at most ``limit`` rows or triples (``truncated`` then says the result was cut). The
        result streams: iterate it (or use it as a context manager) to read it.

        Refused with InputError: SPARQL Update (the store is read-only) and, unless
        ``allow_service``, a SERVICE call to another endpoint. A malformed query raises
        InputError with the parser's message (line and column), a failed evaluation (e.g. an
        unreachable SERVICE) InputError with the engine's.
        """
        if bindings:
            sparql = bind_values(sparql, bindings)
        check_query(sparql, allow_service=allow_service)
        prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
        if self._pool is None:
            self._pool = WorkerPool(self.path)
        return run(self._pool, sparql, prefixes, graphs, limit, timeout)

    def dump_graph(self, graph: str) -> bytes:
        """One named graph as N-Triples."""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        del self._store
        gc.collect()
