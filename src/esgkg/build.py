"""Build: compile ontology + vocabularies + report data into one dataset and load it.

The dataset has a named graph for the ontology, one per vocabulary and one per report. The
load is atomic (see ``store.builds``): a failed build leaves the previous store answering.

Two ways in: ``compile_dataset`` gives every graph in rdflib (small projects, tests, checks);
``compile_to_files`` is the stage a build uses, one N-Triples file per named graph, reports
compiled in parallel processes, for any backend (``build`` bulk-loads them into the embedded
store; a remote store can PUT each file to its graph).
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox
import rdflib
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from . import __version__, ids
from .errors import DataErrors, EsgkgError, InputError
from .namespaces import ORG
from .project import Project
from .search import index_report
from .sources.external import EXTERNAL_GRAPH, IDENTIFIERS_FILE, compile_identifiers
from .sources.files import read_turtle
from .sources.report import NQuadsSink, ReportCompiler, breakdown_dimensions, compile_report
from .sources.vocab import Vocabularies, load_vocabularies
from .store import RemoteStore, write_dataset
from .store.builds import NQUADS_CHUNK, _bulk_load_in_chunks, build_lock
from .store.remote import LOCK_WAIT

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    """What a build wrote: triples per named graph, and where (a build folder, or a store's URL)."""

    path: Path | str
    triples: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.triples.values())


def compile_context(
    project: Project, progress: Progress | None = None
) -> tuple[dict[URIRef, Graph], Vocabularies]:
    """The ontology and vocabulary graphs (what every report graph refers to)."""
    say = progress or (lambda _msg: None)
    say(f"ontology {project.ontology.relative_to(project.root)}")
    dataset: dict[URIRef, Graph] = {ids.ONTOLOGY_GRAPH: read_turtle(project.ontology)}
    say("vocabularies ontology/vocab/*.csv")
    vocab = load_vocabularies(project.vocab_dir)
    dataset.update(vocab.graphs)
    return dataset, vocab


def report_folders(project: Project) -> list[Path]:
    """The report folders of ``data/``; none is an error (a build would hold no report)."""
    folders = project.report_dirs()
    if not folders:
        raise InputError(f"{project.data_dir}: no report folders (data/<report>/entities.yaml): "
                         "nothing to build, and the store is left as it is")
    return folders


def compile_dataset(project: Project, progress: Progress | None = None) -> dict[URIRef, Graph]:
    """All named graphs of the project, compiled in memory; raises InputError on bad input."""
    say = progress or (lambda _msg: None)
    dataset, vocab = compile_context(project, progress)
    dimensions = breakdown_dimensions(dataset[ids.ONTOLOGY_GRAPH])
    periods = Graph()
    for folder in report_folders(project):
        say(f"report data/{folder.name}")
        dataset[ids.report_graph(folder.name)], used = compile_report(folder, vocab, dimensions)
        periods += used
    dataset[ids.PERIODS_GRAPH] = periods
    add_external(project, dataset, progress)
    return dataset


def add_external(project: Project, dataset: dict[URIRef, Graph], progress: Progress | None = None) -> None:
    """The identifiers read from outside the reports (``data/_external/identifiers.csv``, where
    present) into their own graph, ``graph/external``: never into a report's graph. Their
    organisations must be organisations of the reports, so that they join."""
    path = project.data_dir / IDENTIFIERS_FILE
    if not path.is_file():
        return
    (progress or (lambda _msg: None))(f"external identifiers data/{IDENTIFIERS_FILE}")
    prefix = str(ids.organization("x"))[:-1]
    known = {str(s)[len(prefix):] for iri, g in dataset.items() if "/graph/report/" in str(iri)
             for s in g.subjects(RDF.type, ORG.FormalOrganization) if str(s).startswith(prefix)}
    dataset[EXTERNAL_GRAPH] = compile_identifiers(path, known)


