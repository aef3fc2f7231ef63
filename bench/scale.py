"""Scale harness: build, query and validate a generated corpus, against rdflib and pyshacl.

    python bench/scale.py --triples N [--store URL] [--skip-baselines] [--out DIR] [--repeat R]

Generates (or reuses, when the same arguments made it) a project of about N triples with
``bench/generate.py`` under /tmp, then measures on the embedded store (a private folder under
/tmp, never the project's own):

- ``esgkg build`` run as a subprocess: wall time, triples/s and peak resident memory;
- every named query through ``esgkg.api.open_graph(...).query`` (``esgkg.open``): p50 and p95 of R runs,
  each with a time limit (a query slower than ``--slow`` seconds runs once);
- ``esgkg validate`` (all reports) as a subprocess: wall time and peak memory;
- the baselines a user would otherwise pick, in the same run: the store exported as N-Quads
  (``esgkg export -f nquads``) loaded into an rdflib ``Dataset`` (union default graph), the same
  named query texts with the same bound parameters, each in a forked process stopped at
  ``--budget`` seconds (printed "> budget"); and plain pyshacl over all the triples with the
  same shapes (stopped at ``--shacl-budget``). Ratios are baseline / esgkg.

``--store URL`` points the build, the queries and the validation at a remote SPARQL store
(passed through as ``--store URL`` to the CLI and to ``esgkg.api.open_graph``); the export for the
baselines then comes from that store too. Peak memory is that of the measured process (its
``wait4`` resource usage: the largest of it and its waited-for children, not their sum).
Results are printed as Markdown and written as JSON beside the corpus. Not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from run import timed

from esgkg.store.embedded import bind_values

QUERY_TIMEOUT = 60.0


@dataclass
class Measured:
    """One subprocess run: wall seconds, peak resident MB, exit code, the end of its output,
    and CPU seconds (user + system, its waited-for children included: on a shared machine a
    steadier measure than the wall time)."""

    wall: float
    peak_mb: float
    returncode: int
    tail: str = ""
    cpu: float = 0.0


@dataclass
class QueryTiming:
    """A named query on esgkg and on rdflib (seconds; None where it failed or timed out)."""

    name: str
    rows: int | None = None
    p50: float | None = None
    p95: float | None = None
    runs: int = 0
    error: str = ""
    rdflib_p50: float | None = None
    rdflib_rows: int | None = None
    rdflib_error: str = ""


@dataclass
class Results:
    """Everything one harness run measured."""

    triples_asked: int
    corpus: str
    store: str
    reports: int = 0
    triples: int = 0
    build: Measured | None = None
    validate: Measured | None = None
    queries: list[QueryTiming] = field(default_factory=list)
    export_s: float | None = None
    rdflib_load_s: float | None = None
    pyshacl_s: float | None = None
    pyshacl_note: str = ""
    jena_s: float | None = None
    jena_note: str = ""
    machine: dict[str, Any] = field(default_factory=dict)


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str]) -> Measured:
    """Run ``cmd`` and return its wall time and peak resident memory (from ``wait4``)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(wall, usage.ru_maxrss / 1024, proc.returncode, output[-2000:],
                    usage.ru_utime + usage.ru_stime)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def query_params(named: Any, manifest: dict) -> dict[str, str]:
    """A named query's parameters: its own defaults, with the shipped report and issuer keys
    (``calb-2023``, ``calb``) replaced by the first synthetic report or issuer made from them."""
    renamed = manifest.get("renamed", {})
    out = {}
    for p in named.params:
        value = p.default
        if isinstance(value, str) and value in renamed:
            value = renamed[value]
        if value is not None:
            out[p.name] = value
    return out


def time_queries(kg: Any, manifest: dict, repeat: int, slow: float,
                 only: str = "") -> list[QueryTiming]:
    """Every named query (matching ``only``) through the API, ``repeat`` times (once when
    slower than ``slow``)."""
    out = []
    for name in sorted(n for n in kg.queries if re.search(only, n)):
        timing = QueryTiming(name)
        params = query_params(kg.queries[name], manifest)
        times = []
        try:
            for _ in range(repeat):
                t, result = timed(lambda n=name, p=params: kg.query(n, p, timeout=QUERY_TIMEOUT))
                times.append(t)
                timing.rows = len(result)
                if t > slow:
                    break
        except Exception as exc:
            timing.error = f"{type(exc).__name__}: {str(exc)[:120]}"
        if times:
            timing.p50, timing.p95, timing.runs = (statistics.median(times),
                                                   percentile(times, 0.95), len(times))
        print(f"  {name}: p50 {fmt_s(timing.p50)} p95 {fmt_s(timing.p95)} "
              f"({timing.rows} rows, {timing.runs} runs) {timing.error}", flush=True)
        out.append(timing)
    return out


