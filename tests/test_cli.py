"""The CLI as a user meets it: exit codes, messages, formats."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from esgkg.cli import app


def test_malformed_sparql_shows_the_parser_position_and_exits_2(run):
    result = run("sparql", "SELECT ?x WHERE { ?x a }")
    assert result.exit_code == 2
    assert "malformed SPARQL" in result.output and "1:" in result.output


def test_unknown_query_name_exits_2(run):
    result = run("query", "no-such-query")
    assert result.exit_code == 2 and "no query named" in result.output


def test_a_parameter_of_the_wrong_type_is_refused(run):
    result = run("query", "sites-with-standard", "-p", 'standard=x> } ; DROP ALL #')
    assert result.exit_code == 2
    assert "must be a standard code" in result.output


def test_an_unknown_parameter_is_refused(run):
    result = run("query", "sites-with-standard", "-p", "colour=red")
    assert result.exit_code == 2 and "no parameter" in result.output


def test_csv_and_json_output_are_machine_readable(run):
    sparql = "SELECT ?g WHERE { GRAPH ?g { } } ORDER BY ?g"
    as_csv = run("sparql", sparql, "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["g"] and len(rows) > 5
    as_json = json.loads(run("sparql", sparql, "--format", "json").stdout)
    assert as_json["head"]["vars"] == ["g"]
    assert all(b["g"]["type"] == "uri" for b in as_json["results"]["bindings"])


def test_report_option_restricts_to_one_report_and_keeps_the_vocabularies(run, project):
    sparql = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a esgkg:ESGReport }"
    everything = run("sparql", sparql, "--format", "csv").stdout.splitlines()[1]
    assert everything == str(len(project.report_dirs()))
    only = run("sparql", sparql, "--report", "calb-2023", "--format", "csv")
    assert only.stdout.splitlines()[1] == "1"
    # the ontology and vocabularies stay visible: a standard's label joins to a certificate
    labels = run("sparql", "SELECT ?l WHERE { ?c esgkg:standard/skos:prefLabel ?l } LIMIT 1",
                 "--report", "calb-2023", "--format", "csv")
    assert len(labels.stdout.splitlines()) == 2
    unknown = run("sparql", sparql, "--report", "nope-2023")
    assert unknown.exit_code == 2 and "no report" in unknown.output


def test_stats_prints_triples_per_graph_and_instances_per_class(run):
    result = run("stats")
    assert result.exit_code == 0
    assert "graph/report/calb-2023" in result.output
    assert "esgkg:Certification" in result.output


def test_queries_lists_the_catalogue(run):
    result = run("queries")
    assert result.exit_code == 0 and "sites-with-standard" in result.output


def test_a_query_parameter_named_report_is_a_parameter(run):
    # hkex-not-disclosed takes `report`; CALB's index lists every HKEX KPI (pp. 88-89)
    result = run("query", "hkex-not-disclosed", "-p", "report=calb-2023", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["code,title,level,status"]


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_broken_copies_of_the_data_are_named_with_figure_and_page(project_copy, tmp_path, monkeypatch):
    """The issue's acceptance test, on a copy of the shipped CALB data (annex pp. 82-83)."""
    monkeypatch.setenv("ESGKG_PROJECT", str(project_copy.root))
    monkeypatch.setenv("ESGKG_STORE", str(tmp_path / "store"))
    obs = project_copy.data_dir / "calb-2023" / "observations.csv"
    # a percentage of 140: packaging recycled 2023, p83 line 1585 (printed 96.89 %)
    _edit(obs, "packaging-recycling-rate,,2023,,96.89,%,83,", "packaging-recycling-rate,,2023,,140,%,83,")
    # a broken total: direct energy 2022 (p83 line 1577) no longer adds up to the printed total
    _edit(obs, '"641,013.99",MWh,83', '"700,000.00",MWh,83')
    # a negative gross quantity: scope 1 2023 (p82 line 1559)
    _edit(obs, '"307,488.75",Carbon', '"-307,488.75",Carbon')
    runner = CliRunner()
    assert runner.invoke(app, ["build"]).exit_code == 0
    result = runner.invoke(app, ["validate", "--report", "calb-2023"])
    assert result.exit_code == 1  # a Violation
    out = " ".join(result.output.split())
    assert "packaging-recycling-rate 2023" in out and "140" in out
    assert "energy-consumption 2022 on page 83" in out
    assert "a total equals the sum of its parts" in out  # each group says in words what it checks
    assert "ghg-scope1 2023" in out and "-307488.75" in out and "p. 82" in out

    # deleting a required property: the site's pages (CALB Changzhou Base) stops the build, exit 2
    entities = project_copy.data_dir / "calb-2023" / "entities.yaml"
    text = entities.read_text(encoding="utf-8")
    start = text.index("- key: changzhou-base")
    block = text[start:text.index("\n  - ", start)]
    pages = next(line for line in block.splitlines() if line.strip().startswith("pages:"))
    entities.write_text(text.replace(block, block.replace(pages + "\n", "").replace(pages, "")),
                        encoding="utf-8")
    broken = runner.invoke(app, ["build"])
    assert broken.exit_code == 2
    assert "[sites]" in broken.output and "changzhou-base" in broken.output and "pages" in broken.output
    # ... and the store built before is still there and valid to query
    still = runner.invoke(app, ["query", "sites-with-standard", "--param", "standard=iso-45001"])
    assert still.exit_code == 0 and "Changzhou Base" in still.output
