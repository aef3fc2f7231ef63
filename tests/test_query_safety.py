"""Hardening of the query path (issue 12): no SERVICE calls unless asked for, no SPARQL Update,
a time limit and a row cap on every query, Ctrl-C that stops a query, output that streams,
unknown codes named with the closest known ones. One path: CLI and API both go through
``EmbeddedStore.query``, which evaluates in a worker process it can kill."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from esgkg import cli
from esgkg.api import KnowledgeGraph
from esgkg.errors import InputError, StoreError
from esgkg.store.execute import DEFAULT_TIMEOUT, QueryTimeout
from esgkg.store.guard import query_form, uses_service

CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CROSS_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
FIVE_BASES = ["Changzhou Base", "Chengdu Base", "Hefei Base", "Wuhan Base", "Xiamen Base"]


@pytest.fixture(scope="module")
def kg(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


@pytest.fixture()
def listener():
    """A TCP listener on 127.0.0.1 that records whether anything connected to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def _connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def _assert_iso_45001_rows(rows: list[dict]) -> None:
    """tests/test_queries.py::test_which_bases_hold_iso_45001: CALB p66 (line 1237)."""
    calb = [r for r in rows if r["company"] == "CALB"]
    assert [r["holder"] for r in calb] == FIVE_BASES
    assert {r["pages"] for r in calb} == {"66"}


# --- SERVICE -----------------------------------------------------------------------------------

SERVICE_VARIANTS = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x a org:Site . {{ SELECT ?x WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }} }}",
    "# a comment, then\nSELECT * WHERE {{ # SERVICE in a comment\n SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p 1.SERVICE<{url}>{{ ?a ?b ?c }} }}",
]


@pytest.mark.parametrize("template", SERVICE_VARIANTS)
def test_service_is_refused_by_default_and_nothing_connects(kg, run, listener, template):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    sparql = template.format(url=url)
    with pytest.raises(InputError, match=r"SERVICE.*allow_service=True"):
        kg.query(sparql)
    result = run("sparql", sparql, "--format", "csv")
    assert result.exit_code == 2 and "--allow-service" in result.output
    assert not _connected(listener)


def test_the_word_service_elsewhere_is_not_a_service_call(kg):
    sparql = """PREFIX service: <http://example.org/service#>
        SELECT ?service WHERE {  # SERVICE <http://example.org/>
          VALUES ?service { "SERVICE <http://x/> {}" <http://example.org/SERVICE> service:SERVICE }
          FILTER(?service != "x"@service)
        }"""
    assert len(kg.query(sparql)) == 3


def test_with_opt_in_service_reaches_the_endpoint(kg, listener):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    seen: list[bytes] = []

    def serve() -> None:
        listener.settimeout(10)
        conn, _ = listener.accept()
        seen.append(conn.recv(4096))
        conn.close()  # no answer: the query fails

    thread = threading.Thread(target=serve)
    thread.start()
    with pytest.raises(InputError, match="the query failed"):
        kg.query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", allow_service=True, timeout=20)
    thread.join(10)
    assert seen and seen[0].split(b" ")[0] in (b"POST", b"GET")  # the request reached it


def test_with_opt_in_a_closed_port_is_a_clean_error(run):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    result = run("sparql", f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
                 "--allow-service", "--format", "csv")
    assert result.exit_code == 2, result.output
    assert "the query failed" in result.output and "Traceback" not in result.output


# --- SPARQL Update, names and texts ------------------------------------------------------------

@pytest.mark.parametrize("update", [
    "DROP ALL",
    "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
    "PREFIX ex: <http://example.org/>\n# remove\nDELETE WHERE { ?s ex:p ?o }",
    "with <http://example.org/g> delete { ?s ?p ?o } where { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
])
def test_sparql_update_is_refused_as_read_only(kg, run, update):
    with pytest.raises(InputError, match="read-only; SPARQL Update"):
        kg.query(update)
    result = run("sparql", update)
    assert result.exit_code == 2
    assert "the store is read-only; SPARQL Update (DROP, INSERT, ...) is not accepted" in result.output


def test_a_slug_names_a_query_and_any_other_text_is_sparql(kg):
    with pytest.raises(InputError, match="no query named 'no-such-query'"):
        kg.query("no-such-query")
    with pytest.raises(InputError, match="malformed SPARQL"):
        kg.query("SELEKT ?x WHERE { ?x ?p ?o }")
    assert kg.query("SELECT ?x WHERE { VALUES ?x { 1 } }").rows == [{"x": 1}]