CACHE = "cache"  # <store>/cache/: the reports the last build compiled, by a hash of their sources
JOBS_ENV = "ESGKG_BUILD_JOBS"  # processes compiling reports (default: the machine's cores)


class GraphFile(NamedTuple):
    """One named graph compiled to a file: its IRI, an N-Triples file of its triples (one per line,
    no two the same) and their number."""

    graph: str
    path: Path
    triples: int


@dataclass
class _Compiled:
    """One report compiled into its folder (``graph.nt``, ``periods.nt``, ``search.sqlite``,
    ``meta.json``): what the parent reads back is small, the triples stay in the files."""

    graph: str
    folder: Path
    triples: int
    organizations: list[str]  # its org:FormalOrganization IRIs (for the external identifiers)

    @property
    def path(self) -> Path:
        return self.folder / "graph.nt"

    @property
    def search(self) -> Path:  # its search index rows (``search.index_report``)
        return self.folder / "search.sqlite"

    @property
    def periods(self) -> Path:  # the periods it uses, as N-Triples
        return self.folder / "periods.nt"

    @classmethod
    def read(cls, graph: str, folder: Path) -> _Compiled:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return cls(graph, folder, int(meta["triples"]), list(meta["organizations"]))


_CONTEXT: dict[str, Any] = {}  # in a worker: vocabularies, dimensions, the context graphs' files


def _write_nt(graph: Graph, path: Path) -> int:
    """``graph`` as an N-Triples file (rdflib's serialiser, as the store has always loaded it)."""
    with path.open("wb") as out:
        graph.serialize(destination=out, format="nt", encoding="utf-8")
    return len(graph)


def _compile_one(folder: Path, out: Path) -> _Compiled | tuple[str, Any]:
    """Compile one report folder into the folder ``out`` and index it (runs in a worker).

    Observations stream from the CSV rows to the file; the named things (an rdflib graph of the
    report's size) follow them. An error comes back as (class name, problems or message): the
    errors do not pickle.
    """
    try:
        return _compile_report_files(folder, out)
    except DataErrors as exc:
        return ("DataErrors", exc.problems)
    except EsgkgError as exc:
        return (type(exc).__name__, str(exc))


def _compile_report_files(folder: Path, out: Path) -> _Compiled:
    vocab: Vocabularies = _CONTEXT["vocab"]
    graph = ids.report_graph(folder.name)
    if not (folder / "entities.yaml").is_file():
        raise InputError(f"{folder}: no entities.yaml (every report folder needs one)")
    out.mkdir(parents=True, exist_ok=True)
    done = _Compiled(str(graph), out, 0, [])
    with done.path.open("w", encoding="utf-8") as fh:
        sink = NQuadsSink(fh, None)
        compiler = ReportCompiler(folder, vocab, _CONTEXT["dimensions"], sink)
        g = compiler.compile()
    observed = {s for s in g.subjects(unique=True) if s in compiler._observations}
    if observed:  # a *.ttl file said something of an observation: write only what is not there yet
        with done.path.open("rb") as fh:
            have = set(fh)
        with done.path.open("ab") as fh:
            for line in g.serialize(format="nt", encoding="utf-8").splitlines(keepends=True):
                if line.strip() and line not in have:
                    fh.write(line)
                    sink.count += 1
        done.triples = sink.count
    else:
        with done.path.open("ab") as fh:
            g.serialize(destination=fh, format="nt", encoding="utf-8")
        done.triples = sink.count + len(g)
    done.organizations = sorted(str(s) for s in g.subjects(RDF.type, ORG.FormalOrganization))
    _write_nt(compiler.periods, done.periods)
    del g, compiler
    _index_report(done)
    (out / "meta.json").write_text(json.dumps({"triples": done.triples,
                                               "organizations": done.organizations}), encoding="utf-8")
    return done


