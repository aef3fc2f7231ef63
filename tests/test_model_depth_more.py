"""Issue 13's remainder (model depth): certificate dates as printed (a year is an xsd:gYear, a day an
xsd:date), initiatives at several sites and the supplier tiers a supplier programme reaches, checked
on the compiler's date reader and on the shipped data through the named queries (expected values
read off the report page and line written beside them, ../shared/reports/<report>.txt)."""

from __future__ import annotations

import pytest
from rdflib import Literal
from rdflib.namespace import XSD

from esgkg.api import KnowledgeGraph
from esgkg.sources import report as report_source


@pytest.mark.parametrize(("printed", "datatype"), [(2019, XSD.gYear), ("2019", XSD.gYear),
                                                   ("2019-05-01", XSD.date)])
def test_a_year_is_a_gyear_and_a_day_a_date(printed, datatype):
    compiler = report_source.ReportCompiler.__new__(report_source.ReportCompiler)
    compiler.problems = []
    compiler.problem = lambda where, text: compiler.problems.append(text)
    when = report_source.ReportCompiler.when(compiler, printed, "certifications[0]", "obtained")
    assert when == Literal(str(printed), datatype=datatype)
    assert compiler.problems == []


@pytest.mark.parametrize("printed", ["2019-05", "May 2019", True, 19, "2019-13-01"])
def test_a_date_that_is_neither_is_refused(printed):
    compiler = report_source.ReportCompiler.__new__(report_source.ReportCompiler)
    compiler.problems = []
    compiler.problem = lambda where, text: compiler.problems.append(text)
    assert report_source.ReportCompiler.when(compiler, printed, "certifications[0]", "obtained") is None
    assert compiler.problems


@pytest.fixture(scope="module")
def shipped(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


def test_seres_information_security_certificates_obtained_in_2023(shipped):
    rows = {(r["report"], str(r["standardPrinted"])): r for r in shipped.query("certifications")}
    # p15, line 537: certified to ISO 27001 "in 2023" (only the year is printed)
    assert str(rows[("seres-2023", "ISO 27001")]["obtained"]) == "2023"
    # p17, line 611: certified to "ISO 277001" (misprint of ISO 27701) "in 2023"
    assert str(rows[("seres-2023", "ISO 277001")]["obtained"]) == "2023"


def test_seres_quality_audits_reach_three_supplier_tiers(shipped):
    rows = {r["programme"]: r for r in shipped.query("supplier-programmes") if r["company"] == "Seres"}
    audits = rows["Supplier quality audits and training"]
    # p35: every tier-1 supplier audited yearly (lines 1425, 1439), tier-2 suppliers with quality
    # risks yearly (line 1430), raw material suppliers when quality problems arise (line 1434)
    assert set(str(audits["reaches"]).split("; ")) == {
        "Seres tier-1 suppliers", "Seres tier-2 and indirect suppliers", "Seres raw material suppliers"}
    # no other Seres programme is said to reach a given tier
    assert {p for p, r in rows.items() if r["reaches"]} == {"Supplier quality audits and training"}


def test_initiatives_at_several_sites(shipped):
    rows = {(r["company"], str(r["initiative"])): r for r in shipped.query("initiatives")}
    # p53, line 2159: Xiaokang Power's rooftop PV at both Duzhou Base and Yanjia Base
    pv = rows[("Seres", "Rooftop Photovoltaic Construction in Logistics Center")]
    assert set(str(pv["sites"]).split("; ")) == {"Duzhou Base", "Yanjia Base"}
    # p48 (estimated), line 1896: the Shiyan Konggang rooftop PV belongs to one factory (one `site:`)
    one = rows[("Seres", "Photovoltaic power generation project (Shiyan Konggang Factory)")]
    assert "; " not in str(one["sites"])
