"""Exports: RDF formats, CSV + CSVW, JSON-LD, reconciled view, description, release, diff.

Expected figures come from the report pages named beside them (as in test_queries.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF

from esgkg import ids
from esgkg.build import build
from esgkg.errors import InputError
from esgkg.export import csvw, jsonld
from esgkg.export.common import DATA_LICENSE, load_graph, reconciled_graph_iri
from esgkg.export.diff import diff, to_json, to_text
from esgkg.export.formats import FORMATS, export, select_graphs, serialise
from esgkg.export.reconcile import reconciled_graph
from esgkg.export.release import release
from esgkg.namespaces import ESGKG, QB, SH
from esgkg.store import EmbeddedStore

CALB = "calb-2023"
SERES = "seres-2023"


@pytest.fixture(scope="module")
def all_graphs(built_store: EmbeddedStore) -> dict[str, Graph]:
    return select_graphs(built_store)


def _export(store: EmbeddedStore, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    export(store, fmt, out, **kwargs)
    return out.getvalue()


def _parse(data: bytes, fmt: str) -> Dataset:
    ds = Dataset()
    syntax = {"turtle": "turtle", "ntriples": "nt", "trig": "trig", "nquads": "nquads"}[fmt]
    ds.parse(data=data, format=syntax)
    return ds


# --- 1. RDF formats ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_quad_exports_keep_one_graph_per_report_and_reimport_isomorphic(built_store, all_graphs, fmt):
    ds = _parse(_export(built_store, fmt), fmt)
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert names == set(all_graphs)
    assert str(ids.report_graph(CALB)) in names and str(ids.report_graph(SERES)) in names
    for iri, expected in all_graphs.items():
        assert isomorphic(ds.graph(URIRef(iri)), expected), iri


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_triple_exports_reimport_as_the_union(built_store, all_graphs, fmt):
    g = Graph().parse(data=_export(built_store, fmt), format="turtle" if fmt == "turtle" else "nt")
    union = Graph()
    for part in all_graphs.values():
        union += part
    assert isomorphic(g, union)


def test_report_export_holds_that_report_and_the_periods_only(built_store):
    ds = _parse(_export(built_store, "trig", report=CALB), "trig")
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert names == {str(ids.report_graph(CALB)), str(ids.PERIODS_GRAPH)}
    assert isomorphic(ds.graph(ids.report_graph(CALB)), load_graph(built_store, str(ids.report_graph(CALB))))
    with pytest.raises(InputError, match="no report 'nope'"):
        _export(built_store, "trig", report="nope")
    with pytest.raises(InputError, match="unknown export format"):
        _export(built_store, "rdfxml")


def test_every_export_starts_with_the_licence_and_the_sources(built_store):
    for fmt in FORMATS:
        lines = _export(built_store, fmt, report=SERES).decode("utf-8").splitlines()
        head = [line for line in lines[:10] if line.startswith("# ")]
        assert lines[:len(head)] == head and len(head) >= 4, fmt
        text = "\n".join(head)
        assert "CC BY 4.0" in text and DATA_LICENSE in text
        assert "2023 Environmental, Social and Governance Report" in text and "Seres Group Co., Ltd." in text


def test_serialisation_does_not_depend_on_insertion_order(all_graphs):
    subset = {k: v for k, v in all_graphs.items() if k.endswith(("/ontology", "/periods", CALB))}
    shuffled = {}
    for iri in reversed(list(subset)):
        triples = list(subset[iri])
        random.Random(7).shuffle(triples)
        g = Graph()
        for t in triples:
            g.add(t)
        shuffled[iri] = g
    for fmt in FORMATS:
        assert serialise(subset, fmt) == serialise(shuffled, fmt), fmt


def test_ntriples_and_nquads_lines_are_sorted(built_store):
    for fmt in ("ntriples", "nquads"):
        lines = [line for line in _export(built_store, fmt, report=CALB).decode().splitlines()
                 if not line.startswith("#")]
        assert lines == sorted(lines)


def test_nquads_pass_jena_riot_validate(built_store, tmp_path):
    from esgkg.jena import PACKAGE, find_jena

    jena = find_jena(tmp_path / "jena")
    if jena is None:
        pytest.skip(f"Apache Jena is not installed (Debian package {PACKAGE} and java)")
    path = tmp_path / "all.nq"
    path.write_bytes(_export(built_store, "nquads", reconciled=True))
    done = subprocess.run([jena.java, "-cp", ":".join(jena.classpath), "riotcmd.riot", "--validate",
                           "--syntax=N-Quads", str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ERROR" not in done.stderr and "WARN" not in done.stderr, done.stderr[-2000:]


# --- 2. CSV + CSVW -------------------------------------------------------------------------------

def _read_with_metadata(csv_bytes: bytes, meta: dict) -> list[dict]:
    """A minimal CSVW reader: the dialect, the columns' names and datatypes, empty = null."""
    d = meta["dialect"]
    assert d["header"] and d["delimiter"] == "," and d["encoding"] == "utf-8"
    cols = [c for c in meta["tableSchema"]["columns"] if not c.get("virtual")]
    reader = csv.reader(io.StringIO(csv_bytes.decode("utf-8")), delimiter=d["delimiter"],
                        quotechar=d["quoteChar"])
    header = next(reader)
    assert header == [c["titles"] for c in cols]
    cast = {"string": str, "decimal": Decimal, "integer": int, "boolean": lambda v: v == "true"}
    out = []
    for cells in reader:
        row = {}
        for col, cell in zip(cols, cells, strict=True):
            if cell == "":
                row[col["name"]] = None
            elif col.get("separator"):
                row[col["name"]] = [cast[col["datatype"]](v) for v in cell.split(col["separator"])]
            else:
                row[col["name"]] = cast[col["datatype"]](cell)
        out.append(row)
    return out


