"""Search (issue 14): ``find`` and ``find-figure`` answered from the build's full-text index.

The index is written with each build, in the build's own folder, and swapped in with it; it gives
the rows the SPARQL of ``queries/find.rq`` and ``queries/find-figure.rq`` gives on the shipped
data, in their order, a page at a time; no text breaks it. Nothing here is timed
(``bench/search.py`` measures).
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from esgkg import search
from esgkg.api import KnowledgeGraph
from esgkg.errors import InputError, StoreError
from esgkg.search import FIGURE_COLUMNS, FIND_COLUMNS, MAX_TEXT, NOTE_COLUMNS, SEARCH_FILE, SEARCH_VERSION
from esgkg.store import EmbeddedStore, write_dataset
from esgkg.store.builds import BUILDS, CURRENT, MARKER, read_marker

TIMEOUT = 60
# the words the other tests and the README search for, and some that match much, little or nothing
TERMS = ["charity", "attrition", "resign", "EHS", "water consumption", "scope 2", "sokon", "tsinghua",
         "base", "aito", "45001", "Ltd.", "ENERGY", "co", "", 'x"y']
TERMS_PER_REPORT = ["attrition", "base", "co", ""]  # the SPARQL takes time: fewer words per report
REPORTS = [None, "calb-2023", "seres-2023"]


@pytest.fixture(scope="module")
def kg(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


def sparql_rows(kg: KnowledgeGraph, name: str, text: str, report: str | None) -> tuple[list[str], list[dict]]:
    """The rows of the named query's SPARQL (the .rq file, the reference), as before the index."""
    named = kg.queries[name]
    with kg.store.query(named.text, graphs=kg.graphs_for(report), bindings=named.bindings({"text": text}),
                        timeout=None) as result:
        return result.variables, list(result)


def comparable(row: dict, columns: list[str]) -> tuple:
    """A row as text; the values a GROUP_CONCAT lists in no stated order, as a sorted tuple (pages
    by number)."""
    out = []
    for c in columns:
        term = row.get(c)
        if term is not None and c in ("valuePrinted", "unitPrinted"):
            out.append(tuple(sorted(term.value.split("; "))))
        elif term is not None and c == "pages":
            out.append(tuple(sorted(term.value.split(", "), key=int)) if term.value else ())
        else:
            out.append(None if term is None else str(term))
    return tuple(out)


ORDER = {"find": ["report", "kind", "name"],
         "find-figure": ["report", "indicator", "about", "year", "breakdown"],
         "data-quality-notes": ["report", "fact"]}


def order_key(row: dict, name: str) -> tuple:
    return tuple("" if row.get(c) is None else "\x01" + row[c].value for c in ORDER[name])


# -- the same rows as the SPARQL ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["find", "find-figure"])
def test_the_index_gives_the_rows_of_the_sparql_in_its_order(kg, name):
    for report in REPORTS:
        for text in TERMS if report is None else TERMS_PER_REPORT:
            new = kg.query(name, text=text, report=report)
            columns, old = sparql_rows(kg, name, text, report)
            assert new.columns == columns == (FIND_COLUMNS if name == "find" else FIGURE_COLUMNS)
            assert (collections.Counter(comparable(r, columns) for r in new.terms)
                    == collections.Counter(comparable(r, columns) for r in old)), (name, report, text)
            # the query's ORDER BY: the same sequence of sort keys (rows tied on them may differ)
            assert [order_key(r, name) for r in new.terms] == [order_key(r, name) for r in old]
            # a row's pages in ascending order (GROUP_CONCAT's own order is the engine's)
            for row in new.terms:
                pages = [int(p) for p in row["pages"].value.split(", ")]
                assert pages == sorted(pages), (name, row)
            assert not new.truncated


@pytest.mark.parametrize("report", REPORTS)
def test_the_index_gives_the_data_quality_notes_of_the_sparql_in_its_order(kg, report):
    """data-quality-notes, answered from the index: the rows of its SPARQL over the same graphs (a
    report's notes and those of the graphs no report owns, the external facts'), a page at a time."""
    named = kg.queries["data-quality-notes"]
    with kg.store.query(named.text, graphs=kg.graphs_for(report), timeout=None) as result:
        columns, old = result.variables, list(result)
    new = kg.query("data-quality-notes", report=report)
    assert new.columns == columns == NOTE_COLUMNS and not new.truncated
    assert (collections.Counter(comparable(r, columns) for r in new.terms)
            == collections.Counter(comparable(r, columns) for r in old))
    assert [order_key(r, "data-quality-notes") for r in new.terms] == [order_key(r, "data-quality-notes")
                                                                       for r in old]
    # the notes of each report, and the external facts' (report ""), come back
    assert {r["report"] for r in new} == ({"", "calb-2023", "seres-2023"} if report is None else {"", report})
    for row in new.terms:
        pages = [int(p) for p in row["pages"].value.split(", ") if p]
        assert pages == sorted(pages), row


