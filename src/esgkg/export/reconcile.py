"""The reconciled view: one value per (entity, indicator, period, breakdown) of a report.

A report may print a figure more than once (the body text and the annex data table); the
as-printed data set keeps every printing. The reconciled data set (``id/dataset/<R>/reconciled``,
graph ``graph/reconciled/<R>``, structure ``esgkg:reconciledKpiStructure``) keeps one, and says
which (``prov:wasDerivedFrom`` the printing taken, ``esgkg:printing`` every printing) and why
(``esgkg:reconciliationRule``):

1. ``only-printing``: the figure is printed once.
2. ``agreeing-printings``: every printing gives the same amount (value x scale x the QUDT unit's
   conversion multiplier) and no two QUDT quantity kinds differ (a printing with no QUDT unit, a
   count printed bare, agrees on its number); the one taken is the first by the preferences below.
3. Printings that disagree are flagged ``esgkg:printingsDisagree true`` and the printing is chosen
   by the first preference that separates them, which names the rule:
   ``data-table-over-body-text`` (a page in the report's KPI data table section, e.g. CALB's "ESG
   Key Performance Table 2023", pp. 82-87), ``exact-over-bounded`` (no ``valueQualifier``),
   ``read-page-over-estimated-page``, then ``first-page`` (lowest page, then IRI).

Every dimension is present on a reconciled value: an absent breakdown carries ``esgkg:total``,
an absent site ``esgkg:allSites`` (the Data Cube's IC-11 and IC-12 hold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from .. import ids
from ..namespaces import ESGKG, ID, QB, bind_prefixes
from ..store import EmbeddedStore
from .common import REPORT_GRAPH_PREFIX, check_report, reconciled_dataset_iri

DATA_TABLE_SECTION = re.compile(r"performance table|key performance|data table|kpi table", re.IGNORECASE)
ATTRIBUTES = [ESGKG.value, ESGKG.valueAsPrinted, ESGKG.unit, ESGKG.unitAsPrinted, ESGKG.unitScale,
              ESGKG.boundary, ESGKG.restated, ESGKG.valueQualifier]


@dataclass
class Printing:
    """One as-printed observation of a figure."""

    iri: str
    dims: dict[str, str]
    attrs: dict[str, ox.NamedNode | ox.Literal] = field(default_factory=dict)
    page: int | None = None
    estimated: bool = False
    in_table: bool = False

    def amount(self, multipliers: dict[str, tuple[Decimal, str]]) -> tuple[Decimal, str | None]:
        """The printed amount in SI (or currency) units where the QUDT unit is known, with its
        quantity kind; else the number times its scale, with no kind."""
        value = Decimal(self.attrs[str(ESGKG.value)].value)
        scale_term = self.attrs.get(str(ESGKG.unitScale))
        value *= Decimal(scale_term.value) if scale_term is not None else 1
        unit = self.attrs.get(str(ESGKG.unit))
        if unit is not None and unit.value in multipliers:
            mult, kind = multipliers[unit.value]
            return (value * mult).normalize(), kind
        return value.normalize(), None

    def preference(self) -> tuple:
        return (not self.in_table, str(ESGKG.valueQualifier) in self.attrs, self.estimated,
                self.page if self.page is not None else 10**9, self.iri)


RULES = ("data-table-over-body-text", "exact-over-bounded", "read-page-over-estimated-page", "first-page")


def dimensions(store: EmbeddedStore) -> list[str]:
    """The dimension properties of the as-printed structure, sorted."""
    _n, rows = store.select("SELECT ?d WHERE { esgkg:kpiStructure qb:component/qb:dimension ?d }")
    return sorted(r["d"].value for r in rows)


def printings(store: EmbeddedStore, report: str) -> list[Printing]:
    """Every as-printed observation of ``report`` with its dimensions, attributes and page."""
    graph = [REPORT_GRAPH_PREFIX + report]
    dims = set(dimensions(store))
    keep = {str(a) for a in ATTRIBUTES}
    _n, rows = store.select("SELECT ?o ?p ?v WHERE { ?o a qb:Observation ; ?p ?v }", graphs=graph)
    obs: dict[str, Printing] = {}
    for r in rows:
        o, p, v = r["o"].value, r["p"].value, r["v"]
        pr = obs.setdefault(o, Printing(o, {}))
        if p in dims:
            pr.dims[p] = v.value
        elif p in keep:
            pr.attrs[p] = v
        elif p == str(ESGKG.pageEstimated):
            pr.estimated = v.value == "true"
    _n, rows = store.select("SELECT ?o ?page WHERE { ?o a qb:Observation ; "
                            "prov:wasDerivedFrom/esgkg:pageNumber ?page }", graphs=graph)
    for r in rows:
        page = int(r["page"].value)
        pr = obs[r["o"].value]
        pr.page = page if pr.page is None else min(pr.page, page)
    _n, rows = store.select("SELECT ?t ?first WHERE { ?s a esgkg:ReportSection ; skos:prefLabel ?t ; "
                            "esgkg:firstPage ?first }", graphs=graph)
    starts = sorted((int(r["first"].value), r["t"].value) for r in rows)
    table_pages: set[int] = set()
    for i, (first, title) in enumerate(starts):
        if DATA_TABLE_SECTION.search(title):
            end = starts[i + 1][0] - 1 if i + 1 < len(starts) else first
            table_pages.update(range(first, end + 1))
    for pr in obs.values():
        pr.in_table = pr.page in table_pages
    return sorted(obs.values(), key=lambda p: p.iri)


def agree(group: list[Printing], multipliers: dict[str, tuple[Decimal, str]]) -> bool:
    """Printings agree when they give the same amount and no two known quantity kinds differ
    (a printing without a QUDT unit, e.g. a count printed with no unit, agrees on its number)."""
    amounts = [p.amount(multipliers) for p in group]
    return len({a for a, _ in amounts}) == 1 and len({k for _, k in amounts if k}) <= 1


def choose(group: list[Printing], multipliers: dict[str, tuple[Decimal, str]]) -> tuple[Printing, str, bool]:
    """The printing taken from ``group``, the rule that took it, and whether printings disagree."""
    ranked = sorted(group, key=Printing.preference)
    if len(group) == 1:
        return group[0], "only-printing", False
    if agree(group, multipliers):
        return ranked[0], "agreeing-printings", False
    best, second = ranked[0].preference(), ranked[1].preference()
    for i, rule in enumerate(RULES):
        if best[i] != second[i]:
            return ranked[0], rule, True
    return ranked[0], RULES[-1], True


def unit_multipliers(store: EmbeddedStore) -> dict[str, tuple[Decimal, str]]:
    """QUDT unit -> (conversion multiplier, quantity kind), from the units vocabulary."""
    _n, rows = store.select(
        "SELECT ?u ?m ?k WHERE { ?u qudt:conversionMultiplier ?m ; qudt:hasQuantityKind ?k }")
    out: dict[str, tuple[Decimal, str]] = {}
    for r in sorted(rows, key=lambda r: (r["u"].value, r["k"].value)):
        out.setdefault(r["u"].value, (Decimal(r["m"].value), r["k"].value))
    return out


def reconciled_graph(store: EmbeddedStore, report: str) -> Graph:
    """The reconciled data set of ``report`` as an rdflib graph (deterministic IRIs, no blank nodes)."""
    check_report(store, report)
    dims = dimensions(store)
    core = {str(ESGKG.refEntity), str(ESGKG.refPeriod), str(ESGKG.indicator)}
    groups: dict[tuple, list[Printing]] = {}
    for pr in printings(store, report):
        groups.setdefault(tuple(pr.dims.get(d, "") for d in dims), []).append(pr)
    multipliers = unit_multipliers(store)
    g = Graph()
    bind_prefixes(g)
    dataset = reconciled_dataset_iri(report)
    g.add((dataset, RDF.type, QB.DataSet))
    g.add((dataset, QB.structure, ESGKG.reconciledKpiStructure))
    g.add((dataset, PROV.wasDerivedFrom, ids.dataset(report)))
    label = f"Reconciled KPI values of {report}: one value per figure"
    g.add((dataset, SKOS.prefLabel, Literal(label, lang="en")))
    obs_base = str(ID["obs/"])
    for key, group in sorted(groups.items()):
        taken, rule, disagree = choose(group, multipliers)
        natural = taken.iri[len(obs_base):].rsplit("/", 1)[0] if taken.iri.startswith(obs_base) else None
        iri = ID[f"reconciled/{natural}"] if natural else ID[f"reconciled/{report}/{abs(hash(key))}"]
        g.add((iri, RDF.type, QB.Observation))
        g.add((iri, QB.dataSet, dataset))
        for dim, value in zip(dims, key, strict=True):
            if value:
                g.add((iri, URIRef(dim), URIRef(value)))
            elif dim not in core:
                g.add((iri, URIRef(dim), ESGKG.allSites if dim == str(ESGKG.site) else ESGKG.total))
        for p, v in taken.attrs.items():
            g.add((iri, URIRef(p), _term(v)))
        g.add((iri, PROV.wasDerivedFrom, URIRef(taken.iri)))
        if len(group) > 1:
            for pr in group:
                g.add((iri, ESGKG.printing, URIRef(pr.iri)))
        g.add((iri, ESGKG.printingsDisagree, Literal(disagree)))
        g.add((iri, ESGKG.reconciliationRule, Literal(rule)))
    return g


def _term(v: ox.NamedNode | ox.Literal) -> URIRef | Literal:
    if isinstance(v, ox.NamedNode):
        return URIRef(v.value)
    if v.language:
        return Literal(v.value, lang=v.language)
    dt = v.datatype.value if v.datatype else None
    return Literal(v.value, datatype=URIRef(dt) if dt and dt != str(XSD.string) else None)
