"""What an entity page shows, gathered by queries through the store's one query path.

An entity is any IRI under ``https://w3id.org/esgkg/`` with triples as subject (or a named
graph of the store). Its view holds its label and types, its facts (properties out), its links
in (capped, with counts), and its provenance: the report pages it is derived from
(``prov:wasDerivedFrom`` -> ``esgkg:ReportPage`` with ``esgkg:pageNumber`` and ``oa:hasSource``
the report), whether a page is estimated (``esgkg:pageEstimated``), the source line and the
curator's note. Every query binds the entity as an RDF term (``bindings=``), never pasted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from ..api import KnowledgeGraph
from ..errors import InputError
from ..namespaces import BASE, ESGKG, GRAPH, ONTOLOGY_IRI, PREFIXES
from ..store.execute import Row

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
QB_OBSERVATION = "http://purl.org/linked-data/cube#Observation"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
LABEL_PROPS = ("http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
               "http://purl.org/dc/terms/title")
_DECIMALS = {XSD + t for t in ("decimal", "double", "float")}
_INTEGERS = {XSD + t for t in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger")}
# RFC 3986 pchar and "/" (IRIs minted by esgkg are ASCII); other characters are refused with 400
_PATH_OK = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/-]+")
MAX_PATH = 1000
INCOMING_PER_PROPERTY = 25  # links in shown per property (the rest counted)
INCOMING_ROWS = 600  # links in read at most


@dataclass(frozen=True)
class Term:
    """An RDF term as a page shows it."""

    kind: str  # "iri", "literal" or "bnode"
    value: str  # the IRI, or the literal's lexical form
    label: str | None = None  # an IRI's label (skos:prefLabel, rdfs:label or dcterms:title)
    datatype: str | None = None
    lang: str | None = None

    @property
    def href(self) -> str | None:
        """A local link for an IRI under the project's base, an http(s) IRI as it is, else None
        (a ``javascript:`` or other IRI is shown, never linked)."""
        if self.kind != "iri":
            return None
        if self.value.startswith(BASE):
            return local_href(self.value)
        return self.value if self.value.startswith(("http://", "https://")) else None

    @property
    def local(self) -> bool:
        return self.kind == "iri" and self.value.startswith(BASE)

    @property
    def short(self) -> str:
        """A prefixed name (``org:Site``), a path under the base (``id/org/calb``) or the IRI."""
        return compact(self.value) if self.kind == "iri" else self.value

    @property
    def text(self) -> str:
        """What a page prints for the term: the label, else the short name; literals formatted."""
        if self.kind == "iri":
            return self.label or self.short
        if self.kind == "literal":
            return format_literal(self.value, self.datatype)
        return "_:" + self.value

    @property
    def datatype_short(self) -> str | None:
        if not self.datatype or self.datatype == XSD + "string":
            return None
        return compact(self.datatype)


@dataclass
class Provenance:
    """A report page an entity is derived from."""

    source: Term  # the esgkg:ReportPage resource
    page: int | None
    report: Term | None


@dataclass
class EntityView:
    """Everything an entity page shows."""

    iri: str
    label: str
    types: list[Term]
    facts: list[tuple[Term, list[Term]]]  # property -> values, in a stable order
    incoming: list[tuple[Term, list[Term], int]]  # property -> subjects shown, how many in all
    incoming_total: int
    provenance: list[Provenance]
    page_estimated: bool
    source_lines: list[str]
    notes: list[str]
    graph_triples: int | None = None  # a named graph: its size
    graph_classes: list[tuple[Term, int]] = field(default_factory=list)
    publishes: list[str] = field(default_factory=list)  # report keys this entity published (companies)

    @property
    def is_observation(self) -> bool:
        return any(t.value == QB_OBSERVATION for t in self.types)


def compact(iri: str) -> str:
    """A prefixed name where a project prefix fits, a path under the base, else the IRI."""
    best = max(((p, str(ns)) for p, ns in PREFIXES.items() if iri.startswith(str(ns))),
               key=lambda x: len(x[1]), default=None)
    if best and best[0] not in ("id", "vocab"):
        rest = iri[len(best[1]):]
        if rest and "/" not in rest:
            return f"{best[0]}:{rest}"
    if iri.startswith(BASE):
        return iri[len(BASE):]
    return iri


def local_href(iri: str) -> str:
    """The path an IRI under ``https://w3id.org/esgkg/`` is served at here; other IRIs as they are."""
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return iri