def _in_child(conn: Any, fn: Any) -> None:
    """Run ``fn`` in a forked process and send its result (or error) back."""
    try:
        conn.send(("ok", fn()))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {str(exc)[:300]}"))


def with_budget(fn: Any, budget: float) -> tuple[str, Any]:
    """``fn()`` in a forked copy of this process, stopped after ``budget`` seconds:
    ("ok", result), ("error", message) or ("timeout", None)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_in_child, args=(child, fn))
    proc.start()
    child.close()
    if parent.poll(budget):
        answer = parent.recv()
        proc.join()
        return answer
    proc.kill()
    proc.join()
    return ("timeout", None)


def rdflib_queries(dataset: Any, kg: Any, manifest: dict, timings: list[QueryTiming],
                   repeat: int, budget: float) -> None:
    """The same named query texts with the same parameters on rdflib, within ``budget`` s."""
    for timing in timings:
        named = kg.queries[timing.name]
        # the parameters bound as esgkg binds them (a VALUES block): rdflib's initBindings gave
        # `find` rows with no kind (its sub-select evaluated differently), 42 rows instead of 34
        # for "safety" on the shipped data, where both give 34 with the same query text
        try:
            text = bind_values(named.text, named.bindings(query_params(named, manifest)))
        except Exception as exc:
            timing.rdflib_error = f"parameters: {exc}"
            continue

        def run(q: str = text) -> tuple[float, int]:
            times, rows = [], 0
            deadline = time.perf_counter() + budget
            for _ in range(repeat):
                t, rows = timed(lambda: len(list(dataset.query(q))))
                times.append(t)
                if time.perf_counter() + t > deadline:
                    break
            return statistics.median(times), rows

        status, value = with_budget(run, budget)
        if status == "ok":
            timing.rdflib_p50, timing.rdflib_rows = value
        else:
            timing.rdflib_error = f"> {budget:g} s" if status == "timeout" else value
        print(f"  rdflib {timing.name}: {fmt_s(timing.rdflib_p50)} ({timing.rdflib_rows} rows) "
              f"{timing.rdflib_error}",
              flush=True)


def pyshacl_baseline(dataset: Any, shapes_dir: Path, budget: float) -> tuple[str, Any]:
    """Plain pyshacl (its own SPARQL engine for the SHACL-SPARQL constraints) over all the
    triples in one graph, within ``budget`` seconds; the time excludes the copy into a graph."""

    def run() -> tuple[float, int]:
        import pyshacl
        from rdflib import Graph

        from esgkg.validate import load_shapes

        data = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            data.add((s, p, o))
        shapes = load_shapes(shapes_dir)
        t, (_, report, text) = timed(lambda: pyshacl.validate(data, shacl_graph=shapes,
                                                              advanced=True, allow_warnings=True))
        if not isinstance(report, Graph):  # pyshacl's ValidationFailure: it could not validate
            raise RuntimeError(f"pyshacl failed after {t:.0f} s: {str(text)[:200]}")
        return t, len(report)

    return with_budget(run, budget)


def jena_baseline(dataset: Any, shapes_dir: Path, budget: float, folder: Path) -> tuple[str, Any]:
    """Apache Jena SHACL (Debian's jars, driven by ``esgkg.jena``) over each report graph with
    the ontology and vocabularies, all in one JVM, within ``budget`` seconds; the time includes
    writing the graphs for it and the JVM's start, not the copy out of the dataset."""
    from rdflib import Graph

    from esgkg.jena import find_jena
    from esgkg.validate import load_shapes

    jena = find_jena(folder / "jars")
    if jena is None:
        return "error", "Jena or Java not installed"
    context, graphs = Graph(), {}
    for graph in dataset.graphs():
        name = str(graph.identifier)
        if "/graph/report/" in name:
            graphs[name.rsplit("/", 1)[-1]] = graph
        elif name.startswith("https://w3id.org/esgkg/graph/"):
            context += graph
    with_context = {}
    for name, graph in graphs.items():
        merged = Graph()
        merged += graph
        merged += context
        with_context[name] = merged
    shapes = load_shapes(shapes_dir)
    try:
        seconds, reports = timed(lambda: jena.shacl(shapes, with_context, folder / "graphs",
                                                    timeout=budget))
    except subprocess.TimeoutExpired:
        return "timeout", None
    except Exception as exc:  # Jena failed: say so in the table
        return "error", f"{type(exc).__name__}: {str(exc)[:120]}"
    return "ok", (seconds, sum(len(r) for r in reports.values()))


def fmt_s(seconds: float | None) -> str:
    """Seconds as ms below 1 s, else s; "-" for none."""
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(base: float | None, ours: float | None, budget: float, note: str) -> str:
    """baseline / esgkg, or "> x" where the baseline ran out of its budget."""
    if ours is None or ours <= 0:
        return "-"
    if base is None:
        return f"> {budget / ours:,.0f}x" if note.startswith(">") else "-"
    return f"{base / ours:,.1f}x"


def machine() -> dict[str, Any]:
    """Machine, versions, date and load, for the table."""
    import pyoxigraph
    import pyshacl
    import rdflib

    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "pyoxigraph": pyoxigraph.__version__, "rdflib": rdflib.__version__,
            "pyshacl": pyshacl.__version__, "loadavg": os.getloadavg()}


