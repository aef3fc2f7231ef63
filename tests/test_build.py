"""Build: named graphs, the union-by-default query policy, and atomic swaps."""

from __future__ import annotations

import collections
import contextlib
import shutil
import sqlite3

import pyoxigraph as ox
import pytest

from esgkg import ids, search
from esgkg.build import build, compile_to_files
from esgkg.errors import DataErrors, InputError
from esgkg.sources.external import EXTERNAL_GRAPH
from esgkg.sources.vocab import VOCABULARIES
from esgkg.store import EmbeddedStore, write_dataset
from esgkg.store.builds import BUILDS

ONTOLOGY_GRAPH = str(ids.ONTOLOGY_GRAPH)


def test_one_named_graph_per_report_per_vocabulary_and_for_ontology_and_periods(built_store, project):
    graphs = set(built_store.graphs())
    assert ONTOLOGY_GRAPH in graphs
    for name, _, _ in VOCABULARIES:
        assert str(ids.vocab_graph(name)) in graphs
    reports = {str(ids.report_graph(folder.name)) for folder in project.report_dirs()}
    assert reports and reports <= graphs
    assert str(ids.PERIODS_GRAPH) in graphs
    assert str(EXTERNAL_GRAPH) in graphs
    assert len(graphs) == 3 + len(VOCABULARIES) + len(reports)


def test_queries_see_the_union_of_named_graphs_by_default(built_store):
    # the certification is in a report graph, the standard's label in the standards vocabulary
    _, rows = built_store.select(
        "SELECT ?label WHERE { ?c a esgkg:Certification ; esgkg:standard ?s . ?s skos:prefLabel ?label }"
    )
    assert rows


def test_naming_graphs_restricts_what_a_query_sees(built_store):
    sparql = "SELECT (COUNT(?c) AS ?n) WHERE { ?c a esgkg:Certification }"
    _, everywhere = built_store.select(sparql)
    _, ontology_only = built_store.select(sparql, graphs=[ONTOLOGY_GRAPH])
    assert int(everywhere[0]["n"].value) > 0
    assert int(ontology_only[0]["n"].value) == 0


def _counts(path):
    store = EmbeddedStore(path)
    try:
        return store.count_per_graph()
    finally:
        store.close()


def test_a_turtle_error_names_file_and_line_and_keeps_the_previous_store(project_copy, tmp_path):
    store = tmp_path / "store"
    build(project_copy, store)
    before = _counts(store)
    report_dir = project_copy.report_dirs()[0]
    bad = report_dir / "extra.ttl"
    bad.write_text('@prefix ex: <http://example.net/> .\nex:a ex:b ex:c .\nex:d ex:e "open .\n')
    with pytest.raises(InputError) as failure:
        build(project_copy, store)
    assert f"{bad}:3" in str(failure.value)
    assert "Turtle syntax error" in str(failure.value)
    assert _counts(store) == before
    assert len(list((store / BUILDS).iterdir())) == 1  # the failed build left nothing behind


def test_a_failure_while_loading_leaves_current_untouched(project, tmp_path):
    from esgkg.build import compile_dataset

    dataset = compile_dataset(project)
    store = tmp_path / "store"
    write_dataset(store, dataset)
    before = _counts(store)

    def explode(graph, _n):
        if graph != ONTOLOGY_GRAPH:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_dataset(store, dataset, progress=explode)
    assert _counts(store) == before
    assert len(list((store / BUILDS).iterdir())) == 1


def test_rebuilding_keeps_only_the_current_and_previous_build(project, tmp_path):
    from esgkg.build import compile_dataset

    dataset = compile_dataset(project)  # compiled once: what is tested is the store's side
    store = tmp_path / "store"
    written = [write_dataset(store, dataset).name for _ in range(3)]
    assert {p.name for p in (store / BUILDS).iterdir()} == set(written[1:])
    assert _counts(store)[ONTOLOGY_GRAPH] > 0


def test_a_missing_store_is_a_clear_error(tmp_path):
    from esgkg.errors import StoreError

    with pytest.raises(StoreError, match="esgkg build"):
        EmbeddedStore(tmp_path / "nowhere")


def _quads(store: ox.Store) -> collections.Counter[str]:
    """Every quad of ``store`` as N-Quads text, blank nodes unlabelled (labels differ per compile)."""
    def text(term: object) -> str:
        return "_:b" if isinstance(term, ox.BlankNode) else str(term)
    return collections.Counter(f"{text(q.subject)} {q.predicate} {text(q.object)} {q.graph_name}"
                               for q in store.quads_for_pattern(None, None, None, None))