@pytest.fixture(scope="module")
def csv_rows(built_store) -> list[dict]:
    data, meta = io.BytesIO(), io.BytesIO()
    csvw.write_csv(built_store, data)
    csvw.write_metadata(built_store, meta)
    return _read_with_metadata(data.getvalue(), json.loads(meta.getvalue()))


def test_csv_rereads_with_its_metadata_to_every_observation(built_store, csv_rows):
    _n, rows = built_store.select(
        "SELECT ?o ?v ?u ?page WHERE { ?o a qb:Observation ; esgkg:value ?v ; esgkg:unitAsPrinted ?u ; "
        "prov:wasDerivedFrom/esgkg:pageNumber ?page }")
    store = {r["o"].value: (Decimal(r["v"].value), r["u"].value, int(r["page"].value)) for r in rows}
    assert len(csv_rows) == len(store)
    assert {r["observation"]: (r["value"], r["unit_as_printed"], r["page"]) for r in csv_rows} == store


def test_csv_scope_1_emissions_with_pages_and_canonical_units(csv_rows):
    scope1 = {(r["company_key"], r["period"], r["page"]): r
              for r in csv_rows if r["indicator"] == "ghg-scope1"}
    # CALB: annex p82 and climate section p45 print the same figures; Seres p54
    for page in (45, 82):
        assert scope1[("calb", "2022", page)]["value"] == Decimal("134957.01")
        assert scope1[("calb", "2023", page)]["value"] == Decimal("307488.75")
    assert scope1[("seres", "2022", 54)]["value"] == Decimal("56333.39")
    assert scope1[("seres", "2023", 54)]["value"] == Decimal("47756.19")
    row = scope1[("seres", "2023", 54)]
    assert (row["value_as_printed"], row["canonical_value"], row["canonical_unit"]) == (
        "47,756.19", Decimal("47756.19"), "TONNE")
    assert row["company"] == "Seres Group Co., Ltd." and row["listings"] == ["sse:601127"]
    assert row["hkex"] == ["A1.2"] and row["gri"] == ["305-1"]


