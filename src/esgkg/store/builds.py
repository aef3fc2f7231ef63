"""Builds of the embedded store on disk: each build a new Oxigraph database, swapped in atomically.

Layout of a store folder::

    <store>/build.lock                      locked (flock) by the build writing the store; its pid
    <store>/builds/<build-id>/              one Oxigraph database per build
    <store>/builds/<build-id>/COMPLETE.json the marker of a complete build: counts, version, time
    <store>/builds/<build-id>/search.sqlite the build's full-text search index (``esgkg.search``)
    <store>/current                         symlink to the complete build that queries read

A build id is ``YYYYmmddTHHMMSS-<pid>-<6 digits>`` (the pid of the process writing it).

The rules, in the order a build follows them:

- **One build at a time.** A build takes an exclusive ``flock`` on ``build.lock`` (the OS
  releases it if the process dies, even by ``kill -9``) and writes its pid there. Another build
  waits for it, saying so, up to ``wait`` seconds, then fails with a StoreError naming that pid.
- **Complete means checked.** A build loads into a new folder, counts the quads of the new
  database per graph and in total against what it wrote (a mismatch is a StoreError), and only
  then writes the search index (``search.sqlite``, from the new database: ``esgkg.search``) and
  ``COMPLETE.json`` atomically (temp file, fsync, rename), which records the index's version.
  Only a complete build is swapped in as ``current`` (``os.replace`` of a symlink is atomic),
  and readers refuse a ``current`` without the marker. A failed build removes its own folder.
- **Prune touches only our own, finished builds.** After the swap a build keeps ``current`` and
  the previous complete build (the one ``current`` pointed at before if complete, else the
  last completed) and deletes only folders whose names are build ids, that are complete and
  neither of those two. Under the lock it also removes what killed builds left: a folder named
  as a build id, without marker, whose writing process is gone (or is this one, which holds the
  lock) and that was not ``current``. A folder whose writer is alive is never removed, nor
  anything not named as a build id. (Every build holds the lock while it writes, so a writer
  in another pid namespace is excluded by the lock, not by the pid.)

Test hook: with ``ESGKG_BUILD_PAUSE=<stage>`` in the environment, ``write_dataset`` writes
``esgkg: build paused at <stage> (pid N, build ID)`` to stderr and sleeps
``ESGKG_BUILD_PAUSE_SECONDS`` (default 300) at that stage, so that tests can ``kill -9`` a build
at a known moment. The stages, in order: ``locked`` (lock taken, nothing written), ``before-load``
(new database created, empty), ``mid-load`` (the first graph loaded), ``after-load`` (load done,
counts checked, search index written, no marker), ``after-marker`` (marker written, ``current`` not swapped),
``after-swap`` (``current`` swapped, not pruned).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gc
import itertools
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from .. import __version__
from ..errors import InputError, StoreError
from ..namespaces import GRAPH

Progress = Callable[[str, int], None]
Notice = Callable[[str], None]

CURRENT = "current"
BUILDS = "builds"
LOCK = "build.lock"
MARKER = "COMPLETE.json"
DEFAULT_WAIT = 600.0  # seconds a build waits for another one to finish
BUILD_ID = re.compile(r"\d{8}T\d{6}-(?P<pid>\d+)-\d{6}")
PAUSE_STAGES = ("locked", "before-load", "mid-load", "after-load", "after-marker", "after-swap")

UPDATES_GRAPH = str(GRAPH["updates"])  # where a SPARQL Update's default graph is kept (apply_update)

_POLL = 0.1  # seconds between two tries of the lock
_held: dict[tuple[str, int], int] = {}  # (store, thread) -> depth: the locks this process holds


def _build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"


def _pause(stage: str, target: Path) -> None:
    """The test hook (see the module docstring): stop at ``stage`` if ESGKG_BUILD_PAUSE names it."""
    if os.environ.get("ESGKG_BUILD_PAUSE") != stage:
        return
    sys.stderr.write(f"esgkg: build paused at {stage} (pid {os.getpid()}, build {target.name})\n")
    sys.stderr.flush()
    time.sleep(float(os.environ.get("ESGKG_BUILD_PAUSE_SECONDS", "300")))


def write_dataset(root: Path, dataset: Mapping[URIRef, Graph], progress: Progress | None = None, *,
                  nquads: Sequence[tuple[Path, int]] = (), files: Sequence[tuple[str, Path, int]] = (),
                  search_parts: Sequence[Path] | None = None, wait: float | None = DEFAULT_WAIT,
                  on_wait: Notice | None = None, on_index: Notice | None = None) -> Path:
    """Write ``dataset`` (graph IRI -> graph), ``files`` and ``nquads`` as a new build and make it current.

    ``files`` are (graph IRI, N-Triples file, number of triples) as ``build.compile_to_files``
    writes them, one graph each (no graph also in ``dataset``, no line twice in a file); they are
    bulk-loaded into their graphs after ``dataset``, and each graph's count is checked exactly.
    ``nquads`` are N-Quads files, each quad naming its graph, with the number of distinct quads
    each holds (distinct also from the graphs' triples and the other files'); they are
    bulk-loaded (streamed from disk) last, and count in the check of the new database's total.
    ``progress(graph IRI, quads)`` is called as each graph or file is loaded, and after the
    N-Quads files for each graph they added quads to. ``wait``: seconds to wait for another
    build holding the store's lock (0: do not wait; None: no limit); ``on_wait`` is told once that
    this build waits (default: a line on stderr). The search index (``esgkg.search``) is written
    into the new build's folder before it is marked complete, from the new database, or with
    ``search_parts`` from the rows each report's compilation computed (``search.index_report``,
    one file per report graph, in graph IRI order); ``on_index`` is told what it holds.

    Returns the new build's folder. Raises StoreError when another build holds the lock past
    ``wait`` or the new database does not hold the quads written. On any error the new build is
    removed and ``current`` still points at the previous build.
    """
    with build_lock(root, wait, on_wait):
        builds = root / BUILDS
        builds.mkdir(exist_ok=True)
        target = builds / _build_id()
        _pause("locked", target)
        before = _current_name(root)
        _clean_leftovers(root, keep={before} if before else set())
        try:
            counts = _load(target, dataset, nquads, progress, files)
            search = _index(target, on_index, search_parts)
            _pause("after-load", target)
            _write_marker(target, counts, search)
            _pause("after-marker", target)
            _swap(root, target)
        except BaseException:
            if _current_name(root) != target.name:  # never remove a build that was swapped in
                shutil.rmtree(target, ignore_errors=True)
            raise
        _pause("after-swap", target)
        _prune(builds, current=target.name, before=before)
    return target


def apply_update(root: Path, update: str, *, prefixes: Mapping[str, str] | None = None,
                 wait: float | None = DEFAULT_WAIT, on_wait: Notice | None = None) -> Path:
    """Apply a SPARQL Update to a copy of the current build and make the copy current.

    Follows the rules of ``write_dataset``: under the build lock, the current build's quads are
    copied into a new build folder, the update is applied there (Oxigraph applies an update
    whole or not at all), the counts are written to the marker and ``current`` is swapped; a
    failure or a kill at any stage leaves ``current`` on the build it named before. The pause
    stages of the test hook apply (``locked``, ``after-load``: update applied, no marker,
    ``after-marker``, ``after-swap``).

    The update's default graph is the named graph ``UPDATES_GRAPH`` (queries see the union of
    named graphs, so a quad may not stay in the default graph): its quads are the default graph
    while the update runs and are stored back in it after. ``prefixes`` are predeclared.
    The next ``esgkg build`` rebuilds the store from ``data/`` and drops every such edit.

    Returns the new build's folder. Raises InputError for a malformed update (the parser's
    message, with line and column) or one that fails, StoreError when there is no complete
    current build or another build holds the lock past ``wait``.
    """
    with build_lock(root, wait, on_wait):
        builds = root / BUILDS
        before = _current_name(root)
        source = (root / CURRENT).resolve()
        if before is None or read_marker(source) is None:
            raise StoreError(f"no complete build at {root} to update: run `esgkg build` first")
        builds.mkdir(exist_ok=True)
        target = builds / _build_id()
        _pause("locked", target)
        _clean_leftovers(root, keep={before})
        try:
            counts = _copy_and_update(source, target, update, prefixes)
            search = _index(target, None)
            _pause("after-load", target)
            _write_marker(target, counts, search)
            _pause("after-marker", target)
            _swap(root, target)
        except BaseException:
            if _current_name(root) != target.name:  # never remove a build that was swapped in
                shutil.rmtree(target, ignore_errors=True)
            raise
        _pause("after-swap", target)
        _prune(builds, current=target.name, before=before)
    return target


def _copy_and_update(source: Path, target: Path, update: str,
                     prefixes: Mapping[str, str] | None) -> dict[str, int]:
    """Copy ``source``'s quads into a new database at ``target``, apply ``update``, check, count."""
    updates = ox.NamedNode(UPDATES_GRAPH)
    default = ox.DefaultGraph()
    old = ox.Store.read_only(str(source))
    store = ox.Store(str(target))
    try:
        expected = _count(old)
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, default) if q.graph_name == updates
                          else q for q in old.quads_for_pattern(None, None, None, None))
        copied = _count(store)
        copied[UPDATES_GRAPH] = len(list(store.quads_for_pattern(None, None, None, default)))
        _check(target, {g: n for g, n in copied.items() if n}, expected, " copied from the current build")
        try:
            store.update(update, prefixes=dict(prefixes or {}))
        except SyntaxError as exc:
            raise InputError(f"malformed SPARQL Update: {exc}") from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise InputError(f"the update failed: {exc}") from None
        moved = list(store.quads_for_pattern(None, None, None, default))
        store.extend(ox.Quad(q.subject, q.predicate, q.object, updates) for q in moved)
        for q in moved:
            store.remove(q)
        store.flush()
        counts = _count(store)
        if len(store) != sum(counts.values()):
            raise StoreError(f"the updated build {target.name} holds quads in the default graph; "
                             "it was not made current")
        return counts
    finally:
        del store, old
        gc.collect()  # release the database locks before the folder is published