def test_the_scanner_reads_keywords_as_the_parser_does():
    assert query_form("PREFIX ex: <http://x/> BASE <http://y/> # DROP\n ASK {}") == "ASK"
    assert query_form("  drop silent graph <http://x/>") == "DROP"
    assert uses_service("SELECT * { ?s a.SERVICE<http://x/>{} }")
    assert uses_service("SELECT * { FILTER(?a<?b) SERVICE ?u {} }")
    for text in ['SELECT * { ?s ?p "SERVICE" }', "SELECT * { ?s ?p '''\nSERVICE''' }",
                 "SELECT ?service { ?s <http://x/SERVICE> $service }", "SELECT * { ?s ex:SERVICE _:service }",
                 "SELECT * { ?s ?p 'x'@service } # SERVICE <http://x/> {}"]:
        assert not uses_service(text), text


# --- time limit, Ctrl-C ------------------------------------------------------------------------

@pytest.mark.parametrize("sparql", [CROSS, CROSS_COUNT])
def test_a_cross_product_stops_at_the_timeout_and_the_store_still_answers(run, sparql):
    started = time.monotonic()
    result = run("sparql", sparql, "--timeout", "3", "--format", "csv")
    assert time.monotonic() - started < 3 + 5
    assert result.exit_code == 2
    assert "the query ran longer than 3 s (--timeout)" in result.output
    after = run("query", "sites-with-standard", "-p", "standard=iso-45001", "--format", "csv")
    assert after.exit_code == 0, after.output
    _assert_iso_45001_rows(list(csv.DictReader(io.StringIO(after.stdout))))


def test_the_api_times_out_too_and_its_store_goes_on(kg):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="ran longer than 2 s"):
        kg.query(CROSS_COUNT, timeout=2)
    assert time.monotonic() - started < 2 + 5
    _assert_iso_45001_rows(kg.query("sites-with-standard", standard="iso-45001").rows)


def test_the_cli_default_time_limit_is_the_stores():
    assert cli.QUERY_TIMEOUT == DEFAULT_TIMEOUT


def _esgkg(project, built_store, *args: str) -> subprocess.Popen:
    script = Path(sys.executable).with_name("esgkg")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from esgkg.cli import app; app()"]
    env = {**os.environ, "ESGKG_PROJECT": str(project.root), "ESGKG_STORE": str(built_store.root)}
    return subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _readline(proc: subprocess.Popen, within: float) -> bytes:
    ready, _, _ = select.select([proc.stdout], [], [], within)
    assert ready, f"no output within {within} s"
    return proc.stdout.readline()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def test_output_streams_before_the_query_ends(project, built_store):
    proc = _esgkg(project, built_store, "sparql", CROSS, "--format", "csv", "--timeout", "120")
    try:
        assert _readline(proc, 30).decode().strip() == "a,b,c,d,e,f,g,h,i,j,k,l"
        first = _readline(proc, 30).decode()
        assert first.count(",") >= 11 and proc.poll() is None  # a row is out, the query runs on
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the worker through /proc")
@pytest.mark.parametrize("sparql", [CROSS, CROSS_COUNT])
def test_ctrl_c_stops_the_query_and_exits_130(project, built_store, sparql):
    proc = _esgkg(project, built_store, "sparql", sparql, "--format", "csv", "--timeout", "120")
    try:
        deadline = time.monotonic() + 30
        while not _children(proc.pid):  # the worker is up: the query has been sent
            assert time.monotonic() < deadline and proc.poll() is None, "no query worker started"
            time.sleep(0.05)
        workers = _children(proc.pid)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 130
    assert b"Traceback" not in stderr and b"interrupted" in stderr
    time.sleep(0.2)
    for pid in workers:  # the worker evaluating the cross product is gone too
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


# --- row cap -----------------------------------------------------------------------------------