def test_csv_canonical_value_applies_the_printed_scale(csv_rows):
    # CALB annex p82 (line 1546): revenue 2,700,589 in RMB10,000 for 2023
    [row] = [r for r in csv_rows if r["indicator"] == "revenue" and r["company_key"] == "calb"
             and r["period"] == "2023" and r["unit_as_printed"] == "RMB10,000"]
    assert row["canonical_value"] == Decimal("27005890000") and row["canonical_unit"] == "CCY_CNY"
    # the misprinted unit "RMB100,0000" (p85) has no QUDT unit: no canonical value
    for r in csv_rows:
        if r["unit_as_printed"] == "RMB100,0000":
            assert r["canonical_value"] is None and r["canonical_unit"] is None


def test_csvw_metadata_maps_columns_to_the_graph(built_store):
    meta = csvw.metadata(built_store)
    cols = {c.get("name"): c for c in meta["tableSchema"]["columns"]}
    assert meta["tableSchema"]["aboutUrl"] == "{+observation}"
    assert cols["value"]["propertyUrl"] == str(ESGKG.value) and cols["value"]["datatype"] == "decimal"
    assert cols["page"]["valueUrl"] == "https://w3id.org/esgkg/id/report/{report}/page/{page}"
    assert cols["observation"]["suppressOutput"] is True
    assert meta["dc:license"] == {"@id": DATA_LICENSE}


# --- 3. JSON-LD ----------------------------------------------------------------------------------

def test_shipped_context_agrees_with_the_ontology(built_store):
    # a property added to the ontology since the context was generated has no short term yet
    # (its values then compact to expanded form, still correct); a term the context has must
    # say what the ontology says. Regenerate: esgkg.export.jsonld.regenerate_context(store)
    shipped = jsonld.shipped_context()["@context"]
    generated = jsonld.context_with_codelists(built_store)["@context"]
    assert {k: v for k, v in shipped.items() if generated.get(k) != v} == {}
    short = {"indicator", "value", "unit", "period", "page", "entity", "gender", "observations"}
    assert short <= set(shipped)


def test_jsonld_expands_to_the_report_graphs_and_compacts_without_loss(built_store, all_graphs):
    data = jsonld.jsonld_bytes(jsonld.report_union(all_graphs))
    expected = jsonld.report_union(all_graphs)
    g = Graph().parse(data=data, format="json-ld")
    assert isomorphic(g, expected)
    context = jsonld.shipped_context()["@context"]
    compacted = g.serialize(format="json-ld", context=context, auto_compact=True)
    assert isomorphic(Graph().parse(data=compacted, format="json-ld"), expected)


def test_jsonld_is_readable_without_rdf(all_graphs):
    doc = json.loads(jsonld.jsonld_bytes(jsonld.report_union(all_graphs)))
    first = doc["@graph"][0]
    assert first["@type"] == "DataSet" and first["@id"] == "dataset/calb-2023"
    by_id = {o["@id"]: o for ds in doc["@graph"] if "observations" in ds for o in ds["observations"]}
    # Seres p54: scope 2 for 2023, 103,776.09 t
    [obs] = [o for o in by_id.values() if o["indicator"] == "ghg-scope2" and o["period"] == "period/2023"
             and o["entity"] == "org/seres"]
    assert (obs["value"], obs["unit"], obs["page"]) == ("103776.09", "TONNE", "report/seres-2023/page/54")
    kinds = [n.get("@type") for n in doc["@graph"]]
    others = [i for i, k in enumerate(kinds) if k not in ("DataSet", "Organization")]
    assert kinds.index("Organization") < min(others)


# --- 4. reconciled view --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reconciled_calb(built_store) -> Graph:
    return reconciled_graph(built_store, CALB)


def _reconciled(g: Graph, indicator: str, period: str) -> URIRef:
    [obs] = [o for o in g.subjects(ESGKG.indicator, URIRef(f"https://w3id.org/esgkg/vocab/indicator/{indicator}"))
             if (o, ESGKG.refPeriod, ids.period(period)) in g and (o, ESGKG.gender, ESGKG.total) in g
             and (o, ESGKG.site, ESGKG.allSites) in g and (o, ESGKG.category, ESGKG.total) in g
             and (o, ESGKG.refEntity, ids.organization("calb")) in g]
    return obs


