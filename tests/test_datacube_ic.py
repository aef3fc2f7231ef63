"""The W3C Data Cube integrity constraints IC-1 to IC-21 (the REC's own ASK queries, after the
REC's normalisation algorithm) on the exported cube.

The cube a validator checks is the reconciled one (structure esgkg:reconciledKpiStructure),
with the ontology and vocabularies it refers to: it meets every constraint. The as-printed data
sets (esgkg:kpiStructure) depart from IC-11 and IC-12 on purpose (optional breakdowns; one
figure printed on two pages is two observations): see src/esgkg/export/README.md.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from esgkg import ids
from esgkg.export import datacube
from esgkg.export.formats import select_graphs, serialise
from esgkg.namespaces import ESGKG, QB


@pytest.fixture(scope="module")
def graphs(built_store) -> dict[str, Graph]:
    return select_graphs(built_store, reconciled=True)


def test_the_reconciled_cube_meets_every_integrity_constraint(graphs):
    cube = {iri: g for iri, g in graphs.items() if "/graph/report/" not in iri}
    assert any("/graph/reconciled/" in iri for iri in cube)
    store = datacube.load(serialise(cube, "nquads"), ox.RdfFormat.N_QUADS)
    datacube.normalise(store)
    results = datacube.check(store)
    assert set(results) == {f"IC-{n}" for n in range(1, 22) if n != 19} | {"IC-19a", "IC-19b"}
    assert [name for name, violated in results.items() if violated] == []


def test_the_as_printed_cube_departs_only_from_ic_11_and_ic_12(graphs):
    as_printed = {iri: g for iri, g in graphs.items() if "/graph/reconciled/" not in iri}
    store = datacube.load(serialise(as_printed, "nquads"), ox.RdfFormat.N_QUADS)
    datacube.normalise(store)
    # every constraint but IC-12 on the whole cube (IC-12 compares every pair of observations)
    results = {name: bool(store.query(datacube.PREFIXES + q))
               for name, q in datacube.CONSTRAINTS.items() if name != "IC-12"}
    assert [name for name, violated in results.items() if violated] == ["IC-11"]


def test_ic_12_fails_on_the_as_printed_figure_printed_twice(graphs):
    # CALB's 2022 scope 2 is printed on p45 (450,953.34) and p82 (450,935.34): two observations
    # with the same dimension values in one data set (and flagged in the reconciled one)
    report = graphs[str(ids.report_graph("calb-2023"))]
    indicator = URIRef("https://w3id.org/esgkg/vocab/indicator/ghg-scope2")
    small = Graph()
    small += graphs[str(ids.ONTOLOGY_GRAPH)]
    dataset = ids.dataset("calb-2023")
    small += report.triples((dataset, None, None))
    printings = [o for o in report.subjects(ESGKG.indicator, indicator)
                 if (o, ESGKG.refPeriod, ids.period("2022")) in report]
    assert len(printings) == 2
    for o in printings:
        small += report.triples((o, None, None))
    store = datacube.load(serialise({"g": small}, "ntriples"))
    datacube.normalise(store)
    assert datacube.check(store)["IC-12"] is True
    assert (printings[0], RDF.type, QB.Observation) in small
