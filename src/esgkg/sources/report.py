"""Compile one report's folder (``data/<report>/``) into the report's RDF graph.

``entities.yaml`` holds the named things, ``observations.csv`` the numbers, optional ``*.ttl``
files anything else. Every problem found is collected with its file and line, and reported
together, so a curator fixes a whole file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from .. import ids
from ..errors import DataErrors, InputError
from ..namespaces import ESGKG, OA, ORG, QB, ROV, SCHEMA, UNIT, VCARD, bind_prefixes
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

    def __init__(self, folder: Path, vocab: Vocabularies, dimensions: dict[str, URIRef]):
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

    # ----------------------------------------------------------------- helpers
    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def unique(self, iri: URIRef) -> URIRef:
        """``iri``, or ``iri-2``, ``iri-3`` ... if already minted in this report."""
        candidate, n = iri, 1
        while candidate in self._minted:
            n += 1
            candidate = URIRef(f"{iri}-{n}")
        self._minted.add(candidate)
        return candidate

    def page(self, number: int) -> URIRef:
        page = ids.report_page(self.key, number)
        if (page, RDF.type, ESGKG.ReportPage) not in self.g:
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
            if not isinstance(p, int) or p < 1:
                self.problem(where, f"page {p!r} is not a positive whole number")
                continue
            self.g.add((node, PROV.wasDerivedFrom, self.page(p)))
        for line in item.get("lines") or []:
            if isinstance(line, int):
                self.g.add((node, ESGKG.sourceLine, Literal(line)))
            else:
                self.problem(where, f"line {line!r} is not a whole number")
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

    def items(self, data: dict, section: str) -> list[tuple[str, dict]]:
        value = data.get(section) or []
        if not isinstance(value, list):
            self.problem(f"{self.entities_path} [{section}]", "must be a list")
            return []
        origins = self.origins.get(section) or [(self.entities_path, i) for i in range(len(value))]
        out = []
        for (path, i), item in zip(origins, value, strict=True):
            where = f"{path} [{section}][{i}]"
            if not isinstance(item, dict):
                self.problem(where, "must be a mapping")
                continue
            name = item.get("key") or item.get("name") or item.get("code") or item.get("goal")
            out.append((f"{where} ({name})" if name else where, item))
        return out

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
        self.report = ids.report(self.key)
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
        sections = self.folder / "sections.yaml"
        if sections.exists():
            self.compile_sections(sections)
        for obs in sorted(self.folder.glob("observations*.csv")):
            self.compile_observations(obs)
        for ttl in sorted(self.folder.glob("*.ttl")):
            read_turtle(ttl, self.g)
        if self.problems:
            raise DataErrors(self.problems)
        return self.g

    def compile_report(self, data: dict) -> None:
        item = data.get("report")
        where = f"{self.entities_path} [report]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: the 'report' section is missing")
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
            g.add((r, ESGKG.reportingPeriod, self.period_node(f"{period['start']}..{period['end']}")))
        else:
            self.problem(where, "period needs start and end dates")
        for lang in item.get("languages") or []:
            self.literal(r, DCTERMS.language, lang)
        self.literal(r, ESGKG.prevailingLanguage, item.get("prevailing_language"))
        for url in item.get("urls") or []:
            g.add((r, FOAF.page, URIRef(str(url))))
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
            g.add((node, RDF.type, ESGKG.Association if kind == "association" else ORG.FormalOrganization))
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
        text = str(value).replace(",", "").strip()
        try:
            Decimal(text)
        except InvalidOperation:
            self.problem(where, f"{value!r} is not a number")
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

    def unit(self, node: URIRef, printed: str, where: str) -> None:
        units = self.vocab.units
        if units is None or printed not in units:
            self.problem(where, f"unknown unit {printed!r}: not a 'printed' row of units.csv")
            return
        u = units.lookup(printed)
        self.g.add((node, ESGKG.unitAsPrinted, Literal(printed)))
        self.g.add((node, ESGKG.unitScale, Literal(str(u.scale), datatype=XSD.decimal)))
        if u.qudt_unit:
            self.g.add((node, ESGKG.unit, UNIT[u.qudt_unit]))

    def compile_awards(self, data: dict) -> None:
        g = self.g
        for where, item in self.items(data, "awards"):
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
            node = self.mint("supplier-programme", item, item.get("name"))
            self.g.add((node, RDF.type, ESGKG.SupplierProgramme))
            self.label(node, item.get("name"))
            if self.issuer is not None:
                self.g.add((node, ESGKG.runBy, self.issuer))
            self.literal(node, DCTERMS.description, item.get("description"))
            self.provenance(node, item, where)

    def compile_products(self, data: dict) -> None:
        for where, item in self.items(data, "products"):
            found = self.owned(item, where, "product", item.get("maker") or self._issuer_key(), ids.product)
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
        index_pages = (data.get("report") or {}).get("index_pages") or {}
        for where, item in self.items(data, "disclosures"):
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
                if isinstance(p, int):
                    g.add((node, ESGKG.indexedPage, Literal(p)))
                else:
                    self.problem(where, f"indexed page {p!r} is not a whole number")
            g.add((node, ESGKG.omitted, Literal(bool(item.get("omitted")))))
            self.literal(node, ESGKG.omissionReason, item.get("reason"))
            self.label(node, f"{framework.upper()} {code} in {self.key}")
            if item.get("in_index") is False:
                # located by the curator: the report discloses it but its index omits it
                self.provenance(node, item, where)
            else:
                self.provenance(node, {**item, "pages": index_pages.get(framework)}, where)

    def compile_sections(self, path: Path) -> None:
        """The report's contents: each section with its first and last page."""
        items = read_yaml(path).get("sections") or []
        starts = [item.get("first_page") for item in items if isinstance(item, dict)]
        if len(starts) != len(items) or not all(isinstance(p, int) for p in starts):
            self.problem(str(path), "every section needs a title and a whole-number first_page")
            return
        if starts != sorted(starts):
            self.problem(str(path), "sections must be listed in page order")
        for n, item in enumerate(items):
            node = self.unique(ids.report_item(self.key, "section", ids.slugify(str(item.get("title")))))
            g = self.g
            g.add((node, RDF.type, ESGKG.ReportSection))
            g.add((node, ESGKG.sectionOf, self.report))
            self.label(node, item.get("title"))
            g.add((node, ESGKG.firstPage, Literal(item["first_page"])))
            if n + 1 < len(items):
                g.add((node, ESGKG.lastPage, Literal(max(item["first_page"], starts[n + 1] - 1))))
            g.add((node, PROV.wasDerivedFrom, self.page(item["first_page"])))

    # ----------------------------------------------------------------- observations
    def period_node(self, text: str) -> URIRef:
        """``2023``, ``2021..2023``, ``2023-12-31`` or ``2023-01-01..2023-12-31``."""
        text = str(text)
        start, _, end = text.partition("..")
        end = end or start
        if re.fullmatch(r"\d{4}", start):
            start = f"{start}-01-01"
        if re.fullmatch(r"\d{4}", end):
            end = f"{end}-12-31"
        if not (re.fullmatch(r"\d{4}-\d{2}-\d{2}", start) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", end)):
            raise InputError(f"period {text!r} is not YYYY, YYYY..YYYY or YYYY-MM-DD")
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
        return node

    def compile_observations(self, path: Path) -> None:
        dataset = ids.dataset(self.key)
        for line, row in read_csv(path, OBSERVATION_COLUMNS):
            where = f"{path}:{line}"
            try:
                self.observation(row, where, dataset)
            except InputError as exc:
                self.problem(where, str(exc))

    def observation(self, row: dict[str, str], where: str, dataset: URIRef) -> None:
        g = self.g
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
        number = printed.replace(",", "").replace(" ", "")
        try:
            Decimal(number)
        except InvalidOperation:
            self.problem(where, f"value {printed!r} is not a number")
            return
        if not row["page"].isdigit():
            self.problem(where, f"page {row['page']!r} is not a whole number")
            return
        if indicator is None or entity is None:
            return
        slug = "/".join([
            row["indicator"], str(period).rsplit("/", 1)[-1],
            ids.slugify(row["breakdown"]) if parts else "total", str(entity_key), f"p{row['page']}",
        ])
        node = self.unique(ids.observation(self.key, slug))
        g.add((node, RDF.type, QB.Observation))
        g.add((node, QB.dataSet, dataset))
        g.add((node, ESGKG.indicator, indicator))
        g.add((node, ESGKG.refEntity, entity))
        g.add((node, ESGKG.refPeriod, period))
        for prop, value in dims:
            g.add((node, prop, value))
        g.add((node, ESGKG.value, Literal(number, datatype=XSD.decimal)))
        g.add((node, ESGKG.valueAsPrinted, Literal(printed)))
        self.unit(node, row["unit"], where)
        if row["boundary"]:
            b = self.boundaries.get(row["boundary"])
            if b is None:
                self.problem(where, f"boundary {row['boundary']!r} is not a key of 'boundaries'")
            else:
                g.add((node, ESGKG.boundary, b))
        if row["restated"]:
            if row["restated"] not in ("yes", "no"):
                self.problem(where, f"restated must be yes or empty, not {row['restated']!r}")
            g.add((node, ESGKG.restated, Literal(row["restated"] == "yes")))
        g.add((node, PROV.wasDerivedFrom, self.page(int(row["page"]))))
        if row["source"]:
            g.add((node, ESGKG.sourceLocator, Literal(row["source"])))
            m = _LINE.search(row["source"])
            if m:
                g.add((node, ESGKG.sourceLine, Literal(int(m.group(1)))))
        self.note(node, row["note"])
        if row.get("qualifier"):  # optional column
            c = self.concept("value-qualifier", row["qualifier"], where)
            if c is not None:
                g.add((node, ESGKG.valueQualifier, c))


def compile_report(folder: Path, vocab: Vocabularies,
                   dimensions: dict[str, URIRef]) -> tuple[Graph, Graph]:
    """The graph of one report folder and the periods it uses; raises DataErrors listing every
    problem found."""
    if not (folder / "entities.yaml").is_file():
        raise InputError(f"{folder}: no entities.yaml (every report folder needs one)")
    compiler = ReportCompiler(folder, vocab, dimensions)
    return compiler.compile(), compiler.periods

