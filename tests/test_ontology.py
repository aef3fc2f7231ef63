"""The ontology: metadata, hygiene (FIBO-style QC queries) and consistency under HermiT."""

from __future__ import annotations

import re
import shutil

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from esgkg.build import compile_dataset
from esgkg.checks import hygiene, reason, undeclared_terms_in_text
from esgkg.namespaces import ESGKG, ORG

ONTOLOGY = URIRef("https://w3id.org/esgkg/ontology")
needs_java = pytest.mark.skipif(shutil.which("java") is None,
                                reason="HermiT needs Java and no `java` is on the PATH")


@pytest.fixture(scope="module")
def ontology(project) -> Graph:
    return Graph().parse(project.ontology, format="turtle")


def test_ontology_has_persistent_iri_semver_version_label_and_definition(ontology):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    version = ontology.value(ONTOLOGY, OWL.versionIRI)
    assert re.fullmatch(r"https://w3id\.org/esgkg/ontology/\d+\.\d+\.\d+", str(version))
    assert ontology.value(ONTOLOGY, RDFS.label) is not None
    assert ontology.value(ONTOLOGY, SKOS.definition) is not None
    assert "example.org" not in ontology.serialize(format="nt")


def test_reuses_standard_vocabularies_rather_than_reinventing(ontology):
    # sites, committees and certificates specialise ORG and schema.org classes
    assert (ESGKG.ProductionBase, RDFS.subClassOf, ORG.Site) in ontology
    assert (ESGKG.Committee, RDFS.subClassOf, ORG.OrganizationalUnit) in ontology
    assert (ESGKG.Certification, RDFS.subClassOf, URIRef("https://schema.org/Certification")) in ontology
    assert (ORG.Organization, OWL.disjointWith, ORG.Site) in ontology


def test_hygiene_queries_find_nothing_on_the_project(project):
    findings = hygiene(project, compile_dataset(project))
    assert findings == []


def test_hygiene_catches_a_term_without_label_or_definition(project_copy):
    path = project_copy.ontology
    path.write_text(path.read_text() + "\nesgkg:Orphan a owl:Class .\n")
    findings = hygiene(project_copy, compile_dataset(project_copy))
    checks = {f.check for f in findings if "Orphan" in f.message}
    assert checks == {"term-without-label", "term-without-definition"}


def test_hygiene_catches_two_terms_sharing_a_label(project_copy):
    path = project_copy.ontology
    path.write_text(path.read_text() + '\nesgkg:Twin a owl:Class ; rdfs:label "committee"@en ;'
                    ' skos:definition "x"@en .\n')
    findings = hygiene(project_copy, compile_dataset(project_copy))
    assert [f.check for f in findings] == ["duplicate-label"]
    assert "Twin" in findings[0].message and "#Committee" in findings[0].message


def test_text_scan_catches_an_undeclared_term_in_a_query(tmp_path):
    (tmp_path / "q.rq").write_text("SELECT * WHERE { ?s esgkg:noSuchTerm ?o }\n")
    findings = undeclared_terms_in_text(tmp_path, {str(ESGKG.value)})
    assert len(findings) == 1 and "esgkg:noSuchTerm" in findings[0].message
    assert "q.rq:1" in findings[0].message


@needs_java
def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class(project):
    result = reason(project.ontology)
    assert result.consistent
    assert result.unsatisfiable == []


@needs_java
def test_hermit_reports_a_node_that_is_both_organisation_and_site(project):
    # ORG makes Organization and Site disjoint: a base that is also a company must be two nodes
    bad = Graph()
    x = URIRef("https://w3id.org/esgkg/id/org/both")
    bad.add((x, RDF.type, ORG.FormalOrganization))
    bad.add((x, RDF.type, URIRef(ESGKG.ProductionBase)))
    bad.add((x, RDFS.label, Literal("both")))
    result = reason(project.ontology, extra=bad)
    assert not result.consistent


@needs_java
def test_hermit_reports_an_unsatisfiable_class(project):
    bad = Graph()
    cls = ESGKG.SiteCompany
    bad.add((cls, RDF.type, OWL.Class))
    bad.add((cls, RDFS.subClassOf, ORG.Site))
    bad.add((cls, RDFS.subClassOf, ORG.FormalOrganization))
    result = reason(project.ontology, extra=bad)
    assert result.unsatisfiable == [str(cls)]
