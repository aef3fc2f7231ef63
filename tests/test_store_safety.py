"""Store safety (issue 12): concurrent builds, builds killed at any moment, the completeness marker.

The findings reproduced here: three ``esgkg build`` at once left ``current`` pointing at a
deleted build; a build killed during its load was then kept as "the previous build" (and the last
good one deleted). Builds are stopped at known moments with the ``ESGKG_BUILD_PAUSE`` test hook
of ``esgkg.store.builds`` and killed with SIGKILL. Most tests write small datasets with
``write_dataset``; the ones that need the shipped data run the real CLI on a copy of the project.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from esgkg.errors import StoreError
from esgkg.store import EmbeddedStore, write_dataset
from esgkg.store import builds as store_builds
from esgkg.store.builds import BUILD_ID, BUILDS, CURRENT, LOCK, MARKER, read_marker

ROOT = Path(__file__).resolve().parents[1]
ESGKG = [sys.executable, "-m", "esgkg.cli"]
EX = "https://example.org/"
TIMEOUT = 120  # seconds: generous, for a loaded machine
FIVE_BASES = ["Changzhou Base", "Chengdu Base", "Hefei Base", "Wuhan Base", "Xiamen Base"]
ISO_45001_QUERY = ["query", "sites-with-standard", "-p", "standard=iso-45001", "--format", "tsv"]


# -- small datasets, built in this process or in a subprocess -------------------------------------


def small_dataset(tag: str, graphs: int = 3, triples: int = 40) -> dict[URIRef, Graph]:
    """``graphs`` named graphs of ``triples`` triples each, every subject marked with ``tag``."""
    dataset = {}
    for k in range(graphs):
        g = Graph()
        for i in range(triples):
            g.add((URIRef(f"{EX}{tag}/g{k}/s{i}"), URIRef(f"{EX}p"), Literal(f"{tag} {k} {i}")))
        dataset[URIRef(f"{EX}graph/{k}")] = g
    return dataset


def expected_counts(graphs: int = 3, triples: int = 40) -> dict[str, int]:
    return {f"{EX}graph/{k}": triples for k in range(graphs)}


SMALL_BUILD = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_store_safety import small_dataset
from esgkg.store import write_dataset
print(write_dataset(Path(sys.argv[1]), small_dataset(sys.argv[2]), wait=float(sys.argv[3])).name)
"""


def start_small_build(root: Path, tag: str, pause: str, log: Path, *, seconds: float = 300,
                      wait: float = 60) -> subprocess.Popen:
    """A small build in a subprocess that stops at ``pause`` (see ``ESGKG_BUILD_PAUSE``)."""
    env = {**os.environ, "ESGKG_BUILD_PAUSE": pause, "ESGKG_BUILD_PAUSE_SECONDS": str(seconds)}
    return subprocess.Popen([sys.executable, "-c", SMALL_BUILD, str(root), tag, str(wait)], env=env,
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True)


def wait_for_pause(proc: subprocess.Popen, log: Path, stage: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while f"paused at {stage}" not in log.read_text():
        if proc.poll() is not None:
            pytest.fail(f"the build ended (exit {proc.returncode}) before {stage}: {log.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the build never reached {stage}: {log.read_text()}")
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=TIMEOUT)


@pytest.fixture()
def stopped():
    """Processes a test started; any still running at its end are killed."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)


def current_name(root: Path) -> str:
    return (root / CURRENT).resolve().name


def build_names(root: Path) -> set[str]:
    return {p.name for p in (root / BUILDS).iterdir()}


def answers(root: Path, tag: str) -> dict[str, int]:
    """Open the store, check it holds ``tag``'s data, and return its quads per graph."""
    store = EmbeddedStore(root)
    try:
        _names, rows = store.select(f"SELECT ?o WHERE {{ <{EX}{tag}/g0/s0> <{EX}p> ?o }}")
        assert [r["o"].value for r in rows] == [f"{tag} 0 0"]
        return store.count_per_graph()
    finally:
        store.close()


# -- kill -9 at every moment of a build -----------------------------------------------------------

KILL_STAGES = ["before-load", "mid-load", "after-load", "after-marker", "after-swap"]


