"""The human side of ``esgkg serve``: linked-data pages, content negotiation, company charts,
the validation page and the query page, through Flask's test client on the built store.

Expected figures come from the reports (page and text line written beside them); the report
text marks no page numbers, so a page is the one the curated data cites for that line.
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from esgkg.namespaces import ESGKG, ORG

BASE = "https://w3id.org/esgkg/"
WUHAN = "id/site/calb/wuhan-base"
WUHAN_45001 = "id/certification/calb-2023/wuhan-base-iso-45001-certified"
CALB_SCOPE1_2023 = "id/obs/calb-2023/ghg-scope1/2023/total/calb/line-1559"


@pytest.fixture(scope="module")
def client(project, built_store):
    from esgkg.serve import ServerConfig, create_app

    app = create_app(ServerConfig(store=built_store.root, project_root=project.root))
    app.testing = True
    return app.test_client()


def parse(client, path: str, accept: str, fmt: str) -> Graph:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == accept
    assert "Accept" in response.headers["Vary"]
    return Graph().parse(data=response.data, format=fmt)


class Elements(HTMLParser):
    """Start tags with their attributes, and the text, of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags
                if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]


# --- content negotiation -------------------------------------------------------------------

def test_entity_html_page_with_alternates(client):
    response = client.get("/" + WUHAN, headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    link = response.headers["Link"]
    for media in ("text/turtle", "application/ld+json", "application/n-triples"):
        assert f'type="{media}"' in link
    page = Elements(response.get_data(as_text=True))
    assert "Wuhan Base" in page.text
    # a held certificate links to its page; an external type shows its prefixed name
    assert page.find("a", href="/" + WUHAN_45001)
    org_site = page.find("a", href=str(ORG.Site))
    assert org_site and "external" in org_site[0]["class"]
    assert "org:Site" in "".join(page.text)


def test_entity_turtle_holds_its_triples_and_its_pages(client):
    g = parse(client, "/" + WUHAN, "text/turtle", "turtle")
    site = URIRef(BASE + WUHAN)
    assert (site, RDF.type, ORG.Site) in g
    assert (site, ORG.siteOf, URIRef(BASE + "id/org/calb")) in g
    assert any(str(o) == "Wuhan Base" for o in g.objects(site, SKOS.prefLabel))
    # CALB 2023 p. 66 (text line 1237): "Changzhou Base, Xiamen Base, Wuhan Base, Chengdu Base and
    # Hefei Base ... all passed ISO45001": the page resource and its number come with the site
    page66 = URIRef(BASE + "id/report/calb-2023/page/66")
    assert (site, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), page66) in g
    assert (page66, ESGKG.pageNumber, Literal(66)) in g


def test_entity_jsonld_and_ntriples(client):
    site = URIRef(BASE + WUHAN)
    for accept, fmt in (("application/ld+json", "json-ld"), ("application/n-triples", "nt")):
        g = parse(client, "/" + WUHAN, accept, fmt)
        assert (site, ORG.siteOf, URIRef(BASE + "id/org/calb")) in g
    by_param = client.get(f"/{WUHAN}?format=ttl", headers={"Accept": "text/html"})
    assert by_param.mimetype == "text/turtle"


def test_unknown_format_and_unacceptable_type(client):
    assert client.get(f"/{WUHAN}?format=rdfxml").status_code == 400
    assert client.get("/" + WUHAN, headers={"Accept": "image/png"}).status_code == 406