def test_the_words_the_tests_use_still_find_their_figures(kg):
    for text, indicator in [("charity", "Donations"), ("attrition", "Employee turnover"),
                            ("resign", "Employee turnover"), ("EHS", "Training sessions")]:
        assert indicator in {r["indicator"] for r in kg.query("find-figure", text=text)}, text
    assert "Seres Automobile (Hubei) Co., Ltd." in {r["name"] for r in kg.query("find", text="SOKON")}


def test_typed_values_come_back_as_from_sparql(kg):
    [coop] = kg.query("find", text="tsinghua").rows
    assert isinstance(coop["pageEstimated"], bool) and coop["thing"].startswith("https://w3id.org/esgkg/id/")
    [row] = [r for r in kg.query("find-figure", text="countries and regions sold to")
             if r["report"] == "seres-2023" and "3" in r["pages"].split(", ")]
    assert (row["qualifier"], row["valuePrinted"], row["pages"], row["pageEstimated"]) == (
        "more than", "70", "3, 40", True)


# -- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "report"), [("find", "", None), ("find", "co", "calb-2023"),
                                                      ("find-figure", "a", None),
                                                      ("data-quality-notes", None, "seres-2023")])
def test_pages_are_disjoint_and_complete(kg, name, text, report):
    kw = {} if text is None else {"text": text}
    whole = kg.query(name, report=report, **kw)
    assert len(whole) > 100 and not whole.truncated
    pages, offset = [], 0
    while True:
        page = kg.query(name, report=report, **kw, limit=37, offset=offset)
        pages.append(page)
        offset += len(page)
        if not page.truncated:
            break
        assert len(page) == 37
    seen = [r for p in pages for r in p.terms]
    assert [comparable(r, whole.columns) for r in seen] == [comparable(r, whole.columns) for r in whole.terms]
    assert kg.query(name, report=report, **kw, offset=len(whole)).rows == []
    assert kg.query(name, report=report, **kw, limit=0).truncated


def test_offset_is_only_for_the_paged_queries(kg):
    with pytest.raises(InputError, match="offset pages find, find-figure and data-quality-notes"):
        kg.query("sites", offset=3)
    with pytest.raises(InputError, match="limit must be a whole number"):
        kg.query("find", text="x", limit=-1)
    with pytest.raises(InputError, match="no report 'nope-2023'"):
        kg.query("find", text="x", report="nope-2023")


def test_the_cli_prints_a_page_and_says_more_follow(run):
    result = run("query", "find", "-p", "text=co", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(("calb-", "seres-"))]
    assert len(lines) == search.DEFAULT_LIMIT
    assert "--offset 50" in result.stderr
    second = run("query", "find", "-p", "text=co", "--format", "csv", "--limit", "10", "--offset", "50")
    assert second.exit_code == 0
    assert [line for line in second.stdout.splitlines()[1:] if line] != lines[:10]
    assert "--offset 60" in second.stderr
    refused = run("query", "sites", "--offset", "2")
    assert refused.exit_code == 2 and "offset pages find" in refused.output


def test_the_server_pages_through_the_same_stage(live_server):
    def get(path):
        return urllib.request.urlopen(live_server + path, timeout=TIMEOUT)

    with get("/api/queries/find?text=co&limit=5&offset=5&format=json") as resp:
        body = json.load(resp)
        assert len(body["results"]["bindings"]) == 5
        assert resp.headers["X-Next-Offset"] == "10"
        assert "offset=10" in resp.headers["Link"] and 'rel="next"' in resp.headers["Link"]
    with get("/api/queries/find-figure?text=attrition&report=calb-2023&format=csv") as resp:
        text = resp.read().decode()
        assert "15,424" in text and "X-Next-Offset" not in resp.headers
    for bad in ("/api/queries/find?text=co&limit=abc", "/api/queries/sites?offset=2",
                "/api/queries/find?text=" + "x" * (MAX_TEXT + 1)):
        with pytest.raises(urllib.error.HTTPError) as err:
            get(bad)
        assert err.value.code == 400, bad