def test_limit_caps_the_rows_and_says_so(kg, run):
    result = run("sparql", CROSS, "--limit", "3", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 + 3
    assert "stopped after 3 rows (--limit 3)" in result.stderr
    capped = kg.query(CROSS, limit=3)
    assert len(capped) == 3 and capped.truncated
    whole = kg.query("SELECT ?g WHERE { GRAPH ?g { } }", limit=1000)
    assert not whole.truncated and len(whole) > 5
    named = run("query", "sites-with-standard", "-p", "standard=iso-45001", "--limit", "2",
                "--format", "json")
    assert len(json.loads(named.stdout)["results"]["bindings"]) == 2


def test_a_table_is_capped_with_a_note(run, monkeypatch):
    monkeypatch.setattr(cli, "TABLE_ROWS", 4)
    result = run("sparql", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "--format", "table")
    assert result.exit_code == 0, result.output
    assert "4 row(s)" in result.stdout
    assert "the table shows the first 4 rows: use --format csv" in result.stderr


def test_leaving_a_stream_early_stops_the_query(kg):
    with kg.stream(CROSS, timeout=60) as result:
        first = next(iter(result))
        assert set(first) == set("abcdefghijkl")
    started = time.monotonic()
    _assert_iso_45001_rows(kg.query("sites-with-standard", standard="iso-45001").rows)
    assert time.monotonic() - started < 10


# --- unknown codes -----------------------------------------------------------------------------

def test_an_unknown_code_names_the_parameter_and_the_closest_codes(kg, run):
    result = run("query", "sites-with-standard", "-p", "standard=iso-99999")
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "parameter standard" in message and "'iso-99999'" in message and "iso-9001" in message
    result = run("query", "indicator-values", "-p", "indicator=nonexistent")
    assert result.exit_code == 2
    assert "parameter indicator" in result.output and "'nonexistent'" in result.output
    with pytest.raises(InputError, match=r"parameter indicator: 'ghg-scope-1'.*ghg-scope1"):
        kg.query("indicator-values", indicator="ghg-scope-1")
    # the same through the API as through the CLI, for both codes a newcomer tried (issue 11)
    with pytest.raises(InputError, match=r"parameter standard: 'iso-99999' .*closest: .*iso-9001"):
        kg.query("sites-with-standard", standard="iso-99999")
    with pytest.raises(InputError, match=r"parameter indicator: 'nonexistent' is not a code"):
        kg.query("indicator-values", indicator="nonexistent")
    # a known code, a known edition code and an optional code left out still run
    assert kg.query("sites-with-standard", standard="iso-45001-2018").rows == []
    assert kg.query("initiatives", kind="research-cooperation").rows


# --- other query forms -------------------------------------------------------------------------

def test_ask_construct_and_describe(run):
    yes = run("sparql", "ASK { ?site a org:Site }")
    assert yes.exit_code == 0 and yes.stdout.strip() == "true"
    no = run("sparql", "ASK { ?x a <http://example.org/Nothing> }", "--format", "json")
    assert json.loads(no.stdout) == {"head": {}, "boolean": False}
    nt = run("sparql", "CONSTRUCT WHERE { ?s a org:Site }", "--format", "nt", "--limit", "5")
    assert nt.exit_code == 0, nt.output
    assert len(list(ox.parse(nt.stdout.encode(), format=ox.RdfFormat.N_TRIPLES))) == 5
    assert "stopped after 5 triples" in nt.stderr
    ttl = run("sparql", "DESCRIBE <https://w3id.org/esgkg/vocab/standard/iso-45001>")
    triples = list(ox.parse(ttl.stdout.encode(), format=ox.RdfFormat.TURTLE))
    assert triples and all(t.subject.value.endswith("/standard/iso-45001") for t in triples)
    jsonld = run("sparql", "CONSTRUCT WHERE { ?s a org:Site } LIMIT 2", "--format", "jsonld")
    assert len(json.loads(jsonld.stdout)) == 2
    wrong = run("sparql", "SELECT ?s WHERE { ?s a org:Site }", "--format", "ttl")
    assert wrong.exit_code == 2 and "unknown format 'ttl' for a SELECT" in wrong.output


# --- the worker --------------------------------------------------------------------------------

def test_a_worker_killed_from_outside_is_replaced_or_reported(kg):
    kg.query("SELECT ?g WHERE { GRAPH ?g { } }")  # a worker is up and idle now
    for worker in list(kg.store._pool._idle):
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(10)
    _assert_iso_45001_rows(kg.query("sites-with-standard", standard="iso-45001").rows)
    with kg.stream(CROSS, timeout=60) as result:
        rows = iter(result)
        next(rows)
        os.kill(result._worker.process.pid, signal.SIGKILL)
        with pytest.raises(StoreError, match="the query worker stopped unexpectedly"):
            for _ in rows:
                pass
    _assert_iso_45001_rows(kg.query("sites-with-standard", standard="iso-45001").rows)


def test_two_streams_at_once_each_have_their_worker(kg):
    with kg.stream(CROSS, timeout=60) as one, kg.stream("SELECT ?g WHERE { GRAPH ?g { } }") as two:
        first = next(iter(one))
        graphs = [r["g"].value for r in two]
        assert set(first) == set("abcdefghijkl") and len(graphs) > 5