def _index_report(done: _Compiled) -> None:
    """The search index rows of one report, from a small in-memory store of it and the context
    graphs, filled by one bulk load (the loader's cost is mostly per call); a long report in
    chunks. (An in-memory store indexes a report 4x faster than one on disk; the rows are the
    same, their GROUP_CONCAT lists aside, which the index puts in one order: ``search``.)"""
    context = _CONTEXT.get("context_nq")
    if context is None:
        context = _CONTEXT["context_nq"] = b"".join(
            _as_nquads(path.read_bytes(), iri) for iri, path in _CONTEXT["files"])
    store = ox.Store()
    periods = _as_nquads(done.periods.read_bytes(), str(ids.PERIODS_GRAPH))
    if done.triples < NQUADS_CHUNK:
        store.bulk_load(input=b"".join([context, periods, _as_nquads(done.path.read_bytes(), done.graph)]),
                        format=ox.RdfFormat.N_QUADS)
    else:  # a long report: in chunks (the loader holds its input in memory)
        store.bulk_load(input=context + periods, format=ox.RdfFormat.N_QUADS)
        _bulk_load_in_chunks(store, done.path, ox.NamedNode(done.graph))
    index_report(done.search, store, done.graph)


def _as_nquads(ntriples: bytes, graph: str) -> bytes:
    """N-Triples lines (`` .`` ending each) as N-Quads lines in ``graph``."""
    tail = f"<{graph}> .".encode()
    return b"".join(line[:-1] + tail + b"\n" for line in ntriples.splitlines() if line.endswith(b"."))


def _jobs(reports: int) -> int:
    try:
        wanted = int(os.environ.get(JOBS_ENV, "0"))
    except ValueError:
        wanted = 0
    return max(1, min(reports, wanted or os.cpu_count() or 1))


def _init_worker(root: Path, workdir: Path, files: list[tuple[str, Path]]) -> None:
    """A worker's context: the vocabularies and dimensions, compiled again from the project."""
    context, vocab = compile_context(Project(root))
    _CONTEXT.update(vocab=vocab, dimensions=breakdown_dimensions(context[ids.ONTOLOGY_GRAPH]),
                    files=files, workdir=workdir)


def _compiled(folders: list[Path], workdir: Path, jobs: int, cache: Path | None,
              context_hash: str, project_root: Path) -> Iterator[_Compiled]:
    """Each report compiled, in folder order (the first error in that order is raised).

    With a ``cache`` folder, a report whose sources, context and code hash the same as a
    compiled one's there is read from it, and a compiled one is kept there (``<report>-<hash>``).
    """
    plan: list[tuple[Path, Path, Path | None]] = []  # (folder, where it is compiled, cache entry)
    for folder in folders:
        if cache is None:
            plan.append((folder, workdir / folder.name, None))
            continue
        entry = cache / f"{folder.name}-{_folder_hash(folder, context_hash)}"
        plan.append((folder, entry if (entry / "meta.json").is_file()
                     else cache / f".tmp-{entry.name}-{os.getpid()}", entry))
    todo = [(folder, out) for folder, out, entry in plan if out != entry]
    results: Iterator[_Compiled | tuple[str, Any]]
    futures: list[Future] = []
    pool = None
    if jobs == 1 or len(todo) < 2:
        results = (_compile_one(folder, out) for folder, out in todo)
    else:
        # spawned, not forked: a fork of a process with threads (a server, a test run) can hang
        pool = ProcessPoolExecutor(min(jobs, len(todo)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker,
                                   initargs=(project_root, workdir, _CONTEXT["files"]))
        futures = [pool.submit(_compile_one, folder, out) for folder, out in todo]
        results = (f.result() for f in futures)
    try:
        for folder, out, entry in plan:
            if out == entry:
                yield _Compiled.read(str(ids.report_graph(folder.name)), out)
                continue
            result = next(results)
            if isinstance(result, tuple):
                kind, detail = result
                if kind == "DataErrors":
                    raise DataErrors(detail)
                raise InputError(detail) if kind == "InputError" else EsgkgError(detail)
            if entry is not None:
                os.replace(out, entry)
                result = _Compiled.read(result.graph, entry)
            yield result
    finally:
        for future in futures:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True)


