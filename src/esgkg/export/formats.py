"""Export the store as Turtle, N-Triples, TriG or N-Quads, with deterministic bytes.

- ``report=None``: every named graph of the store; ``report=R``: R's report graph plus the
  shared periods graph (the years it refers to), never the ontology and vocabularies (they are
  the same for every report and published whole in the full export).
- ``reconciled=True`` adds each chosen report's reconciled data set (``graph/reconciled/R``).
- TriG and N-Quads keep one named graph per report; Turtle and N-Triples hold the union (a
  triple in two graphs once).
- N-Triples / N-Quads lines are sorted; Turtle / TriG come from rdflib's serialisers, which
  sort subjects, predicates and objects (the graphs are added in IRI order). Blank nodes (only
  the ontology's Data Cube component specifications) get canonical labels.
- Every file starts with ``#`` comment lines naming the data licence and the source reports.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.serializers.trig import TrigSerializer
from rdflib.plugins.serializers.turtle import TurtleSerializer

from .. import ids
from ..errors import InputError
from ..namespaces import bind_prefixes
from ..store import EmbeddedStore
from .common import (
    REPORT_GRAPH_PREFIX,
    check_report,
    comment_header,
    load_graph,
    reconciled_graph_iri,
    report_keys,
    sources,
)

FORMATS: dict[str, tuple[str, str]] = {  # name -> (file extension, media type)
    "turtle": ("ttl", "text/turtle"),
    "ntriples": ("nt", "application/n-triples"),
    "trig": ("trig", "application/trig"),
    "nquads": ("nq", "application/n-quads"),
}
ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "nq": "nquads",
           "n-quads": "nquads"}


def normalise_format(fmt: str) -> str:
    name = ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise InputError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    return name


def select_graphs(store: EmbeddedStore, report: str | None = None,
                  reconciled: bool = False) -> dict[str, Graph]:
    """The named graphs an export holds, graph IRI -> rdflib graph, in IRI order."""
    if report is None:
        chosen = store.graphs()
        reports = report_keys(store)
    else:
        check_report(store, report)
        chosen = [REPORT_GRAPH_PREFIX + report, str(ids.PERIODS_GRAPH)]
        reports = [report]
    graphs = {g: load_graph(store, g) for g in chosen}
    if reconciled:
        from .reconcile import reconciled_graph

        for r in reports:
            graphs[str(reconciled_graph_iri(r))] = reconciled_graph(store, r)
    return dict(sorted(graphs.items()))


def export(store: EmbeddedStore, fmt: str, out: BinaryIO, report: str | None = None,
           reconciled: bool = False, version: str | None = None) -> None:
    """Write the store (or one report) to ``out`` in ``fmt``: turtle, ntriples, trig, nquads."""
    fmt = normalise_format(fmt)
    graphs = select_graphs(store, report, reconciled)
    srcs = sources(store, None if report is None else [report])
    out.write(comment_header(f"export ({fmt}) of graphs: " + ", ".join(graphs), srcs, version))
    out.write(serialise(graphs, fmt))


def serialise(graphs: dict[str, Graph], fmt: str) -> bytes:
    """The graphs in ``fmt``, deterministic bytes (no header)."""
    fmt = normalise_format(fmt)
    if fmt == "ntriples":
        lines = set()
        for g in graphs.values():
            lines.update(_nt_lines(g))
        return "".join(sorted(lines)).encode("utf-8")
    if fmt == "nquads":
        lines = set()
        for iri, g in graphs.items():
            lines.update(line[:-3] + f" <{iri}> .\n" for line in _nt_lines(g))
        return "".join(sorted(lines)).encode("utf-8")
    buf = io.BytesIO()
    if fmt == "turtle":
        union = Graph()
        bind_prefixes(union)
        for g in graphs.values():
            union += g
        _ExactTurtle(union).serialize(buf, encoding="utf-8")
        return buf.getvalue()
    ds = Dataset()
    bind_prefixes(ds)
    for iri, g in sorted(graphs.items()):
        named = ds.graph(URIRef(iri))
        for triple in g:
            named.add(triple)
    _ExactTrig(ds).serialize(buf, encoding="utf-8")
    return buf.getvalue()


_SHORTHAND = {XSD.integer, XSD.decimal, XSD.boolean, XSD.double}


class _ExactLiterals:
    """rdflib writes the numeric shorthand (``1.0`` for ``"1"^^xsd:decimal``), which changes the
    lexical form; keep the shorthand only where it reads back as the same lexical form."""

    def label(self, node, position):
        if isinstance(node, Literal) and node.datatype in _SHORTHAND:
            plain = super().label(node, position)
            if plain != str(node):
                return node._literal_n3(use_plain=False,
                                        qname_callback=lambda dt: self.get_pname(dt, False))
            return plain
        return super().label(node, position)


class _ExactTurtle(_ExactLiterals, TurtleSerializer):
    pass


class _ExactTrig(_ExactLiterals, TrigSerializer):
    pass


def _nt_lines(g: Graph) -> list[str]:
    text = g.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return [line + "\n" for line in text.splitlines() if line.strip()]