@pytest.mark.parametrize("stage", KILL_STAGES)
def test_a_build_killed_at_any_moment_leaves_a_store_that_answers_and_rebuilds(stage, tmp_path, stopped):
    root = tmp_path / "store"
    good = write_dataset(root, small_dataset("good")).name
    log = tmp_path / "killed.log"
    proc = start_small_build(root, "killed", stage, log)
    stopped.append(proc)
    wait_for_pause(proc, log, stage)
    [killed] = build_names(root) - {good}
    kill(proc)

    swapped = stage == "after-swap"
    # the store still answers: the good build, or the killed one if it was complete and swapped in
    assert current_name(root) == (killed if swapped else good)
    assert answers(root, "killed" if swapped else "good") == expected_counts()
    if stage in ("before-load", "mid-load", "after-load"):
        assert read_marker(root / BUILDS / killed) is None  # half-written: never complete

    messages: list[str] = []
    new = write_dataset(root, small_dataset("next"), wait=0, on_wait=messages.append).name
    assert messages == []  # the OS released the dead build's lock: no wait
    assert current_name(root) == new
    assert answers(root, "next") == expected_counts()
    previous = killed if swapped else good  # the last good build, never a half-written one
    assert build_names(root) == {new, previous}
    assert read_marker(root / BUILDS / previous) is not None


def test_a_current_build_without_marker_is_refused(tmp_path):
    root = tmp_path / "store"
    build = write_dataset(root, small_dataset("one"))
    (build / MARKER).unlink()
    with pytest.raises(StoreError, match=r"not complete.*esgkg build"):
        EmbeddedStore(root)


def test_a_half_written_build_is_never_opened(tmp_path, stopped):
    root = tmp_path / "store"
    write_dataset(root, small_dataset("good"))
    log = tmp_path / "killed.log"
    proc = start_small_build(root, "half", "mid-load", log)
    stopped.append(proc)
    wait_for_pause(proc, log, "mid-load")
    [half] = {p for p in (root / BUILDS).iterdir() if read_marker(p) is None}
    kill(proc)
    (root / CURRENT).unlink()
    (root / CURRENT).symlink_to(Path(BUILDS) / half.name)  # as the unsafe swap could leave it
    with pytest.raises(StoreError, match=f"{half.name}.*not complete"):
        EmbeddedStore(root)


def test_a_dangling_current_is_a_clear_error(tmp_path):
    root = tmp_path / "store"
    build = write_dataset(root, small_dataset("one"))
    shutil.rmtree(build)
    with pytest.raises(StoreError, match=r"missing.*esgkg build"):
        EmbeddedStore(root)


# -- one build at a time --------------------------------------------------------------------------


def test_a_build_waits_for_the_one_holding_the_lock_then_runs(tmp_path, stopped):
    root = tmp_path / "store"
    log = tmp_path / "first.log"
    first = start_small_build(root, "first", "locked", log, seconds=2)
    stopped.append(first)
    wait_for_pause(first, log, "locked")
    messages: list[str] = []
    ours = write_dataset(root, small_dataset("second"), wait=TIMEOUT, on_wait=messages.append).name
    assert first.wait(timeout=TIMEOUT) == 0, log.read_text()
    theirs = first.stdout.read().strip()
    assert len(messages) == 1 and messages[0].startswith(f"waiting for the build of pid {first.pid}")
    assert current_name(root) == ours
    assert build_names(root) == {ours, theirs}  # ran after it: its build is the previous one
    assert answers(root, "second") == expected_counts()


def test_a_build_that_cannot_get_the_lock_in_time_fails_naming_the_other(tmp_path, stopped):
    root = tmp_path / "store"
    good = write_dataset(root, small_dataset("good")).name
    log = tmp_path / "holder.log"
    holder = start_small_build(root, "holder", "mid-load", log)
    stopped.append(holder)
    wait_for_pause(holder, log, "mid-load")
    messages: list[str] = []
    with pytest.raises(StoreError, match=f"pid {holder.pid}.*gave up after waiting 0.3 s"):
        write_dataset(root, small_dataset("late"), wait=0.3, on_wait=messages.append)
    assert len(messages) == 1 and f"waiting for the build of pid {holder.pid}" in messages[0]
    with pytest.raises(StoreError, match=f"pid {holder.pid}.*not waiting"):
        write_dataset(root, small_dataset("late"), wait=0)
    assert current_name(root) == good
    assert answers(root, "good") == expected_counts()


