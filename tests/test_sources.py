"""Reading data/: what a curator writes becomes the right triples, and every mistake is an error
naming the file, the line and the problem."""

from __future__ import annotations

import textwrap

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from esgkg import ids
from esgkg.build import compile_dataset
from esgkg.errors import DataErrors, InputError
from esgkg.namespaces import ESGKG, ORG, SCHEMA, UNIT

ENTITIES = textwrap.dedent("""\
    report:
      key: fx-2023
      issuer: fx
      title: FX 2023 ESG Report
      year: 2023
      period: {start: 2023-01-01, end: 2023-12-31}
      languages: [en]
      frameworks: [hkex-esg-guide]
      assurance: none
      index_pages: {hkex: [40]}
      pages: [1]
    organizations:
      - key: fx
        kind: company
        name: FX Ltd.
        short_names: [FX]
        pages: [2]
    sites:
      - key: north-base
        kind: production-base
        name: North Base
        operator: fx
        city: Northtown
        country: CN
        status: in-operation
        pages: [3]
    certifications:
      - holder: north-base
        standard: iso-45001
        standard_as_printed: ISO45001
        status: certified
        pages: [7]
    """)
OBSERVATIONS = textwrap.dedent("""\
    indicator,entity,period,breakdown,value,unit,page,boundary,restated,source,note
    fx-emissions,,2023,,"1,234.50",fx-t,12,,,line 5,
    fx-emissions,north-base,2022,,7,fx-t,12,,yes,,
    """)


@pytest.fixture()
def fx(project_copy):
    """project_copy plus a small report fx-2023 with its own indicator and unit rows."""
    vocab = project_copy.vocab_dir
    with (vocab / "indicators.csv").open("a") as fh:
        fh.write("fx-emissions,FX test emissions,test only,Mass,gross,,\n")
    with (vocab / "units.csv").open("a") as fh:
        fh.write("fx-t,TONNE,t,1,Mass,1000,test only\n")
    folder = project_copy.data_dir / "fx-2023"
    folder.mkdir()
    (folder / "entities.yaml").write_text(ENTITIES)
    (folder / "observations.csv").write_text(OBSERVATIONS)
    return project_copy, folder


def _graph(project):
    return compile_dataset(project)[ids.report_graph("fx-2023")]


def test_a_value_keeps_its_printed_form_decimal_unit_scale_and_page(fx):
    g = _graph(fx[0])
    obs = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2023/total/fx/line-5"]))  # named by its source
    assert g.value(obs, ESGKG.value) == Literal("1234.50", datatype=XSD.decimal)
    assert str(g.value(obs, ESGKG.value)) == "1234.50"  # the lexical form as printed
    assert str(g.value(obs, ESGKG.valueAsPrinted)) == "1,234.50"
    assert g.value(obs, ESGKG.unit) == UNIT.TONNE
    assert str(g.value(obs, ESGKG.unitAsPrinted)) == "fx-t"
    assert g.value(obs, ESGKG.unitScale) == Literal("1", datatype=XSD.decimal)
    page = g.value(obs, PROV.wasDerivedFrom)
    assert g.value(page, ESGKG.pageNumber).toPython() == 12
    assert g.value(obs, ESGKG.sourceLine).toPython() == 5


def test_an_observation_can_be_about_a_site_and_marked_restated(fx):
    g = _graph(fx[0])
    obs = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2022/total/north-base/p12"]))
    assert g.value(obs, ESGKG.refEntity) == ids.site("fx", "north-base")
    assert g.value(obs, ESGKG.restated).toPython() is True


def test_entities_become_org_sites_and_certificates_with_pages(fx):
    g = _graph(fx[0])
    site = ids.site("fx", "north-base")
    assert (site, RDF.type, ESGKG.ProductionBase) in g
    assert (site, ORG.siteOf, ids.organization("fx")) in g
    [cert] = list(g.objects(site, SCHEMA.hasCertification))
    assert g.value(cert, ESGKG.standard) == ids.concept("standard", "iso-45001")
    assert str(g.value(cert, ESGKG.standardAsPrinted)) == "ISO45001"
    assert g.value(g.value(cert, PROV.wasDerivedFrom), ESGKG.pageNumber).toPython() == 7


