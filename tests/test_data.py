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
    warnings = {(r.report, f.shape.rsplit("#", 1)[-1],
                 f.focus.removeprefix("https://w3id.org/esgkg/id/").removeprefix("obs/"))
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
        # --- issue 15 ---
        # CALB p48 (line 873): energy use "19% lower", but the table beside it (lines 880-883) gives
        # 1,312,744.43 MWh for two bases in 2022 and 2,765,280.07 MWh for five in 2023
        ("calb-2023", "ChangeMixesBoundariesShape", "change/calb-2023/energy-consumption-2023"),
        # CALB p60 (line 1086): women "4% more" than the year before; the annex (p83) gives 23.65%
        # and 25.51%: 1.86 points, 7.9% relative
        ("calb-2023", "PrintedChangeMatchesFiguresShape", "change/calb-2023/female-share-2023"),
        # Seres p40 (line 1562): carbon intensity "26.34% lower"; p54 (line 2228) gives 0.057 and
        # 0.052 t per RMB10,000, 8.8% lower
        ("seres-2023", "PrintedChangeMatchesFiguresShape", "change/seres-2023/ghg-intensity-2023"),
        # CALB p68 (line 1277): the special EHS trainings, 300,000 person-times, exceed all
        # training in the annex, 68,109 person-times (p84, line 1623)
        ("calb-2023", "PartExceedsWholeShape",
         "calb-2023/training-participations/2023/category-ehs-special/calb/line-1277"),
        # CALB p85 (line 1653): safety spending in "RMB100,0000"; p87 (line 1701): a frequency in
        # "Year/times"
        *{("calb-2023", "UnitPrintedReadablyShape", f"calb-2023/{i}/{y}/total/calb/line-{n}")
          for y in ("2022", "2023")
          for i, n in (("safety-expenditure", 1653), ("supplier-infosec-due-diligence-frequency", 1701))},
        # Seres p54 (lines 2224-2227): the 2022 total is scope 1 + 2, the 2023 total adds scope 3
        ("seres-2023", "SumAddsTheSameComponentsShape", "seres-2023/ghg-total/2022/total/seres/line-2227"),
        # Seres p17 (line 611): ISO/IEC 27701 printed as "ISO 277001"
        ("seres-2023", "StandardPrintedAsItsNotationShape",
         "certification/seres-2023/seres-iso-iec-27701-certified"),
        # Seres p7 (lines 275-276): "Corporate Governance" and "Compliance and Risk Management" are
        # material issues 11-12 (medium) and again 17-18 (low)
        ("seres-2023", "DuplicateNameInListShape", "material-issue/seres-2023/mi-corporate-governance-low"),
        ("seres-2023", "DuplicateNameInListShape",
         "material-issue/seres-2023/mi-compliance-risk-management-low"),
        # Seres p67 (line 2845): the GRI index says it covers 2023-01-01 to 2024-12-31
        ("seres-2023", "IndexPeriodIsReportPeriodShape", "index-period/seres-2023/gri"),
        # Seres p68 (line 2919): the GRI index row 404-2 gives no page
        ("seres-2023", "IndexRowHasPagesShape", "index-entry/seres-2023/gri-404-2"),
        # CALB HKEX index (pp. 88-89): B2.1 printed with B1.2's description (line 1739), B6.3 with
        # B6.2's (line 1760)
        ("calb-2023", "IndexRowDescribesItsItemShape", "index-entry/calb-2023/hkex-b2-1"),
        ("calb-2023", "IndexRowDescribesItsItemShape", "index-entry/calb-2023/hkex-b6-3"),
        # CALB p67 (line 1271): no work safety accident in 2023, while the annex counts 35 work
        # injury accidents (p85, line 1651)
        ("calb-2023", "WordsAgainstCountShape", "calb-2023/work-safety-accidents/2023/total/calb/line-1271"),
        # CALB: no index row for the three mandatory disclosures (in the text on pp. 2, 5 and 16)
        *{("calb-2023", "MandatoryItemHasIndexRowShape", f"index-entry/calb-2023/hkex-mdr-{item}")
          for item in ("governance", "principles", "boundary")},
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



_PAGES = re.compile(r"\bpp?\.?\s*(\d+)(?:\s*-\s*(\d+))?((?:\s*(?:,|and)\s*\d+)*)")


def _pages(text: str) -> set[int]:
    """Pages an item of data/README.md cites: p45, p. 85, pp. 82-87, pp. 2, 5 and 16."""
    pages: set[int] = set()
    for first, last, more in _PAGES.findall(text):
        pages.update(range(int(first), int(last or first) + 1))
        pages.update(int(n) for n in re.findall(r"\d+", more))
    return pages


def _bracketed_items(readme: str) -> list[tuple[str, set[str], set[int], str]]:
    """(report key, shapes in brackets, pages cited, text) of each item of data/README.md's list
    of the reports' contradictions that names a shape."""
    section = readme.split("## Contradictions and gaps found in the reports", 1)[1].split("\n## ", 1)[0]
    items, report, text = [], "", ""
    for line in [*section.splitlines(), "- "]:
        heading = re.match(r"^(CALB|Seres) 2023:$", line)
        if heading or line.startswith("- ") or not line.strip():
            shapes = {s.strip() for group in re.findall(r"\[([A-Za-z, ]+Shape)\]", text)
                      for s in group.split(",")}
            if shapes:
                items.append((report, shapes, _pages(text), " ".join(text.split())))
            text = line[2:] if line.startswith("- ") else ""
            if heading:
                report = f"{heading.group(1).lower()}-2023"
        else:
            text += " " + line.strip()
    return items


def test_every_shape_the_data_readme_names_reports_that_item(shipped_validation, project):
    """Each item of data/README.md's list of the reports' contradictions names in brackets the
    shape that finds it: that shape must report it on that report, on a page the item cites."""
    items = _bracketed_items((project.data_dir / "README.md").read_text(encoding="utf-8"))
    assert {report for report, *_ in items} == {"calb-2023", "seres-2023"}
    for report, shapes, pages, text in items:
        for shape in shapes:
            found = [f for f in shipped_validation[report].findings if f.shape.rsplit("#", 1)[-1] == shape]
            assert found, f"{report}: {shape} is named in data/README.md but silent: {text[:80]}"
            seen = {p for f in found for p in (*f.pages, *map(int, re.findall(r"page (\d+)", f.message)))}
            assert not pages or seen & pages, f"{report}: {shape} on pages {sorted(seen)}, not {text[:80]}"
