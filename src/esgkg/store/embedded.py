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

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]

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


class EmbeddedStore:
    """Read access to the current build of an on-disk store."""

    def __init__(self, root: Path):
        self.root = root
        current = root / CURRENT
        if not current.exists():
            raise StoreError(
                f"no store at {root}: run `esgkg build` first (or point --store / ESGKG_STORE "
                "at a built store)"
            )
        self.path = current.resolve()
        try:
            self._store = ox.Store.read_only(str(self.path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from None

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def query(self, sparql: str, *, graphs: Sequence[str] | None = None,
              bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None):
        """Run a SPARQL query: over the union of all named graphs, or only over ``graphs``.

        The project's prefixes (esgkg:, org:, qb:, skos: ...) are predeclared.

        ``bindings`` are bound as RDF terms in a ``VALUES`` block that the RDF library writes
        (a value is never pasted into the text as the caller gave it). A malformed query
        raises InputError with the parser's message (line and column).
        """
        kwargs: dict = {"prefixes": {p: str(ns) for p, ns in PREFIXES.items()}}
        if graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if bindings:
            sparql = bind_values(sparql, bindings)
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise InputError(f"malformed SPARQL: {exc}") from None
        except (RuntimeError, ValueError) as exc:
            raise InputError(f"the query failed: {exc}") from None

    def select(self, sparql: str, **kwargs) -> tuple[list[str], list[Row]]:
        """Run a SELECT and return (variable names, rows as dicts of RDF terms)."""
        result = self.query(sparql, **kwargs)
        if not isinstance(result, ox.QuerySolutions):
            raise InputError("expected a SELECT query")
        names = [v.value for v in result.variables]
        rows = [{n: sol[n] for n in names} for sol in result]
        return names, rows

    def count_per_graph(self) -> dict[str, int]:
        _names, rows = self.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
            graphs=None,
        )
        return {r["g"].value: int(r["n"].value) for r in rows}

    def dump_graph(self, graph: str) -> bytes:
        """One named graph as N-Triples."""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def close(self) -> None:
        del self._store
        gc.collect()