def test_the_build_loads_the_same_quads_as_the_graphs_compiled_in_memory(built_store, project):
    from esgkg.build import compile_dataset

    expected = ox.Store()
    for graph_iri, graph in compile_dataset(project).items():
        expected.load(input=graph.serialize(format="nt", encoding="utf-8"),
                      format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(graph_iri)))
    built = ox.Store.read_only(str(built_store.path.resolve()))
    assert _quads(built) == _quads(expected)


def test_compile_to_files_gives_one_ntriples_file_per_graph_with_its_count(project, tmp_path):
    files = compile_to_files(project, tmp_path, jobs=2)
    graphs = [f.graph for f in files]
    assert len(graphs) == len(set(graphs))
    assert {str(ids.report_graph(f.name)) for f in project.report_dirs()} <= set(graphs)
    for graph_iri, path, triples in files:
        lines = path.read_bytes().splitlines()
        assert len(lines) == len(set(lines)) == triples
        assert len(list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))) == triples
        assert graph_iri


def test_the_search_index_from_the_reports_rows_is_the_index_from_the_database(built_store, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(built_store.path.resolve(), copy)
    (copy / search.SEARCH_FILE).unlink()
    search.build_index(copy)  # the queries over the whole database, as apply_update does

    def rows(path):
        """What a search reads: the rows in their sort order (rows tied on the query's sort keys
        may take their ids in another order: each store kind gives solutions in its own), each
        figure with its keys, and the words matched on (a set: their order changes nothing)."""
        with contextlib.closing(sqlite3.connect(path)) as conn:
            keys: dict[int, list[str]] = collections.defaultdict(list)
            for figure, graph, iri in conn.execute("SELECT figure, graph, iri FROM figure_keys"):
                keys[figure].append(f"{graph} {iri}")
            return {
                "find_rows": sorted(conn.execute("SELECT graph, thing, k1, k2, k3, terms FROM find_rows"),
                                    key=repr),
                "find_order": conn.execute("SELECT graph, k1, k2, k3 FROM find_rows ORDER BY id").fetchall(),
                "figures": sorted(((row[1:], sorted(keys[row[0]])) for row in conn.execute(
                    "SELECT id, graph, k1, k2, k3, k4, k5, terms FROM figure_rows")), key=repr),
                "figure_order": conn.execute("SELECT graph, k1, k2, k3, k4, k5 FROM figure_rows "
                                             "ORDER BY id").fetchall(),
                "notes": sorted(conn.execute("SELECT graph, k1, k2, terms FROM note_rows"), key=repr),
                "note_order": conn.execute("SELECT graph, k1, k2 FROM note_rows "
                                           "ORDER BY k1, k2, id").fetchall(),
                "terms": sorted(conn.execute("SELECT label, thing, graph FROM find_terms").fetchall()
                                + conn.execute("SELECT label, iri, graph FROM figure_terms").fetchall()),
            }

    assert rows(copy / search.SEARCH_FILE) == rows(built_store.path.resolve() / search.SEARCH_FILE)


def test_a_bad_report_fails_the_parallel_build_naming_its_file(project_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("ESGKG_BUILD_JOBS", "2")
    report_dir = project_copy.report_dirs()[-1]
    bad = report_dir / "observations.csv"
    bad.write_text(bad.read_text(encoding="utf-8") + "no-such-indicator,,2023,,1,t,1,,,x,\n",
                   encoding="utf-8")
    with pytest.raises(DataErrors, match="no-such-indicator") as failure:
        build(project_copy, tmp_path / "store")
    assert str(bad) in str(failure.value)


def test_a_rebuild_compiles_again_only_the_reports_whose_sources_changed(project_copy, tmp_path):
    from esgkg.build import CACHE

    store = tmp_path / "store"
    build(project_copy, store)
    before = {p.name for p in (store / CACHE).iterdir()}
    counts = _counts(store)
    changed = project_copy.report_dirs()[0]
    entities = changed / "entities.yaml"
    entities.write_text(entities.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    build(project_copy, store)
    after = {p.name for p in (store / CACHE).iterdir()}
    assert len(before) == len(after) == len(project_copy.report_dirs())
    assert {n for n in after - before} == {n for n in after if n.startswith(f"{changed.name}-")}
    assert _counts(store) == counts
