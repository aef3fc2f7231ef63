"""Benchmark harness: time the stages on the shipped data (not a test; numbers go in README.md).

    python bench/run.py [--repeat N]

Measures: compiling the sources, loading the store (build), opening the store, each named query
(median of N runs), validation of all reports (parallel), and the same validation with every
SHACL-SPARQL constraint left to pyshacl (the slow path the project avoids), once; and with
``--jena``, the same shapes in Apache Jena's SHACL engine (one JVM for both reports; writing
the graphs as files and JVM start-up included), where Debian's Jena is installed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from esgkg.api import KnowledgeGraph
from esgkg.build import build, compile_context, compile_dataset
from esgkg.project import Project
from esgkg.store import EmbeddedStore
from esgkg.validate import load_shapes, validate


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow-path", action="store_true",
                        help="also time pyshacl running the SPARQL constraints itself")
    parser.add_argument("--jena", action="store_true", help="also time Apache Jena SHACL")
    args = parser.parse_args()
    project = Project(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        store_path = Path(tmp) / "store"
        t, dataset = timed(lambda: compile_dataset(project))
        triples = sum(len(g) for g in dataset.values())
        print(f"compile sources: {t:.2f} s ({triples:,} triples in {len(dataset)} graphs)")
        t, _ = timed(lambda: build(project, store_path))
        print(f"build (compile + load + swap): {t:.2f} s")
        t, store = timed(lambda: EmbeddedStore(store_path), args.repeat)
        print(f"open store: {t * 1000:.1f} ms")
        kg = KnowledgeGraph(store, project)
        for name in sorted(kg.queries):
            t, result = timed(lambda n=name: kg.query(n), args.repeat)
            print(f"query {name}: {t * 1000:.1f} ms ({len(result)} rows)")
        t, results = timed(lambda: validate(store, project.shapes_dir))
        print(f"validate all reports: {t:.2f} s "
              f"({sum(len(r.findings) for r in results)} findings)")
        if args.jena:
            time_jena(project, dataset, Path(tmp))
        if args.slow_path:
            import pyshacl

            context, _ = compile_context(project)
            shapes = load_shapes(project.shapes_dir)
            for graph_iri, graph in dataset.items():
                if "/graph/report/" not in str(graph_iri):
                    continue
                full = graph
                for g in context.values():
                    full = full + g
                t, _ = timed(lambda f=full: pyshacl.validate(f, shacl_graph=shapes, advanced=True,
                                                             allow_warnings=True))
                print(f"pyshacl with its own SPARQL engine, {graph_iri.rsplit('/', 1)[-1]}: {t:.1f} s")


def time_jena(project: Project, dataset: dict, tmp: Path) -> None:
    from rdflib import RDF, Graph

    from esgkg.jena import find_jena
    from esgkg.namespaces import SH

    jena = find_jena(tmp / "jena")
    if jena is None:
        print("jena: not installed (Debian package libapache-jena-java)")
        return
    context = Graph()
    reports = {}
    for iri, g in dataset.items():
        if "/graph/report/" in str(iri):
            reports[str(iri).rsplit("/", 1)[-1]] = g
        else:
            context += g
    shapes = load_shapes(project.shapes_dir)
    graphs = {name: g + context for name, g in reports.items()}
    t, out = timed(lambda: jena.shacl(shapes, graphs, tmp / "jena-run"))
    results = sum(1 for r in out.values() for _ in r.subjects(RDF.type, SH.ValidationResult))
    print(f"Jena SHACL, {len(graphs)} reports in one JVM (start-up included): {t:.2f} s "
          f"({results} results)")


if __name__ == "__main__":
    main()