# -- the lock ---------------------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(root: Path, wait: float | None = DEFAULT_WAIT,
               on_wait: Notice | None = None) -> Iterator[None]:
    """Hold the store's build lock (``<root>/build.lock``) for the block; see ``write_dataset``.

    Reentrant within a thread: a caller may take it around a whole build (compile included), and
    ``write_dataset`` inside then holds it already. Another thread or process waits for it.
    """
    root.mkdir(parents=True, exist_ok=True)
    key = (str(root.resolve()), threading.get_ident())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path = root / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            if deadline is not None and time.monotonic() >= deadline:
                holder = _holder(path)
                how = "not waiting (--wait 0)" if not wait else f"gave up after waiting {wait:g} s"
                raise StoreError(
                    f"the build of {holder} is writing the store at {root} (it holds {path}): {how}; "
                    "try again when it has finished, or wait longer (esgkg build --wait SECONDS)"
                ) from None
            if not told:
                limit = "" if wait is None else f" (up to {wait:g} s)"
                (on_wait or _to_stderr)(f"waiting for the build of {_holder(path)} to finish{limit}")
                told = True
            time.sleep(_POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps({"pid": os.getpid(), "since": _now()}) + "\n").encode(), 0)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            os.ftruncate(fd, 0)  # before the unlock: a waiter never reads a finished build's pid
    finally:
        os.close(fd)  # releases the lock


