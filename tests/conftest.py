"""Shared fixtures: the real project, a copy of it to break, and a store built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from esgkg.build import build, compile_context
from esgkg.project import Project
from esgkg.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT.parent / "shared" / "reports"


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture()
def project_copy(tmp_path: Path) -> Project:
    """A copy of the project's sources that a test may break without harm."""
    for part in ("ontology", "data", "queries", "shapes"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, tmp_path / part)
    return Project(tmp_path)


@pytest.fixture(scope="session")
def context(project: Project) -> Graph:
    """The ontology and vocabularies in one graph: what a report graph is validated with."""
    graphs, _ = compile_context(project)
    merged = Graph()
    for g in graphs.values():
        merged += g
    return merged


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory, project: Project) -> EmbeddedStore:
    """The real project built once into a temporary store."""
    path = tmp_path_factory.mktemp("store")
    build(project, path)
    return EmbeddedStore(path)


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    if not REPORTS.is_dir():
        pytest.skip(f"the corpus is not at {REPORTS} (../shared/reports beside the project)")
    return REPORTS


@pytest.fixture(scope="session")
def shipped_validation(built_store: EmbeddedStore, project: Project) -> dict:
    """``esgkg validate`` of the shipped data, run once: report key -> ReportValidation."""
    from esgkg.validate import validate

    return {r.report: r for r in validate(built_store, project.shapes_dir)}


@pytest.fixture(scope="session")
def findings_of(shipped_validation: dict):
    """shape local name -> {(report, focus, severity)} on the shipped data; an observation's focus
    loses its ``id/obs/`` prefix, other IRIs stay whole."""
    def findings(shape: str) -> set[tuple[str, str, str]]:
        return {(report, f.focus.removeprefix("https://w3id.org/esgkg/id/obs/"), f.severity)
                for report, result in shipped_validation.items() for f in result.findings
                if f.shape.rsplit("#", 1)[-1] == shape}
    return findings


@pytest.fixture()
def run(project: Project, built_store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch):
    """``run("query", ...)``: the CLI in-process on the project and its built store."""
    from typer.testing import CliRunner

    from esgkg.cli import app

    monkeypatch.setenv("ESGKG_PROJECT", str(project.root))
    monkeypatch.setenv("ESGKG_STORE", str(built_store.root))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture(scope="session")
def live_server(project: Project, built_store: EmbeddedStore):
    """``esgkg serve`` on the built store, on a free loopback port, started once per session.

    Yields the base URL (``http://127.0.0.1:PORT``). The server is a real subprocess (waitress),
    with a short query time limit so that runaway-query tests stay fast.
    """
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ESGKG_PROJECT": str(project.root), "ESGKG_STORE": str(built_store.root)}
    env.pop("ESGKG_UPDATE_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "esgkg.cli", "serve", "--port", str(port), "--timeout", "3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/sparql", timeout=2).close()
            break
        except urllib.error.HTTPError:
            break  # it answers (even a 4xx is an answer)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                proc.kill()
                pytest.fail(f"esgkg serve did not start: {output}")
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def remote_server(tmp_path_factory: pytest.TempPathFactory, project: Project):
    """``remote_server("oxigraph")`` / ``("virtuoso")``: that SPARQL server on loopback, started at
    its first use in the session and loaded with the shipped data by esgkg's remote build; all are
    stopped at the end. A server that is not installed skips the test (``tests/servers.py``)."""
    from esgkg.build import build_remote
    from esgkg.store import RemoteStore
    from servers import running

    started: dict = {}

    def get(kind: str):
        if kind not in started:
            gen = running(kind, tmp_path_factory.mktemp(kind))
            server = next(gen)
            started[kind] = (server, gen)
            server.store = RemoteStore.open(server.url, env=server.env)
            build_remote(project, server.store)
        return started[kind][0]

    yield get
    for _server, gen in started.values():
        next(gen, None)