def test_an_in_progress_build_is_never_removed(tmp_path, stopped):
    root = tmp_path / "store"
    write_dataset(root, small_dataset("good"))
    log = tmp_path / "slow.log"
    slow = start_small_build(root, "slow", "mid-load", log, seconds=5)
    stopped.append(slow)
    wait_for_pause(slow, log, "mid-load")
    [in_progress] = {p.name for p in (root / BUILDS).iterdir() if read_marker(p) is None}
    # even a cleaner that ignored the lock spares it: its writer is alive
    store_builds._clean_leftovers(root, keep=set())
    store_builds._prune(root / BUILDS, current=current_name(root), before=None)
    assert in_progress in build_names(root)
    with pytest.raises(StoreError, match="not waiting"):
        write_dataset(root, small_dataset("other"), wait=0)
    assert in_progress in build_names(root)
    assert slow.wait(timeout=TIMEOUT) == 0, log.read_text()  # it resumes and completes
    assert current_name(root) == in_progress
    assert answers(root, "slow") == expected_counts()


def test_prune_deletes_only_our_complete_builds_and_killed_leftovers(tmp_path):
    root = tmp_path / "store"
    write_dataset(root, small_dataset("first"))
    builds = root / BUILDS
    foreign = builds / "my-backup"  # not a build id, even with a marker
    foreign.mkdir()
    (foreign / MARKER).write_text('{"quads": 1}')
    notes = builds / "notes"
    notes.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    leftover = builds / f"20260101T000000-{dead.stdout.strip()}-000001"  # writer gone
    leftover.mkdir()
    alive = builds / f"20260101T000000-{os.getppid()}-000002"  # writer alive: in progress elsewhere
    alive.mkdir()
    names = [write_dataset(root, small_dataset(f"b{i}")).name for i in range(3)]
    assert build_names(root) == {names[-1], names[-2], "my-backup", "notes", alive.name}
    assert all(BUILD_ID.fullmatch(n) for n in names)


# -- the completeness check and the N-Quads input -------------------------------------------------


def test_nquads_files_are_loaded_into_the_graphs_they_name_and_counted(tmp_path):
    root = tmp_path / "store"
    nq = tmp_path / "obs.nq"
    nq.write_text(
        f'<{EX}o1> <{EX}v> "1" <{EX}graph/0> .\n'
        f'<{EX}o2> <{EX}v> "2"^^<http://www.w3.org/2001/XMLSchema#decimal> <{EX}graph/0> .\n'
        f'<{EX}o3> <{EX}v> "tr\\u00e8s"@fr <{EX}graph/new> .\n',
        encoding="utf-8",
    )
    seen: list[tuple[str, int]] = []
    build = write_dataset(root, small_dataset("base"), lambda g, n: seen.append((g, n)),
                          nquads=[(nq, 3)])
    want = {**expected_counts(), f"{EX}graph/0": 42, f"{EX}graph/new": 1}
    assert answers(root, "base") == want
    assert seen[-2:] == [(f"{EX}graph/0", 2), (f"{EX}graph/new", 1)]  # what the N-Quads added
    marker = json.loads((build / MARKER).read_text())
    assert marker["quads"] == 3 * 40 + 3 and marker["graphs"] == want
    assert marker["esgkg"] and marker["completed"] and marker["build"] == build.name


@pytest.mark.parametrize(("lines", "claimed", "problem"), [
    ([f'<{EX}o1> <{EX}v> "1" <{EX}graph/0> .'] * 2, 2, "holds 121 quads, not the 122 written"),
    ([f'<{EX}o1> <{EX}v> "1" <{EX}graph/0> .'], 0, "holds 121 quads, not the 120 written"),
    ([f'<{EX}base/g0/s0> <{EX}p> "base 0 0" <{EX}graph/0> .'], 1, "holds 120 quads, not the 121"),
    ([f'<{EX}o1> <{EX}v> "1" .'], 1, "in the default graph"),
    ([f'<{EX}o1> <{EX}v> "1 <{EX}graph/0> .'], 1, "not valid N-Quads"),
], ids=["line-repeated", "count-wrong", "repeats-a-graph-triple", "default-graph", "syntax-error"])
def test_a_build_whose_database_does_not_hold_what_was_written_is_refused(tmp_path, lines, claimed,
                                                                          problem):
    root = tmp_path / "store"
    good = write_dataset(root, small_dataset("good")).name
    nq = tmp_path / "obs.nq"
    nq.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StoreError, match=problem):
        write_dataset(root, small_dataset("base"), nquads=[(nq, claimed)])
    assert current_name(root) == good
    assert build_names(root) == {good}  # the refused build removed itself
    assert answers(root, "good") == expected_counts()


