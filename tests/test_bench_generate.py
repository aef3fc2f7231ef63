"""bench/generate.py makes a project that builds: the reports asked, an issuer over two years.

No timing here (bench/scale.py measures); the expected values are the generator's arguments.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyoxigraph as ox

from esgkg import ids
from esgkg.build import build
from esgkg.project import Project, find_project

GENERATOR = Path(__file__).resolve().parents[1] / "bench" / "generate.py"
REPORTS, YEARS = 3, 2


def load_generator():
    """bench/generate.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_generated_corpus_builds_with_the_reports_asked(tmp_path: Path) -> None:
    generate = load_generator()
    out = tmp_path / "corpus"
    generate.generate(out, reports=REPORTS, years=YEARS, seed=7)
    assert find_project(out).root == out.resolve()
    manifest = generate.read_manifest(out)
    assert len(manifest["reports"]) == REPORTS
    # each issuer has YEARS consecutive reports from 2023: the first issuer's are shared
    first = manifest["reports"][0].rsplit("-", 1)[0]
    shared = [f"{first}-{2023 + i}" for i in range(YEARS)]
    assert shared == manifest["reports"][:YEARS]
    assert len(manifest["issuers"]) == -(-REPORTS // YEARS)

    result = build(Project(out), tmp_path / "store")
    report_graphs = [g for g in result.triples if "/graph/report/" in g]
    assert len(report_graphs) == REPORTS

    store = ox.Store.read_only(str(result.path))
    org = ox.NamedNode(str(ids.organization(first)))
    for report in shared:  # both years describe the same organisation (minted per issuer)
        graph = ox.NamedNode(str(ids.report_graph(report)))
        assert any(store.quads_for_pattern(org, None, None, graph)), report


def test_the_constraint_harness_tells_a_rewrite_that_changes_results(built_store, tmp_path, capsys):
    """bench/constraints.py, which checks that a rewrite of the shapes for speed keeps every result:
    the same shapes compare equal; a saved result altered compares different."""
    spec = importlib.util.spec_from_file_location("bench_constraints", GENERATOR.with_name("constraints.py"))
    assert spec and spec.loader
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    import json

    saved = tmp_path / "results.json"
    store = str(built_store.root)
    assert harness.main([store, "--reports", "1", "--save", str(saved)]) == 0
    results = json.loads(saved.read_text())
    assert results and any(results.values())  # the shipped reports have findings to compare
    assert harness.main([store, "--reports", "1", "--compare", str(saved)]) == 0
    first = next(k for k, v in results.items() if v)
    results[first] = results[first][1:]  # one result fewer: a rewrite that lost one
    saved.write_text(json.dumps(results))
    assert harness.main([store, "--reports", "1", "--compare", str(saved)]) == 1
    assert "DIFFERENT results" in capsys.readouterr().out
