"""HermiT reasons over the data too (`esgkg check`): a copy of the data without the literals the
OWL 2 datatype map lacks (xsd:gYear, xsd:date), so that a clash between individuals is caught
while the data keeps its standard datatypes."""

from __future__ import annotations

import shutil
import time

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from esgkg import ids
from esgkg.build import compile_dataset
from esgkg.checks import reason_over_data, reasoner_copy
from esgkg.namespaces import ESGKG, ORG

needs_java = pytest.mark.skipif(shutil.which("java") is None,
                                reason="HermiT needs Java and no `java` is on the PATH")

SITE = ids.site("calb", "changzhou-base")


@pytest.fixture(scope="module")
def dataset(project):
    return compile_dataset(project)


def test_the_reasoner_copy_leaves_out_only_years_and_dates_and_keeps_the_store_data(dataset):
    report = dataset[ids.report_graph("calb-2023")]
    before = len(report)
    copy = reasoner_copy(dataset)
    assert set(copy.left_out) <= {str(XSD.gYear), str(XSD.date)}
    assert copy.left_out.get(str(XSD.gYear), 0) > 0
    assert len(report) == before  # the dataset itself is not touched
    assert not any(isinstance(o, Literal) and o.datatype in (XSD.gYear, XSD.date)
                   for o in copy.graph.objects())
    assert (SITE, RDF.type, ORG.Site) in copy.graph  # types and links stay


@needs_java
def test_hermit_finds_the_shipped_data_consistent_within_a_minute(project, dataset):
    started = time.monotonic()
    result, copy = reason_over_data(project, dataset)
    took = time.monotonic() - started
    assert result.consistent, result.message
    assert result.unsatisfiable == []
    assert len(copy.graph) > 10_000  # the reports are in it, not only the vocabularies
    assert took < 60


@needs_java
def test_a_site_typed_as_an_organization_in_a_report_graph_is_an_inconsistency(project, dataset):
    """org:Organization and org:Site are disjoint in the ontology; one individual typed as both
    (here CALB's Changzhou Base, also said to be a formal organisation) is a data-level clash."""
    broken = dict(dataset)
    graph = Graph()
    graph += dataset[ids.report_graph("calb-2023")]
    graph.add((SITE, RDF.type, ORG.FormalOrganization))
    broken[ids.report_graph("calb-2023")] = graph
    result, _ = reason_over_data(project, broken)
    assert not result.consistent
    assert str(SITE) in result.message and str(ORG.Organization) in result.message


@needs_java
def test_a_held_certificate_that_is_also_a_plan_is_an_inconsistency(project, dataset):
    """esgkg:Certification and esgkg:CertificationIntent are disjoint: a held certificate counted
    as a plan (or the reverse) is caught by the reasoner over the data."""
    broken = dict(dataset)
    graph = Graph()
    graph += dataset[ids.report_graph("seres-2023")]
    cert = next(graph.subjects(RDF.type, ESGKG.Certification))
    graph.add((cert, RDF.type, ESGKG.CertificationIntent))
    broken[ids.report_graph("seres-2023")] = graph
    result, _ = reason_over_data(project, broken)
    assert not result.consistent
    assert str(cert) in result.message


@needs_java
def test_years_and_dates_in_the_data_do_not_stop_the_reasoner(project):
    """A gYear and a date literal on an individual: left out of the copy, the check runs."""
    data = Graph()
    org = URIRef("https://w3id.org/esgkg/id/org/fx")
    data.add((org, RDF.type, ORG.FormalOrganization))
    data.add((org, ESGKG.foundingYear, Literal("1999", datatype=XSD.gYear)))
    data.add((org, URIRef("http://purl.org/dc/terms/date"), Literal("2023-12-31", datatype=XSD.date)))
    result, copy = reason_over_data(project, {ids.report_graph("fx-2023"): data})
    assert result.consistent
    assert copy.left_out == {str(XSD.gYear): 1, str(XSD.date): 1}