# -- hostile and huge input -----------------------------------------------------------------------

FTS_SYNTAX = st.sampled_from(['"', "'", "*", "NEAR", "NEAR(", ")", "(", "-", ":", "^", "AND", "OR", "NOT",
                              "{", "}", "+", "label:", "\x00", "\\", "%", "_", " ", "é", "İ", "ß"])
HOSTILE = st.one_of(st.text(max_size=40), st.lists(st.one_of(FTS_SYNTAX, st.text(max_size=5)), max_size=12)
                    .map("".join))


@pytest.fixture(scope="module")
def model(kg) -> dict[str, list[tuple[str, list[str]]]]:
    """Each row of the index with every label it is found by, read from the index's tables."""
    import sqlite3

    joins = {"find": "JOIN find_terms t ON t.thing = r.thing AND t.graph = r.graph FROM_ find_rows r",
             "find-figure": "JOIN figure_keys k ON k.figure = r.id "
                            "JOIN figure_terms t ON t.iri = k.iri AND t.graph = k.graph FROM_ figure_rows r"}
    out = {}
    with sqlite3.connect(kg.store.search_index().path) as conn:
        for name, join in joins.items():
            join, table = join.split(" FROM_ ")
            out[name] = [(terms, labels.split("\x1f")) for terms, labels in conn.execute(
                f"SELECT r.terms, group_concat(t.label, char(31)) FROM {table} {join} GROUP BY r.id")]
    return out


