"""Issue 13, the model in depth: people and posts (W3C ORG), governance tiers, the report's
assurance, frameworks and GHG method, links to standards, certificates and targets in full,
the basis of a value, narrower populations, announced content the text lacks, identifiers.

First a small synthetic report (fx-2023) in a copy of the project: every new field becomes the
right triples, a bad value is an error naming the file and the item, and the named queries and
the composition shape answer on it. Then the shipped data: facts the curators recorded, each
checked against the report page written beside it."""

from __future__ import annotations

import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, SKOS, XSD

from esgkg import ids
from esgkg.api import KnowledgeGraph
from esgkg.build import build, compile_context, compile_dataset
from esgkg.errors import DataErrors
from esgkg.namespaces import ESGKG, ORG, QB, SCHEMA
from esgkg.project import Project
from esgkg.store import EmbeddedStore
from esgkg.validate import load_shapes, validate_graph

ROOT = Path(__file__).resolve().parents[1]
TIME_INTERVAL = URIRef("http://www.w3.org/2006/time#Interval")

ENTITIES = textwrap.dedent("""\
    report:
      key: fx-2023
      issuer: fx
      title: FX 2023 ESG Report
      year: 2023
      period: {start: 2023-01-01, end: 2023-12-31}
      languages: [en]
      frameworks: [hkex-esg-guide]
      assurance: limited
      assurance_provider: fx-verifier
      index_pages: {hkex: [40], gri: [41]}
      assurance_detail: {provider: fx-verifier, standard: aa1000as-v3, type: type 2, level: moderate,
                         scope: "all figures of the report, sampled", signed: 2024-04-22, pages: [39]}
      framework_use:
        - {framework: gri, edition: "GRI 1: Foundation 2021", mode: in-accordance, pages: [1]}
        - {framework: hkex-esg-guide, mode: following}
      tcfd_pillars: [governance, strategy]
      index_period: [{framework: gri, start: 2023-01-01, end: 2024-12-31}]
      consolidation: the group and its subsidiaries, as in the annual report
      ghg_method: {scope2: location-based, gwp_source: IPCC AR5, scope3_categories: [1, 3],
                   scope3_definition: purchased goods and fuel-related activities, pages: [12]}
      pages: [1]
    organizations:
      - key: fx
        kind: company
        name: FX Ltd.
        short_names: [FX]
        unified_social_credit_code: 91320400MA1MXXXX0X
        pages: [2]
      - key: fx-verifier
        kind: verifier
        name: FX Verification Centre
        pages: [39]
      - key: fx-accreditor
        kind: authority
        name: FX Accreditation Service
        pages: [7]
      - key: fx-suppliers
        kind: supplier-population
        name: All FX suppliers
        pages: [8]
    sites:
      - key: north-base
        kind: production-base
        name: North Base
        operator: fx
        city: Northtown
        country: CN
        status: in-operation
        protected_area: North Wetland Reserve
        adjacent_to_protected_area: true
        pages: [3]
      - key: south-base
        kind: production-base
        name: South Base
        operator: fx
        city: Southtown
        country: CN
        status: in-operation
        pages: [3]
    units:
      - key: board
        kind: board
        name: Board of Directors
        unit_of: fx
        tier: decision
        tier_as_printed: Decision-making level
        chair: ann-lee
        pages: [5]
      - key: esg-committee
        kind: board-committee
        name: ESG Committee
        unit_of: fx
        reports_to: board
        role: steers the ESG work
        tier: management
        pages: [5]
      - key: audit-office
        kind: department
        name: Audit Office
        unit_of: fx
        line_of_defence: 3
        pages: [6]
    people:
      - key: ann-lee
        name: Ann Lee
        name_zh: 李安
        gender: female
        pages: [5]
        lines: [100]
      - key: bo-wu
        name: Bo Wu
        gender: male
        pages: [5]
      - key: cy-ng
        name: Cy Ng
        pages: [6]
        note: Gender not stated.
    posts:
      - {holder: ann-lee, post: director, of: board, category: executive, since: 2021, pages: [5]}
      - {holder: ann-lee, post: chair, of: board, pages: [5]}
      - {holder: bo-wu, post: director, of: board, category: independent, since: 2020-06-01,
         until: 2026-06-01, pages: [5]}
      - {holder: bo-wu, post: committee-chair, of: esg-committee, pages: [5]}
      - {holder: cy-ng, post: board-secretary, of: fx, pages: [6]}
    certifications:
      - key: north-iso-45001
        holder: north-base
        standard: iso-45001
        standard_as_printed: ISO45001
        status: certified
        issuer: fx-verifier
        accreditation: fx-accreditor
        level: grade A
        covers: [south-base]
        valid_from: 2022-01-01
        expires: 2025-01-01
        pages: [7]
      - key: north-iso-50001-planned
        holder: north-base
        standard: iso-50001
        status: planned
        pages: [7]
      - key: suppliers-iso-14001
        holder: fx-suppliers
        standard: iso-14001
        status: required
        pages: [8]
    policies:
      - key: minerals-policy
        kind: policy
        name: Responsible Minerals Policy
        based_on: [oecd-minerals-guidance, rba-code]
        pages: [8]
    supplier_programmes:
      - key: supplier-audits
        name: Supplier social audits
        based_on: [sa8000]
        pages: [8]
    initiatives:
      - key: north-pv
        kind: environmental
        name: North Base rooftop PV
        site: north-base
        based_on: iso-50001
        pages: [9]
    targets:
      - key: energy-2025
        description: Cut energy use 3%-5% a year to 2025
        indicator: energy-saved
        range_min: 3
        range_max: 5
        unit: "%"
        baseline_year: 2020
        baseline_value: "1,200.5"
        baseline_unit: tons of standard coal
        target_year: 2025
        cumulative: false
        status: in-progress
        pages: [10]
      - key: energy-2025-north
        description: North Base share of the cut
        part_of: energy-2025
        cumulative: true
        pages: [10]
    gaps:
      - key: energy-table
        kind: table
        what: the table of energy use by base announced on page 11
        pages: [11]
        lines: [400]
    """)
