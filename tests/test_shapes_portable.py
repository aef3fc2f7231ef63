"""The shapes are plain SHACL that a stock engine accepts: plain pyshacl (its own SPARQL engine)
loads every shape and constraint and returns a validation report, not a ValidationFailure.

A SPARQL-based constraint must not contain VALUES, MINUS or SERVICE (SHACL 1.0, 5.2.1, pre-
binding): DuplicateNameInListShape once used VALUES, which Jena and esgkg's own engine accepted
but pyshacl refused, for the whole shapes graph (issue 14's pyshacl baseline found it)."""

from __future__ import annotations

import pyshacl
from rdflib import Graph

from esgkg.validate import load_shapes

# one site, labelled and unsourced: a target for the list and structure shapes, one Violation
DATA = """
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/site> a org:Site ; skos:prefLabel "A base" .
"""


def test_plain_pyshacl_accepts_every_shape(project):
    shapes = load_shapes(project.shapes_dir)
    data = Graph().parse(data=DATA, format="turtle")
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, advanced=True, allow_warnings=True)
    assert isinstance(report, Graph), f"pyshacl could not validate with the shapes: {text}"
    assert not conforms  # and it did evaluate them: the site has no source page
    assert "wasDerivedFrom" in str(text)
