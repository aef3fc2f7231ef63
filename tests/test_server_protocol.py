"""The SPARQL 1.1 Protocol side of ``esgkg serve`` (issue 11): /sparql, /api/queries, /api/codes.

SPARQLWrapper is the client against a real server (``live_server``) for every result format and
every named query; Flask's test client covers the errors, limits, CORS and the opt-in SPARQL
Update (on a store built into tmp_path: the shared store is never written).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, N3, SELECT, TSV, TURTLE, XML, SPARQLWrapper

from esgkg.api import KnowledgeGraph
from esgkg.build import build
from esgkg.query import catalogue
from esgkg.serve import ServerConfig, create_app
from esgkg.store.builds import CURRENT, MARKER, UPDATES_GRAPH, apply_update
from esgkg.store.embedded import bind_values

SKOS_LABEL = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
SD = "http://www.w3.org/ns/sparql-service-description#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SRX = "{http://www.w3.org/2005/sparql-results#}"
CALB_GRAPH = "https://w3id.org/esgkg/graph/report/calb-2023"
HEFEI = "https://w3id.org/esgkg/id/site/calb/hefei-base"
# CALB p66 (report line 1237): Changzhou, Xiamen, Wuhan, Chengdu and Hefei bases "all passed ISO45001"
FIVE_BASES = ["Changzhou Base", "Chengdu Base", "Hefei Base", "Wuhan Base", "Xiamen Base"]
ISO_45001_HOLDERS = """SELECT ?holder WHERE {
  ?cert esgkg:holder ?site ; esgkg:standard/skos:broader* <https://w3id.org/esgkg/vocab/standard/iso-45001> .
  ?site a org:Site ; skos:prefLabel ?holder .
} ORDER BY ?holder"""
CROSS_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
TOKEN = "test-token-5f1c"

# SPARQLWrapper parses JSON-LD into an rdflib ConjunctiveGraph, which rdflib 7 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def kg(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


@pytest.fixture(scope="module")
def client(built_store, project):
    """The test client of a read-only app on the shared store (default limits)."""
    return create_app(ServerConfig(store=built_store.root, project_root=project.root)).test_client()


@pytest.fixture(scope="module")
def writable_store(tmp_path_factory, project) -> Path:
    """A store of its own, built from the project, that update tests may change."""
    path = tmp_path_factory.mktemp("writable") / "store"
    build(project, path)
    return path


@pytest.fixture(scope="module")
def update_client(writable_store, project):
    config = ServerConfig(store=writable_store, project_root=project.root, update_token=TOKEN, timeout=10)
    return create_app(config).test_client()


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


def _wrapper(base: str, query: str, fmt: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(base + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def _get(base: str, params: dict, accept: str = "*/*") -> tuple[int, dict, bytes]:
    url = base + "/sparql?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- every result format, with SPARQLWrapper against the live server -----------------------------


def test_select_as_json(live_server):
    res = _wrapper(live_server, ISO_45001_HOLDERS, JSON).queryAndConvert()
    assert res["head"]["vars"] == ["holder"]
    holders = [b["holder"]["value"] for b in res["results"]["bindings"]]
    assert [h for h in holders if h in FIVE_BASES] == FIVE_BASES
    hefei = next(b["holder"] for b in res["results"]["bindings"] if b["holder"]["value"] == "Hefei Base")
    assert hefei == {"type": "literal", "value": "Hefei Base", "xml:lang": "en"}


def test_select_as_xml(live_server):
    doc = _wrapper(live_server, ISO_45001_HOLDERS, XML).queryAndConvert()  # a parsed DOM
    names = [v.getAttribute("name") for v in doc.getElementsByTagName("variable")]
    literals = doc.getElementsByTagName("literal")
    holders = [lit.firstChild.data for lit in literals]
    assert names == ["holder"]
    assert [h for h in holders if h in FIVE_BASES] == FIVE_BASES
    assert {lit.getAttribute("xml:lang") for lit in literals} == {"en"}


def test_select_as_csv(live_server):
    text = _wrapper(live_server, ISO_45001_HOLDERS, CSV).queryAndConvert().decode("utf-8")
    assert text.startswith("holder\r\n")  # SPARQL 1.1 CSV: CRLF lines
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:] if r[0] in FIVE_BASES] == FIVE_BASES


def test_select_as_tsv(live_server):
    text = _wrapper(live_server, ISO_45001_HOLDERS, TSV).queryAndConvert().decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "?holder"
    tagged = [f'"{b}"@en' for b in FIVE_BASES]  # language-tagged literals, in SPARQL syntax
    assert [x for x in lines[1:] if x in tagged] == tagged


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(live_server, fmt):
    # CALB p66: "Hefei Base" is one of its bases; no base is called "Atlantis Base"
    yes = _wrapper(live_server, 'ASK { ?s skos:prefLabel "Hefei Base"@en }', fmt).query().convert()
    no = _wrapper(live_server, 'ASK { ?s skos:prefLabel "Atlantis Base"@en }', fmt).query().convert()
    if fmt == JSON:
        assert (yes["boolean"], no["boolean"]) == (True, False)
    else:
        assert [d.getElementsByTagName("boolean")[0].firstChild.data for d in (yes, no)] == ["true", "false"]


CONSTRUCT = (ISO_45001_HOLDERS.replace("SELECT ?holder WHERE",
                                       "CONSTRUCT { ?site skos:prefLabel ?holder } WHERE")
             .replace(" ORDER BY ?holder", ""))


def _labels(graph: Graph) -> set[str]:
    return {str(o) for o in graph.objects(None, SKOS_LABEL)}


def test_construct_as_turtle(live_server):
    sparql = _wrapper(live_server, CONSTRUCT, TURTLE)
    result = sparql.query()
    assert result.info()["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=result.convert(), format="turtle")
    assert set(FIVE_BASES) <= _labels(graph)
    assert (URIRef(HEFEI), SKOS_LABEL, Literal("Hefei Base", lang="en")) in graph


def test_construct_as_ntriples(live_server):
    sparql = _wrapper(live_server, CONSTRUCT, N3)
    sparql.setOnlyConneg(True)
    sparql.addCustomHttpHeader("Accept", "application/n-triples")
    result = sparql.query()
    assert result.info()["content-type"].startswith("application/n-triples")
    data = result.convert()
    assert f'<{HEFEI}> <{SKOS_LABEL}> "Hefei Base"@en .'.encode() in data
    assert set(FIVE_BASES) <= _labels(Graph().parse(data=data, format="nt"))


def test_construct_as_jsonld(live_server):
    graph = _wrapper(live_server, CONSTRUCT, JSONLD).queryAndConvert()  # SPARQLWrapper parses JSON-LD
    assert set(FIVE_BASES) <= _labels(graph)


def test_describe_as_turtle(live_server):
    data = _wrapper(live_server, f"DESCRIBE <{HEFEI}>", TURTLE).queryAndConvert()  # Turtle as bytes
    graph = Graph().parse(data=data, format="turtle")
    assert (URIRef(HEFEI), SKOS_LABEL, Literal("Hefei Base", lang="en")) in graph


# --- every named query: the endpoint gives the rows the API gives ---------------------------------


def _oracle(term) -> tuple:
    """A term as comparable plain values, written independently of the server's serialisers."""
    if term is None:
        return ()
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)  # labels differ between two evaluations
    datatype = term.datatype.value if term.datatype and not term.language else None
    return ("literal", term.value, term.language or None, None if datatype == XSD_STRING else datatype)