def _holder(path: Path) -> str:
    """Who holds the lock, as its file says: ``pid N`` (``another process`` if it does not say)."""
    for _ in range(5):  # the holder writes its pid just after taking the lock
        try:
            info = json.loads(path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            info = None
        if isinstance(info, dict) and isinstance(info.get("pid"), int):
            since = f", started {info['since']}" if info.get("since") else ""
            return f"pid {info['pid']}{since}"
        time.sleep(0.02)
    return "another process"


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"esgkg: {message}\n")
    sys.stderr.flush()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


# -- load, check, mark, swap ------------------------------------------------------------------


def _load(target: Path, dataset: Mapping[URIRef, Graph], nquads: Sequence[tuple[Path, int]],
          progress: Progress | None, files: Sequence[tuple[str, Path, int]] = ()) -> dict[str, int]:
    """Load into a new database at ``target`` and check its counts; returns quads per graph."""
    store = ox.Store(str(target))
    try:
        _pause("before-load", target)
        expected: dict[str, int] = {}
        for i, (graph_iri, graph) in enumerate(dataset.items()):
            data = graph.serialize(format="nt", encoding="utf-8")
            store.load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(graph_iri)))
            expected[str(graph_iri)] = len(graph)
            if progress:
                progress(str(graph_iri), len(graph))
            if i == 0:
                _pause("mid-load", target)
        for graph_iri, _path, n in files:
            if graph_iri in expected:
                raise StoreError(f"<{graph_iri}> is given twice to the build; it was not made current")
            expected[graph_iri] = n
        for i, loaded in enumerate(_bulk_load_files(store, files)):  # not transactional: the folder is new
            if progress:
                for graph_iri, _path, n in loaded:
                    progress(graph_iri, n)
            if i == 0 and not dataset:
                _pause("mid-load", target)
        if not files:
            _check(target, _count(store), expected, "")
        for path, _n in nquads:  # not transactional: the folder is new
            try:
                _bulk_load_in_chunks(store, path)
            except SyntaxError as exc:
                raise StoreError(f"{path}: not valid N-Quads: {exc}") from None
        if nquads or files:
            store.optimize()  # compacts the bulk-loaded files: without it queries run up to 2x slower
        store.flush()
        counts = _count(store)
        in_default = len(store) - sum(counts.values())
        if in_default:
            raise StoreError(f"the new build {target.name} holds {in_default:,} quads in the default "
                             "graph: every quad written must name its graph; the build was not made current")
        if files and not nquads:
            _check(target, counts, expected, "")
        if nquads:
            streamed = sum(n for _p, n in nquads)
            _check(target, counts, expected, f" and {streamed:,} in {len(nquads)} N-Quads file(s)",
                   extra=streamed)
            if progress:
                for graph_iri, n in counts.items():
                    if n > expected.get(graph_iri, 0):
                        progress(graph_iri, n - expected.get(graph_iri, 0))
        return counts
    finally:
        del store
        gc.collect()  # release the database lock before the folder is published