def _hash_files(digest: Any, root: Path, paths: Iterator[Path]) -> None:
    for path in sorted(paths):
        if path.is_file():
            digest.update(f"{path.relative_to(root)}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())


# esgkg's modules a report's files depend on (its compile and its index rows); sources/ whole
_COMPILE_CODE = ("build.py", "search.py", "ids.py", "namespaces.py", "errors.py", "units.py",
                 "project.py", "store/builds.py", "store/execute.py")


def _context_hash(project: Project) -> str:
    """What every report's compilation depends on besides its folder: ontology, vocabularies,
    the code that compiles and indexes it, and the versions of esgkg, Python, rdflib and pyoxigraph."""
    digest = hashlib.sha256(f"{__version__} {sys.version} {rdflib.__version__} {ox.__version__}".encode())
    code = Path(__file__).parent
    _hash_files(digest, code, iter([*(code / name for name in _COMPILE_CODE),
                                    *(code / "sources").glob("*.py")]))
    _hash_files(digest, project.root, iter([project.ontology, *project.vocab_dir.rglob("*")]))
    return digest.hexdigest()


def _folder_hash(folder: Path, context_hash: str) -> str:
    digest = hashlib.sha256(context_hash.encode())
    _hash_files(digest, folder, folder.rglob("*"))
    return digest.hexdigest()[:24]


def compile_to_files(project: Project, workdir: Path, progress: Progress | None = None,
                     *, jobs: int | None = None) -> list[GraphFile]:
    """Compile the project into one N-Triples file per named graph in ``workdir``.

    Returns (graph IRI, file, triple count) for the ontology, each vocabulary, each report
    (``graph/report/<key>``, one graph per report folder), the periods and the external
    identifiers, in that order; each file holds the graph's triples, one per line, no line
    twice, so a backend loads each file into its graph as it is (the embedded store bulk-loads
    them; a remote one can PUT each file to its graph with the Graph Store Protocol). The
    files are the same triples ``compile_dataset`` gives (blank node labels apart).

    Reports are compiled in ``jobs`` worker processes (default: ``$ESGKG_BUILD_JOBS``, else the
    cores), each writing its file and its rows of the search index (``search.index_report``)
    into a folder of its own in ``workdir``; the parent holds the ontology, the vocabularies
    and the periods, never a report, so its memory does not grow with the number of reports.
    Raises InputError (DataErrors) on bad input, naming the file and line.
    """
    return _compile_all(project, workdir, progress, jobs)[0]


def _compile_all(project: Project, workdir: Path, progress: Progress | None, jobs: int | None,
                 cache: Path | None = None) -> tuple[list[GraphFile], list[Path]]:
    """``compile_to_files``, and the search index parts of the reports (graph IRI order)."""
    say = progress or (lambda _msg: None)
    context, vocab = compile_context(project, progress)
    files = [GraphFile(str(iri), workdir / f"context-{n}.nt", 0) for n, iri in enumerate(context)]
    files = [f._replace(triples=_write_nt(context[URIRef(f.graph)], f.path)) for f in files]
    folders = report_folders(project)
    _CONTEXT.update(vocab=vocab, dimensions=breakdown_dimensions(context[ids.ONTOLOGY_GRAPH]),
                    files=[(f.graph, f.path) for f in files], workdir=workdir)
    del context
    context_hash = _context_hash(project) if cache is not None else ""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        for leftover in cache.glob(".tmp-*"):  # under the build lock: a killed build's
            shutil.rmtree(leftover, ignore_errors=True)
    periods = Graph()
    organizations: set[str] = set()
    parts: dict[str, Path] = {}
    try:
        for done in _compiled(folders, workdir, jobs or _jobs(len(folders)), cache, context_hash,
                               project.root):
            say(f"report {done.graph.rsplit('/', 1)[-1]}: {done.triples:,} triples")
            files.append(GraphFile(done.graph, done.path, done.triples))
            periods.parse(done.periods, format="nt")
            organizations.update(done.organizations)
            parts[done.graph] = done.search
    finally:
        _CONTEXT.clear()  # and with it the parent's index store, when jobs == 1
        gc.collect()
    if cache is not None:
        used = {p.parent.name for p in parts.values()}
        for entry in cache.iterdir():  # only this build's entries are kept
            if entry.name not in used:
                shutil.rmtree(entry, ignore_errors=True)
    files.append(GraphFile(str(ids.PERIODS_GRAPH), workdir / "periods.nt", 0))
    files[-1] = files[-1]._replace(triples=_write_nt(periods, files[-1].path))
    external = _external(project, organizations, progress)
    if external is not None:
        path = workdir / "external.nt"
        files.append(GraphFile(str(EXTERNAL_GRAPH), path, _write_nt(external, path)))
    return files, [parts[g] for g in sorted(parts)]


def _external(project: Project, organizations: set[str], progress: Progress | None) -> Graph | None:
    """The external identifiers graph (see ``add_external``), from the reports' organisations."""
    path = project.data_dir / IDENTIFIERS_FILE
    if not path.is_file():
        return None
    (progress or (lambda _msg: None))(f"external identifiers data/{IDENTIFIERS_FILE}")
    prefix = str(ids.organization("x"))[:-1]
    return compile_identifiers(path, {o[len(prefix):] for o in organizations if o.startswith(prefix)})


def build(project: Project, store_path: Path | None = None,
          progress: Progress | None = None, **store_options: Any) -> BuildResult:
    """Compile the project and swap the result into the store at ``store_path``.

    ``compile_to_files`` writes every named graph to an N-Triples file (reports in parallel
    processes, observations streamed from the CSV rows), and the store bulk-loads the files and
    checks each graph's count (``write_dataset``); the search index is put together from the
    rows each report's worker computed. Memory does not grow with the number of reports.
    The build holds the store's lock from the compile on; a report whose sources, ontology,
    vocabularies and esgkg code are unchanged since the last build is not compiled again but
    read from ``<store>/cache/`` (the files the last build compiled; a build keeps only its own).
    ``store_options`` go to ``write_dataset`` (e.g. ``wait``).
    """
    say = progress or (lambda _msg: None)
    store_path = store_path or project.default_store
    lock = {k: store_options[k] for k in ("wait", "on_wait") if k in store_options}
    with build_lock(store_path, **lock), tempfile.TemporaryDirectory(prefix="esgkg-build-") as tmp:
        files, parts = _compile_all(project, Path(tmp), progress, None, store_path / CACHE)
        path = write_dataset(store_path, {}, lambda g, n: say(f"loaded {n:,} triples into <{g}>"),
                             files=files, search_parts=parts, on_index=say, **store_options)
    return BuildResult(path, {f.graph: f.triples for f in files})


def build_remote(project: Project, store: RemoteStore, progress: Progress | None = None,
                 wait: float | None = LOCK_WAIT) -> BuildResult:
    """Compile the project (``compile_to_files``) and put each named graph into a remote store,
    replacing it whole (Graph Store Protocol PUT); esgkg's graphs the build no longer has (a
    removed report) are deleted, and the counts the store holds are checked against the files.
    The load holds the store's build lock (``RemoteStore.build_lock``; waiting up to ``wait``
    seconds for another build's load), so that two builds never interleave their graphs; a
    compile error stops the build before anything is sent."""
    say = progress or (lambda _msg: None)
    with tempfile.TemporaryDirectory(prefix="esgkg-build-") as tmp:
        files = compile_to_files(project, Path(tmp), progress)
        graphs = ((f.graph, f.path.read_bytes()) for f in files)
        with store.build_lock(wait, on_wait=say):
            counts = store.replace_graphs(graphs, progress=lambda g, n: say(f"loaded {n:,} triples "
                                                                            f"into <{g}>"))
            store.mark_built()  # a server over the store sees the new build
    return BuildResult(store.location, counts)
