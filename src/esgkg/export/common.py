"""What every export shares: the data licence, the source reports, and the graphs of a store
as rdflib graphs with deterministic blank-node labels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from .. import ids
from ..errors import InputError
from ..namespaces import GRAPH, ID, bind_prefixes
from ..store import EmbeddedStore

DATA_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DATA_LICENSE_NAME = "CC BY 4.0"
CODE_LICENSE = "Apache-2.0"
PUBLISHER = "the esgkg project"
REPORT_GRAPH_PREFIX = str(GRAPH["report/"])


def reconciled_graph_iri(report: str) -> URIRef:
    """The named graph of a report's reconciled data set."""
    return GRAPH[f"reconciled/{ids.check_slug(report, 'report key')}"]


def reconciled_dataset_iri(report: str) -> URIRef:
    return ID[f"dataset/{ids.check_slug(report, 'report key')}/reconciled"]


def report_keys(store: EmbeddedStore) -> list[str]:
    """The report keys of the store, sorted."""
    return sorted(g[len(REPORT_GRAPH_PREFIX):] for g in store.graphs() if g.startswith(REPORT_GRAPH_PREFIX))


def check_report(store: EmbeddedStore, report: str) -> str:
    keys = report_keys(store)
    if report not in keys:
        raise InputError(f"no report {report!r} in the store (reports: {', '.join(keys) or 'none'})")
    return report


def has_bnodes(graph: Graph) -> bool:
    return any(isinstance(t, BNode) for triple in graph for t in triple)


def load_graph(store: EmbeddedStore, graph_iri: str) -> Graph:
    """One named graph of the store; blank nodes (only the ontology has some: the Data Cube
    component specifications) relabelled canonically, so that the bytes do not depend on the
    build that loaded them."""
    g = Graph()
    g.parse(data=store.dump_graph(graph_iri), format="nt")
    if has_bnodes(g):
        canonical = Graph()
        for triple in to_canonical_graph(g):
            canonical.add(triple)
        g = canonical
    bind_prefixes(g)
    return g


@dataclass(frozen=True)
class Source:
    """A source report: its key, title, publisher and URLs (as the graph holds them)."""

    key: str
    iri: str
    title: str
    publisher: str
    publisher_iri: str
    urls: tuple[str, ...]


def sources(store: EmbeddedStore, reports: Iterable[str] | None = None) -> list[Source]:
    """The source reports (all, or ``reports``), sorted by key."""
    chosen = sorted(reports) if reports is not None else report_keys(store)
    out = []
    for key in chosen:
        report = str(ids.report(key))
        _names, rows = store.select(
            "SELECT ?title ?pub ?pubname ?url WHERE { "
            "OPTIONAL { ?r dcterms:title ?title } OPTIONAL { ?r dcterms:publisher ?pub . "
            "OPTIONAL { ?pub skos:prefLabel ?pubname } } OPTIONAL { ?r foaf:page ?url } }",
            graphs=[REPORT_GRAPH_PREFIX + key],
            bindings={"r": _nn(report)},
        )
        title = next((r["title"].value for r in rows if r["title"] is not None), key)
        pub = next((r["pub"].value for r in rows if r["pub"] is not None), "")
        pubname = min((r["pubname"].value for r in rows if r["pubname"] is not None), default=pub)
        urls = tuple(sorted({r["url"].value for r in rows if r["url"] is not None}))
        out.append(Source(key, report, title, pubname, pub, urls))
    return out


def _nn(iri: str):
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def header_lines(what: str, srcs: list[Source], version: str | None = None) -> list[str]:
    """Comment lines (without '# ') naming the licence and the source reports."""
    lines = [
        f"esgkg {what}" + (f", release {version}" if version else ""),
        f"Data licence: {DATA_LICENSE_NAME} ({DATA_LICENSE}). Facts extracted from the public reports "
        "below;",
        "attribute them to the reports' publishers and to esgkg. The reports' own text is not "
        "reproduced.",
    ]
    for s in srcs:
        where = f" ({', '.join(s.urls)})" if s.urls else ""
        lines.append(f"Source {s.key}: \"{_one_line(s.title)}\" published by {_one_line(s.publisher)}{where}")
    return lines


def comment_header(what: str, srcs: list[Source], version: str | None = None) -> bytes:
    return "".join(f"# {line}\n" for line in header_lines(what, srcs, version)).encode("utf-8")


def _one_line(text: str) -> str:
    return " ".join(text.split())