def _from_json(binding: dict | None) -> tuple:
    if binding is None:
        return ()
    if binding["type"] == "bnode":
        return ("bnode",)
    if binding["type"] == "uri":
        return ("uri", binding["value"])
    return ("literal", binding["value"], binding.get("xml:lang"), binding.get("datatype"))


def test_every_named_query_over_sparql_matches_the_api(live_server, kg, project):
    queries = catalogue(project.queries_dir)
    assert len(queries) >= 40
    for name, named in queries.items():
        expected = kg.query(name)
        text = bind_values(named.text, named.bindings({}, codes=kg.codes)) if named.params else named.text
        sparql = _wrapper(live_server, text, JSON)
        # SPARQLWrapper guesses the form by a regex that reads words in comments ("reconstructed" as
        # CONSTRUCT, "add" as ADD, then sends an update): every named query is a SELECT
        sparql.queryType = SELECT
        res = sparql.queryAndConvert()
        assert res["head"]["vars"] == expected.columns, name
        got = Counter(tuple(_unordered(v, _from_json(b.get(v))) for v in expected.columns)
                      for b in res["results"]["bindings"])
        want = Counter(tuple(_unordered(v, _oracle(r.get(v))) for v in expected.columns)
                       for r in expected.terms)
        assert got == want, name


