"""Named queries answer real questions correctly. Each expected value was read off the CALB
report page written beside it (../shared/reports/calb-2023-esg-report.txt, line given too)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from esgkg.api import KnowledgeGraph
from esgkg.errors import InputError
from esgkg.query import catalogue

FIVE_BASES = ["Changzhou Base", "Chengdu Base", "Hefei Base", "Wuhan Base", "Xiamen Base"]


@pytest.fixture(scope="module")
def kg(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


def test_every_named_query_has_a_title_and_runs(kg, project):
    queries = catalogue(project.queries_dir)
    assert len(queries) >= 30
    for name, q in queries.items():
        assert q.title, name
        kg.query(name)  # runs with its defaults, no error


def test_which_bases_hold_iso_45001(kg):
    rows = kg.query("sites-with-standard", standard="iso-45001").rows
    # CALB p66 (line 1237): the five bases put into use passed ISO 45001 certification
    calb = [r for r in rows if r["company"] == "CALB"]
    assert [r["holder"] for r in calb] == FIVE_BASES
    assert {r["pages"] for r in calb} == {"66"}
    # Seres p65 (line 2751): the group is certified; its list of units is missing from the text
    seres = [r for r in rows if r["company"] == "Seres"]
    assert [(r["holder"], r["pages"]) for r in seres] == [("Seres Group Co., Ltd.", "65")]


def test_which_bases_hold_iso_14001(kg):
    rows = kg.query("sites-with-standard", standard="iso-14001").rows
    # CALB p46 (line 840): the same five bases passed ISO 14001 certification
    calb = [r for r in rows if r["company"] == "CALB"]
    assert [r["holder"] for r in calb] == FIVE_BASES
    assert {r["pages"] for r in calb} == {"46"}
    # Seres p46 (line 1783): six production subsidiaries, Ruichi not among them
    seres = {r["holder"] for r in rows if r["report"] == "seres-2023"}
    assert len(seres) == 6 and "Chongqing Ruichi Automobile Industry Co., Ltd." not in seres


def test_an_edition_code_matches_only_that_edition(kg):
    # p28 (line 542): ISO 9001:2015 is printed with its edition; ISO 45001 never is
    assert [r["holder"] for r in kg.query("sites-with-standard", standard="iso-9001-2015")] == [
        "CALB Group Co., Ltd."]
    assert kg.query("sites-with-standard", standard="iso-45001-2018").rows == []


def test_scope_1_and_2_emissions_in_tonnes_with_pages(kg):
    rows: dict[tuple, list[dict]] = {}
    for r in kg.query("ghg-emissions"):
        rows.setdefault((r["company"], r["year"], r["scope"]), []).append(r)

    def one(key):
        [row] = rows[key]
        return row["tonnesCO2e"], set(row["pages"].split(", "))

    # CALB: annex p82 (lines 1559-1561, "Carbon dioxide equivalent (t)") and the climate
    # section's table p45, which prints the same figures ...
    assert one(("CALB", "2022", "scope 1")) == (Decimal("134957.01"), {"45", "82"})
    assert one(("CALB", "2023", "scope 1")) == (Decimal("307488.75"), {"45", "82"})
    assert one(("CALB", "2023", "scope 2")) == (Decimal("651782.46"), {"45", "82"})
    assert one(("CALB", "2022", "scope 1+2")) == (Decimal("585910.35"), {"45", "82"})
    # ... except scope 2 for 2022: 450,953.34 on p45 but 450,935.34 on p82, so two rows
    assert {(r["tonnesCO2e"], r["pages"]) for r in rows[("CALB", "2022", "scope 2")]} == {
        (Decimal("450953.34"), "45"), (Decimal("450935.34"), "82")}
    # Seres p54 (lines 2224-2226), unit "ton of carbon dioxide equivalent"; no scope 3 for 2022
    assert one(("Seres", "2022", "scope 1")) == (Decimal("56333.39"), {"54"})
    assert one(("Seres", "2023", "scope 1")) == (Decimal("47756.19"), {"54"})
    assert one(("Seres", "2022", "scope 2")) == (Decimal("139403.87"), {"54"})
    assert one(("Seres", "2023", "scope 2")) == (Decimal("103776.09"), {"54"})
    assert one(("Seres", "2023", "scope 3")) == (Decimal("33436.87"), {"54"})
    assert ("Seres", "2022", "scope 3") not in rows
    assert rows[("Seres", "2023", "scope 2")][0]["valuePrinted"] == "103,776.09"


def test_conversion_goes_through_the_unit_table(kg):
    # p83 (line 1579): total energy 2,765,280.07 MWh in 2023 = 2,765,280,070 kWh
    rows = kg.query("indicator-values", indicator="energy-consumption", unit="KiloW-HR").rows
    [row] = [r for r in rows if r["year"] == "2023" and r["company"] == "CALB"]
    assert row["converted"] == Decimal("2765280070")
    assert row["valuePrinted"] == "2,765,280.07" and row["unitPrinted"] == "MWh"
    # Seres p54 (line 2212): 45,360.37 tce; 1 tce = 29.3076 GJ (GB/T 2589), 1 kWh = 3.6 MJ
    [seres] = [r for r in rows if r["year"] == "2023" and r["company"] == "Seres"]
    expected = Decimal("45360.37") * Decimal("29.3076") * Decimal("1E9") / Decimal("3.6E6")
    assert abs(seres["converted"] - expected) < Decimal("0.01")


def test_a_figure_printed_twice_keeps_the_boundary_one_of_its_printings_gives(kg):
    # CALB scope 1 is printed on p45 (line 824, no data scope) and in the annex on p82 (line 1559,
    # note 9 at line 1551: 2022 covers the Changzhou and Xiamen bases, 2023 adds Wuhan, Chengdu
    # and Hefei). One row per figure, with the annex's scope: SPARQL makes an aggregate over a
    # row without a boundary unbound, which once emptied this column.
    rows = {r["year"]: r for r in kg.query("indicator-values", indicator="ghg-scope1", unit="TONNE").rows
            if r["company"] == "CALB"}
    assert set(rows) == {"2022", "2023"} and {r["pages"] for r in rows.values()} == {"45, 82"}
    bases = ("Changzhou", "Xiamen", "Wuhan", "Chengdu", "Hefei")
    assert [b for b in bases if b in (rows["2022"]["boundary"] or "")] == ["Changzhou", "Xiamen"]
    assert [b for b in bases if b in (rows["2023"]["boundary"] or "")] == list(bases)


def test_employees_by_gender(kg):
    # p83 (lines 1595-1596): head counts, so dated at each year end
    rows = {(r["year"], r["code"]): r["valuePrinted"] for r in kg.query("breakdown")}
    assert rows == {("2022-12-31", "male"): "5,875", ("2022-12-31", "female"): "1,820",
                    ("2023-12-31", "male"): "12,635", ("2023-12-31", "female"): "4,327"}
    # ... and the year-on-year change pairs the two year ends: 7,695 -> 16,962 (p83, line 1591)
    [change] = [r for r in kg.query("year-on-year", indicator="employees") if r["company"] == "CALB"
                and r["pages"] == "83"]
    assert (change["previousYear"], change["year"]) == ("2022-12-31", "2023-12-31")
    assert change["changePercent"] == Decimal("120.43")


def test_calb_leaves_no_hkex_kpi_out_of_its_index(kg):
    # pp. 88-89 (lines 1704-1771): the index lists every general disclosure and KPI A1.1-B8.2
    assert kg.query("hkex-not-disclosed", report="calb-2023").rows == []


def test_gri_disclosures_calb_marks_not_applicable(kg):
    # pp. 90-93: N/A rows include 2-5 (external assurance) and 305-3 (scope 3)
    codes = {r["code"] for r in kg.query("gri-omitted")}
    assert {"2-5", "2-21", "2-30", "305-3", "404-3"} <= codes


def test_a_bad_parameter_is_a_clear_error(kg):
    with pytest.raises(InputError, match="must be a standard code"):
        kg.query("sites-with-standard", standard="iso 45001")
    with pytest.raises(InputError, match="no parameter"):
        kg.query("sites-with-standard", colour="red")


def test_restated_prior_year_values(kg):
    # Seres p54 (lines 2216, 2218, 2224, 2227, 2228) and p64 (lines 2689-2690): 2022 values
    # marked "*" (adjusted)
    rows = {(r["indicator"], r["value"]) for r in kg.query("restated-values") if r["report"] == "seres-2023"}
    assert rows == {("ghg-scope1", "56,333.39"), ("ghg-total", "195,737.26"), ("ghg-intensity", "0.057"),
                    ("water-consumption", "1,504,893.42"), ("refrigerant-use", "7.15"),
                    ("occupational-injuries", "46"), ("work-injury-rate-per-employee", "0.27")}


def test_subsidiaries_keep_short_and_former_names_on_one_entity(kg):
    # Seres p1 (line 81): Hubei Seres, formerly Dongfeng Sokon Motor Co., Ltd.
    rows = {r["subsidiary"]: r for r in kg.query("subsidiaries")}
    hubei = rows["Seres Automobile (Hubei) Co., Ltd."]
    assert hubei["formerNames"] == "Dongfeng Sokon Motor Co., Ltd."
    assert "Hubei Seres" in hubei["shortNames"]
    # one entity for Ruichi, named four ways (lines 81, 512, 2069)
    assert set(rows["Chongqing Ruichi Automobile Industry Co., Ltd."]["shortNames"].split("; ")) == {
        "Ruichi Electric", "Ruichi Electronics", "Ruichi Electronic", "Ruichi Automobile"}
    assert len(rows) == 7


def test_committees_and_reporting_lines(kg):
    # CALB p16 (lines 290-294): board <- audit committee <- ESG executive committee <- work group
    lines = {r["unitName"]: r["reportsTo"] for r in kg.query("committees") if r["company"] == "CALB"}
    assert lines["Audit Committee"] == "Board of Directors"
    assert lines["ESG Executive Committee"] == "Audit Committee"
    assert lines["ESG work group"] == "ESG Executive Committee"


def test_year_on_year_change_and_its_boundaries(kg):
    rows = {r["company"]: r for r in kg.query("year-on-year", indicator="energy-consumption")}
    # Seres p54 (line 2212): 57,282.29 tce in 2022, 45,360.37 tce in 2023
    assert rows["Seres"]["changePercent"] == Decimal("-20.81")
    # CALB p83 (footnote 16): 2022 covers two bases, 2023 five, so the change mixes scopes
    assert rows["CALB"]["previousBoundary"].startswith("Changzhou and Xiamen")
    assert rows["CALB"]["boundary"].startswith("Changzhou, Xiamen, Wuhan, Chengdu and Hefei")


def test_certification_requirements_placed_on_suppliers(kg):
    # Seres pp. 34-35 (lines 1349, 1424, 1429): all suppliers IATF 16949, ISO 14001, ISO 45001;
    # tier-1 IATF 16949; tier-2 ISO 9001
    rows = {(r["population"], r["standardLabel"].split(" ")[0] + " " + r["standardLabel"].split(" ")[1])
            for r in kg.query("supplier-certification-requirements") if r["company"] == "Seres"}
    assert ("All Seres suppliers", "ISO 45001") in rows
    assert ("Seres tier-1 suppliers", "IATF 16949") in rows
    assert ("Seres tier-2 and indirect suppliers", "ISO 9001") in rows


def test_reports_with_frameworks_and_assurance(kg):
    rows = {r["report"]: r for r in kg.query("reports")}
    # CALB p2: HKEX guide followed, no assurance stated; Seres p70: CQC verification, AA1000 V3
    assert "HKEX" in rows["calb-2023"]["frameworks"] and rows["calb-2023"]["assurance"] == "no assurance"
    assert "HKEX" not in rows["seres-2023"]["frameworks"]
    assert rows["seres-2023"]["assuranceProvider"] == "China Quality Certification Centre"


def test_awards_memberships_and_sdgs(kg):
    awards = {(r["award"], r["issuer"]) for r in kg.query("awards")
              if r["company"] == "CALB" and "13" in r["pages"].split(", ")}
    # CALB p13 (lines 237-263): the honours table lists 27 awards, e.g. row 25
    assert len(awards) == 27
    assert ("Silver Medal for Corporate Social Responsibility", "EcoVadis") in awards
    members = {r["association"]: r["role"] for r in kg.query("memberships")
               if r["company"] == "CALB" and r["pages"] == "94"}
    # CALB p94 (line 1917): Responsible Cobalt Initiative, decision-making member
    assert members["Responsible Cobalt Initiative (RCI)"] == "Decision-making Member Organization"
    assert len(members) == 16
    goals = {r["goal"] for r in kg.query("sdg-contributions") if r["company"] == "CALB"}
    # CALB p14 (lines 278-286): all goals but 14 and 15
    assert goals == {str(g) for g in range(1, 18)} - {"14", "15"}


def test_material_issues_stakeholders_policies_targets(kg):
    issues = {r["rank"]: r for r in kg.query("material-issues") if r["company"] == "CALB"}
    # CALB p19 (line 331): 20 issues, no. 1 product quality and safety; climate change renamed
    assert len(issues) == 20 and issues[1]["issue"] == "Product Quality and Safety"
    assert issues[2]["change"] == "renamed"
    groups = {r["group"]: r for r in kg.query("stakeholders") if r["company"] == "CALB"}
    assert len(groups) == 7 and "Industry/Standard Association" in groups  # p17
    # p17 (line 304): government and regulators expect business ethics and energy management
    assert set(groups["Government and regulators"]["topics"].split("; ")) == {
        "Business ethics", "Energy management"}
    seres = {r["group"]: r for r in kg.query("stakeholders") if r["company"] == "Seres"}
    # Seres p6 (line 236): the unheaded fourth column continues the channels
    assert "Investor hotline/email" in seres["Shareholders/Investors"]["channels"].split("; ")
    assert len(seres) == 7 and "Media" in seres
    policies = {r["policy"]: r["pages"] for r in kg.query("policies")}
    assert policies["ESG Management Guide"] == "15"  # p15, line 286
    targets = {r["target"]: r["status"] for r in kg.query("targets")}
    # CALB p75 (line 1391): all board diversity goals achieved
    assert targets["At least one director is female"] == "met"


def test_sites_and_sites_without_a_standard(kg):
    sites = [r for r in kg.query("sites") if r["company"] == "CALB"]
    # CALB p10 (line 177): nine industrial bases and five R&D centres
    on_p10 = [r for r in sites if "10" in r["pages"].split(", ")]
    assert sum(r["kind"] == "production base" for r in on_p10) == 9
    assert sum(r["kind"] == "R&D centre kind" for r in on_p10) == 5
    # p28 (line 530) names a new Emei Base that the p10 list lacks: kept, status unknown
    assert [r["status"] for r in sites if r["siteName"] == "Emei Base"] == ["status unknown"]
    in_operation = {r["siteName"] for r in sites if r["status"] == "in operation"}
    assert in_operation == set(FIVE_BASES)  # p66, line 1237
    # ISO 9001 is held by the company (p28), not by a named base: every operating base is listed
    without = {r["siteName"] for r in kg.query("operating-sites-without-standard", standard="iso-9001")
               if r["company"] == "CALB"}
    assert without == set(FIVE_BASES)
    countries = {(r["company"], r["country"]): r["sites"] for r in kg.query("sites-per-country")
                 if r["kind"] == "production base"}
    # p10: seven bases in China, plus Emei (p28); Europe and ASEAN have no country printed
    assert countries[("CALB", "CN")] == 8 and countries[("CALB", "unknown")] == 2


def test_content_indexes(kg):
    hkex = {r["code"]: r["pages"] for r in kg.query("hkex-disclosed") if r["report"] == "calb-2023"}
    assert hkex["A1.2"] == "45, 82"  # p88, line 1711
    gri = {(r["report"], r["code"]): r["pages"] for r in kg.query("gri-disclosed")}
    assert gri[("seres-2023", "305-1")] == "54"  # p67, line 2894
    assert gri[("seres-2023", "303-1")] in ("49, 50", "50, 49")  # printed P49-50
    cross = {(r["hkex"], r["gri"]) for r in kg.query("hkex-gri-crosswalk")}
    assert ("A1.2", "305-1") in cross and ("A2.1", "302-1") in cross


def test_finding_figures_notes_and_intensities(kg):
    found = kg.query("find-figure", text="water consumption")
    water = {(r["report"], r["year"], r["valuePrinted"]) for r in found}
    assert ("calb-2023", "2023", "4,942,729.32") in water  # p83, line 1581
    assert ("seres-2023", "2023", "1,412,624.00") in water  # p54, line 2216
    notes = [r for r in kg.query("data-quality-notes") if r["report"] == "calb-2023"]
    assert any("91,029.95" in r["note"] and r["pages"] == "83" for r in notes)
    intensity = {(r["company"], r["indicator"], r["year"]): r for r in kg.query("intensities")}
    # the climate section (p45, line 827) and the annex (p82, line 1562) print 23.11 with the unit
    # spelt two ways: one figure, one row, both spellings and both pages
    row = intensity[("CALB", "ghg-intensity", "2023")]
    assert (row["valuePrinted"], row["pages"]) == ("23.11", "45, 82")
    assert row["unitPrinted"] == "Carbon dioxide equivalence/kWh (kg); Carbon dioxide equivalent/kWh (kg)"
    certs = {(r["report"], r["standardPrinted"]) for r in kg.query("certifications")}
    assert ("seres-2023", "ISO 277001") in certs  # the misprint, p17 line 611


def test_climate_register_and_supplier_programmes(kg):
    risks = [r for r in kg.query("climate-risks") if r["company"] == "CALB"]
    # CALB pp. 43-44 (lines 787-810): 11 risks and 4 opportunities; the reputational row is empty
    assert len(risks) == 15
    assert sum(r["kind"] == "climate opportunity" for r in risks) == 4
    flood = next(r for r in risks if r["name"].startswith("Higher possibility of flood"))
    assert flood["kind"] == "acute physical risk" and set(flood["horizon"].split("; ")) == {
        "short term", "medium term"}
    programmes = {r["programme"] for r in kg.query("supplier-programmes") if r["company"] == "CALB"}
    assert "Due diligence for responsible mineral supply chains" in programmes  # p6, line 132


def test_certification_coverage_per_company(kg):
    rows = {(r["company"], r["standardLabel"].split(" ")[1]): (r["certifiedSites"], r["operatingSites"])
            for r in kg.query("certification-coverage")}
    # CALB: all five operating bases hold ISO 14001 (p46, line 840) and ISO 45001 (p66, line 1237)
    assert rows[("CALB", "14001")] == (5, 5)
    assert rows[("CALB", "45001")] == (5, 5)


def test_seres_governance_bodies_and_meetings(kg):
    units = {r["unitName"]: r for r in kg.query("committees") if r["company"] == "Seres"}
    # Seres p12 (line 359): 10 board meetings, 9 of the board of supervisors
    assert units["Board of Directors"]["meetings"] == 10
    assert units["Board of Supervisors"]["meetings"] == 9
    # p13 (lines 435-448): the three lines of defence, printed "The First Defense" ...
    assert {n for n in units if n.endswith("Defense")} == {
        "The First Defense", "The Second Defense", "The Third Defense"}


def test_esgkg_open_answers_by_name_and_as_a_dataframe(built_store, monkeypatch):
    import esgkg

    pd = pytest.importorskip("pandas", reason="pandas is optional (pip install 'esgkg[dataframe]')")
    monkeypatch.chdir(built_store.root)  # esgkg.open(path) works from any folder
    kg = esgkg.open(built_store.root)
    frame = kg.query("ghg-emissions").to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert {"company", "year", "scope", "tonnesCO2e", "pages"} <= set(frame.columns)
    # CALB p82 (line 1559) and p45: scope 1 2023 is 307,488.75 t CO2e
    calb = frame[(frame.company == "CALB") & (frame.year == "2023") & (frame.scope == "scope 1")]
    assert list(calb.tonnesCO2e) == [Decimal("307488.75")]
    assert set(calb.pages.iloc[0].split(", ")) == {"45", "82"}


def test_to_dataframe_without_pandas_says_how_to_get_it(kg, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(InputError, match=r"esgkg\[dataframe\]"):
        kg.query("ghg-emissions").to_dataframe()


def test_products_and_an_optional_name_filter(kg):
    products = {(r["company"], r["product"]): r for r in kg.query("products")}
    # Seres p2 (line 115): the AITO M9 among the new 2023 products; CALB p23 (line 415): the
    # C173F314 energy storage cell inside a 5MWh container
    assert products[("Seres", "AITO M9")]["kind"] == "vehicle"
    assert products[("CALB", "C173F314 energy storage battery")]["kind"] == "battery"
    aito = kg.query("products", text="aito").rows
    assert aito and all("aito" in r["product"].lower() and r["company"] == "Seres" for r in aito)


def test_initiatives_of_one_kind_with_their_partners(kg):
    research = kg.query("initiatives", kind="research-cooperation").rows
    assert {r["kindCode"] for r in research} == {"research-cooperation"}
    # CALB p24 (line 436): cooperation with an academician's team at Tsinghua University
    assert any(r["company"] == "CALB" and r["partners"] == "Tsinghua University" for r in research)
    every = kg.query("initiatives").rows
    assert len(every) > len(research) and {"CALB", "Seres"} <= {r["company"] for r in every}


def test_a_bounded_figure_says_so(kg):
    # Seres p3 (line 139): vehicles sold in "more than 70" countries and regions
    [row] = [r for r in kg.query("find-figure", text="countries and regions sold to")
             if r["report"] == "seres-2023" and "3" in r["pages"].split(", ")]
    assert (row["qualifier"], row["valuePrinted"], row["about"]) == ("more than", "70", "Seres")
    # printed again in the climate opportunity table (line 1554, its page estimated as p40): one
    # figure, both pages, and a page of it only estimated (p3, "About the Group", is read)
    assert row["pages"] == "3, 40"
    assert row["pageEstimated"] is True


def test_find_anything_by_a_name_it_goes_by(kg):
    found = {(r["report"], r["name"]): r for r in kg.query("find", text="sokon")}
    # Seres p1 (line 81): Hubei Seres was formerly Dongfeng Sokon Motor Co., Ltd.
    assert found[("seres-2023", "Seres Automobile (Hubei) Co., Ltd.")]["kind"] == "formal organization"
    # CALB p24 (line 436): the cooperation is found by its partner's name
    [coop] = kg.query("find", text="tsinghua").rows
    assert (coop["report"], coop["kind"], coop["pages"]) == ("calb-2023", "initiative", "24")
    bases = {r["name"] for r in kg.query("find", text="base") if r["kind"] == "production base"}
    assert {"Changzhou Base", "Xiamen Base"} <= bases  # p10


# --- issue 11: what a newcomer hit when querying ------------------------------------------------

def test_every_named_query_declares_its_own_prefixes(project):
    """Each queries/*.rq parses with no predeclared prefix, in Oxigraph and in rdflib, with its
    parameters bound as esgkg binds them (a VALUES block in the first WHERE group)."""
    import pyoxigraph as ox
    from rdflib.plugins.sparql import prepareQuery

    from esgkg.store.embedded import bind_values

    empty = ox.Store()
    for name, q in catalogue(project.queries_dir).items():
        assert q.title, name  # the '#' header is still read before the PREFIX lines
        bindings = q.bindings({})
        text = bind_values(q.text, bindings) if bindings else q.text
        list(empty.query(text))  # a SyntaxError names an undeclared prefix
        prepareQuery(text)


def test_parameters_are_bound_where_the_query_uses_them(kg):
    # bound in the wrong (outer) group, a parameter would be unbound where it is used: the text
    # would match nothing and the indicator everything
    ltifr = kg.query("find-figure", text="LTIFR").rows
    assert {r["indicator"] for r in ltifr} == {"Lost time injury frequency rate"}
    assert {r["scope"] for r in kg.query("ghg-emissions")} >= {"scope 1", "scope 2"}
    # Seres p64 (line 2689): LTIFR 1.37 (2022) and 1.30 (2023)
    assert {(r["year"], r["valuePrinted"]) for r in ltifr} == {
        ("2022", "1.37"), ("2023", "1.30")}
    waste = kg.query("indicator-values", indicator="waste-generated", unit="TONNE").rows
    # CALB p82 (line 1575) and p53: 42,294.86 t of waste in 2023
    assert {(r["company"], r["year"], r["valuePrinted"]) for r in waste} >= {("CALB", "2023", "42,294.86")}
    assert all(r["unitPrinted"] in ("tons; ton", "ton") for r in waste)


def test_report_restricts_every_query_also_graph_queries(kg, run):
    # certifications matches GRAPH ?g: before, --report calb-2023 still returned Seres rows
    result = run("query", "certifications", "--report", "calb-2023", "--format", "json")
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.stdout)["results"]["bindings"]  # SPARQL 1.1 JSON results
    assert rows and {r["report"]["value"] for r in rows} == {"calb-2023"}
    for name in kg.queries:
        restricted = kg.query(name, report="calb-2023")
        if "report" in restricted.columns:
            assert "seres-2023" not in {r["report"] for r in restricted}, name
        if "company" in restricted.columns:
            assert "Seres" not in {r["company"] for r in restricted}, name
    seres = kg.query("certifications", report="seres-2023").rows
    # Seres p17 (line 611): the misprinted "ISO 277001" is Seres's, and only Seres's
    assert ("seres-2023", "ISO 277001") in {(r["report"], r["standardPrinted"]) for r in seres}
    assert {r["report"] for r in seres} == {"seres-2023"}


def test_a_synonym_finds_the_figure(kg, run):
    def found(text):
        return {(r["report"], r["indicator"], r["breakdown"], r["year"], r["valuePrinted"], r["pages"])
                for r in kg.query("find-figure", text=text)}

    # CALB p87 (line 1687): "Amount of external aid and donations", RMB10,000: 605 (2022), 188 (2023);
    # Seres p55 (line 2262, highlights): "The total investment in charity reached RMB 2.6932 million"
    charity = found("charity")
    assert {("calb-2023", "Donations", None, "2022", "605", "87"),
            ("calb-2023", "Donations", None, "2023", "188", "87"),
            ("seres-2023", "Donations", None, "2023", "2.6932", "55")} <= charity
    # CALB p84 (line 1610): "Employee Attrition — Actual number of resigned employees" 1,717 and
    # 15,424; (line 1611) "Attrition rate" 18% and 48%
    for text in ("attrition", "resign", "Resignation"):
        rows = found(text)
        assert {("calb-2023", "Employee turnover", None, "2022", "1,717", "84"),
                ("calb-2023", "Employee turnover", None, "2023", "15,424", "84"),
                ("calb-2023", "Employee turnover rate", None, "2023", "48", "84")} <= rows, text
        assert {r[1] for r in rows} == {"Employee turnover", "Employee turnover rate"}, text
    # CALB p68 (line 1277): "more than 100 special EHS trainings ... adding up to 300,000 person-times";
    # the infographic below it (line 1297) prints 30 thousand person-times: two values, two rows
    ehs = found("EHS")
    assert {(r[1], r[4]) for r in ehs} == {
        ("Training sessions", "100"), ("Training participations", "300,000"),
        ("Training participations", "30")}
    assert {r[5] for r in ehs} == {"68"}
    result = run("query", "find-figure", "-p", "text=attrition")
    assert result.exit_code == 0 and "15,424" in result.output


def test_alternative_labels_are_skos_alt_labels_in_english(built_store):
    _n, rows = built_store.select(
        "SELECT ?alt WHERE { <https://w3id.org/esgkg/vocab/indicator/employee-turnover> skos:altLabel ?alt }")
    alts = {(r["alt"].value, r["alt"].language) for r in rows}
    assert ("attrition", "en") in alts and ("resigned employees", "en") in alts


def test_a_bad_alternative_label_is_refused(project_copy):
    from esgkg.build import compile_context

    path = project_copy.root / "ontology" / "vocab" / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("attrition|resigned employees", "attrition||Employee turnover"),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"indicators.csv:\d+: alt_labels .* empty label"):
        compile_context(project_copy)
    path.write_text(text.replace("attrition|resigned employees", "Employee Turnover|attrition"),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"'Employee Turnover' is the concept's label or is repeated"):
        compile_context(project_copy)


def test_a_figure_printed_on_two_pages_is_one_row_with_its_pages(kg):
    # CALB: water consumption 4,942,729.32 m3 in 2023 on p47 (environment section) and p83 (annex,
    # line 1581): one row, both pages, in page order
    water = [r for r in kg.query("find-figure", text="water consumption")
             if r["report"] == "calb-2023" and r["year"] == "2023" and r["indicator"] == "Water consumption"]
    assert [(r["valuePrinted"], r["pages"]) for r in water] == [("4,942,729.32", "47, 83")]
    # ... the same for every query listing figures: energy 2023, p48 and p83 (line 1579)
    [energy] = [r for r in kg.query("year-on-year", indicator="energy-consumption") if r["company"] == "CALB"]
    assert (energy["current"], energy["pages"]) == (Decimal("2765280.07"), "48, 83")
    [intensity] = [r for r in kg.query("intensities") if (r["company"], r["indicator"], r["year"])
                   == ("CALB", "energy-intensity", "2023")]
    assert (intensity["valuePrinted"], intensity["pages"]) == ("66,618.93", "48, 83")
    # Seres p55 (line 2254, highlights) and p61 (line 2486): the Excellence and Struggle awards
    # covered 697 employees
    actual = [r for r in kg.query("indicator-actuals", indicator="award-recipients", year="2023")
              if r["breakdown"] == "excellence-struggle-award"]
    assert [(r["value"], r["pages"]) for r in actual] == [("697", "55, 61")]
    # but two values stay two rows: CALB's 2022 scope 2 is 450,953.34 on p45 and 450,935.34 on p82
    scope2 = [r for r in kg.query("find-figure", text="scope 2") if r["report"] == "calb-2023"
              and r["year"] == "2022" and r["indicator"] == "Scope 2 GHG emissions"]
    assert sorted((r["valuePrinted"], r["pages"]) for r in scope2) == [
        ("450,935.34", "82"), ("450,953.34", "45")]
    # ... and so does CALB's R&D investment: RMB 991,960 on p24 (line 443) but 99,196 x RMB10,000 on
    # p87 (the annex), a thousand times more
    rd = {(r["valuePrinted"], r["pages"]) for r in kg.query("indicator-values", indicator="rd-investment",
                                                          unit="CCY_CNY") if r["company"] == "CALB"
          and r["year"] == "2023"}
    assert rd == {("991,960", "24"), ("99,196", "87")}