def test_calb_2022_scope_2_printings_disagree_and_are_flagged(built_store, reconciled_calb):
    g = reconciled_calb
    obs = _reconciled(g, "ghg-scope2", "2022")
    assert g.value(obs, ESGKG.printingsDisagree) == Literal(True)
    printings = set(g.objects(obs, ESGKG.printing))
    assert len(printings) == 2
    _n, rows = built_store.select(
        "SELECT ?o ?page ?v WHERE { ?o prov:wasDerivedFrom/esgkg:pageNumber ?page ; esgkg:value ?v }")
    pages = {r["o"].value: (int(r["page"].value), Decimal(r["v"].value)) for r in rows}
    # p45 (climate section, line 825) 450,953.34; p82 (annex, line 1560) 450,935.34
    assert {pages[str(p)] for p in printings} == {(45, Decimal("450953.34")), (82, Decimal("450935.34"))}
    taken = g.value(obs, PROV.wasDerivedFrom)
    assert pages[str(taken)] == (82, Decimal("450935.34"))
    assert str(g.value(obs, ESGKG.reconciliationRule)) == "data-table-over-body-text"
    assert g.value(obs, ESGKG.value) == Literal(Decimal("450935.34"))


def test_agreeing_printings_are_one_value_not_flagged(reconciled_calb):
    g = reconciled_calb
    # CALB scope 1, 2023: 307,488.75 t on p45 and on p82
    obs = _reconciled(g, "ghg-scope1", "2023")
    assert g.value(obs, ESGKG.printingsDisagree) == Literal(False)
    assert str(g.value(obs, ESGKG.reconciliationRule)) == "agreeing-printings"
    assert len(set(g.objects(obs, ESGKG.printing))) == 2
    assert g.value(obs, ESGKG.value) == Literal(Decimal("307488.75"))


def test_reconciled_data_set_has_one_value_per_figure_and_every_dimension(built_store, reconciled_calb):
    g = reconciled_calb
    dims = [URIRef(d) for d in
            {r["d"].value for r in built_store.select(
                "SELECT ?d WHERE { esgkg:reconciledKpiStructure qb:component/qb:dimension ?d }")[1]}]
    assert len(dims) >= 17 and ESGKG.site in dims and ESGKG.gender in dims
    keys = []
    for obs in g.subjects(RDF.type, QB.Observation):
        values = [list(g.objects(obs, d)) for d in dims]
        assert all(len(v) == 1 for v in values), obs
        keys.append(tuple(v[0] for v in values))
    assert len(keys) == len(set(keys))
    as_printed = len(built_store.select("SELECT ?o WHERE { ?o a qb:Observation }",
                                        graphs=[str(ids.report_graph(CALB))])[1])
    assert 0 < len(keys) < as_printed
    rules = {str(r) for r in g.objects(None, ESGKG.reconciliationRule)}
    assert {"only-printing", "agreeing-printings", "data-table-over-body-text"} <= rules


def test_reconciled_graph_is_exported_in_its_own_named_graph(built_store):
    ds = _parse(_export(built_store, "nquads", report=CALB, reconciled=True), "nquads")
    assert len(ds.graph(reconciled_graph_iri(CALB))) > 0
    assert isomorphic(ds.graph(reconciled_graph_iri(CALB)), reconciled_graph(built_store, CALB))


# --- 6-8. release: description, licence, validation report, checksums, byte-identical ------------