def _unordered(column: str, term: tuple) -> tuple:
    """A GROUP_CONCAT list (a row's pages, its printed values and units) with its parts sorted: the
    engine picks their order, and find / find-figure come from the index, which sorts pages."""
    if column in ("pages", "valuePrinted", "unitPrinted") and len(term) > 1 and term[0] == "literal":
        parts = term[1].split(", " if column == "pages" else "; ")
        return (term[0], tuple(sorted(parts)), *term[2:])
    return term


# --- the named queries over HTTP --------------------------------------------------------------------


def test_iso_45001_question_over_the_api(client):
    r = client.get("/api/queries/sites-with-standard")  # default: standard=iso-45001, status=certified
    assert r.status_code == 200 and r.mimetype == "application/sparql-results+json"
    rows = [{k: v["value"] for k, v in b.items()} for b in r.get_json()["results"]["bindings"]]
    calb = [(x["holder"], x["pages"]) for x in rows if x["company"] == "CALB"]
    assert calb == [(base, "66") for base in FIVE_BASES]  # CALB p66, line 1237
    # Seres p65 (line 2751): "The group is certified to ISO 45001" (the list of units is an image)
    seres = [(x["holder"], x["pages"]) for x in rows if x["company"] == "Seres"]
    assert seres == [("Seres Group Co., Ltd.", "65")]


