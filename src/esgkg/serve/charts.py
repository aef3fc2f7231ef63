"""A company's pictures, as inline SVG drawn on the server (no JavaScript, no library, no CDN).

Three charts per report: KPI trends (prior year against the reporting year, one small panel per
indicator printed for both years on one page), greenhouse-gas emissions by scope in the reporting
year (in t CO2e, converted through the unit table), and a sites x standards certification matrix
(held certificates filled, planned or required ones dashed, ones under assessment hollow). The
figures come from queries through the store's query path; every chart says its report pages.
Every text is escaped (``markupsafe``); each SVG has ``role="img"``, a ``<title>`` and a ``<desc>``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox
from markupsafe import Markup, escape

from ..namespaces import ESGKG, VOCAB
from .describe import Describer, local_href

INDICATOR = str(VOCAB) + "indicator/"
SCOPES = (("Scope 1", "ghg-scope1"), ("Scope 2", "ghg-scope2"), ("Scope 3", "ghg-scope3"))
HELD = ("certified", "recertified")


def _totals_only(obs: str) -> str:
    """A filter: the observation ``?<obs>`` has no breakdown beyond indicator, entity and period."""
    return (f"FILTER NOT EXISTS {{ ?{obs} ?d_{obs} ?x_{obs} . ?d_{obs} a qb:DimensionProperty . "
            f"FILTER(?d_{obs} NOT IN (esgkg:indicator, esgkg:refEntity, esgkg:refPeriod)) }}")


PAIRS_QUERY = """
SELECT ?ind ?indLabel ?unitPrinted ?prevYear ?prev ?prevPrinted ?year ?cur ?curPrinted ?page WHERE {
  ?report esgkg:reportingYear ?ry ; dcterms:publisher ?company .
  ?b esgkg:indicator ?ind ; esgkg:refEntity ?company ; esgkg:refPeriod ?pb ; esgkg:value ?cur ;
     esgkg:valueAsPrinted ?curPrinted ; esgkg:unitAsPrinted ?unitPrinted ; prov:wasDerivedFrom ?src .
  ?pb rdfs:label ?year . FILTER(STR(?year) = STR(?ry))
  ?a esgkg:indicator ?ind ; esgkg:refEntity ?company ; esgkg:refPeriod ?pa ; esgkg:value ?prev ;
     esgkg:valueAsPrinted ?prevPrinted ; esgkg:unitAsPrinted ?unitPrinted ; prov:wasDerivedFrom ?src .
  ?pa rdfs:label ?prevYear . FILTER(xsd:integer(?prevYear) = xsd:integer(?year) - 1)
  FILTER NOT EXISTS { ?a esgkg:valueQualifier ?qa } FILTER NOT EXISTS { ?b esgkg:valueQualifier ?qb }
  """ + _totals_only("a") + "\n  " + _totals_only("b") + """
  ?src esgkg:pageNumber ?page .
  ?ind skos:prefLabel ?indLabel . FILTER(LANG(?indLabel) IN ("en", ""))
} ORDER BY ?indLabel ?page"""

SCOPES_QUERY = """
SELECT ?ind ?year ?value ?printed ?unitPrinted ?tonnes ?page ?qualifier WHERE {
  ?report esgkg:reportingYear ?ry ; dcterms:publisher ?company .
  ?o esgkg:indicator ?ind ; esgkg:refEntity ?company ; esgkg:refPeriod/rdfs:label ?year ;
     esgkg:value ?value ; esgkg:valueAsPrinted ?printed ; esgkg:unitAsPrinted ?unitPrinted ;
     esgkg:unitScale ?scale ; esgkg:unit ?from ; prov:wasDerivedFrom/esgkg:pageNumber ?page .
  FILTER(?ind IN (""" + ", ".join(f"<{INDICATOR}{code}>" for _, code in SCOPES) + """))
  FILTER(STR(?year) = STR(?ry))
  """ + _totals_only("o") + """
  ?from qudt:conversionMultiplier ?m . unit:TONNE qudt:conversionMultiplier ?t .
  BIND(?value * ?scale * ?m / ?t AS ?tonnes)
  OPTIONAL { ?o esgkg:valueQualifier/skos:prefLabel ?qualifier FILTER(LANG(?qualifier) IN ("en", "")) }
} ORDER BY ?ind ?page"""

SITES_QUERY = """
SELECT ?site ?label WHERE {
  ?site org:siteOf ?operator . ?operator org:subOrganizationOf* ?company .
  ?site skos:prefLabel ?label . FILTER(LANG(?label) IN ("en", ""))
} ORDER BY ?label"""

MATRIX_QUERY = """
SELECT ?holder ?cert ?class ?how ?top ?topLabel ?status ?page WHERE {
  { ?holder org:siteOf ?operator . ?operator org:subOrganizationOf* ?company }
  UNION { BIND(?company AS ?holder) }
  VALUES ?class { esgkg:Certification esgkg:CertificationIntent }
  { ?cert esgkg:holder ?holder BIND("holds" AS ?how) }
  UNION { ?cert esgkg:intendedHolder ?holder BIND("intends" AS ?how) }
  UNION { ?cert esgkg:covers ?holder BIND("covered" AS ?how) }
  ?cert a ?class ; esgkg:standard ?std ; esgkg:certificationStatus/skos:notation ?status .
  ?std skos:broader* ?top . FILTER NOT EXISTS { ?top skos:broader ?up }
  ?top skos:prefLabel ?topLabel . FILTER(LANG(?topLabel) IN ("en", ""))
  OPTIONAL { ?cert prov:wasDerivedFrom/esgkg:pageNumber ?page }
}"""


@dataclass
class KpiPair:
    """One indicator printed for the prior year and the reporting year on one page."""

    indicator: str
    label: str
    unit: str
    prev_year: str
    prev: Decimal
    prev_printed: str
    year: str
    cur: Decimal
    cur_printed: str
    pages: list[int]


@dataclass
class ScopeBar:
    scope: str
    tonnes: Decimal
    printed: str
    unit_printed: str
    pages: list[int]


@dataclass
class Mark:
    """A certificate (or a planned / required one) of one holder for one standard."""

    cert: str
    kind: str  # "held", "assessment" (a certificate not yet granted) or "intent"
    status: str
    how: str  # "holds", "covered" (by a company certificate) or "intends"
    pages: list[int]


@dataclass
class Matrix:
    rows: list[tuple[str, str]]  # holder IRI, label (the company first, then its sites)
    columns: list[tuple[str, str, str]]  # standard IRI, short label, full label
    marks: dict[tuple[str, str], list[Mark]] = field(default_factory=dict)

    def pages(self) -> list[int]:
        return sorted({p for ms in self.marks.values() for m in ms for p in m.pages})


@dataclass
class CompanyCharts:
    report: str
    company: str
    company_label: str
    year: str
    pairs: list[KpiPair]
    zero_pairs: list[str]  # indicators printed as 0 in both years (not drawn)
    scopes: list[ScopeBar]
    matrix: Matrix

    def pair_pages(self) -> list[int]:
        return sorted({p for pair in self.pairs for p in pair.pages})

    def scope_pages(self) -> list[int]:
        return sorted({p for bar in self.scopes for p in bar.pages})


def gather(describer: Describer, report: str, report_iri: str, company: str, company_label: str,
           year: str) -> CompanyCharts:
    """The figures of the three charts of one report, from its graph (plus vocabularies)."""
    graphs = describer.kg.graphs_for(report)
    terms = {"report": ox.NamedNode(report_iri), "company": ox.NamedNode(company)}
    pairs, zeros = _pairs(describer.select(PAIRS_QUERY, graphs=graphs, **terms))
    scopes = _scopes(describer.select(SCOPES_QUERY, graphs=graphs, **terms))
    sites = describer.select(SITES_QUERY, graphs=graphs, company=terms["company"])
    marks = describer.select(MATRIX_QUERY, graphs=graphs, company=terms["company"])
    matrix = _matrix(company, company_label, sites, marks)
    return CompanyCharts(report, company, company_label, year, pairs, zeros, scopes, matrix)


def _pairs(rows: list) -> tuple[list[KpiPair], list[str]]:
    merged: dict[tuple, KpiPair] = {}
    for r in rows:
        key = (r["ind"].value, r["prev"].value, r["cur"].value, r["prevYear"].value)
        unit = r["unitPrinted"].value
        pair = merged.get(key)
        if pair is None:
            merged[key] = KpiPair(r["ind"].value, r["indLabel"].value, unit, r["prevYear"].value,
                                  Decimal(r["prev"].value), r["prevPrinted"].value, r["year"].value,
                                  Decimal(r["cur"].value), r["curPrinted"].value, [int(r["page"].value)])
            continue
        if pair.unit == "(none)":
            pair.unit = unit
        if int(r["page"].value) not in pair.pages:
            pair.pages.append(int(r["page"].value))
    pairs = [p for p in merged.values() if p.prev or p.cur]
    zeros = sorted({p.label for p in merged.values() if not (p.prev or p.cur)})
    for p in pairs:
        p.pages.sort()
    return pairs, zeros


def _scopes(rows: list) -> list[ScopeBar]:
    names = {INDICATOR + code: name for name, code in SCOPES}
    merged: dict[tuple[str, str], ScopeBar] = {}
    for r in rows:
        if r["qualifier"] is not None:
            continue  # a bound ("about ...") is not drawn as an exact bar
        key = (names[r["ind"].value], r["tonnes"].value)
        bar = merged.setdefault(key, ScopeBar(key[0], Decimal(r["tonnes"].value), r["printed"].value,
                                              r["unitPrinted"].value, []))
        if int(r["page"].value) not in bar.pages:
            bar.pages.append(int(r["page"].value))
    for bar in merged.values():
        bar.pages.sort()
    return sorted(merged.values(), key=lambda b: (b.scope, -b.tonnes))


def short_standard(label: str) -> str:
    """"ISO 45001" of "ISO 45001 occupational health ...": the leading code words, else a cut label."""
    words = []
    for word in label.split():
        if re.search(r"\d", word) or (word.isupper() and len(word) > 1) or "/" in word:
            words.append(word)
        else:
            break
    rest = label.split()[len(words):]
    if words and not any(c.isdigit() for c in words[0]) and len(words) == 1 and rest:
        words.append(rest[0])  # "DNV approval", not "DNV"
    short = " ".join(words) if words else label
    return short if len(short) <= 22 else short[:20].rstrip() + "…"


def _matrix(company: str, company_label: str, sites: list, rows: list) -> Matrix:
    holders = [(company, f"{company_label} (company-wide)")]
    holders += [(r["site"].value, r["label"].value) for r in sites if r["site"].value != company]
    holders = list(dict.fromkeys(holders))
    marks: dict[tuple[str, str], dict[str, Mark]] = defaultdict(dict)
    columns: dict[str, tuple[str, str, str]] = {}
    for r in rows:
        holder, cert, std = r["holder"].value, r["cert"].value, r["top"].value
        status = r["status"].value
        intent = r["class"].value == str(ESGKG.CertificationIntent)
        kind = "intent" if intent else "held" if status in HELD else "assessment"
        mark = marks[(holder, std)].setdefault(cert, Mark(cert, kind, status, r["how"].value, []))
        if r["page"] is not None and int(r["page"].value) not in mark.pages:
            mark.pages.append(int(r["page"].value))
        columns[std] = (std, short_standard(r["topLabel"].value), r["topLabel"].value)
    known = {h for h, _ in holders}
    ordered = {k: sorted(v.values(), key=lambda m: ("held", "assessment", "intent").index(m.kind))
               for k, v in marks.items() if k[0] in known}
    cols = sorted(columns.values(), key=lambda c: (-sum(1 for (_, s) in ordered if s == c[0]), c[1]))
    return Matrix(holders, cols, ordered)


# --- drawing -------------------------------------------------------------------------------

def pages_text(pages: list[int]) -> str:
    if not pages:
        return "no page recorded"
    return ("p. " if len(pages) == 1 else "pp. ") + ", ".join(str(p) for p in pages)


def _num(value: Decimal) -> str:
    places = max(0, -value.as_tuple().exponent) if isinstance(value.as_tuple().exponent, int) else 0
    return f"{value:,.{min(places, 2)}f}"


def _svg_open(uid: str, width: int, height: int, title: str, desc: str, css: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{escape(title)}</title>'
            f'<desc id="{uid}-d">{escape(desc)}</desc>')


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], (lines[1][: width - 1] + "…")]
    return lines


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def kpi_panel(pair: KpiPair, uid: str) -> Markup:
    """One small multiple: two bars (prior year, reporting year) on a zero baseline."""
    w, h, top, bottom = 210, 185, 66, 26
    unit = "" if pair.unit == "(none)" else pair.unit
    title = f"{pair.label}: {pair.prev_year} {pair.prev_printed}, {pair.year} {pair.cur_printed}" + (
        f" ({unit})" if unit else "")
    desc = f"Paired bars, {pair.prev_year} and {pair.year}; source {pages_text(pair.pages)}."
    parts = [_svg_open(uid, w, h, title, desc, "kpi")]
    for i, line in enumerate(_wrap(pair.label, 30)):
        parts.append(f'<text class="ctitle" x="6" y="{15 + 14 * i}">{escape(line)}</text>')
    parts.append(f'<text class="unit" x="6" y="{top - 20}">{escape(_cut(unit or "count / score", 34))}'
                 f'<title>{escape(unit)}</title></text>')
    low = min(Decimal(0), pair.prev, pair.cur)
    high = max(Decimal(0), pair.prev, pair.cur)
    span = (high - low) or Decimal(1)
    plot = h - top - bottom

    def y(v: Decimal) -> float:
        return top + float((high - v) / span) * plot

    zero = y(Decimal(0))
    parts.append(f'<line class="axis" x1="20" x2="{w - 10}" y1="{zero:.1f}" y2="{zero:.1f}"/>')
    for i, (year, value, printed) in enumerate(((pair.prev_year, pair.prev, pair.prev_printed),
                                                 (pair.year, pair.cur, pair.cur_printed))):
        x = 40 + i * 85
        y0, y1 = sorted((zero, y(value)))
        height = max(y1 - y0, 1.0)
        parts.append(f'<rect class="bar {"prior" if i == 0 else "current"}" x="{x}" y="{y0:.1f}" '
                     f'width="50" height="{height:.1f}"><title>{escape(year)}: {escape(printed)} '
                     f'{escape(unit)}</title></rect>')
        label_y = max(y0 - 3, top - 1) if value >= 0 else min(y1 + 11, h - bottom + 10)
        parts.append(f'<text class="value" x="{x + 25}" y="{label_y:.1f}" text-anchor="middle">'
                     f'{escape(printed)}</text>')
        parts.append(f'<text class="tick" x="{x + 25}" y="{h - 8}" text-anchor="middle">'
                     f'{escape(year)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def scopes_chart(bars: list[ScopeBar], year: str, uid: str) -> Markup:
    """Horizontal bars: scope 1, 2 and 3 emissions of the reporting year in t CO2e."""
    names = [name for name, _ in SCOPES]
    row_h, left, right, top = 34, 110, 150, 30
    rows = [(name, [b for b in bars if b.scope == name]) for name in names]
    count = sum(max(1, len(bs)) for _, bs in rows)
    w, h = 640, top + row_h * count + 36
    high = max((b.tonnes for b in bars), default=Decimal(1)) or Decimal(1)
    title = f"Greenhouse gas emissions by scope, {year}, in tonnes CO2e"
    listed = "; ".join(f"{b.scope}: {_num(b.tonnes)} t CO2e" for b in bars) or "no figures"
    missing = [name for name, bs in rows if not bs]
    desc = (f"{listed}" + (f"; not reported: {', '.join(missing)}" if missing else "")
            + f". Source {pages_text(sorted({p for b in bars for p in b.pages}))}.")
    parts = [_svg_open(uid, w, h, title, desc, "scopes")]
    parts.append(f'<text class="unit" x="{left}" y="18">t CO2e ({escape(year)})</text>')
    y = top
    plot = w - left - right
    for name, bs in rows:
        if not bs:
            parts.append(f'<text class="tick" x="{left - 8}" y="{y + 21}" text-anchor="end">'
                         f'{escape(name)}</text>')
            parts.append(f'<text class="missing" x="{left + 4}" y="{y + 21}">not reported</text>')
            y += row_h
            continue
        for bar in bs:
            length = max(float(bar.tonnes / high) * plot, 1.0)
            parts.append(f'<text class="tick" x="{left - 8}" y="{y + 21}" text-anchor="end">'
                         f'{escape(name)}</text>')
            parts.append(f'<rect class="bar current" x="{left}" y="{y + 6}" width="{length:.1f}" height="22">'
                         f'<title>{escape(name)}: {escape(bar.printed)} {escape(bar.unit_printed)} '
                         f'({escape(pages_text(bar.pages))})</title></rect>')
            parts.append(f'<text class="value" x="{left + length + 6:.1f}" y="{y + 21}">'
                         f'{escape(_num(bar.tonnes))} ({escape(pages_text(bar.pages))})</text>')
            y += row_h
    parts.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{y}"/>')
    parts.append(f'<text class="tick" x="{left}" y="{y + 18}">0</text>')
    parts.append(f'<text class="tick" x="{left + plot}" y="{y + 18}" text-anchor="end">'
                 f'{escape(_num(high))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


_SYMBOL = {"held": "held", "assessment": "under assessment", "intent": "planned or required"}


def matrix_chart(matrix: Matrix, uid: str) -> Markup:
    """Rows the company and its sites, columns the standards; each mark links to its certificate."""
    cell, header = 30, 130
    label_w = min(300, 12 + 7 * max((len(label) for _, label in matrix.rows), default=10))
    w = label_w + cell * max(len(matrix.columns), 1) + 110  # room for the last rotated header
    h = header + cell * len(matrix.rows) + 40
    held = sum(1 for ms in matrix.marks.values() if any(m.kind == "held" for m in ms))
    title = "Certificates per site and standard"
    desc = (f"{len(matrix.rows)} rows (the company, then its sites) by {len(matrix.columns)} standards; "
            f"{held} held. Filled: held; hollow: under assessment; dashed: planned or required. "
            f"Source {pages_text(matrix.pages())}.")
    parts = [_svg_open(uid, w, h, title, desc, "matrix")]
    for j, (_std, short, full) in enumerate(matrix.columns):
        x = label_w + j * cell + cell / 2
        parts.append(f'<text class="colhead" transform="translate({x + 4:.0f},{header - 6}) rotate(-50)">'
                     f'<title>{escape(full)}</title>{escape(short)}</text>')
    for i, (holder, label) in enumerate(matrix.rows):
        y = header + i * cell
        stripe = ' class="stripe"' if i % 2 else ' class="row"'
        parts.append(f'<rect{stripe} x="0" y="{y}" width="{w}" height="{cell}"/>')
        parts.append(f'<a href="{escape(local_href(holder))}"><text class="rowhead" x="{label_w - 8}" '
                     f'y="{y + 19}" text-anchor="end">{escape(label)}</text></a>')
        for j, (std, short, _full) in enumerate(matrix.columns):
            marks = matrix.marks.get((holder, std))
            if not marks:
                continue
            mark = marks[0]
            cx, cy = label_w + j * cell + cell / 2, y + cell / 2
            statuses = ", ".join(sorted({m.status for m in marks}))
            how = " (covered by a company certificate)" if mark.how == "covered" else ""
            pages = pages_text(sorted({p for m in marks for p in m.pages}))
            tip = f"{label}: {short} {statuses}{how} ({pages})"
            parts.append(f'<a href="{escape(local_href(mark.cert))}" class="mark-link">'
                         f'<circle class="mark {mark.kind}" cx="{cx:.0f}" cy="{cy:.0f}" r="9">'
                         f'<title>{escape(tip)}</title></circle></a>')
    lx, ly = 12, h - 14
    for kind, text in _SYMBOL.items():
        parts.append(f'<circle class="mark {kind}" cx="{lx + 7}" cy="{ly - 4}" r="7"/>'
                     f'<text class="tick" x="{lx + 20}" y="{ly}">{escape(text)}</text>')
        lx += 40 + 7 * len(text)
    parts.append("</svg>")
    return Markup("".join(parts))
