"""SHACL shapes: every shape fires on its invalid fixture, exactly there, and stays silent on the
valid one. Fixtures: tests/fixtures/valid/report.ttl, and tests/fixtures/invalid/*.ttl, each
the valid graph minus its '# remove:' triples plus its own, with '# expect:' lines naming the
shape and focus node that must fire (and nothing else)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from esgkg.validate import load_shapes, validate_graph

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid" / "report.ttl"
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))
_DIRECTIVE = re.compile(r"^# (remove|expect): (\S+) <([^>]+)>$")


@pytest.fixture(scope="module")
def shapes(project) -> Graph:
    return load_shapes(project.shapes_dir)


def _fixture(path: Path) -> tuple[Graph, set[tuple[str, str]]]:
    data = Graph().parse(VALID, format="turtle")
    expected = set()
    for line in path.read_text().splitlines():
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        kind, first, second = m.groups()
        if kind == "remove":
            data.remove((URIRef(first.strip("<>")), URIRef(second), None))
        else:
            expected.add((first, second))
    data.parse(path, format="turtle")
    return data, expected


def _local(shape_iri: str) -> str:
    return shape_iri.rsplit("#", 1)[-1]


def test_the_valid_fixture_raises_nothing(shapes, context):
    result = validate_graph("fx-2023", Graph().parse(VALID, format="turtle"), context, shapes)
    assert [(f.shape, f.focus, f.message) for f in result.findings] == []
    assert result.conforms


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_each_invalid_fixture_fires_exactly_its_shape_on_its_focus(path, shapes, context):
    data, expected = _fixture(path)
    assert expected, f"{path.name} has no '# expect:' line"
    result = validate_graph("fx-2023", data, context, shapes)
    fired = {(_local(f.shape), f.focus) for f in result.findings}
    assert fired == expected


def test_every_shape_has_an_invalid_fixture(shapes):
    from rdflib.namespace import RDF

    from esgkg.namespaces import SH

    node_shapes = {_local(str(s)) for s in shapes.subjects(RDF.type, SH.NodeShape)}
    covered = set()
    for path in INVALID:
        for line in path.read_text().splitlines():
            m = _DIRECTIVE.match(line)
            if m and m.group(1) == "expect":
                covered.add(m.group(2).split("-")[0])
    assert node_shapes <= covered, f"shapes without an invalid fixture: {node_shapes - covered}"


def test_findings_name_the_figure_the_period_and_the_page(shapes, context):
    data, _ = _fixture(FIXTURES / "invalid" / "figure-printed-two-ways.ttl")
    [finding] = validate_graph("fx-2023", data, context, shapes).findings
    assert finding.severity == "Warning"
    assert finding.pages == [2]
    assert "fx-headcount 2023" in finding.message
    assert "30" in finding.message and "31" in finding.message and "page 1" in finding.message


VALID_VARIANTS = sorted((FIXTURES / "valid-variants").glob("*.ttl"))


@pytest.mark.parametrize("path", VALID_VARIANTS, ids=[p.stem for p in VALID_VARIANTS])
def test_each_valid_variant_raises_nothing(path, shapes, context):
    """tests/fixtures/valid-variants/*.ttl: the valid graph plus cases a shape must let pass."""
    data, expected = _fixture(path)
    assert not expected
    result = validate_graph("fx-2023", data, context, shapes)
    assert [(f.shape, f.focus, f.message) for f in result.findings] == []


def test_a_count_that_disagrees_names_the_figure_the_period_the_page_and_the_things(shapes, context):
    data, _ = _fixture(FIXTURES / "invalid" / "count-not-the-things-recorded.ttl")
    [finding] = validate_graph("fx-2023", data, context, shapes).findings
    assert finding.severity == "Warning"
    assert finding.pages == [2]
    assert "fx-bases of FX Ltd. 2023 is printed as 2 on page 2" in finding.message
    assert "records 1 production base: North Base" in finding.message


def test_the_count_shapes_name_no_company_figure_or_page(project):
    """shapes/counts.ttl is general: what it counts comes from the indicators, not the shape."""
    text = (project.shapes_dir / "counts.ttl").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for word in ("calb", "seres", "/id/", "industrial-bases", "board-committees", "ProductionBase"):
        assert word not in body