def test_the_lock_file_names_the_holder_while_it_builds(tmp_path, stopped):
    root = tmp_path / "store"
    log = tmp_path / "holder.log"
    holder = start_small_build(root, "holder", "locked", log)
    stopped.append(holder)
    wait_for_pause(holder, log, "locked")
    assert json.loads((root / LOCK).read_text())["pid"] == holder.pid
    kill(holder)
    with store_builds.build_lock(root, wait=0):
        assert json.loads((root / LOCK).read_text())["pid"] == os.getpid()
        with store_builds.build_lock(root, wait=0):  # reentrant in one thread
            pass


# -- the shipped data through the CLI -------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's sources (stable while the working tree changes), for the CLI."""
    dest = tmp_path_factory.mktemp("project")
    for part in ("ontology", "data", "queries", "shapes"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, dest / part)
    return dest


@pytest.fixture(scope="module")
def shipped_store(cli_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped data built once by ``esgkg build``; a test that changes it works on a copy."""
    store = tmp_path_factory.mktemp("shipped") / "store"
    result = run(["build"], cli_project, store)
    assert result.returncode == 0, result.stderr
    return store


def esgkg(args: list[str], project: Path, store: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([*ESGKG, *args], cwd=project, env={**os.environ, "ESGKG_STORE": str(store),
                            "COLUMNS": "200", **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def run(args: list[str], project: Path, store: Path) -> subprocess.CompletedProcess:
    proc = esgkg(args, project, store)
    out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def assert_iso_45001_answer(project: Path, store: Path) -> None:
    result = run(ISO_45001_QUERY, project, store)
    assert result.returncode == 0, result.stderr
    header, *rows = [line.split("\t") for line in result.stdout.splitlines()]
    got = [dict(zip(header, row, strict=True)) for row in rows]
    # CALB p66 (line 1237): the five bases put into use passed ISO 45001 certification
    calb = [r for r in got if r["company"] == "CALB"]
    assert [r["holder"] for r in calb] == FIVE_BASES
    assert {r["pages"] for r in calb} == {"66"}
    # Seres p65 (line 2751): the group is certified
    assert [(r["holder"], r["pages"]) for r in got if r["company"] == "Seres"] == [
        ("Seres Group Co., Ltd.", "65")]


def test_three_builds_at_once_leave_a_complete_current_that_answers(cli_project, tmp_path):
    store = tmp_path / "store"
    procs = [esgkg(["build"], cli_project, store) for _ in range(3)]
    results = [(p, *p.communicate(timeout=TIMEOUT)) for p in procs]
    for proc, _out, err in results:
        assert proc.returncode == 0, err
        if "waiting for the build of" in err:  # a waiting build names one of the others
            assert any(f"pid {o.pid}" in err for o in procs if o is not proc), err
    current = (store / CURRENT).resolve()
    assert current.parent == store / BUILDS and read_marker(current) is not None
    assert all(read_marker(p) is not None for p in (store / BUILDS).iterdir())
    assert len(build_names(store)) == 2  # the current and the previous build, nothing deleted early
    assert_iso_45001_answer(cli_project, store)


def test_wait_0_refuses_at_once_naming_the_build_that_holds_the_store(cli_project, tmp_path, stopped):
    store = tmp_path / "store"
    log = tmp_path / "holder.log"
    holder = start_small_build(store, "holder", "locked", log)
    stopped.append(holder)
    wait_for_pause(holder, log, "locked")
    second = run(["build", "--wait", "0"], cli_project, store)
    assert second.returncode == 2, second.stderr
    assert f"pid {holder.pid}" in second.stderr and "not waiting" in second.stderr


def test_a_cli_build_killed_mid_load_keeps_the_last_good_build(cli_project, shipped_store, tmp_path,
                                                               stopped):
    store = tmp_path / "store"
    shutil.copytree(shipped_store, store, symlinks=True)
    good = current_name(store)
    killed = esgkg(["build"], cli_project, store, ESGKG_BUILD_PAUSE="mid-load")
    stopped.append(killed)
    line = ""
    while "paused at mid-load" not in line:  # the hook's line, on stderr (a dead build ends the loop)
        line = killed.stderr.readline()
        assert line, f"the build ended before mid-load (exit {killed.wait(timeout=TIMEOUT)})"
    [half] = build_names(store) - {good}
    kill(killed)
    assert read_marker(store / BUILDS / half) is None
    assert current_name(store) == good
    assert_iso_45001_answer(cli_project, store)
    again = run(["build"], cli_project, store)
    assert again.returncode == 0, again.stderr
    assert build_names(store) == {current_name(store), good}  # the half-written one is gone
    assert_iso_45001_answer(cli_project, store)
