"""Compile one report's folder (``data/<report>/``) into the report's RDF graph.

``entities.yaml`` holds the named things, ``observations.csv`` the numbers, optional ``*.ttl``
files anything else. Every problem found is collected with its file and line, and reported
together, so a curator fixes a whole file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from .. import ids
from ..errors import DataErrors, InputError
from ..namespaces import ESGKG, OA, ORG, QB, ROV, SCHEMA, UNIT, VCARD, bind_prefixes
from . import strict
from .files import read_csv, read_turtle, read_yaml
from .vocab import Vocabularies

OBSERVATION_COLUMNS = ["indicator", "entity", "period", "breakdown", "value", "unit", "page",
                       "boundary", "restated", "source", "note"]
_FRAGMENT_RFC = URIRef("http://tools.ietf.org/rfc/rfc3778")
_LINE = re.compile(r"\bline (\d+)\b")
# a curator's note saying the page is an estimate: "page estimated", "Pages 20 and 43 estimated",
# "Page inferred from the section" (the text has no page markers)
_ESTIMATED = re.compile(r"\bpages?\b[^.;]*?\b(estimated|inferred)\b", re.IGNORECASE)
_SITE_CLASS = {"production-base": ESGKG.ProductionBase, "plant": ESGKG.ProductionBase,
               "factory": ESGKG.ProductionBase, "rnd-centre": ESGKG.RnDCentre,
               "headquarters": ESGKG.Headquarters}
_UNIT_CLASS = {"board": ESGKG.GoverningBody, "supervisory-board": ESGKG.GoverningBody,
               "department": ORG.OrganizationalUnit}
SUPPLIER_POPULATION = "supplier-population"
# The sections an entity file may hold; any other top-level key is a typo that would drop data.
SECTIONS = ("report", "organizations", "sites", "units", "products", "boundaries", "certifications",
            "policies", "targets", "awards", "memberships", "sdgs", "material_issues", "stakeholders",
            "supplier_programmes", "initiatives", "climate_risks", "disclosures")
# Fields whose value is a mapping (of scalars or lists) or a list of mappings; any other field
# holds a scalar or a list of scalars.
_MAPPING_FIELDS = {"headquarters", "index_pages", "period"}
_LIST_OF_MAPPINGS_FIELDS = {"listings"}
_SCALAR = (str, int, float, bool, date)


class Item(dict):
    """An entity item that remembers which fields the compiler read (the others are typos)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def _shape_problem(field: str, value: Any) -> str | None:
    """Why ``value`` has the wrong structure for ``field``, or None."""
    def scalars(v: Any) -> bool:
        return v is None or isinstance(v, _SCALAR) or (
            isinstance(v, list) and all(x is None or isinstance(x, _SCALAR) for x in v))
    if field in _MAPPING_FIELDS:
        ok = isinstance(value, dict) and all(scalars(v) for v in value.values())
        return None if ok else "must be a mapping of plain values"
    if field in _LIST_OF_MAPPINGS_FIELDS:
        ok = isinstance(value, list) and all(
            isinstance(v, dict) and all(scalars(x) for x in v.values()) for v in value)
        return None if ok else "must be a list of mappings of plain values"
    return None if scalars(value) else "must be a plain value or a list of plain values"


@dataclass(frozen=True)
class Ref:
    """Something a key in the data can point to."""

    kind: str  # organization | site | unit | supplier-population
    iri: URIRef


def breakdown_dimensions(ontology: Graph) -> dict[str, URIRef]:
    """Breakdown keys (``age-group``) -> the ontology's qb:DimensionProperty (esgkg:ageGroup)."""
    dims = {}
    core = {ESGKG.refEntity, ESGKG.refPeriod, ESGKG.indicator}
    for prop in ontology.subjects(RDF.type, QB.DimensionProperty):
        if prop in core or not str(prop).startswith(str(ESGKG)):
            continue
        local = str(prop)[len(str(ESGKG)):]
        dims[re.sub(r"(?<!^)([A-Z])", r"-\1", local).lower()] = prop
    return dims


