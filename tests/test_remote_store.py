"""The same product on an external SPARQL engine: Oxigraph server and Virtuoso, started on
loopback by these tests (tests/servers.py), loaded by esgkg's build over the Graph Store
Protocol, and asked every named query and the whole validation. The embedded store, whose
answers the other test files check against the report pages, is the reference: a remote store
must give the same answers.

Two answers are compared as sets of rows, each cell's ``, `` or ``; ``-separated list sorted
(GROUP_CONCAT's order is unspecified in SPARQL, and engines differ) and an unbound cell equal
to an empty one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from esgkg.api import KnowledgeGraph
from esgkg.build import build_remote
from esgkg.errors import InputError, StoreError
from esgkg.store import RemoteStore, is_remote, open_store
from esgkg.store.execute import QueryTimeout
from esgkg.store.remote import StoreConfig, read_config
from esgkg.validate import validate
from servers import client_env, free_port

# Named queries run unchanged on every backend, with their parameters: the cases below take the
# code paths that once differed on Virtuoso 7.2.5 (an edition of a standard, a holder that is no
# site, a figure printed with and without a boundary, a boolean column).
PARAMETER_CASES = [
    ("sites-with-standard", {"standard": "iso-9001"}),
    ("sites-with-standard", {"standard": "iatf-16949"}),
    ("sites-with-standard", {"standard": "iso-9001-2015"}),
    ("sites-with-standard", {"standard": "iatf-16949", "status": "obtained-by-some"}),
    ("operating-sites-without-standard", {"standard": "iso-14001"}),
    ("certificates-per-site", {"standard": "iso-14001"}),
    ("indicator-values", {"indicator": "ghg-scope1", "unit": "TONNE"}),
    ("indicator-values", {"indicator": "energy-consumption", "unit": "MegaW-HR"}),
    ("find-figure", {"text": "waste"}),
    ("year-on-year", {"indicator": "employees"}),
    ("breakdown", {"indicator": "employees", "dimension": "https://w3id.org/esgkg/ontology#ageGroup"}),
]


def _cell(value: object) -> str:
    if value is None or value == "":
        return ""
    return "|".join(sorted(re.split(r"; |, ", str(value))))


def _rows(result) -> list[tuple[str, ...]]:
    return sorted(tuple(_cell(v) for v in row.values()) for row in result.rows)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, remote_server):
    """Each server in turn (started once per session, see conftest's ``remote_server``)."""
    return remote_server(request.param)


@pytest.fixture(scope="module")
def embedded_kg(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


@pytest.fixture(scope="module")
def remote_kg(server, project) -> KnowledgeGraph:
    return KnowledgeGraph(server.store, project)


def test_the_remote_store_holds_every_graph_with_the_embedded_counts(server, built_store):
    assert server.store.graphs() == built_store.graphs()
    assert server.store.count_per_graph() == built_store.count_per_graph()


def test_every_named_query_gives_the_embedded_answer(server, remote_kg, embedded_kg):
    differ = []
    for name in embedded_kg.queries:
        expected = _rows(embedded_kg.query(name, limit=None))
        try:
            got = _rows(remote_kg.query(name, limit=None))
        except StoreError as exc:
            got = [("error", str(exc)[:100])]
        if got != expected:
            differ.append(name)
    assert differ == [], f"{server.name}: these differ from the embedded store: {differ}"


@pytest.mark.parametrize(("name", "params"), PARAMETER_CASES,
                         ids=[f"{n}-{'-'.join(p.values())}" for n, p in PARAMETER_CASES])
def test_a_named_query_with_parameters_gives_the_embedded_answer(server, remote_kg, embedded_kg, name,
                                                                 params):
    expected = _rows(embedded_kg.query(name, params, limit=None))
    assert expected, f"{name} {params} finds nothing in the shipped data: the case tests nothing"
    assert _rows(remote_kg.query(name, params, limit=None)) == expected


def test_a_query_restricted_to_one_report_sees_only_that_report(remote_kg, embedded_kg):
    sparql = "SELECT DISTINCT ?site WHERE { ?site a org:Site } ORDER BY ?site"
    seen = {}
    for report in ("calb-2023", "seres-2023"):
        got = remote_kg.query(sparql, report=report).rows
        assert got == embedded_kg.query(sparql, report=report).rows
        seen[report] = {r["site"] for r in got}
    assert seen["calb-2023"] and seen["seres-2023"]
    assert not seen["calb-2023"] & seen["seres-2023"]  # the two companies share no site


def test_search_pages_the_same_rows_as_the_index(remote_kg, embedded_kg):
    first = remote_kg.query("find", text="base", limit=3, offset=0)
    second = remote_kg.query("find", text="base", limit=3, offset=3)
    whole = embedded_kg.query("find", text="base", limit=None)
    assert len(first) == 3 and first.truncated
    assert {r["thing"] for r in first.rows + second.rows} <= {r["thing"] for r in whole.rows}
    assert not {r["thing"] for r in first.rows} & {r["thing"] for r in second.rows}


def test_validation_finds_what_it_finds_on_the_embedded_store(server, shipped_validation, project):
    remote = {r.report: r for r in validate(server.store, project.shapes_dir)}
    assert set(remote) == set(shipped_validation)
    for report, expected in shipped_validation.items():
        got = remote[report]
        for severity in ("Violation", "Warning", "Info"):
            assert got.count(severity) == expected.count(severity), (report, severity)
        assert ({(f.severity, f.shape, f.focus) for f in got.findings}
                == {(f.severity, f.shape, f.focus) for f in expected.findings})


def test_ask_construct_and_limits_go_through_the_same_interface(server):
    store = server.store
    with store.query("ASK { ?s a org:Site }") as result:
        assert result.form == "ask" and bool(result)
    with store.query("CONSTRUCT { ?s a org:Site } WHERE { ?s a org:Site }", limit=2) as result:
        triples = list(result)
    assert result.form == "graph" and len(triples) == 2 and result.truncated
    assert all(isinstance(t, ox.Triple) for t in triples)


def test_updates_service_and_bad_queries_are_refused_before_the_server_sees_them(server):
    store = server.store
    with pytest.raises(InputError, match="read-only"):
        store.query("DROP ALL")
    with pytest.raises(InputError, match="SERVICE"):
        store.query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(InputError, match="malformed SPARQL"):
        store.query("SELECT ?s WHERE { ?s ?p }")
    assert store.count_per_graph()  # nothing was lost


def test_a_runaway_query_stops_at_its_time_limit(server):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with pytest.raises(QueryTimeout):
        server.store.select(runaway, timeout=1.0)


def test_a_reload_is_idempotent_and_drops_only_esgkg_graphs_it_no_longer_has(server, project, built_store):
    from esgkg.store import remote

    store = server.store
    foreign = "http://example.org/not-esgkg"
    stale = "https://w3id.org/esgkg/graph/report/gone-2020"
    triple = b"<http://example.org/s> <http://example.org/p> \"1\" .\n"
    store._request("PUT", store._graph_url(foreign), data=triple,
                   headers={"Content-Type": "application/n-triples"})
    store.replace_graphs([(stale, triple.replace(b'"1"', b'"2"'))], drop_others=False)
    assert stale in store.graphs()
    built = store.build_id()
    build_remote(project, store)  # a reload over the same data (the fixture built it once)
    assert store.build_id() not in (None, built)  # recorded, outside esgkg's graphs
    assert remote.STATE_GRAPH not in store.graphs()
    assert store.graphs() == built_store.graphs()  # the stale report is gone; the foreign graph unseen
    assert store.count_per_graph() == built_store.count_per_graph()
    ask = f"ASK {{ GRAPH <{foreign}> {{ ?s ?p ?o }} }}"
    with store.query(ask, graphs=[foreign]) as result:
        assert bool(result)  # still there: esgkg deletes only its own graphs


def test_the_cli_builds_queries_and_validates_over_the_url(server, project, built_store):
    env = client_env(server)
    cli = [sys.executable, "-m", "esgkg.cli"]
    built = subprocess.run([*cli, "build", "--store", server.url], cwd=project.root, env=env,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    asked = subprocess.run([*cli, "query", "ghg-emissions", "--store", server.url, "--format", "csv"],
                           cwd=project.root, env=env, capture_output=True, text=True, timeout=120)
    local = subprocess.run([*cli, "query", "ghg-emissions", "--format", "csv"], cwd=project.root,
                           env={**env, "ESGKG_STORE": str(built_store.root)},
                           capture_output=True, text=True, timeout=120)
    assert asked.returncode == 0, asked.stderr
    assert sorted(asked.stdout.splitlines()) == sorted(local.stdout.splitlines())
    checked = subprocess.run([*cli, "validate", "--store", server.url, "--format", "json"],
                             cwd=project.root, env=env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stderr  # no Violation, as on the embedded store


def test_the_endpoint_serves_a_remote_store(server, project, monkeypatch):
    from esgkg.serve.app import create_app
    from esgkg.serve.config import ServerConfig

    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    app = create_app(ServerConfig(store=server.url, project_root=project.root))
    client = app.test_client()
    answer = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a org:Site }"},
                        headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    assert int(answer.get_json()["results"]["bindings"][0]["n"]["value"]) > 0
    refused = client.post("/sparql", data={"update": "DROP ALL"})
    assert refused.status_code in (403, 501)
    # the pages computed once per build (validation, charts) see a rebuild of the remote store
    from esgkg.store import remote

    monkeypatch.setattr(remote, "_GRAPHS_TTL", 0.0)
    holder = app.extensions["esgkg"]
    first = holder.generation
    holder.get()
    assert holder.generation == first  # nothing rebuilt: the same generation
    RemoteStore.open(server.url, env=server.env).mark_built()  # another client's build ends
    holder.get()
    assert holder.generation == first + 1


# --- without a server -------------------------------------------------------------------------


def test_a_url_is_a_remote_store_and_a_folder_is_not():
    assert is_remote("http://127.0.0.1:7878/query") and is_remote("HTTPS://example.org/sparql")
    assert not is_remote("/tmp/store") and not is_remote(Path("http:/x")) and not is_remote(None)


def test_the_endpoints_of_the_two_engines_are_derived_from_the_query_url():
    ox_cfg = StoreConfig.from_url("http://127.0.0.1:7878/query")
    assert (ox_cfg.update, ox_cfg.graph_store, ox_cfg.graph_param) == (
        "http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store", "graph")
    virt = StoreConfig.from_url("http://h:8890/sparql", authenticated=True)
    assert (virt.update, virt.graph_store, virt.graph_param) == (
        "http://h:8890/sparql-auth", "http://h:8890/sparql-graph-crud-auth", "graph-uri")
    other = StoreConfig.from_url("http://h/ds/q", {"graph_store": "http://h/ds/data"})
    assert other.graph_store == "http://h/ds/data" and other.update == ""


def test_credentials_never_come_from_the_url_or_a_file(tmp_path):
    with pytest.raises(InputError, match="must not carry a user or password"):
        StoreConfig.from_url("http://dba:secret@127.0.0.1:8890/sparql")
    (tmp_path / ".esgkg").mkdir()
    (tmp_path / ".esgkg" / "store.toml").write_text('[store]\nurl = "http://h/sparql"\npassword = "x"\n')
    with pytest.raises(InputError, match="must not be written in a file"):
        read_config(tmp_path)
    (tmp_path / ".esgkg" / "store.toml").write_text('[store]\nurl = "http://h/sparql"\nendpoint = "x"\n')
    with pytest.raises(InputError, match="unknown key"):
        read_config(tmp_path)
    (tmp_path / ".esgkg" / "store.toml").write_text("[store\n")
    with pytest.raises(InputError, match="not valid TOML"):
        read_config(tmp_path)
    with pytest.raises(InputError, match="ESGKG_STORE_AUTH"):
        RemoteStore(StoreConfig.from_url("http://h/sparql"), env={"ESGKG_STORE_AUTH": "kerberos"})
    with pytest.raises(InputError, match="both"):
        RemoteStore(StoreConfig.from_url("http://h/sparql"), env={"ESGKG_STORE_USER": "dba"})


def test_nothing_listening_is_a_store_error_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(StoreError, match=re.escape(url)):
        open_store(url)


def test_a_server_answering_something_else_is_a_clear_error(tmp_path):
    """An HTTP server that is not a SPARQL endpoint (here Python's static file server)."""
    port = free_port()
    (tmp_path / "query").write_text("not json")
    web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with pytest.raises(StoreError, match=f"127.0.0.1:{port}"):
            open_store(f"http://127.0.0.1:{port}/query")
    finally:
        web.terminate()
        web.wait(timeout=10)


MALFORMED = [b"{}", b"[]", b"\xff", b'{"results": {"bindings": "x"}}', b'{"results": {"bindings": [1]}}',
             b'{"results": {"bindings": [{"g": {"type": "uri"}}]}}',
             b'{"head": {"vars": ["g"]}, "results": {"bindings": "x"}}', b'{"boolean": "false"}',
             b'{"results": {"bindings": [' + b"1, " * 500_000 + b"1]}}"]  # huge: 1.5 MB


@pytest.mark.parametrize("answer", MALFORMED)
def test_a_malformed_json_answer_is_a_clear_error_for_every_reader(answer):
    """A server that answers every request with something that is not SPARQL JSON results: the
    graph list, the build lock's holder, the build id and a query each fail with a StoreError
    naming it (an answer of ``{}`` once read as a query with no rows)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{web.server_address[1]}/query"
        store = RemoteStore(StoreConfig.from_url(url), env={})
        for read in (store.graphs, store.lock_holder, store.build_id,
                     # a query over a given graph (no graph list asked first): its own reader
                     lambda: store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                          graphs=["https://w3id.org/esgkg/graph/x"])):
            with pytest.raises(StoreError, match=re.escape(url)):
                read()
    finally:
        web.shutdown()
        web.server_close()


def test_the_export_is_the_embedded_export(server, built_store):
    """Same bytes from the Oxigraph server; from Virtuoso the same number of quads (it writes
    typed literals in canonical form, e.g. an xsd:decimal 1.50 as 1.5, so bytes may differ)."""
    import io

    from esgkg.export.formats import export

    remote, local = io.BytesIO(), io.BytesIO()
    export(server.store, "nquads", remote)
    export(built_store, "nquads", local)
    if server.name == "oxigraph":
        assert remote.getvalue() == local.getvalue()
    else:
        assert len(remote.getvalue().splitlines()) == len(local.getvalue().splitlines())


def test_the_store_location_comes_from_the_option_the_environment_or_the_config_file(tmp_path, monkeypatch):
    from esgkg.project import Project

    project = Project(tmp_path)
    monkeypatch.delenv("ESGKG_STORE", raising=False)
    assert project.store_location == tmp_path / ".esgkg" / "store"
    (tmp_path / ".esgkg").mkdir()
    (tmp_path / ".esgkg" / "store.toml").write_text('[store]\nurl = "http://h:7878/query"\n')
    assert project.store_location == "http://h:7878/query"
    monkeypatch.setenv("ESGKG_STORE", "https://h/sparql")
    assert project.store_location == "https://h/sparql"
    assert project.default_store == tmp_path / ".esgkg" / "store"  # a URL is never taken for a folder
    monkeypatch.setenv("ESGKG_STORE", str(tmp_path / "elsewhere"))
    assert project.store_location == tmp_path / "elsewhere"


def test_a_test_server_dies_with_the_test_run_that_started_it(tmp_path):
    """A test run killed mid-way (a CI time limit) must not leave a server running: the servers of
    tests/servers.py ask the kernel for SIGTERM when their parent dies."""
    from servers import oxigraph_binary

    if oxigraph_binary() is None:
        pytest.skip("the Oxigraph server is not installed (pip install oxigraph)")
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from servers import start_oxigraph; s = start_oxigraph(Path(sys.argv[2])); "
            "print(s.process.pid, flush=True); time.sleep(120)")
    run = subprocess.Popen([sys.executable, "-c", code, str(Path(__file__).parent), str(tmp_path)],
                           stdout=subprocess.PIPE, text=True)
    try:
        pid = int(run.stdout.readline())
        assert Path(f"/proc/{pid}").exists()
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split()[2] == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the server (PID {pid}) outlived the test run that started it")


def test_one_build_loads_at_a_time_and_a_killed_builds_lock_lapses(server, project, monkeypatch):
    """Two builds never interleave their graphs: the second waits for (or, with --wait 0, refuses)
    the first's lock, names who holds it, and loses nothing; a lock whose build died (no renewal
    for LOCK_STALE seconds) is taken over; the lock is in no graph esgkg reads or exports."""
    from datetime import UTC, datetime, timedelta

    from esgkg.store import remote

    monkeypatch.setattr(remote, "LOCK_HEARTBEAT", 0.2)
    other = RemoteStore.open(server.url, env=server.env)  # another client of the same store
    before = other.count_per_graph()
    with server.store.build_lock(wait=0):
        holder = other.lock_holder()
        assert holder is not None and f"pid {os.getpid()} " in holder["by"]
        assert remote.LOCK_GRAPH not in other.graphs()
        with pytest.raises(StoreError, match=r"is writing the store .*not waiting \(--wait 0\)"):
            build_remote(project, other, wait=0)
        cli = subprocess.run([sys.executable, "-m", "esgkg.cli", "build", "--store", server.url,
                              "--wait", "0"], cwd=project.root, env=client_env(server),
                             capture_output=True, text=True, timeout=300)
        assert cli.returncode == 2 and "is writing the store" in cli.stderr
        time.sleep(0.6)
        renewed = other.lock_holder()
        assert renewed is not None and renewed["renewed"] > renewed["since"]  # the heartbeat runs
    assert other.lock_holder() is None and other.count_per_graph() == before

    # a build waiting for the lock goes on when the other one releases it
    told: list[str] = []
    held = threading.Event()

    def hold() -> None:
        with server.store.build_lock(wait=0):
            held.set()
            time.sleep(1.0)

    holding = threading.Thread(target=hold)
    holding.start()
    assert held.wait(30)
    with other.build_lock(wait=60, on_wait=told.append):
        assert not holding.is_alive()
    holding.join()
    assert told and told[0].startswith("waiting for the build of ") and other.lock_holder() is None

    # a killed build's lock (not renewed for LOCK_STALE seconds) lapses
    stamp = remote._xsd(datetime.now(UTC) - timedelta(seconds=remote.LOCK_STALE + 5))
    other.update(f"PREFIX lock: <{remote.LOCK_GRAPH}#>\nINSERT DATA {{ GRAPH <{remote.LOCK_GRAPH}> {{ "
                 f'lock:dead lock:by "a build that was killed" ; lock:since {stamp} ; '
                 f"lock:renewed {stamp} }} }}",
                 "planting a dead build's lock")
    assert other.lock_holder()["by"] == "a build that was killed"
    with other.build_lock(wait=0):
        assert other.lock_holder()["by"] != "a build that was killed"
    assert other.lock_holder() is None