def safe_href(iri: str) -> str:
    """A link target for any IRI: a local path, an http(s) IRI, else nothing ("#")."""
    if iri.startswith(BASE):
        return local_href(iri)
    return iri if iri.startswith(("http://", "https://")) else "#"


def format_literal(value: str, datatype: str | None) -> str:
    """Numbers with thousands separators (the lexical decimal kept), other literals as they are."""
    if datatype in _DECIMALS or (datatype in _INTEGERS and len(value.lstrip("+-")) > 4):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if not number.is_finite():
            return value
        digits = value.lstrip("+-").split(".")
        places = len(digits[1]) if len(digits) > 1 else 0
        return f"{number:,.{places}f}"
    return value


def iri_for_path(path: str) -> str:
    """The entity IRI for a request path (``id/org/calb``); InputError (400) for one no IRI may hold.

    The path comes from the URL, percent-decoded: it is untrusted. Only the characters of an
    RFC 3986 path are allowed; the IRI is then checked by the RDF library too.
    """
    if not path or len(path) > MAX_PATH:
        raise InputError(f"an entity path must be 1 to {MAX_PATH} characters long")
    if not _PATH_OK.fullmatch(path):
        bad = sorted({c for c in path if not _PATH_OK.fullmatch(c)})
        shown = ", ".join(repr(c) for c in bad[:5])
        raise InputError(f"the path holds characters not allowed in an IRI path: {shown}")
    if any(seg in (".", "..") for seg in path.split("/")):
        raise InputError("an entity path may not hold '.' or '..' segments")
    iri = BASE + path
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise InputError(f"not a valid IRI: {exc}") from None
    return iri


def _best_labels(pairs: Iterable[tuple[str, ox.Literal | None]]) -> dict[str, str]:
    """One label per IRI: English, else untagged, else any."""
    ranked: dict[str, tuple[int, str]] = {}
    for iri, lit in pairs:
        if not isinstance(lit, ox.Literal):
            continue
        rank = 0 if lit.language == "en" else 1 if not lit.language else 2
        if iri not in ranked or (rank, lit.value) < ranked[iri]:
            ranked[iri] = (rank, lit.value)
    return {iri: text for iri, (_, text) in ranked.items()}


def _term(node: object, labels: dict[str, str]) -> Term:
    if isinstance(node, ox.NamedNode):
        return Term("iri", node.value, labels.get(node.value))
    if isinstance(node, ox.Literal):
        dt = node.datatype.value if node.datatype else None
        return Term("literal", node.value, datatype=None if node.language else dt, lang=node.language or None)
    return Term("bnode", str(getattr(node, "value", node)))