def _row_text(row: dict, columns: list[str]) -> str:
    return json.dumps([search._encode(row[c]) for c in columns], ensure_ascii=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_no_text_breaks_the_search_or_returns_a_row_it_does_not_match(kg, model, text):
    index = kg.store.search_index()
    needle = text.lower()
    for name in ("find", "find-figure"):
        try:
            found = index.search(name, text)
        except InputError:
            continue  # the only error allowed: a clear one
        got = collections.Counter(_row_text(r, found.variables) for r in found)
        matching = collections.Counter(terms for terms, labels in model[name]
                                       if any(needle in label.lower() for label in labels))
        assert got <= matching, (name, text)  # never a row whose labels do not hold the text
        if text.isascii():  # no case folding of SQLite and Python to tell apart: every such row
            assert got == matching, (name, text)


@pytest.mark.parametrize("text", ['"', '""', '"*', "*", "a*", "NEAR(a b)", "-safety", "label:safety", "a:b",
                                  "safety OR water", "(", "^base", "\x00", "\x00abc", "   ", "\t\n",
                                  "'; DROP TABLE find_rows; --", "x" * MAX_TEXT])
def test_fts_syntax_in_the_text_is_plain_text(kg, text):
    for name in ("find", "find-figure"):
        rows = kg.query(name, text=text).rows
        _columns, old = sparql_rows(kg, name, text, None)
        assert len(rows) == len(old), (name, text)


@pytest.mark.parametrize(("text", "message"), [("x" * (MAX_TEXT + 1), "characters long"),
                                               ("\ud800", "lone surrogate")])
def test_a_text_too_long_or_not_unicode_is_a_clear_error(kg, text, message):
    for name in ("find", "find-figure"):
        with pytest.raises(InputError, match=message):
            kg.query(name, text=text)


# -- built with the store, swapped with it, refused when missing or stale ----------------------------

EX = Namespace("https://w3id.org/esgkg/")
ESGKG = Namespace("https://w3id.org/esgkg/ontology#")
PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")


def tiny_report(tag: str) -> dict[URIRef, Graph]:
    """An ontology graph with one class and a report graph with one named thing, ``Widget <tag>``."""
    onto = Graph()
    onto.add((ESGKG.Widget, RDFS.label, Literal("widget", lang="en")))
    report = Graph()
    thing, src = EX[f"id/widget/{tag}"], EX[f"id/page/r-2023/{tag}"]
    report.add((thing, RDF.type, ESGKG.Widget))
    report.add((thing, SKOS.prefLabel, Literal(f"Widget {tag}", lang="en")))
    report.add((thing, PROV.wasDerivedFrom, src))
    report.add((src, ESGKG.pageNumber, Literal(3, datatype=XSD.integer)))
    report.add((src, OA.hasSource, EX["id/report/r-2023"]))
    return {EX["graph/ontology"]: onto, EX["graph/report/r-2023"]: report}


TINY_BUILD = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_search import tiny_report
from esgkg.store import write_dataset
print(write_dataset(Path(sys.argv[1]), tiny_report(sys.argv[2]), wait=60).name)
"""


def found_names(root: Path, project) -> list[str]:
    kg = KnowledgeGraph(EmbeddedStore(root), project)
    try:
        return [r["name"] for r in kg.query("find", text="widget")]
    finally:
        kg.close()


def test_the_index_is_written_in_the_build_and_swapped_with_it(tmp_path, project):
    root = tmp_path / "store"
    first = write_dataset(root, tiny_report("one"))
    marker = read_marker(first)
    assert marker["search"] == {"version": SEARCH_VERSION, "file": SEARCH_FILE, "things": 1, "figures": 0,
                                 "notes": 0}
    assert (first / SEARCH_FILE).is_file()
    assert found_names(root, project) == ["Widget one"]
    second = write_dataset(root, tiny_report("two"))
    assert (root / CURRENT).resolve() == second.resolve()
    assert found_names(root, project) == ["Widget two"]
    assert found_names(root, project) != []  # the previous build keeps its own index untouched
    import sqlite3

    with sqlite3.connect(first / SEARCH_FILE) as conn:
        assert dict(conn.execute("SELECT key, value FROM meta"))["build"] == first.name


def test_a_build_killed_after_writing_its_index_leaves_the_previous_store_and_index(tmp_path, project):
    root = tmp_path / "store"
    write_dataset(root, tiny_report("old"))
    log = tmp_path / "log"
    env = {**os.environ, "ESGKG_BUILD_PAUSE": "after-load", "ESGKG_BUILD_PAUSE_SECONDS": "300"}
    proc = subprocess.Popen([sys.executable, "-c", TINY_BUILD, str(root), "new"], env=env,
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while "paused at after-load" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        paused = [p for p in (root / BUILDS).iterdir() if not (p / MARKER).exists()]
        assert len(paused) == 1 and (paused[0] / SEARCH_FILE).is_file()  # written, not yet complete
        assert found_names(root, project) == ["Widget old"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
    assert found_names(root, project) == ["Widget old"]
    write_dataset(root, tiny_report("next"))
    assert found_names(root, project) == ["Widget next"]
    assert not paused[0].exists()


def _copy(store: EmbeddedStore, tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "copy"
    shutil.copytree(store.root, root, symlinks=True)
    return root, (root / CURRENT).resolve()


def test_a_store_without_an_index_says_to_run_esgkg_build(built_store, project, tmp_path):
    root, build = _copy(built_store, tmp_path)
    (build / SEARCH_FILE).unlink()
    kg = KnowledgeGraph(EmbeddedStore(root), project)
    with pytest.raises(StoreError, match=r"no search index .* run `esgkg build`"):
        kg.query("find", text="base")
    assert kg.query("sites").rows  # the rest of the store still answers
    kg.close()


def test_an_index_of_an_older_esgkg_says_to_run_esgkg_build(built_store, project, tmp_path):
    root, build = _copy(built_store, tmp_path)
    marker = read_marker(build)
    marker["search"]["version"] = SEARCH_VERSION - 1
    (build / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    kg = KnowledgeGraph(EmbeddedStore(root), project)
    with pytest.raises(StoreError, match=rf"version {SEARCH_VERSION - 1}, this esgkg reads version "
                                         rf"{SEARCH_VERSION}: run `esgkg build`"):
        kg.query("find-figure", text="water")
    del marker["search"]
    (build / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    kg = KnowledgeGraph(EmbeddedStore(root), project)
    with pytest.raises(StoreError, match=r"no search index"):
        kg.query("find", text="water")


def test_an_update_through_the_server_path_gets_its_own_index(tmp_path, project):
    from esgkg.store.builds import apply_update

    root = tmp_path / "store"
    write_dataset(root, tiny_report("before"))
    target = apply_update(root, "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }", wait=0)
    assert (target / SEARCH_FILE).is_file() and read_marker(target)["search"]["things"] == 1
    assert found_names(root, project) == ["Widget before"]


def test_without_fts5_the_error_says_what_is_missing(monkeypatch, tmp_path):
    import sqlite3

    def no_fts5(*_args, **_kwargs):
        raise sqlite3.OperationalError("no such module: fts5")

    monkeypatch.setattr(search.sqlite3, "connect", no_fts5)
    assert "FTS5" in search.fts5_missing()
    with pytest.raises(StoreError, match=r"FTS5 trigram tokenizer .* SQLite 3.34"):
        search.build_index(tmp_path)
