"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright, against a live
``esgkg serve`` (the session's ``live_server``). No request may leave the loopback.

Skipped, saying why, where Playwright or /usr/bin/chromium is missing (no browser is downloaded).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if not os.path.exists(CHROMIUM):  # pragma: no cover
    pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)", allow_module_level=True)

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, live_server):
    """A fresh page; every request to a host other than 127.0.0.1 is aborted and counted."""
    context = browser.new_context()
    left: list[str] = []
    errors: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(15_000)
    pg.base = live_server
    yield pg
    context.close()
    assert left == [], f"requests left the loopback: {left}"
    assert errors == [], f"JavaScript errors: {errors}"


def test_iso_45001_in_two_clicks(page):
    page.goto(page.base + "/query")
    page.click("button[data-name='sites-with-standard']")  # click 1: the named query
    page.click("#run")  # click 2: run it with its default standard, iso-45001
    page.wait_for_selector("#results-table tbody tr")
    headers = page.locator("#results-table thead th").all_inner_texts()
    rows = [dict(zip(headers, r.locator("td").all_inner_texts(), strict=True))
            for r in page.locator("#results-table tbody tr").all()]
    holders = {r["holder"]: r for r in rows}
    # CALB 2023 p. 66 (text line 1237): "Changzhou Base, Xiamen Base, Wuhan Base, Chengdu Base and
    # Hefei Base, which had been put into use all passed ISO45001"
    for base in ("Changzhou Base", "Xiamen Base", "Wuhan Base", "Chengdu Base", "Hefei Base"):
        assert base in holders, holders.keys()
        assert holders[base]["pages"] == "66"
    assert "rows" in page.inner_text("#status")
    # the same request as CSV and JSON
    assert "format=csv" in page.get_attribute("#dl-csv", "href")
    assert "standard=iso-45001" in page.get_attribute("#dl-csv", "href")
    assert "format=json" in page.get_attribute("#dl-json", "href")
    # the code parameter is a select of the standards' codes, the default chosen
    page.wait_for_function("document.querySelectorAll('#param-standard option').length > 10")
    assert page.input_value("#param-standard") == "iso-45001"
    # the query text is shown, highlighted
    assert page.locator("#highlight .hl-k").count() > 0


def test_sparql_error_is_shown(page):
    page.goto(page.base + "/query")
    page.fill("#sparql", "SELECT ?x WHERE { ?x ")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert "400" in page.inner_text("#error")
    assert page.locator("#results-table").count() == 0


def test_sparql_results_link_to_pages(page):
    page.goto(page.base + "/query")
    page.fill("#sparql", "SELECT ?site WHERE { ?site a esgkg:ProductionBase ; org:siteOf ?o . "
                         "?o esgkg:shortName 'CALB' } ORDER BY ?site")
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr a")
    hrefs = page.eval_on_selector_all("#results-table tbody a", "els => els.map(e => e.getAttribute('href'))")
    assert "/id/site/calb/wuhan-base" in hrefs


def test_company_charts_render(page):
    page.goto(page.base + "/company/calb-2023")
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    for kind in ("kpi", "scopes", "matrix"):
        box = page.locator(f"svg.chart.{kind}").first.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, kind
    assert page.locator("svg.chart rect.bar").count() > 0
    assert page.locator("svg.chart.scopes rect.bar").count() == 2  # CALB prints scope 1 and 2 (p. 45, 82)
    assert page.locator("svg.chart.matrix circle.mark.held").count() > 0
    bar = page.locator("svg.chart.scopes rect.bar").first.bounding_box()
    assert bar and bar["width"] > 0


def test_site_page_links_to_its_certificate(page):
    page.goto(page.base + "/id/site/calb/wuhan-base")
    page.click("a[href='/id/certification/calb-2023/wuhan-base-iso-45001-certified']")
    page.wait_for_url("**/id/certification/calb-2023/wuhan-base-iso-45001-certified")
    assert "ISO45001" in page.inner_text("h1")
    # the certificate's provenance: CALB 2023 p. 66 (text line 1237)
    assert "page 66" in page.inner_text("#provenance")