class Describer:
    """Gathers entity views with one KnowledgeGraph, a time limit and a row cap."""

    def __init__(self, kg: KnowledgeGraph, timeout: float | None, max_rows: int):
        self.kg = kg
        self.timeout = timeout
        self.max_rows = max_rows

    def select(self, sparql: str, iri: str | None = None, *, limit: int | None = None,
               graphs: list[str] | None = None, **terms: ox.NamedNode | ox.Literal) -> list[Row]:
        """Rows of a SELECT, ``?this`` (and any ``terms``) bound as RDF terms."""
        bindings: dict[str, ox.NamedNode | ox.Literal] = dict(terms)
        if iri is not None:
            bindings["this"] = ox.NamedNode(iri)
        _, rows = self.kg.store.select(sparql, bindings=bindings or None, graphs=graphs,
                                       timeout=self.timeout, limit=limit or self.max_rows)
        return rows

    def named_graph(self, iri: str) -> bool:
        return iri.startswith(str(GRAPH)) and iri in self.kg.store.graphs()

    def exists(self, iri: str) -> bool:
        rows = self.select("SELECT ?p WHERE { ?this ?p ?o }", iri, limit=1)
        return bool(rows) or self.named_graph(iri)

    def view(self, iri: str) -> EntityView | None:
        """The entity's view, or None when the store holds nothing about it."""
        out_rows = self.select(
            """SELECT ?p ?o ?ol ?pl ?opage WHERE { ?this ?p ?o .
                 OPTIONAL { ?o skos:prefLabel|rdfs:label|dcterms:title ?ol }
                 OPTIONAL { ?o esgkg:pageNumber ?opage }
                 OPTIONAL { ?p rdfs:label ?pl } }""", iri)
        is_graph = self.named_graph(iri)
        if not out_rows and not is_graph:
            return None
        labels = _best_labels([(r["o"].value, r["ol"]) for r in out_rows if isinstance(r["o"], ox.NamedNode)]
                              + [(r["p"].value, r["pl"]) for r in out_rows])
        for r in out_rows:  # a report page has no label: "page 82"
            if r["opage"] is not None and r["o"].value not in labels:
                labels[r["o"].value] = f"page {r['opage'].value}"
        values: dict[str, dict[object, Term]] = defaultdict(dict)
        for r in out_rows:
            values[r["p"].value].setdefault(r["o"], _term(r["o"], labels))
        own_label = _best_labels([(iri, r["o"]) for r in out_rows
                                  if r["p"].value in LABEL_PROPS and isinstance(r["o"], ox.Literal)])
        types = sorted(values.get(RDF_TYPE, {}).values(), key=lambda t: t.short)
        facts = [(Term("iri", p, labels.get(p)), sorted(vals.values(), key=lambda t: (t.text, t.value)))
                 for p, vals in sorted(values.items(), key=lambda kv: (kv[0] != RDF_TYPE, compact(kv[0])))]
        view = EntityView(
            iri=iri, label=own_label.get(iri) or compact(iri), types=types, facts=facts,
            incoming=[], incoming_total=0, provenance=[],
            page_estimated=any(t.value == "true" for t in values.get(str(ESGKG.pageEstimated), {}).values()),
            source_lines=_source_lines(values),
            notes=sorted(t.value for t in values.get(str(ESGKG.curationNote), {}).values()),
        )
        if view.is_observation:
            view.label = self._observation_label(values) or view.label
        elif iri not in own_label and str(ESGKG.pageNumber) in values:
            number = next(iter(values[str(ESGKG.pageNumber)].values())).value
            view.label = f"Page {number} of {compact(iri).split('/page/')[0].rsplit('/', 1)[-1]}"
        self._incoming(view)
        if PROV_DERIVED in values:
            self._provenance(view)
        if is_graph:
            self._graph(view)
        view.publishes = [r["r"].value.rsplit("/", 1)[-1] for r in self.select(
            "SELECT ?r WHERE { ?r a esgkg:ESGReport ; dcterms:publisher ?this } ORDER BY ?r", iri)]
        return view

    def _observation_label(self, values: dict[str, dict[object, Term]]) -> str | None:
        """"Scope 1 GHG emissions, 2023: 307,488.75 Carbon dioxide equivalent (t)" for an observation."""
        def first(prop: str) -> Term | None:
            vals = values.get(str(ESGKG[prop]), {})
            return next(iter(sorted(vals.values(), key=lambda t: t.value)), None)

        indicator, period = first("indicator"), first("refPeriod")
        printed, unit = first("valueAsPrinted"), first("unitAsPrinted")
        if indicator is None or printed is None:
            return None
        head = indicator.text + (f", {period.text}" if period else "")
        return f"{head}: {printed.value}" + (f" {unit.value}" if unit and unit.value != "(none)" else "")

    def _incoming(self, view: EntityView) -> None:
        counts = self.select("SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?this } GROUP BY ?p",
                             view.iri)
        total = {r["p"].value: int(r["n"].value) for r in counts}
        view.incoming_total = sum(total.values())
        if not total:
            return
        rows = self.select(
            """SELECT ?s ?p ?sl ?pl WHERE { ?s ?p ?this .
                 OPTIONAL { ?s skos:prefLabel|rdfs:label|dcterms:title ?sl }
                 OPTIONAL { ?p rdfs:label ?pl } } ORDER BY ?p ?s""", view.iri, limit=INCOMING_ROWS)
        labels = _best_labels([(r["s"].value, r["sl"]) for r in rows if isinstance(r["s"], ox.NamedNode)]
                              + [(r["p"].value, r["pl"]) for r in rows])
        shown: dict[str, dict[object, Term]] = defaultdict(dict)
        for r in rows:
            subjects = shown[r["p"].value]
            if len(subjects) < INCOMING_PER_PROPERTY or r["s"] in subjects:
                subjects.setdefault(r["s"], _term(r["s"], labels))
        view.incoming = [(Term("iri", p, labels.get(p)),
                          sorted(shown.get(p, {}).values(), key=lambda t: (t.text, t.value)), n)
                         for p, n in sorted(total.items(), key=lambda kv: compact(kv[0]))]

    def _provenance(self, view: EntityView) -> None:
        rows = self.select(
            """SELECT ?src ?page ?report ?title WHERE { ?this prov:wasDerivedFrom ?src .
                 OPTIONAL { ?src esgkg:pageNumber ?page }
                 OPTIONAL { ?src oa:hasSource ?report OPTIONAL { ?report dcterms:title ?title } } }""",
            view.iri)
        seen: dict[str, Provenance] = {}
        for r in rows:
            src = r["src"].value
            if src in seen:
                continue
            labels = {r["report"].value: r["title"].value} if r["report"] is not None and r["title"] else {}
            page = int(r["page"].value) if isinstance(r["page"], ox.Literal) else None
            seen[src] = Provenance(_term(r["src"], {}), page,
                                   _term(r["report"], labels) if r["report"] is not None else None)
        view.provenance = sorted(seen.values(), key=lambda p: (p.report.value if p.report else "",
                                                                p.page or 0, p.source.value))

    def _graph(self, view: EntityView) -> None:
        rows = self.select(
            """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) ?cl WHERE { GRAPH ?this { ?s a ?class }
                 OPTIONAL { ?class rdfs:label ?cl FILTER(LANG(?cl) IN ("en", "")) } }
               GROUP BY ?class ?cl ORDER BY DESC(?n) ?class""", view.iri)
        view.graph_classes = [(_term(r["class"], {r["class"].value: r["cl"].value} if r["cl"] else {}),
                               int(r["n"].value)) for r in rows]
        total = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?this { ?s ?p ?o } }", view.iri)
        view.graph_triples = int(total[0]["n"].value) if total else 0

    def ontology_terms(self) -> list[tuple[str, Term, list[Term], str | None]]:
        """The terms of the ontology: anchor, term (with label), types, definition."""
        rows = self.select(
            """SELECT ?t ?type ?l ?d WHERE { GRAPH ?g { ?t a ?type } FILTER(STRSTARTS(STR(?t), ?ns))
                 OPTIONAL { ?t rdfs:label ?l FILTER(LANG(?l) IN ("en", "")) }
                 OPTIONAL { ?t skos:definition ?d FILTER(LANG(?d) IN ("en", "")) } } ORDER BY ?t""",
            g=ox.NamedNode(str(GRAPH) + "ontology"), ns=ox.Literal(ONTOLOGY_IRI + "#"))
        terms: dict[str, tuple[str, Term, list[Term], str | None]] = {}
        for r in rows:
            iri = r["t"].value
            if iri not in terms:
                label = r["l"].value if r["l"] else None
                terms[iri] = (iri.split("#", 1)[1], Term("iri", iri, label), [],
                              r["d"].value if r["d"] else None)
            t = _term(r["type"], {})
            if t not in terms[iri][2]:
                terms[iri][2].append(t)
        return list(terms.values())

    def triples(self, iri: str) -> list[ox.Triple]:
        """The entity's RDF description: its triples, and those of the report pages it is derived
        from (and their selectors); for the ontology, the ontology graph; for a named graph, the
        graph. More than the row cap is an InputError (the caller answers 422)."""
        if iri == ONTOLOGY_IRI or self.named_graph(iri):
            sparql = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
            bindings = {"g": ox.NamedNode(str(GRAPH) + "ontology" if iri == ONTOLOGY_IRI else iri)}
        else:
            sparql = """CONSTRUCT { ?this ?p ?o . ?src ?sp ?so . ?sel ?selp ?selo } WHERE {
                          { ?this ?p ?o }
                          UNION { ?this prov:wasDerivedFrom ?src . ?src ?sp ?so }
                          UNION { ?this prov:wasDerivedFrom/oa:hasSelector ?sel . ?sel ?selp ?selo } }"""
            bindings = {"this": ox.NamedNode(iri)}
        with self.kg.store.query(sparql, bindings=bindings, timeout=self.timeout,
                                 limit=self.max_rows) as result:
            triples = list(dict.fromkeys(result))
            truncated = result.truncated
        if truncated:
            raise TooLarge(f"the description of {iri} has more than {self.max_rows} triples (the server's "
                           "row cap); use `esgkg export` or a SPARQL CONSTRUCT with LIMIT at /sparql")
        return triples


class TooLarge(InputError):
    """A description over the row cap (answered 422)."""


def _source_lines(values: dict[str, dict[object, Term]]) -> list[str]:
    """Where the report text prints the fact: ``esgkg:sourceLocator``, else ``esgkg:sourceLine``."""
    locators = {t.value for t in values.get(str(ESGKG.sourceLocator), {}).values()}
    if not locators:
        locators = {f"line {t.value}" for t in values.get(str(ESGKG.sourceLine), {}).values()}
    return sorted(locators, key=_natural)


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))