class ReportCompiler:
    """Turns one report folder into a graph; call ``compile()``."""

    def __init__(self, folder: Path, vocab: Vocabularies, dimensions: dict[str, URIRef],
                 sink: NQuadsSink | None = None):
        self.folder = folder
        self.key = folder.name
        self.vocab = vocab
        self.dimensions = dimensions
        self.g = Graph()
        bind_prefixes(self.g)
        self.periods = Graph()  # shared across reports: goes to the periods graph
        self.problems: list[str] = []
        self.refs: dict[str, Ref] = {}
        self.boundaries: dict[str, URIRef] = {}
        self.issuer: URIRef | None = None
        self.report: URIRef | None = None
        self._minted: set[URIRef] = set()
        self.origins: dict[str, list[tuple[Path, int]]] = {}
        self.last_page: int | None = None
        self.tracked: list[tuple[str, Item]] = []
        self._items: dict[str, list[tuple[str, Item]]] = {}
        self.index_pages: dict[str, list[int]] = {}  # content index pages per framework
        self._pages: set[int] = set()
        self._periods: dict[str, URIRef] = {}
        self._observations: dict[URIRef, str] = {}  # observation IRI -> the file:line that made it
        self.sink = sink

    @contextmanager
    def guard(self, where: str) -> Iterator[None]:
        """Record a problem of one item (with its file and position) and go on with the next."""
        try:
            yield
        except InputError as exc:
            self.problem(where, str(exc))
        except (TypeError, AttributeError, ValueError, KeyError) as exc:
            self.problem(where, f"a field has a value of the wrong kind ({type(exc).__name__}: {exc})")

    # ----------------------------------------------------------------- helpers
    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def unique(self, iri: URIRef) -> URIRef:
        """``iri`` if no other item of this report has it; else an error, never a suffix that
        would depend on the order of the items (and rename things when they are reordered)."""
        if iri in self._minted:
            raise InputError(f"another item of this report is already named <{iri}>: give one of "
                             "the two a distinct `key`")
        self._minted.add(iri)
        return iri

    def page(self, number: int) -> URIRef:
        page = ids.report_page(self.key, number)
        if number not in self._pages:
            self._pages.add(number)
            selector = URIRef(f"{page}/selector")
            self.g.add((page, RDF.type, ESGKG.ReportPage))
            self.g.add((page, RDF.type, OA.SpecificResource))
            self.g.add((page, OA.hasSource, self.report))
            self.g.add((page, ESGKG.pageNumber, Literal(number)))
            self.g.add((page, OA.hasSelector, selector))
            self.g.add((selector, RDF.type, OA.FragmentSelector))
            self.g.add((selector, DCTERMS.conformsTo, _FRAGMENT_RFC))
            self.g.add((selector, RDF.value, Literal(f"page={number}")))
        return page

    def provenance(self, node: URIRef, item: dict, where: str, pages_field: str = "pages") -> None:
        pages = item.get(pages_field)
        if not pages or not isinstance(pages, list):
            self.problem(where, f"'{pages_field}' must be a non-empty list of page numbers")
            return
        for p in pages:
            try:
                self.g.add((node, PROV.wasDerivedFrom, self.page(strict.page(p, self.last_page))))
            except InputError as exc:
                self.problem(where, str(exc))
        lines = item.get("lines") or []
        for line in lines if isinstance(lines, list) else [lines]:
            try:
                self.g.add((node, ESGKG.sourceLine, Literal(strict.line(line))))
            except InputError as exc:
                self.problem(where, str(exc))
        self.note(node, item.get("note"))

    def note(self, node: URIRef, text: Any) -> None:
        """The curator's note; one that says the page is estimated also marks the fact so."""
        if text:
            self.g.add((node, ESGKG.curationNote, Literal(str(text))))
            if _ESTIMATED.search(str(text)):
                self.g.add((node, ESGKG.pageEstimated, Literal(True)))

    def label(self, node: URIRef, text: Any, lang: str = "en") -> None:
        if text:
            self.g.add((node, SKOS.prefLabel, Literal(str(text), lang=lang)))

    def concept(self, scheme: str, code: Any, where: str) -> URIRef | None:
        code = str(code)
        if not self.vocab.known(scheme, code):
            self.problem(where, f"unknown {scheme} code {code!r}")
            return None
        return ids.concept(scheme, code)

    def ref(self, key: Any, where: str, kinds: Iterable[str] | None = None) -> URIRef | None:
        found = self.refs.get(str(key)) if key is not None else None
        if found is None or (kinds is not None and found.kind not in kinds):
            wanted = " or ".join(kinds) if kinds else "organisation, site or unit"
            self.problem(where, f"{key!r} is not the key of a known {wanted}")
            return None
        return found.iri

    def register(self, key: Any, kind: str, iri: URIRef, where: str) -> bool:
        try:
            ids.check_slug(str(key), f"{kind} key")
        except InputError as exc:
            self.problem(where, str(exc))
            return False
        if str(key) in self.refs:
            self.problem(where, f"key {key!r} is used twice (keys are unique across "
                                "organisations, sites and units)")
            return False
        self.refs[str(key)] = Ref(kind, iri)
        return True

    def items(self, data: dict, section: str) -> list[tuple[str, Item]]:
        """The items of a list section, each checked once (a section read twice gives the same items)."""
        if section not in self._items:
            self._items[section] = self._read_items(data, section)
        return self._items[section]

    def _read_items(self, data: dict, section: str) -> list[tuple[str, Item]]:
        value = data.get(section) or []
        if not isinstance(value, list):
            self.problem(f"{self.entities_path} [{section}]", "must be a list")
            return []
        origins = self.origins.get(section) or [(self.entities_path, i) for i in range(len(value))]
        out = []
        for (path, i), raw in zip(origins, value, strict=True):
            where = f"{path} [{section}][{i}]"
            item = self.checked_item(raw, where)
            if item is None:
                continue
            name = next((raw[k] for k in ("key", "name", "code", "goal") if raw.get(k)), None)
            out.append((f"{where} ({name})" if name else where, item))
        return out

    def checked_item(self, raw: Any, where: str) -> Item | None:
        """``raw`` as a tracked Item if it is a mapping whose fields have the right structure."""
        if not isinstance(raw, dict):
            self.problem(where, "must be a mapping")
            return None
        bad = [(k, why) for k, v in raw.items() if (why := _shape_problem(str(k), v))]
        for k, why in bad:
            self.problem(where, f"field {k!r} {why}")
        if bad:
            return None
        item = Item(raw)
        self.tracked.append((where, item))
        return item

    def unread_fields(self) -> None:
        """A field no compile step read is a typo or a field esgkg does not know: say so."""
        for where, item in self.tracked:
            unknown = sorted(set(item) - item.read)
            if unknown:
                self.problem(where, f"unknown field(s) {', '.join(map(repr, unknown))}: not part of "
                                    "the format (data/FORMAT.md)")

    def literal(self, node: URIRef, prop: URIRef, value: Any, datatype: URIRef | None = None) -> None:
        if value is not None and value != "":
            self.g.add((node, prop, Literal(str(value), datatype=datatype)))

    def address(self, node: URIRef, item: dict) -> URIRef | None:
        if not any(item.get(k) for k in ("city", "province", "region", "country")):
            return None
        addr = URIRef(f"{node}/address")
        self.g.add((addr, RDF.type, VCARD.Address))
        self.literal(addr, VCARD.locality, item.get("city"))
        self.literal(addr, VCARD.region, item.get("province") or item.get("region"))
        self.literal(addr, ESGKG.countryCode, item.get("country"))
        return addr

    # ----------------------------------------------------------------- sections
    @property
    def entities_path(self) -> Path:
        return self.folder / "entities.yaml"

    def entity_files(self) -> list[Path]:
        """``entities.yaml`` first, then any ``entities-*.yaml`` in name order."""
        return [self.entities_path, *sorted(self.folder.glob("entities-*.yaml"))]

    def read_entities(self) -> dict:
        """The entity files merged: lists of the same section are concatenated (each item keeps
        its file and position for messages); any other section may appear in one file only."""
        merged: dict[str, Any] = {}
        self.origins = {}
        for path in self.entity_files():
            for section, value in read_yaml(path).items():
                if isinstance(value, list) and isinstance(merged.get(section, []), list):
                    merged.setdefault(section, []).extend(value)
                    self.origins.setdefault(section, []).extend((path, i) for i in range(len(value)))
                elif section in merged:
                    self.problem(f"{path} [{section}]", "is given in two entity files")
                else:
                    merged[section] = value
        return merged

    def compile(self) -> Graph:
        data = self.read_entities()
        for section in data:
            if section not in SECTIONS:
                self.problem(f"{self.folder} [{section}]", f"unknown section {section!r} (known: "
                                                           f"{', '.join(SECTIONS)})")
        self.report = ids.report(self.key)
        sections = self.folder / "sections.yaml"
        sections_data = read_yaml(sections) if sections.exists() else {}
        self.read_last_page(sections, sections_data)
        self.compile_organizations(data)  # first: the report names its issuer by key
        self.compile_report(data)
        self.compile_sites(data)
        self.compile_units(data)
        self.compile_products(data)
        self.compile_boundaries(data)
        self.compile_organization_links(data)
        self.compile_certifications(data)
        self.compile_policies(data)
        self.compile_targets(data)
        self.compile_awards(data)
        self.compile_memberships(data)
        self.compile_sdgs(data)
        self.compile_material_issues(data)
        self.compile_stakeholders(data)
        self.compile_supplier_programmes(data)
        self.compile_initiatives(data)
        self.compile_climate_risks(data)
        self.compile_disclosures(data)
        if sections_data:
            self.compile_sections(sections, sections_data)
        for obs in sorted(self.folder.glob("observations*.csv")):
            self.compile_observations(obs)
        for ttl in sorted(self.folder.glob("*.ttl")):
            read_turtle(ttl, self.g)
        self.unread_fields()
        if self.problems:
            raise DataErrors(self.problems)
        return self.g

    def read_last_page(self, path: Path, data: dict) -> None:
        """The report's last page (``last_page`` in sections.yaml): no fact may cite a page beyond it."""
        if "last_page" not in data:
            return
        try:
            self.last_page = strict.page(data["last_page"], None)
        except InputError as exc:
            self.problem(f"{path} [last_page]", str(exc))

    def compile_report(self, data: dict) -> None:
        where = f"{self.entities_path} [report]"
        if not isinstance(data.get("report"), dict):
            raise InputError(f"{where}: the 'report' section is missing")
        item = self.checked_item(data["report"], where)
        if item is None:
            return
        self.index_pages = item.get("index_pages") or {}
        if item.get("key") != self.key:
            self.problem(where, f"key {item.get('key')!r} differs from the folder name {self.key!r}")
        r, g = self.report, self.g
        self.issuer = self.ref(item.get("issuer"), where, ["organization"])
        g.add((r, RDF.type, ESGKG.ESGReport))
        self.label(r, item.get("title"))
        self.literal(r, DCTERMS.title, item.get("title"))
        if self.issuer is not None:
            g.add((r, DCTERMS.publisher, self.issuer))
        self.literal(r, ESGKG.reportingYear, item.get("year"), XSD.gYear)
        period = item.get("period") or {}
        if period.get("start") and period.get("end"):
            try:
                g.add((r, ESGKG.reportingPeriod, self.period_node(f"{period['start']}..{period['end']}")))
            except InputError as exc:
                self.problem(where, str(exc))
        else:
            self.problem(where, "period needs start and end dates")
        for lang in item.get("languages") or []:
            self.literal(r, DCTERMS.language, lang)
        self.literal(r, ESGKG.prevailingLanguage, item.get("prevailing_language"))
        for url in item.get("urls") or []:
            try:
                g.add((r, FOAF.page, URIRef(strict.iri(url, "url"))))
            except InputError as exc:
                self.problem(where, str(exc))
        for fw in item.get("frameworks") or []:
            c = self.concept("framework", fw, where)
            if c is not None:
                g.add((r, ESGKG.referencesFramework, c))
        if item.get("assurance"):
            c = self.concept("assurance-level", item["assurance"], where)
            if c is not None:
                g.add((r, ESGKG.assuranceLevel, c))
        if item.get("assurance_provider"):
            p = self.ref(item["assurance_provider"], where, ["organization"])
            if p is not None:
                g.add((r, ESGKG.assuranceProvider, p))
        self.literal(r, ESGKG.assuranceStandard, item.get("assurance_standard"))
        self.literal(r, ESGKG.edition, item.get("edition"))
        self.provenance(r, item, where)
        ds = ids.dataset(self.key)
        g.add((ds, RDF.type, QB.DataSet))
        g.add((ds, QB.structure, ESGKG.kpiStructure))
        g.add((ds, PROV.wasDerivedFrom, r))
        self.label(ds, f"KPI observations of {item.get('title') or self.key} ({self.key})")

    def compile_organizations(self, data: dict) -> None:
        for where, item in self.items(data, "organizations"):
            with self.guard(where):
                key, kind = item.get("key"), item.get("kind")
                if kind == SUPPLIER_POPULATION:
                    node = ids.report_item(self.key, "suppliers", str(key)) if key else None
                    if node is None or not self.register(key, SUPPLIER_POPULATION, node, where):
                        continue
                    self.g.add((node, RDF.type, ESGKG.SupplierPopulation))
                    self.label(node, item.get("name"))
                    self.provenance(node, item, where)
                    continue
                if not key or not self.register(key, "organization", ids.organization(str(key)), where):
                    continue
                node = self.refs[str(key)].iri
                g = self.g
                cls = ESGKG.Association if kind == "association" else ORG.FormalOrganization
                g.add((node, RDF.type, cls))
                c = self.concept("org-kind", kind, where)
                if c is not None:
                    g.add((node, ORG.classification, c))
                self.label(node, item.get("name"))
                if kind in ("company", "subsidiary", "parent"):
                    self.literal(node, ROV.legalName, item.get("name"))
                self.label(node, item.get("name_zh"), lang="zh")
                for name in item.get("short_names") or []:
                    self.literal(node, ESGKG.shortName, name)
                for name in item.get("former_names") or []:
                    self.literal(node, ESGKG.formerName, name)
                self.literal(node, ESGKG.foundingYear, item.get("founded"), XSD.gYear)
                hq = item.get("headquarters")
                if isinstance(hq, dict):
                    addr = self.address(URIRef(f"{node}/headquarters"), hq)
                    if addr is not None:
                        g.add((node, ESGKG.headquarters, addr))
                self.literal(node, ESGKG.lei, item.get("lei"))
                self.literal(node, ESGKG.isin, item.get("isin"))
                self.provenance(node, item, where)

    def compile_organization_links(self, data: dict) -> None:
        """Listings and ownership need every organisation registered first."""
        for where, item in self.items(data, "organizations"):
            with self.guard(where):
                key = item.get("key")
                if item.get("kind") == SUPPLIER_POPULATION:
                    if self.issuer is not None and key in self.refs:
                        self.g.add((self.refs[key].iri, ESGKG.supplierOf, self.issuer))
                    continue
                if key not in self.refs:
                    continue
                node = self.refs[key].iri
                for listing in item.get("listings") or []:
                    exchange = self.ref(listing.get("exchange"), where, ["organization"])
                    if exchange is None:
                        continue
                    code = listing.get("code")
                    lst = ids.listing(str(listing["exchange"]), str(code or key))
                    self.g.add((node, ESGKG.hasListing, lst))
                    self.g.add((lst, RDF.type, ESGKG.StockListing))
                    self.g.add((lst, ESGKG.listedOn, exchange))
                    self.literal(lst, ESGKG.stockCode, code)
                    self.label(lst, f"{item.get('name')} on {listing['exchange'].upper()}"
                               + (f" ({code})" if code else ""))
                    self.provenance(lst, item, where)
                if item.get("parent"):
                    parent = self.ref(item["parent"], where, ["organization"])
                    if parent is None:
                        continue
                    rel = ids.ownership(str(item["parent"]), str(key))
                    g = self.g
                    g.add((rel, RDF.type, ESGKG.OwnershipRelationship))
                    g.add((rel, ESGKG.parent, parent))
                    g.add((rel, ESGKG.subsidiary, node))
                    g.add((node, ORG.subOrganizationOf, parent))
                    g.add((parent, ORG.hasSubOrganization, node))
                    share = item.get("ownership_share")
                    if share is not None:
                        self.decimal(rel, ESGKG.ownershipShare, share, where)
                    self.label(rel, f"{item['parent']} owns {key}")
                    self.provenance(rel, item, where)

    def decimal(self, node: URIRef, prop: URIRef, value: Any, where: str) -> None:
        try:
            text = strict.decimal_text(value)
        except InputError as exc:
            self.problem(where, str(exc))
            return
        self.g.add((node, prop, Literal(text, datatype=XSD.decimal)))

    def owned(self, item: dict, where: str, kind: str, owner_key: Any,
              mint: Callable[[str, str], URIRef]) -> tuple[URIRef, URIRef] | None:
        """(IRI, owner IRI) of a keyed thing minted per owning organisation (a site, a product),
        registered under its key; None, with the problem noted, when key or owner is wrong."""
        owner = self.ref(owner_key, where, ["organization"])
        key = item.get("key")
        if not key:
            self.problem(where, f"a {kind} needs a key")
        if owner is None or not key:
            return None
        node = mint(str(owner_key), str(key))
        return (node, owner) if self.register(key, kind, node, where) else None

    def compile_sites(self, data: dict) -> None:
        for where, item in self.items(data, "sites"):
            with self.guard(where):
                found = self.owned(item, where, "site", item.get("operator"), ids.site)
                if found is None:
                    continue
                node, operator = found
                g = self.g
                kind = item.get("kind", "other")
                g.add((node, RDF.type, ORG.Site))
                if kind in _SITE_CLASS:
                    g.add((node, RDF.type, _SITE_CLASS[kind]))
                c = self.concept("site-kind", kind, where)
                if c is not None:
                    g.add((node, ESGKG.siteKind, c))
                self.label(node, item.get("name"))
                g.add((node, ORG.siteOf, operator))
                g.add((operator, ORG.hasSite, node))
                addr = self.address(node, item)
                if addr is not None:
                    g.add((node, ORG.siteAddress, addr))
                c = self.concept("site-status", item.get("status", "unknown"), where)
                if c is not None:
                    g.add((node, ESGKG.operationalStatus, c))
                self.provenance(node, item, where)

    def compile_units(self, data: dict) -> None:
        pending = []
        for where, item in self.items(data, "units"):
            with self.guard(where):
                owner_key = item.get("unit_of")
                owner = self.ref(owner_key, where, ["organization"])
                key = item.get("key")
                if owner is None or not key:
                    continue
                node = ids.unit(str(owner_key), str(key))
                if not self.register(key, "unit", node, where):
                    continue
                kind = item.get("kind")
                g = self.g
                g.add((node, RDF.type, _UNIT_CLASS.get(kind, ESGKG.Committee)))
                g.add((node, RDF.type, ORG.OrganizationalUnit))
                c = self.concept("unit-kind", kind, where)
                if c is not None:
                    g.add((node, ESGKG.unitKind, c))
                self.label(node, item.get("name"))
                g.add((node, ORG.unitOf, owner))
                g.add((owner, ORG.hasUnit, node))
                self.literal(node, ESGKG.remit, item.get("role"))
                self.literal(node, ESGKG.meetingsHeld, item.get("meetings"), XSD.integer)
                self.provenance(node, item, where)
                pending.append((where, node, item))
        for where, node, item in pending:  # reporting lines may point forward
            if item.get("reports_to"):
                target = self.ref(item["reports_to"], where, ["unit", "organization"])
                if target is not None:
                    self.g.add((node, ESGKG.reportsTo, target))

    def compile_boundaries(self, data: dict) -> None:
        for where, item in self.items(data, "boundaries"):
            with self.guard(where):
                key = item.get("key")
                if not key:
                    self.problem(where, "a boundary needs a key")
                    continue
                node = self.unique(ids.report_item(self.key, "boundary", str(key)))
                self.boundaries[str(key)] = node
                self.g.add((node, RDF.type, ESGKG.ReportingBoundary))
                self.label(node, item.get("label"))
                for k in item.get("includes") or []:
                    member = self.ref(k, where)
                    if member is not None:
                        self.g.add((node, ESGKG.includes, member))
                self.provenance(node, item, where)

    def mint(self, kind: str, item: dict, *fallback: Any) -> URIRef:
        key = item.get("key") or ids.slugify("-".join(str(f) for f in fallback if f))
        return self.unique(ids.report_item(self.key, kind, ids.slugify(str(key))))

    def compile_certifications(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "certifications"):
            with self.guard(where):
                holder = self.ref(item.get("holder"), where)
                node = self.mint("certification", item, item.get("holder"), item.get("standard"),
                                 item.get("status"))
                g.add((node, RDF.type, ESGKG.Certification))
                if holder is not None:
                    g.add((node, ESGKG.holder, holder))
                    g.add((holder, SCHEMA.hasCertification, node))
                std = self.concept("standard", item.get("standard"), where)
                if std is not None:
                    g.add((node, ESGKG.standard, std))
                self.literal(node, ESGKG.standardAsPrinted, item.get("standard_as_printed"))
                status = self.concept("certification-status", item.get("status"), where)
                if status is not None:
                    g.add((node, ESGKG.certificationStatus, status))
                self.literal(node, ESGKG.certificationScope, item.get("scope"))
                if item.get("issuer"):
                    issuer = self.ref(item["issuer"], where, ["organization"])
                    if issuer is not None:
                        g.add((node, SCHEMA.issuedBy, issuer))
                self.literal(node, SCHEMA.validFrom, item.get("valid_from"), XSD.date)
                self.literal(node, SCHEMA.expires, item.get("expires"), XSD.date)
                printed = item.get("standard_as_printed") or item.get("standard")
                self.label(node, f"{printed} ({item.get('status')}) of {item.get('holder')}")
                self.provenance(node, item, where)

    def topic(self, code: Any, where: str) -> URIRef | None:
        if self.vocab.known("hkex", str(code)):
            return ids.concept("hkex", str(code))
        return self.concept("topic", code, where)

    def compile_policies(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "policies"):
            with self.guard(where):
                node = self.mint("policy", item, item.get("name"))
                g.add((node, RDF.type, ESGKG.Policy))
                self.label(node, item.get("name"))
                c = self.concept("policy-kind", item.get("kind", "policy"), where)
                if c is not None:
                    g.add((node, ESGKG.policyKind, c))
                owner = self.ref(item.get("adopted_by") or self._issuer_key(), where, ["organization"])
                if owner is not None:
                    g.add((node, ESGKG.adoptedBy, owner))
                for code in item.get("governs") or []:
                    t = self.topic(code, where)
                    if t is not None:
                        g.add((node, ESGKG.governs, t))
                self.literal(node, DCTERMS.description, item.get("description"))
                self.provenance(node, item, where)

    def _issuer_key(self) -> str | None:
        for key, ref in self.refs.items():
            if ref.iri == self.issuer:
                return key
        return None

    def compile_targets(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "targets"):
            with self.guard(where):
                node = self.mint("target", item, item.get("description"))
                g.add((node, RDF.type, ESGKG.Target))
                self.label(node, item.get("description"))
                if self.issuer is not None:
                    g.add((node, ESGKG.setBy, self.issuer))
                if item.get("indicator"):
                    c = self.concept("indicator", item["indicator"], where)
                    if c is not None:
                        g.add((node, ESGKG.targetIndicator, c))
                self.literal(node, ESGKG.baselineYear, item.get("baseline_year"), XSD.gYear)
                self.literal(node, ESGKG.targetYear, item.get("target_year"), XSD.gYear)
                if item.get("target_value") not in (None, ""):
                    self.decimal(node, ESGKG.targetValue, item["target_value"], where)
                    self.literal(node, ESGKG.valueAsPrinted, item["target_value"])
                if item.get("unit"):
                    self.unit(node, str(item["unit"]), where)
                c = self.concept("target-status", item.get("status", "unknown"), where)
                if c is not None:
                    g.add((node, ESGKG.targetStatus, c))
                self.provenance(node, item, where)

    def unit(self, node: URIRef, printed: str, where: str,
             out: list[tuple[URIRef, URIRef, URIRef | Literal]] | None = None) -> None:
        """The printed unit, its scale and QUDT unit: into ``out`` if given, else the graph."""
        units = self.vocab.units
        if units is None or printed not in units:
            self.problem(where, f"unknown unit {printed!r}: not a 'printed' row of units.csv")
            return
        u = units.lookup(printed)
        triples = [(node, ESGKG.unitAsPrinted, Literal(printed)),
                   (node, ESGKG.unitScale, Literal(str(u.scale), datatype=XSD.decimal))]
        if u.qudt_unit:
            triples.append((node, ESGKG.unit, UNIT[u.qudt_unit]))
        if out is None:
            for t in triples:
                self.g.add(t)
        else:
            out.extend(triples)

    def compile_awards(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "awards"):
            with self.guard(where):
                node = self.mint("award", item, item.get("name"), item.get("issuer"), item.get("recipient"))
                g.add((node, RDF.type, ESGKG.Award))
                self.label(node, item.get("name"))
                issuer = item.get("issuer")
                if issuer in self.refs:
                    g.add((node, ESGKG.awardedBy, self.refs[issuer].iri))
                self.literal(node, ESGKG.issuerName, issuer)
                recipient = self.ref(item.get("recipient") or self._issuer_key(), where)
                if recipient is not None:
                    g.add((node, ESGKG.recipient, recipient))
                self.literal(node, ESGKG.year, item.get("year"), XSD.gYear)
                self.provenance(node, item, where)

    def compile_memberships(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "memberships"):
            with self.guard(where):
                name = item.get("organization")
                if not name:
                    self.problem(where, "a membership needs the organisation's name")
                    continue
                assoc = self.refs[name].iri if name in self.refs else ids.organization(ids.slugify(name))
                if name not in self.refs:
                    g.add((assoc, RDF.type, ESGKG.Association))
                    self.label(assoc, name)
                    g.add((assoc, ORG.classification, ids.concept("org-kind", "association")))
                    self.provenance(assoc, item, where)
                node = self.mint("membership", item, name)
                member = self.ref(item.get("member") or self._issuer_key(), where)
                g.add((node, RDF.type, ORG.Membership))
                if member is not None:
                    g.add((node, ORG.member, member))
                g.add((node, ORG.organization, assoc))
                self.literal(node, ESGKG.roleAsPrinted, item.get("role"))
                self.label(node, f"{item.get('member') or self._issuer_key()} in {name}")
                self.provenance(node, item, where)

    def compile_sdgs(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "sdgs"):
            with self.guard(where):
                goal = self.concept("sdg", item.get("goal"), where)
                node = self.mint("sdg", {}, "goal", item.get("goal"))
                g.add((node, RDF.type, ESGKG.SdgContribution))
                if goal is not None:
                    g.add((node, ESGKG.goal, goal))
                if self.issuer is not None:
                    g.add((node, ESGKG.contributor, self.issuer))
                self.label(node, f"{self._issuer_key()} contribution to SDG {item.get('goal')}")
                self.provenance(node, item, where)

    def compile_material_issues(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "material_issues"):
            with self.guard(where):
                node = self.mint("material-issue", item, item.get("name"))
                g.add((node, RDF.type, ESGKG.MaterialIssue))
                self.label(node, item.get("name"))
                if self.issuer is not None:
                    g.add((node, ESGKG.setBy, self.issuer))
                for field, scheme, prop in (("dimension", "esg-dimension", ESGKG.esgDimension),
                                            ("importance", "importance", ESGKG.importance),
                                            ("change", "issue-change", ESGKG.changeFromPriorYear)):
                    if item.get(field):
                        c = self.concept(scheme, item[field], where)
                        if c is not None:
                            g.add((node, prop, c))
                self.literal(node, ESGKG.rank, item.get("rank"), XSD.integer)
                self.provenance(node, item, where)

    def compile_stakeholders(self, data: dict) -> None:
        for where, item in self.items(data, "stakeholders"):
            with self.guard(where):
                node = self.mint("stakeholder-group", item, item.get("name"))
                self.g.add((node, RDF.type, ESGKG.StakeholderGroup))
                self.label(node, item.get("name"))
                if self.issuer is not None:
                    self.g.add((node, ESGKG.concerns, self.issuer))
                for channel in item.get("channels") or []:
                    self.literal(node, ESGKG.engagementChannel, channel)
                for topic in item.get("topics") or []:
                    self.literal(node, ESGKG.stakeholderTopic, topic)
                self.provenance(node, item, where)

    def compile_supplier_programmes(self, data: dict) -> None:
        for where, item in self.items(data, "supplier_programmes"):
            with self.guard(where):
                node = self.mint("supplier-programme", item, item.get("name"))
                self.g.add((node, RDF.type, ESGKG.SupplierProgramme))
                self.label(node, item.get("name"))
                if self.issuer is not None:
                    self.g.add((node, ESGKG.runBy, self.issuer))
                self.literal(node, DCTERMS.description, item.get("description"))
                self.provenance(node, item, where)

    def compile_products(self, data: dict) -> None:
        for where, item in self.items(data, "products"):
            with self.guard(where):
                maker = item.get("maker") or self._issuer_key()
                found = self.owned(item, where, "product", maker, ids.product)
                if found is None:
                    continue
                node, maker = found
                g = self.g
                g.add((node, RDF.type, ESGKG.Product))
                self.label(node, item.get("name"))
                g.add((node, ESGKG.madeBy, maker))
                c = self.concept("product-kind", item.get("kind", "other"), where)
                if c is not None:
                    g.add((node, ESGKG.productKind, c))
                self.literal(node, ESGKG.launchYear, item.get("launched"), XSD.gYear)
                self.literal(node, DCTERMS.description, item.get("description"))
                self.provenance(node, item, where)

    def compile_initiatives(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "initiatives"):
            with self.guard(where):
                node = self.mint("initiative", item, item.get("name"))
                g.add((node, RDF.type, ESGKG.Initiative))
                self.label(node, item.get("name"))
                c = self.concept("initiative-kind", item.get("kind", "other"), where)
                if c is not None:
                    g.add((node, ESGKG.initiativeKind, c))
                runner = self.ref(item.get("run_by") or self._issuer_key(), where, ["organization", "unit"])
                if runner is not None:
                    g.add((node, ESGKG.runBy, runner))
                partners = item.get("partners") or []
                for name in partners if isinstance(partners, list) else [partners]:
                    self.literal(node, ESGKG.partnerName, name)
                self.literal(node, ESGKG.year, item.get("year"), XSD.gYear)
                self.literal(node, DCTERMS.description, item.get("description"))
                self.provenance(node, item, where)

    def compile_climate_risks(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "climate_risks"):
            with self.guard(where):
                node = self.mint("climate-risk", item, item.get("name"))
                g.add((node, RDF.type, ESGKG.ClimateRisk))
                self.label(node, item.get("name"))
                if self.issuer is not None:
                    g.add((node, ESGKG.concerns, self.issuer))
                if item.get("kind"):
                    c = self.concept("climate-risk-kind", item["kind"], where)
                    if c is not None:
                        g.add((node, ESGKG.climateRiskKind, c))
                horizons = item.get("horizon") or []
                for h in horizons if isinstance(horizons, list) else [horizons]:
                    c = self.concept("time-horizon", h, where)
                    if c is not None:
                        g.add((node, ESGKG.timeHorizon, c))
                self.literal(node, ESGKG.impact, item.get("impact"))
                self.literal(node, ESGKG.response, item.get("response"))
                self.provenance(node, item, where)

    def compile_disclosures(self, data: dict) -> None:
        g = self.g
        index_pages = self.index_pages
        for where, item in self.items(data, "disclosures"):
            with self.guard(where):
                framework = item.get("framework")
                if framework not in ("hkex", "gri"):
                    self.problem(where, f"framework {framework!r} is not hkex or gri")
                    continue
                code = str(item.get("code"))
                node = self.mint("index-entry", {}, framework, code)
                g.add((node, RDF.type, ESGKG.DisclosureIndexEntry))
                g.add((node, ESGKG.indexOf, self.report))
                c = self.concept(framework, code, where)
                if c is not None:
                    g.add((node, ESGKG.disclosure, c))
                for p in item.get("pages") or []:
                    try:
                        g.add((node, ESGKG.indexedPage, Literal(strict.page(p, self.last_page))))
                    except InputError as exc:
                        self.problem(where, f"indexed {exc}")
                g.add((node, ESGKG.omitted, Literal(bool(item.get("omitted")))))
                self.literal(node, ESGKG.omissionReason, item.get("reason"))
                self.label(node, f"{framework.upper()} {code} in {self.key}")
                if item.get("in_index") is False:
                    # located by the curator: the report discloses it but its index omits it
                    self.provenance(node, item, where)
                else:
                    item.read.update(("lines", "note"))  # read by provenance through the copy
                    self.provenance(node, {**item, "pages": index_pages.get(framework)}, where)

    def compile_sections(self, path: Path, data: dict) -> None:
        """The report's contents: each section with its first and last page."""
        unknown = sorted(set(data) - {"sections", "last_page", "source_lines"})
        if unknown:
            self.problem(str(path), f"unknown field(s) {', '.join(map(repr, unknown))}")
        items = data.get("sections") or []
        if not isinstance(items, list):
            self.problem(f"{path} [sections]", "must be a list")
            return
        starts = [item.get("first_page") for item in items if isinstance(item, dict)]
        if len(starts) != len(items) or not all(isinstance(p, int) and not isinstance(p, bool)
                                                for p in starts):
            self.problem(str(path), "every section needs a title and a whole-number first_page")
            return
        for n, p in enumerate(starts):
            try:
                strict.page(p, self.last_page)
            except InputError as exc:
                self.problem(f"{path} [sections][{n}]", str(exc))
                return
        if starts != sorted(starts):
            self.problem(str(path), "sections must be listed in page order")
        for n, item in enumerate(items):
            with self.guard(f"{path} [sections][{n}]"):
                if set(item) - {"title", "first_page"}:
                    self.problem(f"{path} [sections][{n}]", "a section has only a title and a first_page")
                title = item.get("title")
                if not isinstance(title, str) or not title.strip():
                    self.problem(f"{path} [sections][{n}]", "a section needs a title")
                    continue
                node = self.unique(ids.report_item(self.key, "section", ids.slugify(title)))
                g = self.g
                g.add((node, RDF.type, ESGKG.ReportSection))
                g.add((node, ESGKG.sectionOf, self.report))
                self.label(node, title)
                g.add((node, ESGKG.firstPage, Literal(item["first_page"])))
                if n + 1 < len(items):
                    g.add((node, ESGKG.lastPage, Literal(max(item["first_page"], starts[n + 1] - 1))))
                g.add((node, PROV.wasDerivedFrom, self.page(item["first_page"])))

    # ----------------------------------------------------------------- observations
    def period_node(self, text: Any) -> URIRef:
        """``2023``, ``2021..2023``, ``2023-12-31`` or ``2023-01-01..2023-12-31`` (real dates, in order)."""
        key = str(text)
        if key in self._periods:
            return self._periods[key]
        start_day, end_day = strict.period(text)
        start, end = start_day.isoformat(), end_day.isoformat()
        if start[5:] == "01-01" and end[5:] == "12-31":  # whole years get short names
            name = start[:4] if start[:4] == end[:4] else f"{start[:4]}..{end[:4]}"
        else:
            name = start if start == end else f"{start}..{end}"
        node = ids.period(name)
        g = self.periods
        g.add((node, RDF.type, DCTERMS.PeriodOfTime))
        g.add((node, RDFS.label, Literal(name)))
        g.add((node, DCAT.startDate, Literal(start, datatype=XSD.date)))
        g.add((node, DCAT.endDate, Literal(end, datatype=XSD.date)))
        self._periods[key] = node
        return node

    def compile_observations(self, path: Path) -> None:
        dataset = ids.dataset(self.key)
        for line, row in read_csv(path, OBSERVATION_COLUMNS):
            where = f"{path}:{line}"
            with self.guard(where):
                triples = self.observation(row, where, dataset)
                if triples:
                    self.emit(triples)

    def emit(self, triples: list[tuple[URIRef, URIRef, URIRef | Literal]]) -> None:
        """An observation's triples: into the report graph, or streamed to the sink of a build."""
        if self.sink is None:
            for t in triples:
                self.g.add(t)
        else:
            self.sink.write(triples)

    def observation(self, row: dict[str, str], where: str,
                    dataset: URIRef) -> list[tuple[URIRef, URIRef, URIRef | Literal]]:
        """The triples of one observation row ([] when the row has a problem, noted)."""
        problems = len(self.problems)
        indicator = self.concept("indicator", row["indicator"], where)
        entity_key = row["entity"] or self._issuer_key()
        entity = self.ref(entity_key, where)
        period = self.period_node(row["period"])
        dims: list[tuple[URIRef, URIRef]] = []
        parts = [p for p in row["breakdown"].split(";") if p.strip()]
        for part in parts:
            dim, _, code = (s.strip() for s in part.partition("="))
            if dim not in self.dimensions or not code:
                self.problem(where, f"breakdown {part!r}: unknown dimension {dim!r} "
                                    f"(known: {', '.join(sorted(self.dimensions))})")
                continue
            value = (self.ref(code, where, ["site"]) if dim == "site"
                     else self.concept(dim, code, where))
            if value is not None:
                dims.append((self.dimensions[dim], value))
        printed = row["value"]
        try:
            number = strict.number(printed)
        except InputError as exc:
            self.problem(where, f"value {exc}")
        try:
            page = strict.page(row["page"], self.last_page, text=True)
        except InputError as exc:
            self.problem(where, str(exc))
        if indicator is None or entity is None or len(self.problems) > problems:
            return []
        # What the figure measures and where the text prints it; not its page (often estimated,
        # and corrected) nor the row's position, so that neither renames the fact.
        slug = "/".join([
            row["indicator"], str(period).rsplit("/", 1)[-1],
            ids.slugify(";".join(sorted(p.strip() for p in parts))) if parts else "total",
            str(entity_key), ids.slugify(row["source"]) if row["source"] else f"p{page}",
        ])
        node = ids.observation(self.key, slug)
        first = self._observations.setdefault(node, where)
        if first != where:
            self.problem(where, f"the same figure from the same source as {first} (a repeated row; "
                                "a figure printed twice has two sources)")
            return []
        t: list[tuple[URIRef, URIRef, URIRef | Literal]] = [
            (node, RDF.type, QB.Observation),
            (node, QB.dataSet, dataset),
            (node, ESGKG.indicator, indicator),
            (node, ESGKG.refEntity, entity),
            (node, ESGKG.refPeriod, period),
            *((node, prop, value) for prop, value in dims),
            (node, ESGKG.value, Literal(str(number), datatype=XSD.decimal)),
            (node, ESGKG.valueAsPrinted, Literal(printed)),
        ]
        self.unit(node, row["unit"], where, t)
        if row["boundary"]:
            b = self.boundaries.get(row["boundary"])
            if b is None:
                self.problem(where, f"boundary {row['boundary']!r} is not a key of 'boundaries'")
            else:
                t.append((node, ESGKG.boundary, b))
        if row["restated"]:
            if row["restated"] not in ("yes", "no"):
                self.problem(where, f"restated must be yes or empty, not {row['restated']!r}")
            t.append((node, ESGKG.restated, Literal(row["restated"] == "yes")))
        t.append((node, PROV.wasDerivedFrom, self.page(page)))
        if row["source"]:
            t.append((node, ESGKG.sourceLocator, Literal(row["source"])))
            m = _LINE.search(row["source"])
            if m:
                t.append((node, ESGKG.sourceLine, Literal(int(m.group(1)))))
        if row["note"]:
            t.append((node, ESGKG.curationNote, Literal(row["note"])))
            if _ESTIMATED.search(row["note"]):
                t.append((node, ESGKG.pageEstimated, Literal(True)))
        if row.get("qualifier"):  # optional column
            c = self.concept("value-qualifier", row["qualifier"], where)
            if c is not None:
                t.append((node, ESGKG.valueQualifier, c))
        return [] if len(self.problems) > problems else t


