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


# --- the two engines, the cache, any store --------------------------------------------------

ALL_FIXTURES = [VALID, *INVALID, *VALID_VARIANTS]


def _everything(result) -> tuple:
    return result.conforms, [tuple(vars(f).values()) for f in result.findings]


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in ALL_FIXTURES])
def test_the_fast_engine_gives_pyshacls_results(path, shapes, context):
    """Core constraints compiled to SPARQL (validate_core) give pyshacl's results, field by field,
    and the same sh:ValidationReport graph."""
    from rdflib.compare import isomorphic

    data = _fixture(path)[0] if path != VALID else Graph().parse(VALID, format="turtle")
    fast = validate_graph("fx-2023", data, context, shapes, engine="fast")
    reference = validate_graph("fx-2023", data, context, shapes, engine="pyshacl")
    assert _everything(fast) == _everything(reference)
    assert isomorphic(fast.results_graph, reference.results_graph)


def test_the_shapes_compile_to_the_fast_engine(shapes):
    from esgkg.validate import engine_for

    assert engine_for(shapes) == "fast"


def test_shapes_the_fast_engine_does_not_cover_fall_back_to_pyshacl(shapes, context):
    from rdflib import BNode, Literal
    from rdflib.namespace import RDF

    from esgkg.namespaces import SH
    from esgkg.validate import engine_for

    extra = Graph()
    extra += shapes
    shape, prop = URIRef("https://example.org/shape/NoteShape"), BNode()
    extra.add((shape, RDF.type, SH.NodeShape))
    extra.add((shape, SH.targetClass, URIRef("https://w3id.org/esgkg/ontology#ESGReport")))
    extra.add((shape, SH.property, prop))
    extra.add((prop, SH.path, URIRef("https://example.org/note")))
    extra.add((prop, SH.minLength, Literal(3)))
    assert engine_for(extra) == "pyshacl"
    result = validate_graph("fx-2023", Graph().parse(VALID, format="turtle"), context, extra)
    assert result.conforms


class _BareStore:
    """A store with nothing but the interface validation may use (as a remote backend has)."""

    def __init__(self, store, cache_dir=None):
        self._store, self.cache_dir = store, cache_dir

    def graphs(self) -> list[str]:
        return self._store.graphs()

    def dump_graph(self, graph: str) -> bytes:
        return self._store.dump_graph(graph)


def test_validation_needs_only_the_store_interface_and_caches_its_findings(
        built_store, project, shipped_validation, tmp_path, monkeypatch):
    from esgkg import validate as module

    expected = {r: _everything(v) for r, v in shipped_validation.items()}
    bare = _BareStore(built_store)  # no cache_dir: nothing cached
    assert {r.report: _everything(r) for r in module.validate(bare, project.shapes_dir)} == expected

    cached = _BareStore(built_store, tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "stale.json").write_text("{}")
    first = module.validate(cached, project.shapes_dir, workers=1)
    assert len(list((tmp_path / "cache").glob("*.json"))) == len(expected)  # the stale one pruned

    def refuse(*_args, **_kwargs):
        raise AssertionError("validated again although nothing changed")

    monkeypatch.setattr(module._Job, "run", refuse)
    again = module.validate(cached, project.shapes_dir)
    assert [_everything(r) for r in again] == [_everything(r) for r in first]
    assert {r.report: _everything(r) for r in again} == expected
    assert [len(r.results_graph) for r in again] == [len(r.results_graph) for r in first]


def test_the_pyshacl_engine_gives_the_same_findings_on_the_shipped_data(built_store, project,
                                                                        shipped_validation):
    from rdflib.compare import isomorphic

    from esgkg.validate import validate

    reference = validate(built_store, project.shapes_dir, engine="pyshacl", cache=False)
    assert {r.report for r in reference} == set(shipped_validation)
    for r in reference:
        assert _everything(r) == _everything(shipped_validation[r.report])
        assert isomorphic(r.results_graph, shipped_validation[r.report].results_graph)


def test_the_cache_key_ignores_line_order_and_blank_node_labels_but_not_content():
    """The store names blank nodes anew at each load, and may dump lines in another order: a
    rebuild of unchanged sources must keep its validation cache (issue 14)."""
    from esgkg.validate import stable_digest

    one = (b'<http://e/A> <http://e/sub> _:b1 .\n_:b1 <http://e/on> <http://e/p> .\n'
           b'<http://e/B> <http://e/sub> _:b2 .\n_:b2 <http://e/on> <http://e/q> .\n')
    relabelled = (b'_:zz9 <http://e/on> <http://e/q> .\n<http://e/A> <http://e/sub> _:x7 .\n'
                  b'<http://e/B> <http://e/sub> _:zz9 .\n_:x7 <http://e/on> <http://e/p> .\n')
    rewired = (b'<http://e/A> <http://e/sub> _:b2 .\n_:b1 <http://e/on> <http://e/p> .\n'
               b'<http://e/B> <http://e/sub> _:b1 .\n_:b2 <http://e/on> <http://e/q> .\n')
    changed = one.replace(b"<http://e/q>", b"<http://e/r>")
    assert stable_digest(one) == stable_digest(relabelled)
    assert stable_digest(one) != stable_digest(rewired)  # A's restriction is now on q
    assert stable_digest(one) != stable_digest(changed)
    # a graph without blank nodes (a report's): order still ignored, content still not
    plain = b'<http://e/A> <http://e/p> "1" .\n<http://e/B> <http://e/p> "2" .\n'
    assert stable_digest(plain) == stable_digest(b"".join(reversed(plain.splitlines(keepends=True))))
    assert stable_digest(plain) != stable_digest(plain.replace(b'"2"', b'"3"'))