def test_entities_and_observations_may_be_split_across_files(fx):
    project, folder = fx
    (folder / "entities-more.yaml").write_text(textwrap.dedent("""\
        sites:
          - key: south-base
            kind: rnd-centre
            name: South R&D Centre
            operator: fx
            country: CN
            status: planned
            pages: [4]
        """))
    (folder / "observations-body.csv").write_text(
        OBSERVATIONS.splitlines()[0] + "\nfx-emissions,south-base,2023,,5,fx-t,30,,,,\n")
    g = _graph(project)
    assert (ids.site("fx", "south-base"), RDF.type, ESGKG.RnDCentre) in g
    assert (ids.site("fx", "north-base"), RDF.type, ESGKG.ProductionBase) in g
    obs = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2023/total/south-base/p30"]))
    assert g.value(obs, ESGKG.refEntity) == ids.site("fx", "south-base")


def test_products_can_carry_observations_and_initiatives_name_their_partners(fx):
    project, folder = fx
    (folder / "entities-more.yaml").write_text(textwrap.dedent("""\
        products:
          - key: fx-cell
            kind: battery
            name: FX Cell
            launched: 2023
            pages: [8]
        initiatives:
          - key: school-lab
            kind: research-cooperation
            name: Joint laboratory
            partners: [North University, "Institute of Cells, Northtown"]
            pages: [9]
        """))
    (folder / "observations-products.csv").write_text(
        OBSERVATIONS.splitlines()[0] + "\nfx-emissions,fx-cell,2023,,2,fx-t,8,,,,\n")
    g = _graph(project)
    cell = ids.product("fx", "fx-cell")
    assert (cell, ESGKG.madeBy, ids.organization("fx")) in g
    assert g.value(cell, ESGKG.productKind) == ids.concept("product-kind", "battery")
    obs = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2023/total/fx-cell/p8"]))
    assert g.value(obs, ESGKG.refEntity) == cell
    [lab] = list(g.subjects(RDF.type, ESGKG.Initiative))
    assert {str(p) for p in g.objects(lab, ESGKG.partnerName)} == {
        "North University", "Institute of Cells, Northtown"}
    assert g.value(lab, ESGKG.runBy) == ids.organization("fx")


def test_a_split_file_error_names_that_file_and_a_duplicate_key_is_caught(fx):
    project, folder = fx
    (folder / "entities-more.yaml").write_text(textwrap.dedent("""\
        sites:
          - key: north-base
            kind: production-base
            name: North Base again
            operator: fx
            country: CN
            status: in-operation
            pages: [5]
        report: {key: fx-2023}
        """))
    message = _error(project)
    assert f"{folder / 'entities-more.yaml'} [sites][0]" in message and "used twice" in message
    assert f"{folder / 'entities-more.yaml'} [report]: is given in two entity files" in message


def _error(project) -> str:
    with pytest.raises(InputError) as failure:
        compile_dataset(project)
    return str(failure.value)


def test_an_unknown_unit_names_file_line_and_unit(fx):
    project, folder = fx
    with (folder / "observations.csv").open("a") as fh:
        fh.write("fx-emissions,,2021,,3,furlongs,12,,,,\n")
    message = _error(project)
    assert f"{folder / 'observations.csv'}:4" in message and "unknown unit 'furlongs'" in message


def test_unknown_codes_and_keys_are_all_reported_at_once(fx):
    project, folder = fx
    with (folder / "observations.csv").open("a") as fh:
        fh.write("no-such-indicator,,2021,,3,fx-t,12,,,,\n")
        fh.write("fx-emissions,nobody,2021,,3,fx-t,12,,,,\n")
        fh.write("fx-emissions,,2021,colour=red,3,fx-t,12,,,,\n")
        fh.write("fx-emissions,,2021,,three,fx-t,12,,,,\n")
    with pytest.raises(DataErrors) as failure:
        compile_dataset(project)
    problems = failure.value.problems
    assert any(":4:" in p and "unknown indicator code 'no-such-indicator'" in p for p in problems)
    assert any(":5:" in p and "'nobody' is not the key of a known" in p for p in problems)
    assert any(":6:" in p and "unknown dimension 'colour'" in p for p in problems)
    assert any(":7:" in p and "value 'three' is not a number" in p for p in problems)


def test_a_yaml_syntax_error_names_the_line(fx):
    project, folder = fx
    (folder / "entities.yaml").write_text(ENTITIES.replace("  year: 2023", "  year: [2023"))
    assert f"{folder / 'entities.yaml'}:" in _error(project)
    assert "YAML syntax error" in _error(project)