@pytest.fixture(scope="module")
def releases(built_store, project, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("releases")
    a, b = root / "a", root / "b"
    release(built_store, a, "0.1.0", project.shapes_dir)
    release(built_store, b, "0.1.0", project.shapes_dir)
    return a, b


def test_two_releases_of_one_store_are_byte_identical(releases):
    a, b = releases
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert {"esgkg.trig", "esgkg.nq", "esgkg.ttl", "esgkg.nt", "esgkg.jsonld", "context.jsonld",
            "observations.csv", "observations.csv-metadata.json", "validation.ttl", "description.ttl",
            "LICENSE", "SHA256SUMS"} == set(names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_release_checksums_and_description(releases):
    a, _ = releases
    sums = dict(reversed(line.split("  ", 1)) for line in (a / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {p.name for p in a.iterdir()} - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((a / name).read_bytes()).hexdigest() == digest
    desc = Graph().parse(a / "description.ttl", format="turtle")
    [ds] = list(desc.subjects(RDF.type, DCAT.Dataset))
    assert desc.value(ds, DCTERMS.license) == URIRef(DATA_LICENSE)
    assert desc.value(ds, URIRef(str(DCAT) + "version")) == Literal("0.1.0")
    assert set(desc.objects(ds, DCTERMS.source)) == {ids.report(CALB), ids.report(SERES)}
    dists = {str(d).rsplit("/", 1)[-1]: d for d in desc.objects(ds, DCAT.distribution)}
    assert set(dists) == set(sums) - {"description.ttl"}
    spdx = "http://spdx.org/rdf/terms#"
    for name, dist in dists.items():
        assert int(desc.value(dist, DCAT.byteSize)) == (a / name).stat().st_size
        checksum = desc.value(dist, URIRef(spdx + "checksum"))
        assert str(desc.value(checksum, URIRef(spdx + "checksumValue"))) == sums[name]
    void_triples = URIRef("http://rdfs.org/ns/void#triples")
    subsets = {str(s): int(desc.value(s, void_triples)) for s in desc.objects(ds, URIRef("http://rdfs.org/ns/void#subset"))}
    assert subsets[str(reconciled_graph_iri(CALB))] > 0 and str(ids.report_graph(SERES)) in subsets


def test_release_validation_report_follows_shacl(releases):
    a, _ = releases
    report = Graph().parse(a / "validation.ttl", format="turtle")
    [node] = list(report.subjects(RDF.type, SH.ValidationReport))
    results = list(report.objects(node, SH.result))
    assert results  # the shipped data carries the reports' own contradictions as warnings
    assert report.value(node, SH.conforms) == Literal(False)
    # CALB's 2022 scope 2 (p45 vs p82) is among them
    assert any("ghg-scope2/2022" in str(report.value(r, SH.focusNode)) for r in results)


def test_release_refuses_a_folder_that_is_not_empty(built_store, tmp_path):
    (tmp_path / "x").write_text("x")
    with pytest.raises(InputError, match="not an empty folder"):
        release(built_store, tmp_path, "0.1.0", parts=("csv",))


# --- 9. diff ------------------------------------------------------------------------------------

def test_diff_reports_exactly_one_changed_figure(built_store, project_copy, tmp_path):
    # Seres p54 (line 2224): scope 1 for 2023 printed 47,756.19 t; the copy prints 47,756.91
    path = project_copy.data_dir / SERES / "observations.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count('"47,756.19"') == 1
    path.write_text(text.replace('"47,756.19"', '"47,756.91"'), encoding="utf-8")
    build(project_copy, tmp_path / "store")
    changed = EmbeddedStore(tmp_path / "store")
    release(built_store, tmp_path / "old", "1", parts=("csv",))
    release(changed, tmp_path / "new", "2", parts=("csv",))
    result = diff(tmp_path / "old", tmp_path / "new")
    assert result["added"] == [] and result["removed"] == []
    [change] = result["changed"]
    assert change["indicator"] == "ghg-scope1" and change["period"] == "2023" and change["report"] == SERES
    assert change["changes"] == {"value_as_printed": ["47,756.19", "47,756.91"],
                                 "value": ["47756.19", "47756.91"]}
    text = to_text(result)
    assert "1 changed" in text and "Seres Group Co., Ltd. / ghg-scope1" in text
    assert json.loads(to_json(result))["changed"][0]["page"] == "54"


def test_diff_matches_by_natural_key_when_the_iri_changes(tmp_path):
    header = ("company,report,indicator,entity,period,gender,value_as_printed,value,unit_as_printed,"
              "page,note,observation\n")
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "observations.csv").write_text(header + "C,r,ind,org/c,2023,,1,1,t,5,,https://x/obs/r/ind/p5\n")
    (new / "observations.csv").write_text(header + "C,r,ind,org/c,2023,,1,1,t,6,,https://x/obs/r/ind/p6\n")
    result = diff(old, new)
    assert result["added"] == [] and result["removed"] == []
    assert result["changed"][0]["changes"]["page"] == ["5", "6"]
