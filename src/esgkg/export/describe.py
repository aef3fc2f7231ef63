"""The dataset description: DCAT 3 + VoID, as Turtle.

Title, publisher, data licence, version, issued date (only when given: no clock is read),
the source reports with their URLs, the distributions (media type, byte size, SHA-256), triples
per named graph (``void:subset``), instances per class (``void:classPartition``), and
``dcterms:conformsTo`` the SHACL shapes and the Data Cube REC. Every node has an IRI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, XSD

from ..namespaces import BASE, PREFIXES, bind_prefixes
from ..store import EmbeddedStore
from .common import DATA_LICENSE, PUBLISHER, Source, comment_header, sources

VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SHAPES_IRI = URIRef(BASE + "shapes")
DATA_CUBE_REC = URIRef("https://www.w3.org/TR/vocab-data-cube/")
CSVW_REC = URIRef("https://www.w3.org/TR/tabular-metadata/")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; not in rdflib's DCAT 2 namespace


@dataclass(frozen=True)
class Distribution:
    """One file of a release."""

    name: str
    media_type: str
    size: int
    sha256: str
    title: str
    conforms_to: tuple[str, ...] = ()


def _class_slug(cls: str) -> str:
    for prefix, ns in sorted(PREFIXES.items()):
        if cls.startswith(str(ns)):
            return f"{prefix}-{cls[len(str(ns)):]}"
    return cls.replace("://", "-").replace("/", "-").replace("#", "-")


def dataset_iri(version: str | None) -> URIRef:
    return URIRef(BASE + "dataset" + (f"/{version}" if version else ""))


def description(store: EmbeddedStore, version: str | None, distributions: list[Distribution],
                triples: dict[str, int], issued: date | None = None,
                srcs: list[Source] | None = None) -> Graph:
    """The DCAT/VoID graph describing a release."""
    srcs = srcs if srcs is not None else sources(store)
    g = Graph()
    bind_prefixes(g)
    g.bind("void", VOID)
    g.bind("spdx", SPDX)
    ds = dataset_iri(version)
    publisher = URIRef(BASE)
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(PUBLISHER)))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal("esgkg: corporate ESG reports as a knowledge graph", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "Every company, site, committee, policy, certificate and KPI value of the source ESG reports, "
        "each traceable to the page it is printed on, as RDF (one named graph per report, RDF Data Cube "
        "observations as printed and reconciled), a CSV with CSVW metadata and JSON-LD.", lang="en")))
    g.add((ds, DCTERMS.publisher, publisher))
    g.add((ds, DCTERMS.license, URIRef(DATA_LICENSE)))
    g.add((ds, DCTERMS.rights, Literal(
        "Facts extracted from public reports; attribute them to the reports' publishers (below) and to "
        "esgkg. The reports' own text is not reproduced.", lang="en")))
    if version:
        g.add((ds, DCAT_VERSION, Literal(version)))
        g.add((ds, DCTERMS.isVersionOf, dataset_iri(None)))
    if issued:
        g.add((ds, DCTERMS.issued, Literal(issued.isoformat(), datatype=XSD.date)))
    g.add((ds, DCTERMS.conformsTo, SHAPES_IRI))
    g.add((ds, DCTERMS.conformsTo, DATA_CUBE_REC))
    g.add((SHAPES_IRI, RDF.type, DCTERMS.Standard))
    g.add((SHAPES_IRI, DCTERMS.title, Literal("esgkg SHACL shapes (structure, consistency, Data Cube, "
                                              "disclosure)", lang="en")))
    for s in srcs:
        report = URIRef(s.iri)
        g.add((ds, DCTERMS.source, report))
        g.add((ds, PROV.wasDerivedFrom, report))
        g.add((report, DCTERMS.title, Literal(s.title)))
        if s.publisher_iri:
            g.add((report, DCTERMS.publisher, URIRef(s.publisher_iri)))
            g.add((URIRef(s.publisher_iri), FOAF.name, Literal(s.publisher)))
        for url in s.urls:
            g.add((report, FOAF.page, URIRef(url)))
    g.add((ds, VOID.triples, Literal(sum(triples.values()), datatype=XSD.integer)))
    for graph_iri, n in sorted(triples.items()):
        sub = URIRef(graph_iri)
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, VOID.triples, Literal(n, datatype=XSD.integer)))
    _names, rows = store.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } "
        "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/esgkg/graph/report/')) } GROUP BY ?c")
    for r in sorted(rows, key=lambda r: r["c"].value):
        cls = r["c"].value
        part = URIRef(str(ds) + "/class/" + _class_slug(cls))
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(int(r["n"].value), datatype=XSD.integer)))
    for d in distributions:
        dist = URIRef(str(ds) + "/" + d.name)
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(d.title, lang="en")))
        g.add((dist, DCAT.downloadURL, URIRef(str(ds) + "/" + d.name)))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + d.media_type)))
        g.add((dist, DCAT.byteSize, Literal(d.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, URIRef(DATA_LICENSE)))
        checksum = URIRef(str(dist) + "#sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(d.sha256, datatype=XSD.hexBinary)))
        for c in d.conforms_to:
            g.add((dist, DCTERMS.conformsTo, URIRef(c)))
    return g


def write_description(store: EmbeddedStore, out: BinaryIO, version: str | None,
                      distributions: list[Distribution], triples: dict[str, int],
                      issued: date | None = None) -> None:
    """Write the description as Turtle, with the licence header."""
    srcs = sources(store)
    g = description(store, version, distributions, triples, issued, srcs)
    out.write(comment_header("dataset description (DCAT 3 + VoID)", srcs, version))
    out.write(g.serialize(format="turtle", encoding="utf-8"))
