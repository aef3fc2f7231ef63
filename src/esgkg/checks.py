"""Ontology checks: FIBO-style hygiene queries and an OWL reasoner (HermiT via owlready2).

Hygiene queries live in ``ontology/qc/*.rq``; each returns a ``?message`` row per problem and
must return nothing. They run over the compiled dataset in an in-memory Oxigraph store. Terms
that ``shapes/`` and ``queries/`` use are checked against the ontology by reading their text.

The reasoner checks the ontology alone, then the ontology with the data (every graph but the
ontology: vocabularies, reports, periods, external identifiers). HermiT accepts only the
datatypes of the OWL 2 datatype map, and the data keeps standard ``xsd:gYear`` and ``xsd:date``
values, which that map lacks; so the reasoner gets a copy of the data without the triples whose
literal has such a datatype (``reasoner_copy``). Nothing it could check is lost: the ontology
declares no range or restriction over those datatypes (a year is never an OWL range), so they
can neither cause nor reveal a clash. The data in the store is not changed.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from . import ids
from .errors import EsgkgError
from .namespaces import ESGKG, PREFIXES, QB
from .project import Project

_TERM = re.compile(r"(?<![\w/#])esgkg:([A-Za-z_][\w-]*)|<" + re.escape(str(ESGKG)) + r"([^>]+)>")


@dataclass(frozen=True)
class Finding:
    check: str
    message: str


class JavaMissing(EsgkgError):
    """The OWL reasoner cannot run because no Java runtime is installed."""


def _memory_store(dataset: Mapping[URIRef, Graph]) -> ox.Store:
    store = ox.Store()
    for iri, graph in dataset.items():
        store.load(input=graph.serialize(format="nt", encoding="utf-8"),
                   format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(iri)))
    return store


def hygiene(project: Project, dataset: Mapping[URIRef, Graph]) -> list[Finding]:
    """Run every QC query and the text scan of shapes/ and queries/; return what they find."""
    store = _memory_store(dataset)
    findings: list[Finding] = []
    for path in sorted(project.qc_dir.glob("*.rq")):
        for solution in store.query(path.read_text(encoding="utf-8")):
            findings.append(Finding(path.stem, solution["message"].value))
    declared = _declared_terms(dataset)
    for folder in (project.shapes_dir, project.queries_dir):
        findings.extend(undeclared_terms_in_text(folder, declared))
    return findings


def _declared_terms(dataset: Mapping[URIRef, Graph]) -> set[str]:
    ontology = dataset[ids.ONTOLOGY_GRAPH]
    types = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    declared = {str(s) for t in types for s in ontology.subjects(RDF.type, t)}
    declared |= {str(s) for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(ESGKG))}
    return declared


def undeclared_terms_in_text(folder: Path, declared: set[str]) -> list[Finding]:
    """esgkg: terms written in .ttl / .rq files of ``folder`` that the ontology does not declare."""
    findings = []
    if not folder.is_dir():
        return findings
    for path in sorted([*folder.rglob("*.rq"), *folder.rglob("*.ttl")]):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            for m in _TERM.finditer(line):
                local = m.group(1) or m.group(2)
                if str(ESGKG) + local not in declared:
                    findings.append(Finding(
                        "undeclared-term-in-text",
                        f"ERROR: {path}:{lineno} uses esgkg:{local}, which the ontology does not declare",
                    ))
    return findings


@dataclass
class ReasonerResult:
    consistent: bool
    unsatisfiable: list[str]
    message: str = ""


def reason(ontology_path: Path, extra: Graph | None = None) -> ReasonerResult:
    """Check consistency and find unsatisfiable classes with HermiT (needs Java).

    ``extra`` (e.g. instance data) is merged into the ontology for the check. Raises
    JavaMissing with a plain explanation where no ``java`` is on the PATH.
    """
    if shutil.which("java") is None:
        raise JavaMissing(
            "the OWL reasoner (HermiT, run by owlready2) needs Java, and no `java` is on the PATH; "
            "install a Java runtime (e.g. `apt-get install default-jre-headless`) or skip the "
            "reasoner with --no-reasoner"
        )
    import owlready2

    graph = Graph()
    graph.parse(ontology_path, format="turtle")
    if extra is not None:
        graph += extra
    # Data Cube types its component properties as instances of qb classes (punning), which
    # owlready2 cannot represent; they say nothing the reasoner needs, so they stay out.
    for qb_class in (QB.DimensionProperty, QB.MeasureProperty, QB.AttributeProperty):
        graph.remove((None, RDF.type, qb_class))
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    with tempfile.TemporaryDirectory() as tmp:
        owl_file = Path(tmp) / "esgkg.owl"
        graph.serialize(owl_file, format="xml")  # owlready2 reads RDF/XML, not Turtle
        world = owlready2.World()
        onto = world.get_ontology(owl_file.as_uri()).load()
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            return ReasonerResult(False, [], f"inconsistent: {exc}")
        except owlready2.OwlReadyJavaError as exc:
            lines = [ln for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("\tat")]
            raise EsgkgError("the reasoner failed: " + " ".join(lines[:6])) from None
        nothing = str(OWL.Nothing)  # always "unsatisfiable"; not a finding
        unsat = sorted(c.iri for c in world.inconsistent_classes() if c.iri != nothing)
        return ReasonerResult(True, unsat)


# The datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4), which
# HermiT implements; rdf:langString and untyped literals are plain strings to it.
_XSD_IN_OWL2 = ("decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger "
                "long int short byte unsignedLong unsignedInt unsignedShort unsignedByte double float "
                "string normalizedString token language Name NCName NMTOKEN boolean hexBinary "
                "base64Binary anyURI dateTime dateTimeStamp").split()
OWL2_DATATYPES = frozenset({*(XSD[n] for n in _XSD_IN_OWL2), RDF.PlainLiteral, RDF.XMLLiteral,
                            RDF.langString, RDFS.Literal, OWL.real, OWL.rational})


@dataclass
class ReasonerCopy:
    """The data as the reasoner gets it, and what was left out of it (datatype -> triples)."""

    graph: Graph
    left_out: dict[str, int]


def reasoner_copy(dataset: Mapping[URIRef, Graph]) -> ReasonerCopy:
    """Every graph of ``dataset`` but the ontology, merged, without the triples whose literal has
    a datatype outside the OWL 2 datatype map (xsd:gYear, xsd:date ...)."""
    data = Graph()
    left_out: dict[str, int] = {}
    for iri, graph in dataset.items():
        if iri == ids.ONTOLOGY_GRAPH:
            continue
        for s, p, o in graph:
            if isinstance(o, Literal) and o.datatype is not None and o.datatype not in OWL2_DATATYPES:
                key = str(o.datatype)
                left_out[key] = left_out.get(key, 0) + 1
                continue
            data.add((s, p, o))
    return ReasonerCopy(data, left_out)


def reason_over_data(project: Project,
                     dataset: Mapping[URIRef, Graph]) -> tuple[ReasonerResult, ReasonerCopy]:
    """HermiT over the ontology and a reasoner copy of the data (see ``reasoner_copy``)."""
    copy = reasoner_copy(dataset)
    result = reason(project.ontology, copy.graph)
    if not result.consistent:
        clashes = disjointness_clashes(project.ontology, copy.graph)
        if clashes:
            result.message += "; individuals typed with disjoint classes: " + "; ".join(clashes[:10])
    return result, copy


def disjointness_clashes(ontology_path: Path, data: Graph) -> list[str]:
    """Individuals whose asserted types (with their superclasses) include two disjoint classes: a
    plain SPARQL explanation of the commonest inconsistency HermiT finds, which names none."""
    ontology = Graph().parse(ontology_path, format="turtle")
    store = ox.Store()
    for graph, name in ((ontology, "urn:x-esgkg:ontology"), (data, "urn:x-esgkg:data")):
        store.load(input=graph.serialize(format="nt", encoding="utf-8"),
                   format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    query = """
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT DISTINCT ?x ?a ?b WHERE {
          GRAPH <urn:x-esgkg:ontology> { ?a owl:disjointWith ?b }
          GRAPH <urn:x-esgkg:data> { ?x a ?ta , ?tb }
          GRAPH <urn:x-esgkg:ontology> { ?ta rdfs:subClassOf* ?a . ?tb rdfs:subClassOf* ?b }
        } ORDER BY ?x ?a ?b"""
    return [f"<{row['x'].value}> is a <{row['a'].value}> and a <{row['b'].value}>"
            for row in store.query(query)]
