"""The shapes mean the same in Apache Jena's SHACL engine as in esgkg's (pyshacl for core
constraints, Oxigraph for SHACL-SPARQL): same shape, same focus node, same severity, on every
fixture and on the shipped data. Skipped, saying why, where Debian's Jena is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from esgkg.jena import PACKAGE, find_jena
from esgkg.namespaces import SH
from esgkg.validate import load_shapes, validate_graph
from test_validate import INVALID, VALID, _fixture

Result = tuple[str, str, str]  # (severity, shape, focus node)


@pytest.fixture(scope="module")
def jena(tmp_path_factory: pytest.TempPathFactory):
    found = find_jena(tmp_path_factory.mktemp("jena"))
    if found is None:
        pytest.skip(f"Apache Jena is not installed (Debian package {PACKAGE} and java)")
    return found


@pytest.fixture(scope="module")
def shapes_file(project, tmp_path_factory) -> tuple[Graph, Path]:
    """The shapes as esgkg loads them (property shapes named), written once for Jena."""
    shapes = load_shapes(project.shapes_dir)
    path = tmp_path_factory.mktemp("shapes") / "shapes.ttl"
    shapes.serialize(path, format="turtle")
    return shapes, path


def _jena_results(jena, shapes: Path, graphs: dict[str, Graph], folder: Path) -> dict[str, set[Result]]:
    """Jena's (severity, shape, focus) results for each named data graph, in one JVM."""
    paths = []
    for name, data in graphs.items():
        path = folder / f"{name}.nt"
        data.serialize(path, format="nt", encoding="utf-8")
        paths.append(path)
    out = {}
    for name, report in zip(graphs, jena.shacl(shapes, paths), strict=True):
        out[name] = {(str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                      str(report.value(r, SH.sourceShape)), str(report.value(r, SH.focusNode)))
                     for r in report.subjects(RDF.type, SH.ValidationResult)}
    return out


def _ours(findings) -> set[Result]:
    return {(f.severity, f.shape, f.focus) for f in findings}


def _diff(name: str, ours: set[Result], theirs: set[Result]) -> str:
    return f"{name}: only esgkg {sorted(ours - theirs)}; only Jena {sorted(theirs - ours)}"


def test_every_fixture_gives_the_same_results_in_jena(jena, shapes_file, context, tmp_path):
    shapes, shapes_path = shapes_file
    cases = {"valid": Graph().parse(VALID, format="turtle")}
    cases.update({p.stem: _fixture(p)[0] for p in INVALID})
    theirs = _jena_results(jena, shapes_path, {n: d + context for n, d in cases.items()}, tmp_path)
    for name, data in cases.items():
        ours = _ours(validate_graph("fx-2023", data, context, shapes).findings)
        assert ours == theirs[name], _diff(name, ours, theirs[name])
    assert theirs["valid"] == set()
    assert all(theirs[name] for name in theirs if name != "valid")  # Jena fires on every invalid one


def test_the_shipped_data_gives_the_same_results_in_jena(jena, shapes_file, built_store,
                                                         shipped_validation, tmp_path):
    _, shapes_path = shapes_file
    context = Graph()
    reports = {}
    for g in built_store.graphs():
        target = Graph().parse(data=built_store.dump_graph(g), format="nt")
        if "/graph/report/" in g:
            reports[g.rsplit("/", 1)[-1]] = target
        else:
            context += target
    theirs = _jena_results(jena, shapes_path, {r: d + context for r, d in reports.items()}, tmp_path)
    assert set(shipped_validation) == set(reports)
    for result in shipped_validation.values():
        ours = _ours(result.findings)
        assert ours == theirs[result.report], _diff(result.report, ours, theirs[result.report])