def report(res: Results, budget: float, shacl_budget: float) -> str:
    """The results as Markdown."""
    m = res.machine
    lines = [f"### {res.triples:,} triples ({res.reports} reports; asked {res.triples_asked:,})",
             "",
             f"{m['date']}, {m['cpus']} cores, load average {m['loadavg'][0]:.1f} at the end; "
             f"Python {m['python']}, pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}, "
             f"pyshacl {m['pyshacl']}; store {res.store}.", "",
             "| stage | esgkg | baseline | ratio |", "|---|---|---|---|"]
    if res.build:
        rate = res.triples / res.build.wall if res.build.wall else 0
        lines.append(f"| build | {res.build.wall:.1f} s ({res.build.cpu:.1f} CPU-s), "
                     f"{rate:,.0f} triples/s, {res.build.peak_mb:,.0f} MB peak | "
                     f"rdflib load of the N-Quads: "
                     f"{fmt_s(res.rdflib_load_s)} | |")
    if res.validate:
        base = (f"{res.pyshacl_s:.1f} s" if res.pyshacl_s is not None
                else res.pyshacl_note or "not run")
        lines.append(f"| validate (all reports) | {res.validate.wall:.1f} s "
                     f"({res.validate.cpu:.1f} CPU-s), "
                     f"{res.validate.peak_mb:,.0f} MB peak (exit {res.validate.returncode}) | "
                     f"plain pyshacl: {base} | "
                     f"{ratio(res.pyshacl_s, res.validate.wall, shacl_budget, res.pyshacl_note)} |")
        jena = (f"{res.jena_s:.1f} s" if res.jena_s is not None else res.jena_note or "not run")
        lines.append(f"| validate (all reports) | (as above) | Apache Jena SHACL, one JVM: {jena} | "
                     f"{ratio(res.jena_s, res.validate.wall, shacl_budget, res.jena_note)} |")
    lines += ["", "| query | rows | p50 | p95 | rdflib p50 | rdflib / esgkg |",
              "|---|---|---|---|---|---|"]
    for q in res.queries:
        base = fmt_s(q.rdflib_p50) if q.rdflib_p50 is not None else (q.rdflib_error or "-")
        ours = fmt_s(q.p50) if q.p50 is not None else q.error
        rows = q.rows if q.rows is not None else "-"
        if None not in (q.rdflib_rows, q.rows) and q.rdflib_rows != q.rows:
            rows = f"{rows} (rdflib {q.rdflib_rows})"
        lines.append(f"| {q.name} | {rows} | {ours} | "
                     f"{fmt_s(q.p95)} | {base} | {ratio(q.rdflib_p50, q.p50, budget, q.rdflib_error)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--store", help="a remote SPARQL store URL (default: an embedded store "
                        "under /tmp)")
    parser.add_argument("--out", type=Path, help="the corpus folder (default /tmp/esgkg-scale-N)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7, help="runs per query")
    parser.add_argument("--slow", type=float, default=5.0,
                        help="a query slower than this (s) runs once")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per rdflib query")
    parser.add_argument("--shacl-budget", type=float, default=600.0, help="seconds for pyshacl")
    parser.add_argument("--queries", default="", help="only the named queries matching this regex")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--skip-build", action="store_true", help="reuse the store as it is")
    parser.add_argument("--skip-validate", action="store_true")
    parser.add_argument("--skip-queries", action="store_true",
                        help="time the named queries on the baseline only")
    args = parser.parse_args()

    corpus = args.out or Path(f"/tmp/esgkg-scale-{args.triples}-s{args.seed}")
    manifest = generate.read_manifest(corpus)
    wanted = [f"{b}-{y}" for _, b, y in generate.plan(args.triples, seed=args.seed).reports]
    if not manifest or manifest["reports"] != wanted:
        generate.generate(corpus, args.triples, args.seed)
        manifest = generate.read_manifest(corpus)
        assert manifest is not None
    print(f"corpus {corpus}: {len(manifest['reports'])} reports", flush=True)
    store = args.store or str(Path(f"{corpus}-store"))
    env = {**os.environ, "ESGKG_PROJECT": str(corpus), "ESGKG_STORE": store}
    if args.store:
        env.pop("ESGKG_STORE")
    store_opt = ["--store", store]
    exe = str(Path(sys.executable).with_name("esgkg"))
    res = Results(args.triples, str(corpus), store, reports=len(manifest["reports"]))

    if not args.skip_build:
        print("build ...", flush=True)
        res.build = run_measured([exe, "build", *store_opt], corpus, env)
        if res.build.returncode:
            raise SystemExit(f"build failed ({res.build.returncode}):\n{res.build.tail}")
        print(f"  {res.build.wall:.1f} s ({res.build.cpu:.1f} CPU-s), "
              f"{res.build.peak_mb:.0f} MB", flush=True)

    os.environ.update(env)
    os.chdir(corpus)
    from esgkg.api import open_graph

    kg = open_graph(store)
    rows = kg.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", timeout=None)
    res.triples = int(next(iter(rows))["n"])
    print(f"{res.triples:,} quads; queries ...", flush=True)
    if args.skip_queries:
        res.queries = [QueryTiming(n) for n in sorted(kg.queries) if re.search(args.queries, n)]
    else:
        res.queries = time_queries(kg, manifest, args.repeat, args.slow, args.queries)

    if not args.skip_validate:
        print("validate ...", flush=True)
        res.validate = run_measured([exe, "validate", *store_opt, "--format", "json"], corpus,
                                    env)
        print(f"  {res.validate.wall:.1f} s ({res.validate.cpu:.1f} CPU-s), "
              f"{res.validate.peak_mb:.0f} MB, exit {res.validate.returncode}", flush=True)

    if not args.skip_baselines:
        from rdflib import Dataset

        nquads = Path(f"{corpus}-export.nq")
        exported = run_measured([exe, "export", *store_opt, "-f", "nquads", "-o", str(nquads)],
                                corpus, env)
        res.export_s = exported.wall
        dataset = Dataset(default_union=True)
        res.rdflib_load_s, _ = timed(lambda: dataset.parse(str(nquads), format="nquads"))
        print(f"rdflib: export {exported.wall:.1f} s, load {res.rdflib_load_s:.1f} s", flush=True)
        rdflib_queries(dataset, kg, manifest, res.queries, args.repeat, args.budget)
        print("pyshacl ...", flush=True)
        status, value = pyshacl_baseline(dataset, corpus / "shapes", args.shacl_budget)
        if status == "ok":
            res.pyshacl_s = value[0]
        res.pyshacl_note = (f"> {args.shacl_budget:g} s" if status == "timeout"
                            else value if status == "error" else "")
        print(f"  {fmt_s(res.pyshacl_s)} {res.pyshacl_note}", flush=True)
        print("Jena SHACL ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="esgkg-jena-") as tmp:
            status, value = jena_baseline(dataset, corpus / "shapes", args.shacl_budget, Path(tmp))
        if status == "ok":
            res.jena_s = value[0]
        res.jena_note = (f"> {args.shacl_budget:g} s" if status == "timeout"
                         else value if status == "error" else "")
        print(f"  {fmt_s(res.jena_s)} {res.jena_note}", flush=True)
        nquads.unlink()

    res.machine = machine()
    text = report(res, args.budget, args.shacl_budget)
    print(text)
    out = Path(f"{corpus}-results.json")
    out.write_text(json.dumps(asdict(res), indent=1, default=str), encoding="utf-8")
    Path(f"{corpus}-results.md").write_text(text + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