def test_unknown_iri_is_404_with_a_page(client):
    response = client.get("/id/org/no-such-company", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert BASE + "id/org/no-such-company" in response.get_data(as_text=True)
    assert client.get("/id/org/no-such-company", headers={"Accept": "text/turtle"}).status_code == 404


@pytest.mark.parametrize("path", ["/id/%3Cscript%3Ealert(1)%3C/script%3E", "/id/org/a%20b", '/id/org/x%22y',
                                  "/id/org/a%7Bb%7D", "/vocab/%5Cx", "/id/../id/org/calb", "/id/org/%00"])
def test_hostile_path_is_400(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 400, path
    assert "<script>alert" not in response.get_data(as_text=True)


# --- what an entity page shows -------------------------------------------------------------

def test_provenance_shows_the_page(client):
    # CALB 2023 p. 82, ESG Key Performance Table (text line 1559): Scope 1 2023 = 307,488.75 t
    html = client.get("/" + CALB_SCOPE1_2023).get_data(as_text=True)
    block = html[html.index('id="provenance"'):]
    block = block[: block.index("</section>")]
    assert ">page 82</a>" in block
    assert 'href="/id/report/calb-2023/page/82"' in block
    assert "line 1559" in block
    assert "estimated" not in block
    assert "307,488.75" in html


def test_estimated_page_is_said(client):
    # Seres 2023: the VOC detection centre is placed on p. 29 by the curator (the text marks no
    # pages; its curation note says "Page estimated")
    html = client.get("/id/site/seres/voc-detection-center").get_data(as_text=True)
    block = html[html.index('id="provenance"'):]
    assert ">page 29</a>" in block
    assert "(page estimated)" in block


def test_links_in_are_capped_and_counted(client):
    page = Elements(client.get("/id/org/calb").get_data(as_text=True))
    text = "".join(page.text)
    shown = [a for a in page.find("a") if a["href"].startswith("/id/obs/calb-2023/")]
    assert 0 < len(shown) <= 25  # observations about CALB: many, at most 25 shown
    assert re.search(r"… and \d+ more", text)


def test_literals_are_escaped(client):
    """A literal holding markup renders as text (template and chart code), never as markup."""
    from flask import render_template

    from esgkg.serve import charts
    from esgkg.serve.describe import EntityView, Term

    hostile = '<script>alert("x")</script>'
    view = EntityView(
        iri=BASE + "id/org/x", label=hostile, types=[Term("iri", "javascript:alert(1)")],
        facts=[(Term("iri", "http://www.w3.org/2004/02/skos/core#prefLabel"), [Term("literal", hostile)])],
        incoming=[], incoming_total=0, provenance=[], page_estimated=False, source_lines=[], notes=[hostile])
    with client.application.test_request_context("/id/org/x"):
        html = render_template("entity.html", view=view, terms=[], companies=[], path="/id/org/x",
                               formats={"html": "text/html"})
    assert hostile not in html
    assert "&lt;script&gt;alert(" in html
    assert 'href="javascript:' not in html  # a non-http IRI is shown, not linked
    pair = charts.KpiPair(BASE + "x", hostile, hostile, "2022", charts.Decimal(1), "1", "2023",
                          charts.Decimal(2), "2", [1])
    svg = str(charts.kpi_panel(pair, "t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


# --- home, company pages and charts ---------------------------------------------------------

def test_home_links_reports_companies_and_pages(client):
    page = Elements(client.get("/").get_data(as_text=True))
    for href in ("/id/org/calb", "/id/org/seres", "/company/calb-2023", "/company/seres-2023", "/query",
                 "/validation", "/id/report/calb-2023"):
        assert page.find("a", href=href), href


def svg_of(html: str, css: str) -> str:
    start = html.index(f'class="chart {css}"')
    return html[start: html.index("</svg>", start)]


def test_company_page_scope_chart_values(client):
    html = client.get("/company/calb-2023").get_data(as_text=True)
    scopes = svg_of(html, "scopes")
    # CALB 2023 p. 45 (text line 824) and p. 82 (line 1559): Scope 1 2023 = 307,488.75 t CO2e
    assert "Scope 1: 307,488.75 t CO2e" in scopes
    # p. 45 (line 825) / p. 82 (line 1560): Scope 2 2023 = 651,782.46 t
    assert "Scope 2: 651,782.46 t CO2e" in scopes
    assert "not reported: Scope 3" in scopes  # CALB prints no scope 3
    assert 'role="img"' in scopes and "<title" in scopes
    assert "pp. 45, 82" in scopes
    html = client.get("/company/seres-2023").get_data(as_text=True)
    # Seres 2023 p. 54 (text line 2224): Scope 1 2023 = 47,756.19 t CO2e
    assert "Scope 1: 47,756.19 t CO2e" in svg_of(html, "scopes")


def test_company_page_kpi_pairs(client):
    html = client.get("/company/seres-2023").get_data(as_text=True)
    # Seres 2023 p. 54 (text line 2212): comprehensive energy consumption 57,282.29 (2022),
    # 45,360.37 (2023) tce
    panels = [svg for svg in re.findall(r'<svg[^>]*class="chart kpi".*?</svg>', html, re.S)]
    energy = [p for p in panels if "Energy consumption:" in p]
    assert energy, "no energy consumption panel"
    assert "2022 57,282.29, 2023 45,360.37" in energy[0]
    assert len(re.findall(r'<rect class="bar (?:prior|current)"', energy[0])) == 2


def test_certification_matrix_marks_iso45001_sites(client):
    html = client.get("/company/calb-2023").get_data(as_text=True)
    matrix = svg_of(html, "matrix")
    # CALB 2023 p. 66 (text line 1237): the five bases in use passed ISO45001
    for base in ("changzhou", "xiamen", "wuhan", "chengdu", "hefei"):
        link = f'<a href="/id/certification/calb-2023/{base}-base-iso-45001-certified" class="mark-link">'
        assert link in matrix, base
        after = matrix[matrix.index(link):]
        assert after.startswith(link + '<circle class="mark held"')
    # a base under construction holds none (p. 66: "planned to apply for certification after completion")
    assert "jiangmen-base-iso-45001" not in matrix
    assert ">Jiangmen Base<" in matrix


def test_company_entity_page_has_the_charts(client):
    html = client.get("/id/org/seres").get_data(as_text=True)
    assert 'class="chart scopes"' in html and 'class="chart matrix"' in html


def test_company_key_checked(client):
    assert client.get("/company/NOPE!").status_code == 400
    assert client.get("/company/no-such-report").status_code == 404


# --- ontology, graphs ----------------------------------------------------------------------

def test_ontology_page_and_data(client):
    page = Elements(client.get("/ontology").get_data(as_text=True))
    assert page.find("dt", id="pageEstimated")
    g = parse(client, "/ontology", "text/turtle", "turtle")
    assert (ESGKG.pageEstimated, RDF.type, URIRef("http://www.w3.org/2002/07/owl#DatatypeProperty")) in g


def test_named_graph_page(client):
    html = client.get("/graph/report/seres-2023").get_data(as_text=True)
    assert "Named graph" in html and "triples" in html


# --- validation and query pages ------------------------------------------------------------

def test_validation_page_lists_each_reports_findings(client):
    deadline = time.monotonic() + 180
    while True:
        response = client.get("/validation")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:500]
        if 'role="status"' not in html:
            break
        assert time.monotonic() < deadline, "validation did not finish"
        assert 'http-equiv="refresh"' in html
        time.sleep(1)
    for report in ("calb-2023", "seres-2023"):
        assert f'id="report-{report}"' in html
    # CALB 2023 p. 82 (text lines 1559-1561): scope 1 134,957.01 + scope 2 450,935.34 printed for
    # 2022 add up to 585,892.35, but the total is printed as 585,910.35
    calb = html[html.index('id="report-calb-2023"'):html.index('id="report-seres-2023"')]
    assert "585910.35" in calb and "585892.35" in calb
    assert 'href="/id/obs/calb-2023/ghg-scope1-2/2022/total/calb/line-1561"' in calb
    assert "Warning" in calb


def test_query_page_and_its_assets(client):
    page = Elements(client.get("/query").get_data(as_text=True))
    assert page.find("textarea", id="sparql")
    scripts = [a["src"] for a in page.find("script") if a.get("src")]
    assert scripts == ["/static/query.js"]
    for src in [*scripts, "/static/style.css"]:
        response = client.get(src)
        assert response.status_code == 200 and response.data
    text = client.get("/query/sites-with-standard.rq")
    assert text.status_code == 200 and b"SELECT" in text.data
    assert client.get("/query/no-such-query.rq").status_code == 404
    assert client.get("/query/BAD_name.rq").status_code == 400
