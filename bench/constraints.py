"""Time each SHACL-SPARQL constraint of ``shapes/`` report by report, and check a rewrite of them.

    python bench/constraints.py STORE [--reports N] [--shapes DIR] [--save FILE] [--compare FILE]

Each report graph of the store (the first N) is loaded with the ontology and vocabularies into an
in-memory Oxigraph store, as ``esgkg validate`` does, and every SHACL-SPARQL constraint runs on it;
the harness prints the total and the time of each constraint, slowest first. ``--save`` writes every
constraint's results per report (as ``esgkg validate`` reads them); ``--compare`` checks them
against a file saved before a change to the shapes: a rewrite for speed must give the same results.
A harness to run by hand, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from esgkg.store import open_store  # noqa: E402
from esgkg.validate import _Job, _sparql_results, load_shapes  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="an esgkg store folder (or URL)")
    parser.add_argument("--reports", type=int, default=None, help="only the first N report graphs")
    parser.add_argument("--shapes", type=Path, default=ROOT / "shapes")
    parser.add_argument("--save", type=Path, help="write every constraint's results to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare the results with this saved JSON file")
    args = parser.parse_args(argv)

    store = open_store(args.store if "://" in args.store else Path(args.store))
    graphs = store.graphs()
    context = b"".join(store.dump_graph(g) for g in graphs if "/graph/report/" not in g)
    job = _Job.make(load_shapes(args.shapes), context, None)
    reports = [g for g in graphs if "/graph/report/" in g][: args.reports]
    results: dict[str, list[str]] = {}
    seconds: dict[str, float] = {}
    for graph in reports:
        data = ox.Store()
        data.bulk_load(input=context, format=ox.RdfFormat.N_TRIPLES)
        data.bulk_load(input=store.dump_graph(graph), format=ox.RdfFormat.N_TRIPLES)
        for constraint in job.constraints:
            name = str(constraint[0]).rsplit("/", 1)[-1]
            started = time.perf_counter()
            found = sorted(str(r) for r in _sparql_results(data, [constraint]))
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            results[f"{graph} {name} {constraint[1]}"] = found
    total = sum(seconds.values())
    print(f"{len(reports)} reports, {len(job.constraints)} SHACL-SPARQL constraints: {total:.2f} s "
          f"({total / max(1, len(reports)):.3f} s per report), {sum(map(len, results.values()))} results")
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {s:7.3f} s  {name}")
    if args.save:
        args.save.write_text(json.dumps(results, indent=0), encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        differ = sorted(k for k in set(before) | set(results) if before.get(k) != results.get(k))
        if differ:
            print(f"DIFFERENT results for {len(differ)} (report, constraint) pairs, e.g. {differ[0]}")
            return 1
        print(f"same results as {args.compare}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