OBSERVATIONS = textwrap.dedent("""\
    indicator,entity,period,breakdown,value,unit,page,boundary,restated,source,note,qualifier,basis
    energy-saved,,2023,,100,tons of standard coal,11,,,line 401,,,
    energy-saved,north-base,2023,,"1,000",tons of standard coal,11,,,line 402,expected per year,,projected
    energy-saved,south-base,2023,,50,tons of standard coal,11,,,line 403,,,estimated
    directors,board,2023-12-31,,2,(none),5,,,line 100,,,
    directors,board,2023-12-31,board-role=independent-non-executive,1,(none),5,,,line 101,,,
    directors,board,2023-12-31,gender=female,1,(none),5,,,line 102,,,
    directors,board,2023-12-31,population=key-material-suppliers,2,(none),5,,,line 103,,,
    """)


def _report_copy(root: Path) -> Project:
    """A copy of the project whose only report is the synthetic fx-2023."""
    for part in ("ontology", "queries", "shapes"):
        shutil.copytree(ROOT / part, root / part)
    folder = root / "data" / "fx-2023"
    folder.mkdir(parents=True)
    (folder / "entities.yaml").write_text(ENTITIES, encoding="utf-8")
    (folder / "observations.csv").write_text(OBSERVATIONS, encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module")
def fx_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return _report_copy(tmp_path_factory.mktemp("depth"))


@pytest.fixture(scope="module")
def g(fx_project):
    return compile_dataset(fx_project)[ids.report_graph("fx-2023")]


@pytest.fixture()
def fx(tmp_path):
    """A fresh copy to break."""
    project = _report_copy(tmp_path)
    return project, project.data_dir / "fx-2023"


def _problems(project: Project) -> list[str]:
    with pytest.raises(DataErrors) as failure:
        compile_dataset(project)
    return failure.value.problems


def _edit(folder: Path, old: str, new: str, name: str = "entities.yaml") -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _pages(g, node) -> set[int]:
    return {g.value(p, ESGKG.pageNumber).toPython() for p in g.objects(node, PROV.wasDerivedFrom)
            if g.value(p, ESGKG.pageNumber) is not None}


PERSON = ids.ID["person/fx/ann-lee"]
BOARD = ids.unit("fx", "board")


# ------------------------------------------------------------------ compiler: the triples

def test_people_are_foaf_persons_minted_per_issuer_with_names_gender_and_pages(g):
    assert (PERSON, RDF.type, FOAF.Person) in g
    assert g.value(PERSON, FOAF.name) == Literal("Ann Lee")
    assert Literal("李安", lang="zh") in set(g.objects(PERSON, SKOS.prefLabel))
    assert g.value(PERSON, FOAF.gender) == Literal("female")
    assert g.value(ids.ID["person/fx/cy-ng"], FOAF.gender) is None  # not stated: nothing
    assert _pages(g, PERSON) == {5}
    assert g.value(PERSON, ESGKG.sourceLine).toPython() == 100


def test_a_post_is_an_org_post_with_a_membership_and_a_chair_heads_the_body(g):
    post = ids.ID["post/fx/board/director/ann-lee"]
    assert (post, RDF.type, ORG.Post) in g
    assert g.value(post, ORG.postIn) == BOARD
    assert g.value(post, ORG.role) == ids.concept("post-role", "director")
    assert g.value(post, ORG.heldBy) == PERSON and (PERSON, ORG.holds, post) in g
    assert g.value(post, ESGKG.directorCategory) == ids.concept("board-role", "executive")
    bo = ids.ID["post/fx/board/director/bo-wu"]
    assert g.value(bo, ESGKG.directorCategory) == ids.concept("board-role", "independent-non-executive")
    membership = URIRef(f"{post}/membership")
    assert (membership, RDF.type, ORG.Membership) in g
    assert (g.value(membership, ORG.member), g.value(membership, ORG.organization)) == (PERSON, BOARD)
    term = g.value(membership, ORG.memberDuring)
    assert (term, RDF.type, TIME_INTERVAL) in g
    assert g.value(term, DCAT.startDate) == Literal("2021", datatype=XSD.gYear)
    bo_term = g.value(URIRef(f"{bo}/membership"), ORG.memberDuring)
    assert g.value(bo_term, DCAT.startDate) == Literal("2020-06-01", datatype=XSD.date)
    assert g.value(bo_term, DCAT.endDate) == Literal("2026-06-01", datatype=XSD.date)
    # the chair (post and unit field) heads the board; a committee chair heads the committee
    assert (PERSON, ORG.headOf, BOARD) in g
    assert (ids.ID["person/fx/bo-wu"], ORG.headOf, ids.unit("fx", "esg-committee")) in g
    assert (ids.ID["person/fx/bo-wu"], ORG.headOf, BOARD) not in g
    # a post in the company itself
    secretary = ids.ID["post/fx/fx/board-secretary/cy-ng"]
    assert g.value(secretary, ORG.postIn) == ids.organization("fx")


def test_units_carry_tier_line_of_defence_org_reports_to_and_purpose(g):
    committee = ids.unit("fx", "esg-committee")
    assert g.value(BOARD, ESGKG.governanceTier) == ids.concept("governance-tier", "decision")
    assert str(g.value(BOARD, ESGKG.tierAsPrinted)) == "Decision-making level"
    assert g.value(committee, ESGKG.governanceTier) == ids.concept("governance-tier", "management")
    assert g.value(ids.unit("fx", "audit-office"), ESGKG.lineOfDefence).toPython() == 3
    # org:reportsTo, with the deprecated esgkg:reportsTo beside it for older queries
    assert g.value(committee, ORG.reportsTo) == BOARD
    assert g.value(committee, ESGKG.reportsTo) == BOARD
    purpose = g.value(committee, ORG.purpose)
    assert (purpose, RDF.type, SKOS.Concept) in g
    assert str(g.value(purpose, SKOS.definition)) == "steers the ESG work"


def test_the_report_assurance_is_a_node_of_its_own(g):
    report = ids.report("fx-2023")
    node = g.value(report, ESGKG.assurance)
    assert (node, RDF.type, ESGKG.AssuranceEngagement) in g
    assert g.value(node, ESGKG.assuranceProvider) == ids.organization("fx-verifier")
    assert g.value(node, DCTERMS.conformsTo) == ids.concept("standard", "aa1000as-v3")
    assert str(g.value(node, ESGKG.assuranceType)) == "type 2"
    assert g.value(node, ESGKG.assuranceLevel) == ids.concept("assurance-level", "moderate")
    assert g.value(node, ESGKG.signedOn) == Literal("2024-04-22", datatype=XSD.date)
    assert "sampled" in str(g.value(node, ESGKG.assuranceScope))
    assert _pages(g, node) == {39}


def test_framework_uses_pillars_index_period_and_consolidation(g):
    report = ids.report("fx-2023")
    uses = {g.value(u, ESGKG.framework): u for u in g.objects(report, ESGKG.frameworkUse)}
    gri = uses[ids.concept("framework", "gri")]
    assert str(g.value(gri, ESGKG.frameworkEdition)) == "GRI 1: Foundation 2021"
    assert g.value(gri, ESGKG.useMode) == ids.concept("framework-use", "in-accordance")
    assert _pages(g, gri) == {1}
    hkex = uses[ids.concept("framework", "hkex-esg-guide")]
    assert g.value(hkex, ESGKG.useMode) == ids.concept("framework-use", "following")
    assert (report, ESGKG.referencesFramework, ids.concept("framework", "gri")) in g
    assert set(g.objects(report, ESGKG.tcfdPillar)) == {
        ids.concept("tcfd-pillar", "governance"), ids.concept("tcfd-pillar", "strategy")}
    [period] = list(g.objects(report, ESGKG.indexPeriod))
    assert (period, RDF.type, ESGKG.ContentIndexPeriod) in g
    assert g.value(period, DCAT.endDate) == Literal("2024-12-31", datatype=XSD.date)
    assert _pages(g, period) == {41}  # the GRI index's own pages
    assert "subsidiaries" in str(g.value(report, ESGKG.consolidationBasis))


def test_the_ghg_method_is_on_the_data_set_and_what_is_left_out_is_not_stated(g):
    ds = ids.dataset("fx-2023")
    assert g.value(ds, ESGKG.scope2Method) == ids.concept("scope2-method", "location-based")
    assert g.value(ds, ESGKG.ghgConsolidation) == ids.concept("ghg-consolidation", "not-stated")
    assert str(g.value(ds, ESGKG.gwpSource)) == "IPCC AR5"
    assert set(g.objects(ds, ESGKG.scope3Category)) == {
        ids.concept("scope3-category", "1"), ids.concept("scope3-category", "3")}
    assert _pages(g, ds) == {12}


def test_policies_programmes_initiatives_and_certificates_link_to_standards(g):
    policy = ids.report_item("fx-2023", "policy", "minerals-policy")
    assert set(g.objects(policy, ESGKG.basedOn)) == {
        ids.concept("standard", "oecd-minerals-guidance"), ids.concept("standard", "rba-code")}
    programme = ids.report_item("fx-2023", "supplier-programme", "supplier-audits")
    assert g.value(programme, ESGKG.basedOn) == ids.concept("standard", "sa8000")
    pv = ids.report_item("fx-2023", "initiative", "north-pv")
    assert g.value(pv, ESGKG.basedOn) == ids.concept("standard", "iso-50001")
    assert g.value(pv, ESGKG.atSite) == ids.site("fx", "north-base")


def test_planned_and_required_certificates_are_not_schema_certifications(g):
    held = ids.report_item("fx-2023", "certification", "north-iso-45001")
    planned = ids.report_item("fx-2023", "certification", "north-iso-50001-planned")
    required = ids.report_item("fx-2023", "certification", "suppliers-iso-14001")
    assert (held, RDF.type, ESGKG.Certification) in g
    for intent in (planned, required):
        assert (intent, RDF.type, ESGKG.CertificationIntent) in g
        assert (intent, RDF.type, ESGKG.Certification) not in g
        assert g.value(intent, ESGKG.holder) is None and g.value(intent, ESGKG.intendedHolder) is not None
    assert set(g.objects(ids.site("fx", "north-base"), SCHEMA.hasCertification)) == {held}
    # certificates in full
    assert g.value(held, ESGKG.accreditedBy) == ids.organization("fx-accreditor")
    assert g.value(held, SCHEMA.issuedBy) == ids.organization("fx-verifier")
    assert str(g.value(held, ESGKG.certificationLevel)) == "grade A"
    assert g.value(held, ESGKG.covers) == ids.site("fx", "south-base")
    assert g.value(held, SCHEMA.validFrom) == Literal("2022-01-01", datatype=XSD.date)


def test_targets_carry_ranges_baselines_cumulation_and_parts(g):
    whole = ids.report_item("fx-2023", "target", "energy-2025")
    part = ids.report_item("fx-2023", "target", "energy-2025-north")
    assert g.value(whole, ESGKG.targetRangeMin) == Literal("3", datatype=XSD.decimal)
    assert g.value(whole, ESGKG.targetRangeMax) == Literal("5", datatype=XSD.decimal)
    assert g.value(whole, ESGKG.baselineValue) == Literal("1200.5", datatype=XSD.decimal)
    assert str(g.value(whole, ESGKG.baselineUnitAsPrinted)) == "tons of standard coal"
    assert g.value(whole, ESGKG.cumulative) == Literal(False)
    assert g.value(part, ESGKG.cumulative) == Literal(True)
    assert g.value(part, ESGKG.partOfTarget) == whole


def test_sites_protected_areas_and_the_unified_social_credit_code(g):
    north = ids.site("fx", "north-base")
    assert str(g.value(north, ESGKG.protectedAreaName)) == "North Wetland Reserve"
    assert g.value(north, ESGKG.adjacentToProtectedArea) == Literal(True)
    assert str(g.value(ids.organization("fx"), ESGKG.unifiedSocialCreditCode)) == "91320400MA1MXXXX0X"


def test_an_announced_table_the_text_lacks_is_a_gap_with_its_page(g):
    gap = ids.report_item("fx-2023", "gap", "energy-table")
    assert (gap, RDF.type, ESGKG.AnnouncedContentGap) in g
    assert g.value(gap, ESGKG.gapKind) == ids.concept("gap-kind", "table")
    assert g.value(gap, ESGKG.gapIn) == ids.report("fx-2023")
    assert _pages(g, gap) == {11}


def test_the_basis_of_a_value_and_a_population_breakdown(g):
    obs = {str(o).rsplit("/", 1)[-1]: o for o in g.subjects(RDF.type, QB.Observation)}
    assert g.value(obs["line-402"], ESGKG.basis) == ids.concept("observation-basis", "projected")
    assert g.value(obs["line-403"], ESGKG.basis) == ids.concept("observation-basis", "estimated")
    assert g.value(obs["line-401"], ESGKG.basis) is None  # no basis: measured
    assert g.value(obs["line-103"], ESGKG.population) == ids.concept("population", "key-material-suppliers")


def test_basis_and_population_are_data_cube_components(fx_project):
    ontology = compile_dataset(fx_project)[ids.ONTOLOGY_GRAPH]
    assert (ESGKG.basis, RDF.type, QB.AttributeProperty) in ontology
    assert (ESGKG.population, RDF.type, QB.DimensionProperty) in ontology
    components = set(ontology.objects(ESGKG.kpiStructure, QB.component))
    attributes = {ontology.value(c, QB.attribute): ontology.value(c, QB.componentRequired)
                  for c in components}
    assert attributes[ESGKG.basis] == Literal(False)
    assert ESGKG.population in {ontology.value(c, QB.dimension) for c in components}


# ------------------------------------------------------------------ compiler: the errors

@pytest.mark.parametrize(("old", "new", "item", "words"), [
    ("gender: female", "gender: woman", "[people][0] (ann-lee)", "gender must be male or female"),
    ("post: chair, of: board", "post: chairman, of: board", "[posts][1]",
     "unknown post-role code 'chairman'"),
    ("{holder: cy-ng,", "{holder: cy-nq,", "[posts][4]", "'cy-nq' is not the key of a person"),
    ("category: independent", "category: outside", "[posts][2]", "category must be one of"),
    ("since: 2021,", "since: '2021-02-30',", "[posts][0]", "not a calendar date"),
    ("since: 2021,", "since: 2021..2022,", "[posts][0]", "is not a year (YYYY) or a date"),
    ("line_of_defence: 3", "line_of_defence: 4", "[units][2] (audit-office)",
     "line_of_defence must be 1, 2 or 3"),
    ("chair: ann-lee", "chair: ann", "[units][0] (board)", "chair 'ann' is not the key of a person"),
    ("tier: decision", "tier: strategic", "[units][0] (board)", "unknown governance-tier code 'strategic'"),
    ("type: type 2,", "typ: type 2,", "[report]", "assurance_detail: unknown field(s) 'typ'"),
    ("signed: 2024-04-22", "signed: April 2024", "[report]", "signed 'April 2024' is not a year"),
    ("mode: in-accordance", "mode: compliant", "[report]", "unknown framework-use code 'compliant'"),
    ("{framework: hkex-esg-guide, mode: following}", "{framework: hkex-esg-guide, mode: following, year: 1}",
     "[report] [framework_use][1]", "unknown field(s) 'year'"),
    ("tcfd_pillars: [governance, strategy]", "tcfd_pillars: [governance, money]", "[report]",
     "unknown tcfd-pillar code 'money'"),
    ("scope2: location-based", "scope2: grid", "[report] [ghg_method]", "unknown scope2-method code 'grid'"),
    ("scope3_categories: [1, 3]", "scope3_categories: [1, 16]", "[report] [ghg_method]",
     "unknown scope3-category code '16'"),
    ("unified_social_credit_code: 91320400MA1MXXXX0X", "unified_social_credit_code: 9132040",
     "[organizations][0] (fx)", "is not 18 characters"),
    ("cumulative: false", "cumulative: no-idea", "[targets][0] (energy-2025)",
     "cumulative must be true or false"),
    ("part_of: energy-2025", "part_of: energy-2030", "[targets][1] (energy-2025-north)",
     "part_of 'energy-2030' is not the key of a target"),
    ("range_min: 3", "range_min: three", "[targets][0] (energy-2025)", "not a number"),
    ("adjacent_to_protected_area: true", "adjacent_to_protected_area: maybe", "[sites][0] (north-base)",
     "adjacent_to_protected_area must be true or false"),
    ("based_on: [sa8000]", "based_on: [sa9000]", "[supplier_programmes][0] (supplier-audits)",
     "unknown standard code 'sa9000'"),
    ("site: north-base", "site: east-base", "[initiatives][0] (north-pv)", "'east-base' is not the key"),
    ("covers: [south-base]", "covers: [fx-suppliers]", "[certifications][0] (north-iso-45001)",
     "'fx-suppliers' is not the key of a known site or product or organization"),
    ("accreditation: fx-accreditor", "accreditation: cnas", "[certifications][0] (north-iso-45001)",
     "'cnas' is not the key of a known organization"),
    ("kind: table", "kind: spreadsheet", "[gaps][0] (energy-table)", "unknown gap-kind code 'spreadsheet'"),
    ("    what: the table", "    whta: the table", "[gaps][0] (energy-table)",
     "a gap needs a key and `what`"),
])
def test_a_bad_value_is_an_error_naming_the_file_and_the_item(fx, old, new, item, words):
    project, folder = fx
    _edit(folder, old, new)
    problems = _problems(project)
    where = f"{folder / 'entities.yaml'} {item}"
    assert any(p.startswith(where) and words in p for p in problems), problems


def test_an_unknown_field_of_a_person_or_post_is_refused(fx):
    project, folder = fx
    _edit(folder, "{holder: cy-ng, post: board-secretary, of: fx, pages: [6]}",
          "{holder: cy-ng, post: board-secretary, of: fx, pages: [6], gendre: male}")
    problems = _problems(project)
    assert any("[posts][4]" in p and "unknown field(s) 'gendre'" in p for p in problems)


def test_a_post_given_twice_is_an_error(fx):
    project, folder = fx
    _edit(folder, "  - {holder: cy-ng,", "  - {holder: ann-lee, post: chair, of: board, pages: [6]}\n"
          "  - {holder: cy-ng,")
    assert any("[posts][4]" in p and "already named" in p for p in _problems(project))


def test_an_unknown_basis_population_or_column_names_file_and_line(fx):
    project, folder = fx
    path = folder / "observations.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("energy-saved,,2022,,5,tons of standard coal,11,,,line 404,,,forecast\n")
        fh.write("energy-saved,,2022,population=everyone,5,tons of standard coal,11,,,line 405,,,\n")
    problems = _problems(project)
    assert any(p.startswith(f"{path}:9") and "unknown observation-basis code 'forecast'" in p
               for p in problems)
    assert any(p.startswith(f"{path}:10") and "unknown population code 'everyone'" in p for p in problems)
    (folder / "observations-more.csv").write_text(
        OBSERVATIONS.splitlines()[0] + ",bassis\nenergy-saved,,2021,,5,tons of standard coal,11,,,,,,,x\n")
    assert any("observations-more.csv:1" in p and "unknown column(s) bassis" in p for p in _problems(project))


def test_a_new_mapping_or_list_of_mappings_must_have_that_shape(fx):
    project, folder = fx
    _edit(folder, "tcfd_pillars: [governance, strategy]", "tcfd_pillars: {governance: true}")
    _edit(folder, "index_period: [{framework: gri, start: 2023-01-01, end: 2024-12-31}]",
          "index_period: {framework: gri}")
    problems = _problems(project)
    where = f"{folder / 'entities.yaml'} [report]"
    assert f"{where}: field 'tcfd_pillars' must be a plain value or a list of plain values" in problems
    assert f"{where}: field 'index_period' must be a list of mappings of plain values" in problems


# ------------------------------------------------------------------ the composition shape

@pytest.fixture(scope="module")
def context(fx_project):
    graphs, _ = compile_context(fx_project)
    merged = None
    for graph in graphs.values():
        merged = graph if merged is None else merged + graph
    return merged


def _composition_findings(fx_project, context, graph):
    shapes = load_shapes(fx_project.shapes_dir)
    dataset = compile_dataset(fx_project)
    data = graph + dataset[ids.PERIODS_GRAPH]
    result = validate_graph("fx-2023", data, context, shapes)
    return [f for f in result.findings if "CompositionMatchesPeople" in f.shape]


def test_the_composition_counts_agree_with_the_people_recorded(fx_project, context, g):
    assert _composition_findings(fx_project, context, g) == []


def test_a_composition_count_the_people_contradict_is_a_warning(fx_project, context, g):
    wrong = Graph()
    wrong += g
    obs = next(o for o in g.subjects(RDF.type, QB.Observation) if str(o).endswith("/line-101"))
    wrong.set((obs, ESGKG.value, Literal("2", datatype=XSD.decimal)))
    [finding] = _composition_findings(fx_project, context, wrong)
    assert finding.severity == "Warning" and finding.focus == str(obs)
    assert "printed as 2" in finding.message and "1 people" in finding.message


# ------------------------------------------------------------------ named queries on fx-2023

@pytest.fixture(scope="module")
def kg(fx_project, tmp_path_factory) -> KnowledgeGraph:
    path = tmp_path_factory.mktemp("depth-store")
    build(fx_project, path)
    return KnowledgeGraph(EmbeddedStore(path), fx_project)


def test_board_members_and_chairs(kg):
    rows = {(r["person"], r["post"]): r for r in kg.query("board-members")}
    assert set(rows) == {("Ann Lee", "director"), ("Ann Lee", "chair"), ("Bo Wu", "director")}
    assert rows[("Ann Lee", "director")]["category"] == "executive director"
    assert rows[("Ann Lee", "director")]["gender"] == "female"
    assert rows[("Bo Wu", "director")]["term"] == "2020-06-01..2026-06-01"
    chairs = {(r["body"], r["chair"]) for r in kg.query("chairs")}
    assert chairs == {("Board of Directors", "Ann Lee"), ("ESG Committee", "Bo Wu")}


def test_assurance_frameworks_and_ghg_method_queries(kg):
    [a] = kg.query("assurance").rows
    assert (a["provider"], a["standard"], a["type"], a["level"], str(a["signed"])) == (
        "FX Verification Centre", "AA1000AS v3", "type 2", "moderate assurance", "2024-04-22")
    fw = {r["framework"]: r for r in kg.query("frameworks-followed")}
    gri = fw["GRI Sustainability Reporting Standards"]
    assert (gri["edition"], gri["mode"], gri["indexPeriod"]) == (
        "GRI 1: Foundation 2021", "in accordance with", "2023-01-01..2024-12-31")
    [m] = kg.query("ghg-method").rows
    assert (m["scope2Method"], m["consolidation"], m["gwpSource"]) == (
        "location-based", "consolidation approach not stated", "IPCC AR5")
    assert set(m["scope3Categories"].split("; ")) == {"1", "3"}


def test_targets_detail_and_certificates_per_site(kg):
    rows = {r["target"]: r for r in kg.query("targets-detail")}
    whole = rows["Cut energy use 3%-5% a year to 2025"]
    assert (whole["rangeMin"], whole["rangeMax"], whole["baselineValue"]) == (
        Decimal("3"), Decimal("5"), Decimal("1200.5"))
    assert rows["North Base share of the cut"]["partOf"] == "Cut energy use 3%-5% a year to 2025"
    certs = {(r["site"], r["printedAs"]) for r in kg.query("certificates-per-site")}
    # held by North Base and covering South Base; the planned ISO 50001 is not there
    assert certs == {("North Base", "ISO45001"), ("South Base", "ISO45001")}


def test_summing_actuals_leaves_projections_out_unless_asked(kg):
    actual = kg.query("indicator-actuals", indicator="energy-saved", year="2023").rows
    assert sorted(r["value"] for r in actual) == ["100", "50"]  # measured and estimated
    with_projections = kg.query("indicator-actuals", indicator="energy-saved", year="2023",
                                include="projected").rows
    assert sorted(r["basis"] for r in with_projections) == ["estimated", "measured", "projected"]


# ------------------------------------------------------------------ the shipped data
# Each expected row was read off the report page written beside it
# (../shared/reports/<report>.txt, line given too).

@pytest.fixture(scope="module")
def shipped(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


def test_calb_board_members_by_category_and_its_chair(shipped):
    rows = [r for r in shipped.query("board-members") if r["company"] == "CALB" and r["post"] == "director"]
    # p74 (lines 1375-1379): 2 executive, 3 non-executive, 3 independent non-executive directors
    by_category: dict[str, set[str]] = {}
    for r in rows:
        by_category.setdefault(r["category"], set()).add(r["person"])
    assert by_category == {
        "executive director": {"Jingyu Liu", "Ying Dai"},
        "non-executive director": {"Sheng Zhou", "Guoqing Zhang", "Yunxiang Li"},
        "independent non-executive director": {"Guangquan Wu", "Susheng Wang", "Zetong Chen"}}
    # "Ms. Jingyu Liu (President & Chairman)" (line 1377): the only woman, and she chairs the board
    assert {r["person"] for r in rows if r["gender"] == "female"} == {"Jingyu Liu"}
    chairs = {(r["company"], r["body"]): r["chair"] for r in shipped.query("chairs")}
    assert chairs[("CALB", "Board of Directors")] == "Jingyu Liu"


def test_seres_board_members_and_its_independent_directors(shipped):
    rows = [r for r in shipped.query("board-members") if r["company"] == "Seres" and r["post"] == "director"]
    # p12 (lines 406-419): twelve directors, four independent, one woman (Ms. Shen Wei)
    assert len({r["person"] for r in rows}) == 12
    assert {r["person"] for r in rows if r["category"] == "independent non-executive director"} == {
        "Li Kaiguo", "Jing Xufeng", "Zhang Guolin", "Li Ming"}
    assert {r["person"] for r in rows if r["gender"] == "female"} == {"Shen Wei"}
    chairs = {(r["company"], r["body"]): r["chair"] for r in shipped.query("chairs")}
    assert chairs[("Seres", "Board of Directors")] == "Zhang Zhengping"  # "Director, Chairman", line 408


def test_assurance_of_each_report(shipped):
    rows = {r["report"]: r for r in shipped.query("assurance")}
    # Seres p70 (lines 3025, 3080): CQC, AA1000AS v3, "Type 2, moderate", signed April 22, 2024
    seres = rows["seres-2023"]
    assert (seres["provider"], seres["standard"], seres["type"], seres["level"], str(seres["signed"])) == (
        "China Quality Certification Centre", "AA1000AS v3", "Type 2", "moderate assurance", "2024-04-22")
    assert seres["pages"] == "70"
    # CALB (p2) states no external assurance
    assert rows["calb-2023"]["level"] == "no assurance" and rows["calb-2023"]["provider"] is None


def test_seres_uses_gri_with_reference_and_its_index_states_another_period(shipped):
    rows = {(r["report"], r["framework"]): r for r in shipped.query("frameworks-followed")}
    gri = rows[("seres-2023", "GRI Sustainability Reporting Standards")]
    # p1 (line 77): prepared with reference to the GRI Standards; p67 (line 2846): GRI 1: Foundation 2021;
    # the GRI index (line 2845) says January 1, 2023 to December 31, 2024, the report 2023 (line 85)
    assert (gri["edition"], gri["mode"], gri["indexPeriod"]) == (
        "GRI 1: Foundation 2021", "with reference to", "2023-01-01..2024-12-31")


def test_ghg_method_of_each_report(shipped):
    rows = {r["report"]: r for r in shipped.query("ghg-method")}
    # Seres p54 footnote 31 (line 2232): purchased electricity at the national grid average
    # factor (location-based); footnote 32: scope 3 is fuel- and energy-related activities (cat. 3)
    assert rows["seres-2023"]["scope2Method"] == "location-based"
    assert rows["seres-2023"]["scope3Categories"] == "3"
    # CALB (pp. 45, 82) states neither the scope 2 method nor a GWP source
    assert rows["calb-2023"]["scope2Method"] == "scope 2 method not stated"
    assert rows["calb-2023"]["gwpSource"] == "not-stated"


def test_counting_held_certificates_counts_no_plan_or_requirement(built_store):
    _n, rows = built_store.select(
        "SELECT (COUNT(?c) AS ?n) WHERE { ?c a esgkg:Certification ; esgkg:certificationStatus ?s . "
        "FILTER(?s IN (vocab:certification-status\\/planned, vocab:certification-status\\/required, "
        "vocab:certification-status\\/encouraged)) }")
    assert int(rows[0]["n"].value) == 0
    # the supplier requirements are there, as intents (Seres pp. 34-35: all suppliers ISO 45001 ...)
    _n, rows = built_store.select("SELECT (COUNT(?c) AS ?n) WHERE { ?c a esgkg:CertificationIntent }")
    assert int(rows[0]["n"].value) > 0


def test_calb_chengdu_base_is_next_to_a_protected_area(built_store):
    # p54 (line 1012): the Chengdu Base is very close to Chengdu Longquan Mountain Urban Forest Park
    _n, rows = built_store.select(
        "SELECT ?name ?area WHERE { ?s esgkg:adjacentToProtectedArea true ; skos:prefLabel ?name ; "
        "esgkg:protectedAreaName ?area }", graphs=["https://w3id.org/esgkg/graph/report/calb-2023"])
    assert [(r["name"].value, r["area"].value) for r in rows] == [
        ("Chengdu Base", "Chengdu Longquan Mountain Urban Forest Park")]


def test_seres_2023_energy_savings_are_projections_left_out_of_actuals(shipped):
    # p8 (line 298): "approximate 12,125.15 tons of standard coal saved" is estimated for a year of
    # PV generation: a projection, so the actuals leave it out unless projections are asked for
    actual = [r for r in shipped.query("indicator-actuals", indicator="energy-saved", year="2023")
              if r["company"] == "Seres"]
    assert "12,125.15" not in {r["value"] for r in actual}
    projected = [r for r in shipped.query("indicator-actuals", indicator="energy-saved", year="2023",
                                          include="projected") if r["company"] == "Seres"]
    assert ("12,125.15", "projected", "8") in {(r["value"], r["basis"], r["pages"]) for r in projected}


def test_the_shipped_composition_counts_agree_with_the_people(shipped_validation):
    for report in ("calb-2023", "seres-2023"):
        assert [f.message for f in shipped_validation[report].findings
                if "CompositionMatchesPeople" in f.shape] == []


# ------------------------------------------------------------------ counts, crosswalk breadth, external ids

def test_printed_counts_that_the_recorded_things_contradict_are_warnings_naming_them(shipped_validation):
    found = {(r, f.focus.rsplit("/obs/", 1)[-1]): f for r in ("calb-2023", "seres-2023")
             for f in shipped_validation[r].findings if f.shape.endswith("CountMatchesInstancesShape")}
    assert set(found) == {
        ("calb-2023", "calb-2023/industrial-bases/2023-12-31/total/calb/line-177"),
        ("seres-2023", "seres-2023/board-committees/2023-12-31/total/board/line-397")}
    # CALB p10 (line 177): nine industrial bases, named; the report also names an Emei Base
    # (p28, line 530) that is not among the nine: ten production bases are recorded
    calb = found[("calb-2023", "calb-2023/industrial-bases/2023-12-31/total/calb/line-177")]
    assert calb.severity == "Warning"
    assert "printed as 9 on page 10" in calb.message and "records 10 production base" in calb.message
    assert "Emei Base" in calb.message
    # Seres p12 (line 397): the ESG Committee was added to the four special committees of the
    # board; the only other one the report names is the Nominating Committee (line 404)
    seres = found[("seres-2023", "seres-2023/board-committees/2023-12-31/total/board/line-397")]
    assert "printed as 4 on page 12" in seres.message and "records 2 committee" in seres.message
    # CALB p10 (line 177): five R&D centres, and the five recorded agree: no finding
    assert not any("rnd-centres" in focus for _, focus in found)


def test_count_indicators_say_which_class_they_count(context):
    for code, cls, through in (("industrial-bases", ESGKG.ProductionBase, ORG.siteOf),
                               ("rnd-centres", ESGKG.RnDCentre, ORG.siteOf),
                               ("board-committees", ESGKG.Committee, ORG.reportsTo)):
        ind = ids.concept("indicator", code)
        assert (ind, ESGKG.countsInstancesOf, cls) in context
        assert (ind, ESGKG.countedThrough, through) in context


def test_gri_disclosures_are_part_of_their_standard_in_its_edition(context):
    part = ids.concept("gri", "303-3")
    [whole] = context.objects(part, DCTERMS.isPartOf)
    assert whole == ids.concept("gri", "GRI-303")
    # GRI 303-3 "Water withdrawal" is a disclosure of GRI 303: Water and Effluents 2018
    assert context.value(whole, ESGKG.editionYear) == Literal("2018", datatype=XSD.gYear)
    assert (whole, DCTERMS.isPartOf, ids.concept("framework", "gri")) in context


def test_gri_and_hkex_items_of_different_breadth_are_broad_or_narrow_matches(context):
    gri, hkex = (lambda c: ids.concept("gri", c)), (lambda c: ids.concept("hkex", c))
    # HKEX A1.2 asks for scope 1 and scope 2 emissions and intensity; GRI 305-1 for scope 1 only
    assert (gri("305-1"), SKOS.broadMatch, hkex("A1.2")) in context
    assert (hkex("A1.2"), SKOS.narrowMatch, gri("305-1")) in context
    assert (gri("305-1"), SKOS.closeMatch, hkex("A1.2")) not in context
    # GRI 401-1 asks for new hires and turnover; HKEX B1.2 for turnover only
    assert (gri("401-1"), SKOS.narrowMatch, hkex("B1.2")) in context
    # GRI 301-1 covers all materials; HKEX A2.5 packaging material only
    assert (gri("301-1"), SKOS.narrowMatch, hkex("A2.5")) in context
    # same breadth stays a close match: 2-7 Employees / B1.1 Total workforce
    assert (gri("2-7"), SKOS.closeMatch, hkex("B1.1")) in context


def test_a_gri_row_mapping_one_hkex_item_two_ways_is_refused(project_copy):
    from esgkg.errors import InputError
    from esgkg.sources.vocab import load_vocabularies

    path = project_copy.vocab_dir / "gri.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Direct (Scope 1) GHG emissions,,A1.2,",
                                 "Direct (Scope 1) GHG emissions,A1.2,A1.2,"), encoding="utf-8")
    with pytest.raises(InputError, match=r"gri\.csv:\d+: HKEX A1.2 is in both close_match and broad_match"):
        load_vocabularies(project_copy.vocab_dir)