NQUADS_CHUNK = 200_000  # lines per bulk load: Oxigraph's loader holds a whole input in memory


def _bulk_load_in_chunks(store: ox.Store, path: Path, graph: ox.NamedNode | None = None) -> None:
    """Bulk-load an N-Quads file (or an N-Triples file into ``graph``) a chunk of lines at a time
    (both are one statement a line).

    One ``bulk_load`` of a 2.4 M-quad file peaked at 1.5 GB; in chunks of 200,000 lines, at 0.34 GB
    (bench/README.md), for about 1.5 times the time.
    """
    how: dict = {"format": ox.RdfFormat.N_QUADS} if graph is None else {
        "format": ox.RdfFormat.N_TRIPLES, "to_graph": graph}
    with path.open("rb") as fh:
        while True:
            lines = list(itertools.islice(fh, NQUADS_CHUNK))
            if not lines:
                return
            store.bulk_load(input=b"".join(lines), **how)


def _bulk_load_files(store: ox.Store, files: Sequence[tuple[str, Path, int]]
                     ) -> Iterator[list[tuple[str, Path, int]]]:
    """Bulk-load N-Triples files into their graphs, as N-Quads chunks of about NQUADS_CHUNK lines
    (Oxigraph's loader costs much per call: one call per small file took 1 s each); yields the
    files each chunk completed."""
    lines: list[bytes] = []
    done: list[tuple[str, Path, int]] = []  # files whose lines are all in the store or in ``lines``

    def load(path: Path) -> None:
        try:
            store.bulk_load(input=b"".join(lines), format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise StoreError(f"not valid N-Triples (in {path} or a file before it): {exc}") from None
        lines.clear()

    for graph_iri, path, n in files:
        tail = f" <{graph_iri}> .\n".encode()
        with path.open("rb") as fh:
            for line in fh:
                stripped = line.rstrip()
                if not stripped:
                    continue
                if not stripped.endswith(b"."):
                    raise StoreError(f"{path}: not valid N-Triples: a line does not end with ' .'")
                lines.append(stripped[:-1].rstrip() + tail)
                if len(lines) >= NQUADS_CHUNK:
                    load(path)
                    if done:
                        yield done
                        done = []
        done.append((graph_iri, path, n))
    if lines:
        load(files[-1][1])
    if done:
        yield done


def _count(store: ox.Store) -> dict[str, int]:
    """Quads per named graph of ``store``, by graph IRI."""
    solutions = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(solutions, ox.QuerySolutions)
    return dict(sorted((sol["g"].value, int(sol["n"].value)) for sol in solutions))


def _check(target: Path, counts: dict[str, int], expected: dict[str, int], what: str,
           extra: int = 0) -> None:
    """Raise StoreError unless ``counts`` hold the ``expected`` graphs plus ``extra`` quads.

    Without ``extra`` each graph must hold exactly its expected count and no other graph may
    exist; with it, the graphs may hold more, and the total must be exact.
    """
    wrong = [f"<{g}>: {counts.get(g, 0):,} quads, {n:,} written" for g, n in expected.items()
             if counts.get(g, 0) < n or (not extra and counts.get(g, 0) != n)]
    if not extra:
        wrong += [f"<{g}>: {n:,} quads, none written" for g, n in counts.items() if g not in expected]
    total, want = sum(counts.values()), sum(expected.values()) + extra
    if wrong or total != want:
        shown = "; ".join(wrong[:5]) + (f"; ... and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        raise StoreError(
            f"the new build {target.name} holds {total:,} quads, not the {want:,} written "
            f"({sum(expected.values()):,} in {len(expected)} graph(s){what}): "
            f"{shown or 'quads repeated across sources, or a wrong count of an N-Quads file'}; "
            "the build was not made current"
        )


def _index(target: Path, on_index: Notice | None, parts: Sequence[Path] | None = None) -> dict:
    """Write the search index into the build folder ``target`` (closed database); what it holds."""
    from ..search import build_index

    info = build_index(target, parts)
    if on_index:
        on_index(f"search index: {info['things']:,} named things, {info['figures']:,} figures")
    return info


def _write_marker(target: Path, counts: dict[str, int], search: dict | None = None) -> None:
    """Write ``COMPLETE.json`` into ``target`` atomically (temp file, fsync, rename, fsync dir)."""
    marker = {"build": target.name, "esgkg": __version__, "completed": _now(), "pid": os.getpid(),
              "quads": sum(counts.values()), "graphs": dict(sorted(counts.items()))}
    if search is not None:
        marker["search"] = search
    tmp = target / f"{MARKER}.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(marker, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target / MARKER)
    _fsync_dir(target)


def _swap(root: Path, target: Path) -> None:
    """Point ``<root>/current`` at ``target`` (atomic ``os.replace`` of a symlink)."""
    link_tmp = root / f"{CURRENT}.tmp-{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(Path(BUILDS) / target.name)
    try:
        os.replace(link_tmp, root / CURRENT)
    except OSError as exc:
        link_tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot point {root / CURRENT} at the new build (it must be a symlink): "
                         f"{exc}") from None
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- what a build folder is -------------------------------------------------------------------


