"""Counts of what a store holds: triples per named graph, instances per class."""

from __future__ import annotations

from .store import EmbeddedStore

_CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/esgkg/graph/report/"))
} GROUP BY ?class ORDER BY DESC(?n) ?class
"""


def triples_per_graph(store: EmbeddedStore) -> dict[str, int]:
    return store.count_per_graph()


def instances_per_class(store: EmbeddedStore) -> dict[str, int]:
    """Instances per class in the report graphs (the data, not the vocabularies)."""
    _, rows = store.select(_CLASS_COUNTS)
    return {r["class"].value: int(r["n"].value) for r in rows}