def test_a_certificate_with_an_unknown_standard_is_an_error(fx):
    project, folder = fx
    (folder / "entities.yaml").write_text(ENTITIES.replace("standard: iso-45001", "standard: iso-99999"))
    assert "unknown standard code 'iso-99999'" in _error(project)


def test_a_missing_vocabulary_file_is_named(fx):
    project, _ = fx
    (project.vocab_dir / "units.csv").unlink()
    assert "units.csv" in _error(project)


def test_an_optional_qualifier_column_bounds_a_value(fx):
    project, folder = fx
    header = OBSERVATIONS.splitlines()[0] + ",qualifier"
    (folder / "observations-bounds.csv").write_text(
        header + "\nfx-emissions,,2021,,\"2,000\",fx-t,14,,,,,more-than\n")
    g = _graph(project)
    obs = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2021/total/fx/p14"]))
    assert g.value(obs, ESGKG.valueQualifier) == ids.concept("value-qualifier", "more-than")
    assert str(g.value(obs, ESGKG.valueAsPrinted)) == "2,000"
    (folder / "observations-bounds.csv").write_text(header + "\nfx-emissions,,2021,,5,fx-t,14,,,,,roughly\n")
    assert "unknown value-qualifier code 'roughly'" in _error(project)


def test_a_note_saying_the_page_is_estimated_marks_the_fact(fx):
    project, folder = fx
    with (folder / "observations.csv").open("a") as fh:
        fh.write('fx-emissions,,2021,,3,fx-t,13,,,line 9,"From the body text; page estimated."\n')
        fh.write('fx-emissions,,2020,,4,fx-t,13,,,line 10,Estimated by the report itself.\n')
    g = _graph(project)
    estimated = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2021/total/fx/line-9"]))
    exact = URIRef(str(ids.ID["obs/fx-2023/fx-emissions/2020/total/fx/line-10"]))
    assert g.value(estimated, ESGKG.pageEstimated) == Literal(True)
    assert g.value(exact, ESGKG.pageEstimated) is None


def test_a_ratio_unit_naming_an_unknown_indicator_is_an_error(project_copy):
    with (project_copy.vocab_dir / "units.csv").open("a") as fh:
        fh.write('t per widget,,,1,,1000,test only,widgets-made\n')
    with pytest.raises(InputError) as failure:
        compile_dataset(project_copy)
    message = str(failure.value)
    assert "t per widget" in message and "'widgets-made' is not an indicator code" in message


def test_each_edition_states_its_standard_and_every_ancestor_with_broader_transitive(project_copy):
    """skos:broaderTransitive (SKOS's transitive super-property of skos:broader) is stated for
    every ancestor, so queries need no ``skos:broader*`` path; in the shipped standards.csv
    iso-45001-2018 names iso-45001 as its broader code."""
    from rdflib.namespace import SKOS

    from esgkg.sources.vocab import load_vocabularies

    path = project_copy.vocab_dir / "standards.csv"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n")
                    + "\nfx-top,FX top,,FX,,management-system"
                    + "\nfx-mid,FX mid,fx-top,FX,,management-system"
                    + "\nfx-leaf,FX leaf,fx-mid,FX,2024,management-system\n", encoding="utf-8")
    graph = load_vocabularies(project_copy.vocab_dir).graphs[ids.vocab_graph("standards")]

    def ancestors(code: str) -> set[str]:
        return {str(a).rsplit("/", 1)[-1]
                for a in graph.objects(ids.concept("standard", code), SKOS.broaderTransitive)}

    assert ancestors("iso-45001-2018") == {"iso-45001"}
    assert ancestors("iso-45001") == set()
    assert ancestors("fx-leaf") == {"fx-mid", "fx-top"} and ancestors("fx-mid") == {"fx-top"}
    assert set(graph.subject_objects(SKOS.broader)) <= set(graph.subject_objects(SKOS.broaderTransitive))


def test_a_cycle_of_broader_codes_is_refused_naming_a_concept_on_it(project_copy):
    from esgkg.sources.vocab import load_vocabularies

    path = project_copy.vocab_dir / "standards.csv"
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n")
                    + "\nfx-a,FX a,fx-b,FX,,management-system"
                    + "\nfx-b,FX b,fx-a,FX,,management-system\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"standards.csv: .*/standard/fx-[ab] is broader than itself"):
        load_vocabularies(project_copy.vocab_dir)
