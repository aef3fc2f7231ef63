"""Benchmark: find / find-figure through the search index vs the SPARQL of queries/*.rq (not a test).

    python bench/search.py [--repeat N] [--copies N]

On the shipped data, then (``--copies N``, default 38: about 1 M quads) on a synthetic store
holding the shipped reports' graphs N times, each copy under renamed report, graph and entity
IRIs (``calb-2023-c7``; the periods and vocabularies shared), built with ``write_dataset`` as
``esgkg build`` does (index included). Prints build and index times, the index's size, and for
each text the median time of the index path and the SPARQL (once on the large store).
``--copies 0`` skips the large store.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from rdflib import Graph, URIRef
from run import timed  # bench/run.py, beside this script

from esgkg.api import KnowledgeGraph
from esgkg.build import build
from esgkg.project import Project
from esgkg.search import SEARCH_FILE, build_index
from esgkg.store import EmbeddedStore, write_dataset
from esgkg.store.execute import QueryTimeout

TEXTS = {"find": ["sokon", "base", "safety", "co", "a"],
         "find-figure": ["attrition", "EHS", "water consumption", "water", "co"]}
_ENTITY = re.compile(r"<https://w3id\.org/esgkg/id/(?!period/)([^>]*)>")
_GRAPH = re.compile(r"<https://w3id\.org/esgkg/graph/report/([^>]*)>")



def sparql(kg: KnowledgeGraph, name: str, text: str, timeout: float) -> int | None:
    """The rows of the .rq file's SPARQL, or None when it ran past ``timeout`` seconds."""
    named = kg.queries[name]
    try:
        with kg.store.query(named.text, bindings=named.bindings({"text": text}), timeout=timeout) as result:
            return sum(1 for _ in result)
    except QueryTimeout:
        return None


def compare(kg: KnowledgeGraph, repeat: int, sparql_repeat: int, timeout: float) -> None:
    for name, texts in TEXTS.items():
        for text in texts:
            t_fts, rows = timed(lambda n=name, x=text: kg.query(n, text=x), repeat)
            t_page, _ = timed(lambda n=name, x=text: kg.query(n, text=x, limit=50), repeat)
            t_sparql, n = timed(lambda n=name, x=text: sparql(kg, n, x, timeout), sparql_repeat)
            assert n is None or n == len(rows), (name, text, n, len(rows))
            took = f"{t_sparql * 1000:.0f} ms" if n is not None else f"stopped at its {timeout:g} s limit"
            print(f"  {name} {text!r}: {len(rows):,} rows; index {t_fts * 1000:.1f} ms (first 50: "
                  f"{t_page * 1000:.1f} ms); SPARQL {took}", flush=True)


def synthetic(source: EmbeddedStore, root: Path, copies: int, tmp: Path) -> Path:
    """A store with the source's report graphs ``copies`` times under renamed IRIs."""
    graphs = source.graphs()
    shared: dict[URIRef, Graph] = {}
    for g in graphs:
        if "/graph/report/" not in g:
            shared[URIRef(g)] = Graph().parse(data=source.dump_graph(g), format="nt")
    reports = [g for g in graphs if "/graph/report/" in g]
    path = tmp / "copies.nq"
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for g in reports:
            lines = source.dump_graph(g).decode("utf-8").splitlines()
            for k in range(copies):
                graph = _GRAPH.sub(lambda m, k=k: f"<https://w3id.org/esgkg/graph/report/{m[1]}-c{k}>",
                                   f"<{g}>")
                for line in lines:
                    out.write(_ENTITY.sub(lambda m, k=k: f"<https://w3id.org/esgkg/id/{m[1]}-c{k}>",
                                          line[:-1].rstrip()) + f" {graph} .\n")
                    count += 1
    return write_dataset(root, shared, nquads=[(path, count)], wait=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=38)
    parser.add_argument("--sparql-timeout", type=float, default=60.0,
                        help="stop a SPARQL run on the large store after this many seconds")
    args = parser.parse_args()
    project = Project(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        store_path = Path(tmp) / "store"
        t, result = timed(lambda: build(project, store_path))
        store = EmbeddedStore(store_path)
        t_index, info = timed(lambda: build_index(store.path))
        size = (store.path / SEARCH_FILE).stat().st_size
        print(f"shipped data: {result.total:,} triples; build {t:.2f} s, of which the index "
              f"{t_index:.2f} s ({info['things']:,} things, {info['figures']:,} figures, "
              f"{size / 1e6:.1f} MB)")
        kg = KnowledgeGraph(EmbeddedStore(store_path), project)
        compare(kg, args.repeat, args.repeat, 600)
        if args.copies:
            big = Path(tmp) / "big"
            t, target = timed(lambda: synthetic(store, big, args.copies, Path(tmp)))
            total = sum(EmbeddedStore(big).count_per_graph().values())
            t_index, info = timed(lambda: build_index(target))
            size = (target / SEARCH_FILE).stat().st_size
            print(f"synthetic store, {args.copies} copies: {total:,} quads; load + index {t:.1f} s, the "
                  f"index {t_index:.1f} s ({info['things']:,} things, {info['figures']:,} figures, "
                  f"{size / 1e6:.1f} MB)", flush=True)
            compare(KnowledgeGraph(EmbeddedStore(big), project), args.repeat, 1, args.sparql_timeout)
        store.close()


if __name__ == "__main__":
    main()
