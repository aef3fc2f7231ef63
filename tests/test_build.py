"""Build: named graphs, the union-by-default query policy, and atomic swaps."""

from __future__ import annotations

import pytest

from esgkg import ids
from esgkg.build import build
from esgkg.errors import InputError
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