def test_external_identifiers_are_a_graph_of_their_own_with_source_and_date(shipped, built_store):
    rows = {(r["organization"], r["value"]): r for r in shipped.query("external-identifiers")}
    # https://pandaily.com/calb-becomes-first-battery-manufacturer-listed-in-hong-kong: listed on
    # the HKEX Main Board under "3931"; CALB's report prints no code (p2, line 39)
    calb = rows[("CALB Group Co., Ltd.", "3931")]
    assert (calb["scheme"], calb["issuer"], str(calb["retrieved"])) == (
        "stock-code", "The Stock Exchange of Hong Kong Limited", "2026-12-01")
    assert calb["source"] == "https://pandaily.com/calb-becomes-first-battery-manufacturer-listed-in-hong-kong"
    assert calb["printedInReport"] == ""
    # https://stockanalysis.com/quote/sha/601127/statistics: SHA:601127; Seres p3 (line 137) prints it
    seres = rows[("Seres Group Co., Ltd.", "601127")]
    assert (seres["issuer"], seres["printedInReport"]) == ("Shanghai Stock Exchange", "601127")
    # nothing of it is in a report graph
    _, leaked = built_store.select("SELECT ?r WHERE { GRAPH ?g { ?r a esgkg:ExternalIdentifier } "
                                   "FILTER(?g != <https://w3id.org/esgkg/graph/external>) }")
    assert leaked == []


