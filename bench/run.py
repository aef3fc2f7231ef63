"""Benchmark harness: time the stages on the shipped data (not a test; numbers go in README.md).

    python bench/run.py [--repeat N]

Measures: compiling the sources, loading the store (build), opening the store, each named query
(median of N runs), validation of all reports (parallel), and the same validation with every
SHACL-SPARQL constraint left to pyshacl (the slow path the project avoids), once.
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


if __name__ == "__main__":
    main()
