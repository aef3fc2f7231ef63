"""The shipped data: its documentation stays true, and the report's own contradictions surface."""

from __future__ import annotations

import re

from esgkg.stats import markdown


def test_the_counts_in_data_readme_are_those_of_the_build(built_store, project):
    readme = (project.data_dir / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- stats:begin -->\n(.*)<!-- stats:end -->", readme, re.S)
    assert block, "data/README.md lost its stats block"
    assert block.group(1).strip() == markdown(built_store).strip(), (
        "data/README.md is stale: paste the output of `esgkg stats --markdown` between the markers")


def test_every_observation_and_entity_has_a_page(built_store):
    _, rows = built_store.select("""
        SELECT ?x WHERE {
          GRAPH ?g { ?x a ?c }
          FILTER(STRSTARTS(STR(?g), "https://w3id.org/esgkg/graph/report/"))
          FILTER(?c NOT IN (esgkg:ReportPage, oa:SpecificResource, oa:FragmentSelector,
                            vcard:Address, qb:DataSet))
          FILTER NOT EXISTS { ?x prov:wasDerivedFrom/esgkg:pageNumber ?p }
        }""")
    assert [r["x"].value for r in rows] == []


def test_validation_finds_the_reports_real_contradictions_and_nothing_else(shipped_validation):
    results = shipped_validation
    assert all(r.count("Violation") == 0 for r in results.values())
    warnings = {(r.report, f.shape.rsplit("#", 1)[-1], f.focus.rsplit("/obs/", 1)[-1])
                for r in results.values() for f in r.findings if f.severity == "Warning"}
    assert warnings == {
        # CALB p82 (lines 1559-1561): 134,957.01 + 450,935.34 != 585,910.35
        ("calb-2023", "IndicatorSumShape", "calb-2023/ghg-scope1-2/2022/total/calb/line-1561"),
        # CALB p83 (lines 1577-1579): 1,384,332.70 + 1,289,917.42 != 2,765,280.07; the same on p48
        ("calb-2023", "TotalEqualsSumOfPartsShape", "calb-2023/energy-consumption/2023/total/calb/line-1579"),
        ("calb-2023", "TotalEqualsSumOfPartsShape", "calb-2023/energy-consumption/2023/total/calb/line-882"),
        # CALB scope 2 for 2022: 450,953.34 in the climate section (p45) but 450,935.34 in the annex
        # (p82, line 1560): reported once, on the annex printing
        ("calb-2023", "OneValuePerFigureShape", "calb-2023/ghg-scope2/2022/total/calb/line-1560"),
        # CALB R&D spending: RMB991,960 in the text (p24, line 427), 99,196 RMB10,000 in the annex
        # (p87, line 1679)
        ("calb-2023", "OneValuePerFigureShape", "calb-2023/rd-investment/2023/total/calb/line-1679"),
        # CALB p68: special EHS trainings add up to 300,000 person-times (line 1277), the infographic
        # beside them says 30 thousand (line 1297)
        ("calb-2023", "OneValuePerFigureShape",
         "calb-2023/training-participations/2023/category-ehs-special/calb/line-1277"),
        # CALB p85 (line 1648): a fatality rate printed in persons
        ("calb-2023", "RateNotInCountUnitShape", "calb-2023/work-fatality-rate/2022/total/calb/line-1648"),
        ("calb-2023", "RateNotInCountUnitShape", "calb-2023/work-fatality-rate/2023/total/calb/line-1648"),
        # Seres p54 (lines 2181-2186): the 2023 parts make 26,707.67, the total says 26,404.67
        ("seres-2023", "TotalEqualsSumOfPartsShape",
         "seres-2023/non-hazardous-waste/2023/total/seres/line-2186"),
        # Seres p66 (line 2795): a donation printed as "2.6932 million" with no currency
        ("seres-2023", "UnitMatchesQuantityKindShape", "seres-2023/donations/2023/total/seres/line-2795"),
        # Seres p21 (line 764): a crash-test speed printed as "64km"
        ("seres-2023", "UnitMatchesQuantityKindShape",
         "seres-2023/test-speed/2023/category-small-overlap-frontal-crash/seres/line-764"),
        # Seres p54 (lines 2214-2216): water printed in tonnes
        *{("seres-2023", "UnitMatchesQuantityKindShape",
           f"seres-2023/water-consumption/{y}/{b}/seres/line-{n}") for y in ("2022", "2023")
          for b, n in (("total", 2216), ("water-source-municipal", 2214), ("water-source-reclaimed", 2215))},
        # CALB p10 (line 177): nine industrial bases; the Emei base on p28 is a tenth
        ("calb-2023", "CountMatchesInstancesShape",
         "calb-2023/industrial-bases/2023-12-31/total/calb/line-177"),
        # Seres p12 (line 397): four board committees; the report names fewer of them
        ("seres-2023", "CountMatchesInstancesShape",
         "seres-2023/board-committees/2023-12-31/total/board/line-397"),
    }


def test_seres_intensities_are_checked_against_revenue_and_totals(built_store, context, project):
    """Seres p54 prints intensities per RMB10,000 of revenue (line 2228); revenue is on p3 (line
    141). They agree as printed; a changed intensity is caught, naming both figures' pages."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import XSD

    from esgkg.namespaces import ESGKG
    from esgkg.validate import load_shapes, validate_graph

    graph_iri = next(g for g in built_store.graphs() if g.endswith("/report/seres-2023"))
    data = Graph().parse(data=built_store.dump_graph(graph_iri), format="nt")
    data.parse(data=built_store.dump_graph(next(g for g in built_store.graphs() if g.endswith("/periods"))),
               format="nt")
    obs = URIRef("https://w3id.org/esgkg/id/obs/seres-2023/ghg-intensity/2023/total/seres/line-2228")
    assert data.value(obs, ESGKG.value) == Literal("0.052", datatype=XSD.decimal)
    data.set((obs, ESGKG.value, Literal("0.060", datatype=XSD.decimal)))
    data.set((obs, ESGKG.valueAsPrinted, Literal("0.060")))
    found = [f for f in validate_graph("seres-2023", data, context, load_shapes(project.shapes_dir)).findings
             if f.shape.endswith("IntensityOfItsFiguresShape")]
    assert [f.focus for f in found] == [str(obs)]
    # 184,969.15 t over RMB 35.842 billion = 0.051607 t per RMB10,000
    assert "ghg-total (184969.15, page 54) over revenue (35.842, page 3) gives 0.051607" in found[0].message