@pytest.mark.parametrize(("row", "words"), [
    ("calb,stock-code,3931,,https://example.org/p,2026-01-01,", "needs its exchange"),
    ("calb,lei,ABC,,https://example.org/p,2026-01-01,", "is not of the form 20 characters"),
    ("calb,stock-code,3931,hkex,,2026-01-01,", "`source` is empty"),
    ("calb,stock-code,3931,hkex,ftp://example.org/p,2026-01-01,", "not an http(s) IRI"),
    ("calb,stock-code,3931,hkex,https://example.org/p,2026-13-01,", "not a calendar date"),
    ("calb,stock-code,3931,hkex,https://example.org/p,2099-01-01,", "after today"),
    ("nobody,stock-code,3931,hkex,https://example.org/p,2026-01-01,",
     "not an organisation key of any report"),
    ("calb,ticker,3931,hkex,https://example.org/p,2026-01-01,", "scheme 'ticker' is not one of"),
])
def test_a_bad_external_identifier_row_is_refused_with_file_and_line(project_copy, row, words):
    from esgkg.errors import InputError

    path = project_copy.data_dir / "_external" / "identifiers.csv"
    path.write_text(path.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        compile_dataset(project_copy)
    assert "identifiers.csv:4: " in str(caught.value) and words in str(caught.value)