class NQuadsSink:
    """Observation triples of one report graph streamed to an N-Quads file (a build's bulk load).

    Holds nothing but the open file and a count: memory does not grow with the rows. Each
    observation's triples are distinct (its own IRI is their subject), so the count is of
    distinct quads.
    """

    def __init__(self, out: TextIO, graph: URIRef):
        self.out = out
        self.graph = f"<{graph}>"
        self.count = 0

    def write(self, triples: list[tuple[URIRef, URIRef, URIRef | Literal]]) -> None:
        lines = {f"{_nt(s)} {_nt(p)} {_nt(o)} {self.graph} .\n" for s, p, o in triples}
        self.out.writelines(lines)
        self.count += len(lines)


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _nt(term: URIRef | Literal) -> str:
    """A term in N-Triples syntax (rdflib's ``n3()`` may write Turtle's long strings)."""
    if isinstance(term, Literal):
        text = f'"{str(term).translate(_NT_ESCAPES)}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype and str(term.datatype) != str(XSD.string):
            return f"{text}^^<{term.datatype}>"
        return text
    return f"<{term}>"


def compile_report(folder: Path, vocab: Vocabularies, dimensions: dict[str, URIRef],
                   sink: NQuadsSink | None = None) -> tuple[Graph, Graph]:
    """The graph of one report folder and the periods it uses; raises DataErrors listing every
    problem found. With a ``sink``, observations are streamed to it instead of the graph."""
    if not (folder / "entities.yaml").is_file():
        raise InputError(f"{folder}: no entities.yaml (every report folder needs one)")
    compiler = ReportCompiler(folder, vocab, dimensions, sink)
    return compiler.compile(), compiler.periods