def read_marker(build: Path) -> dict | None:
    """The marker of a complete build (its counts, version, time), or None if it is not complete."""
    try:
        marker = json.loads((build / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and isinstance(marker.get("quads"), int) else None


def _current_name(root: Path) -> str | None:
    """The name of the build folder ``current`` points at (None without a ``current`` link)."""
    try:
        return Path(os.readlink(root / CURRENT)).name
    except OSError:
        return None


def _owner_gone(name: str) -> bool:
    """Whether the process that wrote build ``name`` is gone (or is this one: we hold the lock)."""
    match = BUILD_ID.fullmatch(name)
    if match is None:
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def _clean_leftovers(root: Path, keep: set[str]) -> None:
    """Under the lock: remove folders and links that killed builds left (see the module doc)."""
    for path in (root / BUILDS).iterdir():
        if (path.name not in keep and BUILD_ID.fullmatch(path.name) and path.is_dir()
                and not path.is_symlink() and not (path / MARKER).exists() and _owner_gone(path.name)):
            shutil.rmtree(path, ignore_errors=True)
    for link in root.glob(f"{CURRENT}.tmp-*"):
        pid = link.name.rpartition("-")[2]
        if link.is_symlink() and pid.isdigit() and _owner_gone(f"00000000T000000-{pid}-000000"):
            link.unlink(missing_ok=True)


def _prune(builds: Path, current: str, before: str | None) -> None:
    """Keep ``current`` and the previous complete build; delete our other complete builds.

    The previous build is ``before`` (what ``current`` pointed at before the swap) if complete,
    else the most recently completed other build.
    """
    complete = {p.name: m for p in builds.iterdir()
                if BUILD_ID.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
                and (m := read_marker(p)) is not None}
    others = {n: m for n, m in complete.items() if n != current}
    if before in others:
        previous = before
    else:
        previous = max(others, key=lambda n: (str(others[n].get("completed", "")), n), default=None)
    for name in others:
        if name != previous:
            shutil.rmtree(builds / name, ignore_errors=True)