def test_named_query_formats_params_and_report(client):
    r = client.get("/api/queries/sites-with-standard?standard=iso-45001&report=calb-2023&format=csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [x["holder"] for x in rows] == FIVE_BASES  # only CALB's graph: CALB p66
    r = client.post("/api/queries/sites-with-standard",
                    data={"standard": "iso-45001", "report": "seres-2023"},
                    headers={"Accept": "application/sparql-results+xml"})
    assert r.mimetype == "application/sparql-results+xml"
    holders = [e.text for e in ElementTree.fromstring(r.data).iter(SRX + "literal")]
    assert "Seres Group Co., Ltd." in holders and "Hefei Base" not in holders  # Seres p65


def test_named_query_parameter_errors(client):
    r = client.get("/api/queries/sites-with-standard?standard=iso-4500",
                   headers={"Accept": "application/json"})
    assert r.status_code == 400
    body = r.get_json()
    assert body["status"] == 400 and "standard" in body["error"] and "iso-45001" in body["error"]
    r = client.get("/api/queries/sites-with-standard?colour=red")
    assert r.status_code == 400 and "colour" in r.get_data(as_text=True)
    r = client.get("/api/queries/sites-with-standard?standard=iso-45001&standard=iso-14001")
    assert r.status_code == 400 and "2 times" in r.get_data(as_text=True)
    r = client.get("/api/queries/sites-with-standrd")
    assert r.status_code == 404 and "sites-with-standard" in r.get_data(as_text=True)
    r = client.get("/api/queries/sites-with-standard?report=acme-2023")
    assert r.status_code == 400 and "calb-2023" in r.get_data(as_text=True)


def test_a_query_parameter_named_report_is_the_querys(client):
    # hkex-not-disclosed declares `report` itself: report= binds it (CALB follows the HKEX guide)
    r = client.get("/api/queries/hkex-not-disclosed?report=calb-2023")
    assert r.status_code == 200


def test_list_of_queries_and_codes(client, project):
    body = client.get("/api/queries").get_json()
    assert [q["name"] for q in body["queries"]] == list(catalogue(project.queries_dir))
    assert body["reports"] == ["calb-2023", "seres-2023"]
    sws = next(q for q in body["queries"] if q["name"] == "sites-with-standard")
    standard = next(p for p in sws["params"] if p["name"] == "standard")
    assert standard == {"name": "standard", "type": "code(standard)", "default": "iso-45001",
                        "doc": standard["doc"], "scheme": "standard", "optional": False}
    initiatives = next(q for q in body["queries"] if q["name"] == "initiatives")
    assert next(p for p in initiatives["params"] if p["name"] == "kind")["optional"] is True
    codes = client.get("/api/codes/standard").get_json()
    assert codes["scheme"] == "standard"
    listed = [c["code"] for c in codes["codes"]]
    assert listed == sorted(listed) and "iso-45001" in listed
    assert all(set(c) == {"code", "label"} for c in codes["codes"])
    r = client.get("/api/codes/no-such-scheme")
    assert r.status_code == 404 and "standard" in r.get_data(as_text=True)


# --- the protocol: operations, dataset, formats, errors ---------------------------------------------


def _rows(response) -> list[dict]:
    return [{k: v["value"] for k, v in b.items()} for b in response.get_json()["results"]["bindings"]]


def test_post_form_and_post_direct(client):
    r = client.post("/sparql", data={"query": ISO_45001_HOLDERS}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and set(FIVE_BASES) <= {x["holder"] for x in _rows(r)}
    r = client.post("/sparql", data=ISO_45001_HOLDERS.encode(), content_type="application/sparql-query",
                    headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and set(FIVE_BASES) <= {x["holder"] for x in _rows(r)}
    r = client.post("/sparql", data=b"SELECT * WHERE { ?s ?p ?o }", content_type="text/plain")
    assert r.status_code == 415


def test_default_graph_uri_restricts_to_one_report(client):
    query = "SELECT ?r WHERE { ?r a esgkg:ESGReport } ORDER BY ?r"
    everything = _rows(client.get("/sparql", query_string={"query": query}))
    calb = _rows(client.get("/sparql", query_string={"query": query, "default-graph-uri": CALB_GRAPH}))
    assert [x["r"] for x in everything] == ["https://w3id.org/esgkg/id/report/calb-2023",
                                            "https://w3id.org/esgkg/id/report/seres-2023"]  # the two reports
    assert [x["r"] for x in calb] == ["https://w3id.org/esgkg/id/report/calb-2023"]
    r = client.get("/sparql", query_string={"query": query, "default-graph-uri": "not an iri"})
    assert r.status_code == 400


def test_accept_with_q_values_and_format_parameter(client):
    q = {"query": "SELECT ?x WHERE { BIND(1 AS ?x) }"}
    r = client.get("/sparql", query_string=q,
                   headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml"})
    assert r.mimetype == "application/sparql-results+xml"
    r = client.get("/sparql", query_string=q,
                   headers={"Accept": "text/csv, application/sparql-results+xml;q=0.2"})
    assert r.mimetype == "text/csv" and r.data == b"x\r\n1\r\n"
    r = client.get("/sparql", query_string={**q, "format": "tsv"}, headers={"Accept": "text/csv"})
    assert r.mimetype == "text/tab-separated-values"
    assert r.data == b'?x\n"1"^^<http://www.w3.org/2001/XMLSchema#integer>\n'


def test_406_when_no_format_fits(client):
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
                   headers={"Accept": "image/png"})
    assert r.status_code == 406 and "application/sparql-results+json" in r.get_data(as_text=True)
    r = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "csv"})
    assert r.status_code == 406 and "ttl" in r.get_data(as_text=True)


def test_malformed_query_is_400_with_line_and_column(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?s WHERE {\n  ?s a org:Site"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["status"] == 400
    assert re.search(r"\b2:\d+\b", r.get_json()["error"])  # the error is on line 2


def test_error_body_follows_the_client(client):
    r = client.get("/sparql", query_string={"query": "SELEC"}, headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 400 and r.mimetype == "text/plain"
    r = client.get("/sparql", query_string={"query": "SELEC", "format": "json"})
    assert r.mimetype == "application/json" and set(r.get_json()) == {"error", "status"}


def test_413_request_too_large(built_store, project):
    app = create_app(ServerConfig(store=built_store.root, project_root=project.root, max_request_bytes=2000))
    client = app.test_client()
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
    r = client.get("/sparql", query_string={"query": big})
    assert r.status_code == 413 and "2,000" in r.get_data(as_text=True)
    r = client.post("/sparql", data={"query": big})
    assert r.status_code == 413
    r = client.post("/sparql", data=big.encode(), content_type="application/sparql-query",
                    headers={"Accept": "application/json"})
    assert r.status_code == 413 and r.get_json()["status"] == 413
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_422_result_over_the_row_cap(built_store, project):
    app = create_app(ServerConfig(store=built_store.root, project_root=project.root, max_rows=5))
    client = app.test_client()
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 6"})
    assert r.status_code == 422 and "5" in r.get_data(as_text=True)
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert r.status_code == 200 and len(r.get_json()["results"]["bindings"]) == 5
    r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 6"})
    assert r.status_code == 422
    r = client.get("/api/queries/sites-with-standard")  # 6 rows (CALB p66: five bases; Seres p65: one)
    assert r.status_code == 422


def test_cors_headers(client):
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = client.options("/sparql", headers={"Origin": "https://example.org",
                                           "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "Content-Type"})
    assert r.status_code == 200 and "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    r = client.get("/api/queries", headers={"Origin": "https://example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_service_description_and_browser_redirect(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = Graph().parse(data=r.data, format="turtle")
    service = next(g.subjects(URIRef(SD + "endpoint"), URIRef("http://localhost/sparql")))
    assert (service, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in g
    assert (service, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Update")) not in g  # read-only
    names = {str(o) for o in g.objects(None, URIRef(SD + "name"))}
    assert {CALB_GRAPH, "https://w3id.org/esgkg/graph/report/seres-2023"} <= names
    r = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert r.mimetype == "application/ld+json" and json.loads(r.data)
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/query")


# --- safety: SERVICE, Update, the time limit -------------------------------------------------------


def test_service_refused_and_nothing_connects(live_server, listener):
    port = listener.getsockname()[1]
    status, _, body = _get(live_server, {"query": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> "
                                                  "{ ?s ?p ?o } }"}, accept="application/json")
    assert status == 403 and "SERVICE" in json.loads(body)["error"]
    assert not _connected(listener)


def test_update_refused_on_a_read_only_endpoint(client, live_server):
    insert = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> rdfs:label 1 } }"
    for r in (client.get("/sparql", query_string={"query": insert}),
              client.post("/sparql", data={"update": insert}, headers={"Authorization": "Bearer anything"}),
              client.post("/sparql", data=insert, content_type="application/sparql-update")):
        assert r.status_code == 403 and "read-only" in r.get_data(as_text=True)
    status, _, _ = _get(live_server, {"query": insert})
    assert status == 403


def test_update_needs_the_token_and_is_applied_as_a_new_build(update_client, writable_store):
    before = os.readlink(writable_store / CURRENT)
    insert = 'INSERT DATA { <http://example.org/t1> skos:prefLabel "added over HTTP" }'
    r = update_client.post("/sparql", data={"update": insert})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = update_client.post("/sparql", data={"update": insert},
                           headers={"Authorization": "Bearer wrong-token"})
    assert r.status_code == 401 and "wrong" in r.get_data(as_text=True)
    assert os.readlink(writable_store / CURRENT) == before
    r = update_client.post("/sparql", data={"update": insert},
                           headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"})
    assert r.status_code == 200, r.data
    new = os.readlink(writable_store / CURRENT)
    assert new != before and r.get_json()["build"] == Path(new).name
    assert (writable_store / new / MARKER).exists()
    ask = 'SELECT ?g WHERE { GRAPH ?g { <http://example.org/t1> skos:prefLabel "added over HTTP" } }'
    assert _rows(update_client.get("/sparql", query_string={"query": ask})) == [{"g": UPDATES_GRAPH}]
    # the update's default graph holds what it inserted: a DELETE DATA without GRAPH removes it
    delete = 'DELETE DATA { <http://example.org/t1> skos:prefLabel "added over HTTP" }'
    r = update_client.post("/sparql", data=delete.encode(), content_type="application/sparql-update",
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    assert _rows(update_client.get("/sparql", query_string={"query": ask})) == []
    # a query= carrying an update is not an update, token or not
    r = update_client.get("/sparql", query_string={"query": insert},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 400 and "update=" in r.get_data(as_text=True)


def test_update_errors_change_nothing(update_client, writable_store, listener):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = os.readlink(writable_store / CURRENT)
    r = update_client.post("/sparql", data={"update": "INSERT DATA { <http://example.org/x> "}, headers=auth)
    assert r.status_code == 400 and re.search(r"\b1:\d+\b", r.get_data(as_text=True))
    port = listener.getsockname()[1]
    for update in (f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
                   f"LOAD <http://127.0.0.1:{port}/data.ttl>"):
        r = update_client.post("/sparql", data={"update": update}, headers=auth)
        assert r.status_code == 403
    assert not _connected(listener)
    r = update_client.get("/sparql", query_string={"update": "CLEAR ALL"}, headers=auth)
    assert r.status_code == 405
    assert os.readlink(writable_store / CURRENT) == before


def test_a_killed_update_loses_nothing(writable_store):
    """kill -9 of an update after it was applied to its copy but before its marker: ``current``
    keeps answering from the build it named; the next update removes the dead one's folder."""
    before = os.readlink(writable_store / CURRENT)
    script = ("import sys; from pathlib import Path; from esgkg.store.builds import apply_update; "
              "apply_update(Path(sys.argv[1]), 'INSERT DATA { <http://example.org/k> rdfs:label 1 }', "
              "prefixes={'rdfs': 'http://www.w3.org/2000/01/rdf-schema#'})")
    env = {**os.environ, "ESGKG_BUILD_PAUSE": "after-load", "ESGKG_BUILD_PAUSE_SECONDS": "60"}
    proc = subprocess.Popen([sys.executable, "-c", script, str(writable_store)], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "paused at after-load" in line, line
        dead = re.search(r"build (\S+)\)", line)[1]
        assert (writable_store / "builds" / dead).is_dir()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert os.readlink(writable_store / CURRENT) == before
    config = ServerConfig(store=writable_store, project_root=None)
    client = create_app(config).test_client()
    r = client.get("/sparql", query_string={"query": "ASK { <http://example.org/k> ?p ?o }"})
    assert r.get_json()["boolean"] is False
    target = apply_update(writable_store, "INSERT DATA { <http://example.org/k2> <http://example.org/k2> 2 }")
    assert os.readlink(writable_store / CURRENT).endswith(target.name)
    assert not (writable_store / "builds" / dead).exists()


def test_runaway_query_stopped_while_other_clients_answer(live_server):
    """A query that would run for hours is stopped at the server's 3 s limit with 503, while five
    clients querying at the same time get their answers at once; the server answers afterwards."""
    runaway: dict = {}

    def run_away() -> None:
        t0 = time.monotonic()
        runaway["status"], _, runaway["body"] = _get(live_server, {"query": CROSS_COUNT}, "application/json")
        runaway["seconds"], runaway["ended"] = time.monotonic() - t0, time.monotonic()

    answers: dict[int, tuple] = {}

    def ask(i: int) -> None:
        t0 = time.monotonic()
        query = f"SELECT ?name WHERE {{ <{HEFEI}> skos:prefLabel ?name }}"
        res = _wrapper(live_server, query, JSON).queryAndConvert()
        answers[i] = (res["results"]["bindings"][0]["name"]["value"], time.monotonic() - t0, time.monotonic())

    slow = threading.Thread(target=run_away)
    slow.start()
    time.sleep(0.5)  # the runaway query is running
    clients = [threading.Thread(target=ask, args=(i,)) for i in range(5)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(20)
    slow.join(30)
    assert runaway["status"] == 503, runaway
    assert "3 s" in json.loads(runaway["body"])["error"]
    assert 2.5 <= runaway["seconds"] < 10
    assert sorted(answers) == list(range(5))
    for name, seconds, ended in answers.values():
        assert name == "Hefei Base"  # CALB p66
        assert seconds < 2.5 and ended < runaway["ended"]
    ask = 'ASK { ?s skos:prefLabel "Hefei Base"@en }'
    status, _, body = _get(live_server, {"query": ask}, "application/json")
    assert status == 200 and json.loads(body)["boolean"] is True
