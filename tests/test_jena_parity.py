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
def shapes(project) -> Graph:
    """The shapes as esgkg loads them (property shapes named, so both engines name them alike)."""
    return load_shapes(project.shapes_dir)


def _jena_results(jena, shapes: Graph, graphs: dict[str, Graph], folder: Path) -> dict[str, set[Result]]:
    """Jena's (severity, shape, focus) results for each named data graph, in one JVM."""
    return {name: {(str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                    str(report.value(r, SH.sourceShape)), str(report.value(r, SH.focusNode)))
                   for r in report.subjects(RDF.type, SH.ValidationResult)}
            for name, report in jena.shacl(shapes, graphs, folder).items()}


def _ours(findings) -> set[Result]:
    return {(f.severity, f.shape, f.focus) for f in findings}


def _diff(name: str, ours: set[Result], theirs: set[Result]) -> str:
    return f"{name}: only esgkg {sorted(ours - theirs)}; only Jena {sorted(theirs - ours)}"


def test_every_fixture_gives_the_same_results_in_jena(jena, shapes, context, tmp_path):
    cases = {"valid": Graph().parse(VALID, format="turtle")}
    cases.update({p.stem: _fixture(p)[0] for p in INVALID})
    theirs = _jena_results(jena, shapes, {n: d + context for n, d in cases.items()}, tmp_path)
    for name, data in cases.items():
        ours = _ours(validate_graph("fx-2023", data, context, shapes).findings)
        assert ours == theirs[name], _diff(name, ours, theirs[name])
    assert theirs["valid"] == set()
    assert all(theirs[name] for name in theirs if name != "valid")  # Jena fires on every invalid one


def test_the_shipped_data_gives_the_same_results_in_jena(jena, shapes, built_store,
                                                         shipped_validation, tmp_path):
    context = Graph()
    reports = {}
    for g in built_store.graphs():
        target = Graph().parse(data=built_store.dump_graph(g), format="nt")
        if "/graph/report/" in g:
            reports[g.rsplit("/", 1)[-1]] = target
        else:
            context += target
    theirs = _jena_results(jena, shapes, {r: d + context for r, d in reports.items()}, tmp_path)
    assert set(shipped_validation) == set(reports)
    for result in shipped_validation.values():
        ours = _ours(result.findings)
        assert ours == theirs[result.report], _diff(result.report, ours, theirs[result.report])
