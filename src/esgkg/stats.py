"""Counts of what a store holds: triples per graph, instances per class, observations per section."""

from __future__ import annotations

from .render import term_text
from .store import EmbeddedStore

REPORT_GRAPH = "https://w3id.org/esgkg/graph/report/"

_CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER(STRSTARTS(STR(?g), ?graphPrefix))
} GROUP BY ?class ORDER BY DESC(?n) ?class
"""

_SECTION_COUNTS = """
SELECT ?section ?first (COUNT(DISTINCT ?o) AS ?n) WHERE {
  ?s a esgkg:ReportSection ; skos:prefLabel ?section ; esgkg:firstPage ?first .
  OPTIONAL { ?s esgkg:lastPage ?last }
  ?o a qb:Observation ; prov:wasDerivedFrom/esgkg:pageNumber ?p .
  FILTER(?p >= ?first && (!BOUND(?last) || ?p <= ?last))
} GROUP BY ?section ?first ORDER BY ?first
"""


def triples_per_graph(store: EmbeddedStore) -> dict[str, int]:
    return store.count_per_graph()


def reports(store: EmbeddedStore) -> list[str]:
    return [g[len(REPORT_GRAPH):] for g in store.graphs() if g.startswith(REPORT_GRAPH)]


def instances_per_class(store: EmbeddedStore, report: str | None = None) -> dict[str, int]:
    """Instances per class in the report graphs (all, or one report's)."""
    import pyoxigraph as ox

    prefix = REPORT_GRAPH + report if report else REPORT_GRAPH
    _, rows = store.select(_CLASS_COUNTS, bindings={"graphPrefix": ox.Literal(prefix)})
    return {r["class"].value: int(r["n"].value) for r in rows}


def observations_per_section(store: EmbeddedStore, report: str) -> list[tuple[str, int, int]]:
    """(section title, first page, observations) for one report, sections without any left out."""
    _, rows = store.select(_SECTION_COUNTS, graphs=[REPORT_GRAPH + report])
    return [(r["section"].value, int(r["first"].value), int(r["n"].value)) for r in rows]


def markdown(store: EmbeddedStore) -> str:
    """Per report: instances per class and observations per section, as Markdown tables."""
    import pyoxigraph as ox

    out = []
    for report in reports(store):
        out.append(f"### {report}\n\n| class | instances |\n|---|---:|")
        for cls, n in sorted(instances_per_class(store, report).items()):
            out.append(f"| `{term_text(ox.NamedNode(cls), compact=True)}` | {n} |")
        out.append("\n| section (first page) | observations |\n|---|---:|")
        for title, first, n in observations_per_section(store, report):
            out.append(f"| {title} (p. {first}) | {n} |")
        out.append("")
    return "\n".join(out)
