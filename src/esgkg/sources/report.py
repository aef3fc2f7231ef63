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
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rdflib import Graph, Literal, Namespace, URIRef
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
            "supplier_programmes", "initiatives", "climate_risks", "disclosures", "people", "posts",
            "gaps")
# Fields whose value is a mapping (of scalars or lists) or a list of mappings; any other field
# holds a scalar or a list of scalars.
_MAPPING_FIELDS = {"headquarters", "index_pages", "period", "assurance_detail", "ghg_method"}
_LIST_OF_MAPPINGS_FIELDS = {"listings", "framework_use", "index_period"}
# The fields of the nested mappings (a typo inside one is refused like a typo of an item field).
_NESTED_FIELDS = {
    "assurance_detail": {"provider", "standard", "type", "level", "scope", "signed", "pages"},
    "ghg_method": {"scope2", "consolidation", "gwp_source", "scope3_categories", "scope3_definition",
                   "pages", "lines", "note"},
    "framework_use": {"framework", "edition", "mode", "pages"},
    "index_period": {"framework", "start", "end", "pages"},
}
# The words a `value` cell may hold for a figure the report states in words, not numerals ("there
# was no accident"): each compiles to its number, the word kept as printed, esgkg:statedInWords true.
VALUE_WORDS = {"no": Decimal(0), "none": Decimal(0), "zero": Decimal(0), "nil": Decimal(0)}
# Optional observation columns after the required ones (a column of another name is refused).
OPTIONAL_OBSERVATION_COLUMNS = ("qualifier", "basis")
# Certification statuses that are not a certificate held: such an item is an esgkg:CertificationIntent.
INTENT_STATUSES = {"planned", "required", "encouraged"}
# Posts whose holder heads the unit (org:headOf).
HEAD_POSTS = {"chair", "chair-of-supervisors", "committee-chair", "head"}
# A director's category as written in the data -> code of the board-role breakdown list.
DIRECTOR_CATEGORY = {"executive": "executive", "non-executive": "non-executive",
                     "independent": "independent-non-executive"}
_WHEN = re.compile(r"[0-9]{4}(?:-[0-9]{2}-[0-9]{2})?")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
TIME = Namespace("http://www.w3.org/2006/time#")
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
    if isinstance(value, list) and field not in _LIST_FIELDS:
        return "must be a single value, not a list"
    if isinstance(value, bool) and field not in _BOOL_FIELDS:
        return "must not be true or false (quote it if it is text)"
    return None if scalars(value) else "must be a plain value or a list of plain values"


# The fields that may hold a list of plain values (any other holds one value) and the fields that
# are true / false (a boolean elsewhere is YAML reading a word such as `NO` or `true` as a boolean).
_LIST_FIELDS = {"pages", "lines", "short_names", "former_names", "languages", "urls", "frameworks",
                "channels", "topics", "partners", "horizon", "includes", "governs", "based_on", "covers",
                "tcfd_pillars", "reaches", "sites"}
_BOOL_FIELDS = {"omitted", "in_index", "adjacent_to_protected_area", "cumulative"}


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
        self.people: dict[str, URIRef] = {}
        self.targets: dict[str, URIRef] = {}

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

    def inherit_provenance(self) -> None:
        """Nodes made from a part of an item (a unit's remit as its org:purpose concept, a post's
        term) are sourced to the pages of the item they came from."""
        g = self.g
        for owner, _prop, part in list(g.triples((None, ORG.purpose, None))) + list(
                g.triples((None, ORG.memberDuring, None))):
            for page in list(g.objects(owner, PROV.wasDerivedFrom)):
                g.add((part, PROV.wasDerivedFrom, page))

    def unread_fields(self) -> None:
        """A field no compile step read is a typo or a field esgkg does not know: say so."""
        for where, item in self.tracked:
            unknown = sorted(set(item) - item.read)
            if unknown:
                self.problem(where, f"unknown field(s) {', '.join(map(repr, unknown))}: not part of "
                                    "the format (data/FORMAT.md)")

    def literal(self, node: URIRef, prop: URIRef, value: Any, datatype: URIRef | None = None) -> None:
        """A literal of a plain value; a year, whole number or date is checked for its form."""
        if value is None or value == "":
            return
        text = str(value)
        if datatype == XSD.gYear and (isinstance(value, bool) or not re.fullmatch(r"[0-9]{4}", text)):
            raise InputError(f"{value!r} is not a year (YYYY)")
        if datatype == XSD.integer and (isinstance(value, bool) or not isinstance(value, int)):
            raise InputError(f"{value!r} is not a whole number")
        if datatype == XSD.date:
            strict.period(text)  # a real calendar date (raises InputError)
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise InputError(f"{value!r} is not a date (YYYY-MM-DD)")
        self.g.add((node, prop, Literal(text, datatype=datatype)))

    def address(self, node: URIRef, item: dict) -> URIRef | None:
        if not any(item.get(k) for k in ("city", "province", "region", "country")):
            return None
        addr = URIRef(f"{node}/address")
        self.g.add((addr, RDF.type, VCARD.Address))
        self.literal(addr, VCARD.locality, item.get("city"))
        self.literal(addr, VCARD.region, item.get("province") or item.get("region"))
        self.literal(addr, ESGKG.countryCode, item.get("country"))
        return addr

    def nested(self, value: Any, field: str, where: str) -> dict:
        """A nested mapping of an item (``assurance_detail``, one ``framework_use`` entry ...),
        its fields checked like an item's: one the format does not have is a problem."""
        if not isinstance(value, dict):
            self.problem(where, f"{field} must be a mapping")
            return {}
        unknown = sorted(set(map(str, value)) - _NESTED_FIELDS[field])
        if unknown:
            self.problem(where, f"{field}: unknown field(s) {', '.join(map(repr, unknown))}: not "
                                "part of the format (data/FORMAT.md)")
        return value

    def when(self, value: Any, where: str, what: str) -> Literal | None:
        """A year (xsd:gYear) or a day (xsd:date) as printed; None, with the problem noted, if neither."""
        text = value.isoformat() if isinstance(value, date) else str(value)
        if isinstance(value, bool) or not isinstance(value, int | str | date) or not _WHEN.fullmatch(text):
            self.problem(where, f"{what} {value!r} is not a year (YYYY) or a date (YYYY-MM-DD)")
            return None
        try:
            strict.period(text)
        except InputError as exc:
            self.problem(where, f"{what} {value!r}: {str(exc).split(': ', 1)[-1]}")
            return None
        return Literal(text, datatype=XSD.gYear if len(text) == 4 else XSD.date)

    def flag(self, node: URIRef, prop: URIRef, value: Any, where: str, field: str) -> None:
        """A true / false field (YAML booleans only: `yes` or 1 are refused)."""
        if value is None:
            return
        if not isinstance(value, bool):
            self.problem(where, f"{field} must be true or false, not {value!r}")
            return
        self.g.add((node, prop, Literal(value)))

    def codes(self, value: Any) -> list[Any]:
        """A field that holds one code or a list of codes, as a list."""
        if value is None or value == "":
            return []
        return value if isinstance(value, list) else [value]

    def based_on(self, node: URIRef, item: Item, where: str) -> None:
        """``based_on``: the standards (codes of standards.csv) a thing is based on or references."""
        for code in self.codes(item.get("based_on")):
            c = self.concept("standard", code, where)
            if c is not None:
                self.g.add((node, ESGKG.basedOn, c))

    def name_of(self, node: URIRef) -> str:
        label = self.g.value(node, SKOS.prefLabel)
        return str(label) if label is not None else str(node).rsplit("/", 1)[-1]

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
        self.compile_people(data)  # before units: a unit may name its chair
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
        self.compile_posts(data)
        self.compile_gaps(data)
        if sections_data:
            self.compile_sections(sections, sections_data)
        for obs in sorted(self.folder.glob("observations*.csv")):
            self.compile_observations(obs)
        for ttl in sorted(self.folder.glob("*.ttl")):
            read_turtle(ttl, self.g)
        self.inherit_provenance()
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
        self.report_depth(item, where)
        self.provenance(r, item, where)
        ds = ids.dataset(self.key)
        g.add((ds, RDF.type, QB.DataSet))
        g.add((ds, QB.structure, ESGKG.kpiStructure))
        g.add((ds, PROV.wasDerivedFrom, r))
        self.label(ds, f"KPI observations of {item.get('title') or self.key} ({self.key})")

    def report_depth(self, item: Item, where: str) -> None:
        """The report's assurance engagement, framework uses, TCFD pillars, index periods,
        consolidation basis and GHG method (the last as attributes of its data set)."""
        r, g = self.report, self.g
        pages = item.get("pages")
        ad = item.get("assurance_detail")
        if ad is not None:
            ad = self.nested(ad, "assurance_detail", where)
            node = self.unique(ids.ID[f"assurance/{self.key}"])
            g.add((node, RDF.type, ESGKG.AssuranceEngagement))
            g.add((r, ESGKG.assurance, node))
            self.label(node, f"Assurance of the {self.key} report")
            if ad.get("provider"):
                provider = self.ref(ad["provider"], f"{where} [assurance_detail]", ["organization"])
                if provider is not None:
                    g.add((node, ESGKG.assuranceProvider, provider))
            if ad.get("standard"):
                c = self.concept("standard", ad["standard"], f"{where} [assurance_detail]")
                if c is not None:
                    g.add((node, DCTERMS.conformsTo, c))
            if ad.get("level"):
                c = self.concept("assurance-level", ad["level"], f"{where} [assurance_detail]")
                if c is not None:
                    g.add((node, ESGKG.assuranceLevel, c))
            self.literal(node, ESGKG.assuranceType, ad.get("type"))
            self.literal(node, ESGKG.assuranceScope, ad.get("scope"))
            if ad.get("signed") is not None:
                signed = self.when(ad["signed"], f"{where} [assurance_detail]", "signed")
                if signed is not None:
                    g.add((node, ESGKG.signedOn, signed))
            self.provenance(node, {"pages": ad.get("pages") or pages}, f"{where} [assurance_detail]")
        uses = item.get("framework_use") or []
        for n, fu in enumerate(uses if isinstance(uses, list) else []):
            w = f"{where} [framework_use][{n}]"
            fu = self.nested(fu, "framework_use", w)
            fw = self.concept("framework", fu.get("framework"), w)
            mode = self.concept("framework-use", fu["mode"], w) if fu.get("mode") else None
            if fw is None:
                continue
            node = self.unique(ids.report_item(self.key, "framework-use", ids.slugify(
                "-".join(str(x) for x in (fu["framework"], fu.get("mode")) if x))))
            g.add((node, RDF.type, ESGKG.FrameworkUse))
            g.add((r, ESGKG.frameworkUse, node))
            g.add((node, ESGKG.framework, fw))
            g.add((r, ESGKG.referencesFramework, fw))
            if mode is not None:
                g.add((node, ESGKG.useMode, mode))
            self.literal(node, ESGKG.frameworkEdition, fu.get("edition"))
            self.label(node, f"{self.key} uses {fu['framework']}"
                       + (f" ({fu['mode']})" if fu.get("mode") else "")
                       + (f": {fu['edition']}" if fu.get("edition") else ""))
            self.provenance(node, {"pages": fu.get("pages") or pages}, w)
        for code in self.codes(item.get("tcfd_pillars")):
            c = self.concept("tcfd-pillar", code, where)
            if c is not None:
                g.add((r, ESGKG.tcfdPillar, c))
        periods = item.get("index_period") or []
        for n, ip in enumerate(periods if isinstance(periods, list) else []):
            w = f"{where} [index_period][{n}]"
            ip = self.nested(ip, "index_period", w)
            fw = self.concept("framework", ip.get("framework"), w)
            start = self.when(ip.get("start"), w, "start")
            end = self.when(ip.get("end"), w, "end")
            if fw is None or start is None or end is None:
                continue
            if str(end) < str(start):
                self.problem(w, f"index period ends ({end}) before it starts ({start})")
                continue
            node = self.unique(ids.report_item(self.key, "index-period", ids.slugify(str(ip["framework"]))))
            g.add((node, RDF.type, ESGKG.ContentIndexPeriod))
            g.add((node, RDF.type, DCTERMS.PeriodOfTime))
            g.add((r, ESGKG.indexPeriod, node))
            g.add((node, ESGKG.framework, fw))
            g.add((node, DCAT.startDate, start))
            g.add((node, DCAT.endDate, end))
            self.label(node, f"{ip['framework']} index of {self.key}: {start}..{end}")
            index_pages = self.index_pages if isinstance(self.index_pages, dict) else {}
            fallback = index_pages.get(str(ip["framework"]))
            self.provenance(node, {"pages": ip.get("pages") or fallback or pages}, w)
        self.literal(r, ESGKG.consolidationBasis, item.get("consolidation"))
        gm = item.get("ghg_method")
        if gm is not None:
            gm = self.nested(gm, "ghg_method", where)
            w = f"{where} [ghg_method]"
            ds = ids.dataset(self.key)
            # the report is silent on what the curator leaves out: not-stated, said explicitly
            for field, scheme, prop in (("scope2", "scope2-method", ESGKG.scope2Method),
                                        ("consolidation", "ghg-consolidation", ESGKG.ghgConsolidation)):
                c = self.concept(scheme, gm.get(field) or "not-stated", w)
                if c is not None:
                    g.add((ds, prop, c))
            self.literal(ds, ESGKG.gwpSource, gm.get("gwp_source") or "not-stated")
            for code in self.codes(gm.get("scope3_categories")) or ["not-stated"]:
                c = self.concept("scope3-category", code, w)
                if c is not None:
                    g.add((ds, ESGKG.scope3Category, c))
            self.literal(ds, ESGKG.scope3Definition, gm.get("scope3_definition"))
            self.provenance(ds, gm, w)

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
                    g.add((node, SKOS.altLabel, Literal(str(name))))  # the SKOS term, beside ours
                for name in item.get("former_names") or []:
                    self.literal(node, ESGKG.formerName, name)
                    g.add((node, SKOS.altLabel, Literal(str(name))))
                self.literal(node, ESGKG.foundingYear, item.get("founded"), XSD.gYear)
                hq = item.get("headquarters")
                if isinstance(hq, dict):
                    addr = self.address(URIRef(f"{node}/headquarters"), hq)
                    if addr is not None:
                        g.add((node, ESGKG.headquarters, addr))
                self.literal(node, ESGKG.lei, item.get("lei"))
                self.literal(node, ESGKG.isin, item.get("isin"))
                uscc = item.get("unified_social_credit_code")
                if uscc is not None:
                    if not isinstance(uscc, str) or not _USCC.fullmatch(uscc):
                        self.problem(where, f"unified_social_credit_code {uscc!r} is not 18 characters "
                                            "of digits and capital letters (GB 32100; no I, O, S, V, Z)")
                    else:
                        g.add((node, ESGKG.unifiedSocialCreditCode, Literal(uscc)))
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
                self.literal(node, ESGKG.protectedAreaName, item.get("protected_area"))
                self.flag(node, ESGKG.adjacentToProtectedArea, item.get("adjacent_to_protected_area"),
                          where, "adjacent_to_protected_area")
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
                if item.get("role"):  # org:purpose ranges over concepts: the remit is one
                    purpose = URIRef(f"{node}/purpose")
                    g.add((node, ORG.purpose, purpose))
                    g.add((purpose, RDF.type, SKOS.Concept))
                    g.add((purpose, SKOS.prefLabel,
                           Literal(f"purpose of {item.get('name') or key}", lang="en")))
                    g.add((purpose, SKOS.definition, Literal(str(item["role"]), lang="en")))
                self.literal(node, ESGKG.meetingsHeld, item.get("meetings"), XSD.integer)
                if item.get("tier"):
                    c = self.concept("governance-tier", item["tier"], where)
                    if c is not None:
                        g.add((node, ESGKG.governanceTier, c))
                self.literal(node, ESGKG.tierAsPrinted, item.get("tier_as_printed"))
                lod = item.get("line_of_defence")
                if lod is not None:
                    if isinstance(lod, bool) or lod not in (1, 2, 3):
                        self.problem(where, f"line_of_defence must be 1, 2 or 3, not {lod!r}")
                    else:
                        g.add((node, ESGKG.lineOfDefence, Literal(lod)))
                if item.get("chair") is not None:
                    person = self.people.get(str(item["chair"]))
                    if person is None:
                        self.problem(where, f"chair {item['chair']!r} is not the key of a person in 'people'")
                    else:
                        g.add((person, ORG.headOf, node))
                self.provenance(node, item, where)
                pending.append((where, node, item))
        for where, node, item in pending:  # reporting lines may point forward
            if item.get("reports_to"):
                target = self.ref(item["reports_to"], where, ["unit", "organization"])
                if target is not None:
                    self.g.add((node, ORG.reportsTo, target))
                    self.g.add((node, ESGKG.reportsTo, target))  # deprecated, kept for old queries

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
                # a planned, required or encouraged certificate is not one held: not a schema:Certification
                intent = item.get("status") in INTENT_STATUSES
                g.add((node, RDF.type, ESGKG.CertificationIntent if intent else ESGKG.Certification))
                if holder is not None and intent:
                    g.add((node, ESGKG.intendedHolder, holder))
                elif holder is not None:
                    g.add((node, ESGKG.holder, holder))
                    g.add((holder, SCHEMA.hasCertification, node))
                if item.get("accreditation"):
                    body = self.ref(item["accreditation"], where, ["organization"])
                    if body is not None:
                        g.add((node, ESGKG.accreditedBy, body))
                self.literal(node, ESGKG.certificationLevel, item.get("level"))
                for key in self.codes(item.get("covers")):
                    covered = self.ref(key, where, ["site", "product", "organization"])
                    if covered is not None:
                        g.add((node, ESGKG.covers, covered))
                self.based_on(node, item, where)
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
                # issue 13: a year as printed (`2023`) is an xsd:gYear, a full date an xsd:date
                for field, prop in (("obtained", ESGKG.obtained), ("valid_from", SCHEMA.validFrom),
                                    ("expires", SCHEMA.expires)):
                    if item.get(field) is not None:
                        when = self.when(item[field], where, field)
                        if when is not None:
                            g.add((node, prop, when))
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
                self.based_on(node, item, where)
                self.literal(node, DCTERMS.description, item.get("description"))
                self.provenance(node, item, where)

    def _issuer_key(self) -> str | None:
        for key, ref in self.refs.items():
            if ref.iri == self.issuer:
                return key
        return None

    def compile_targets(self, data: dict) -> None:
        g = self.g
        parts = []
        for where, item in self.items(data, "targets"):
            with self.guard(where):
                node = self.mint("target", item, item.get("description"))
                if item.get("key"):
                    self.targets[str(item["key"])] = node
                if item.get("part_of") is not None:
                    parts.append((where, node, item["part_of"]))
                for field, prop in (("range_min", ESGKG.targetRangeMin), ("range_max", ESGKG.targetRangeMax),
                                    ("baseline_value", ESGKG.baselineValue)):
                    if item.get(field) not in (None, ""):
                        self.decimal(node, prop, item[field], f"{where} {field}")
                self.literal(node, ESGKG.baselineUnitAsPrinted, item.get("baseline_unit"))
                self.flag(node, ESGKG.cumulative, item.get("cumulative"), where, "cumulative")
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
        for where, node, whole in parts:  # a part may come before its whole
            if str(whole) not in self.targets:
                self.problem(where, f"part_of {whole!r} is not the key of a target")
            elif self.targets[str(whole)] == node:
                self.problem(where, "a target cannot be part of itself")
            else:
                g.add((node, ESGKG.partOfTarget, self.targets[str(whole)]))

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
                # issue 13: the supplier populations (tiers) the programme reaches
                for key in self.codes(item.get("reaches")):
                    population = self.ref(key, where, [SUPPLIER_POPULATION])
                    if population is not None:
                        self.g.add((node, ESGKG.reaches, population))
                self.based_on(node, item, where)
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
                # issue 13: `site:` one site, `sites:` a list where the report names several
                for key in self.codes(item.get("site")) + self.codes(item.get("sites")):
                    site = self.ref(key, where, ["site"])
                    if site is not None:
                        g.add((node, ESGKG.atSite, site))
                self.based_on(node, item, where)
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
                # issue 15: the row prints the description of another item (the curator's reading)
                if item.get("described_as") is not None:
                    other = self.concept(framework, item["described_as"], where)
                    if other is not None:
                        g.add((node, ESGKG.printedDescriptionOf, other))
                if item.get("in_index") is False:
                    # located by the curator: the report discloses it but its index omits it
                    g.add((node, ESGKG.inIndex, Literal(False)))
                    self.provenance(node, item, where)
                else:
                    item.read.update(("lines", "note"))  # read by provenance through the copy
                    self.provenance(node, {**item, "pages": index_pages.get(framework)}, where)

    def compile_people(self, data: dict) -> None:
        """People named in the report (foaf:Person), minted per issuer like sites."""
        g = self.g
        issuer = self._issuer_key()
        for where, item in self.items(data, "people"):
            with self.guard(where):
                key, name = item.get("key"), item.get("name")
                if not key or not name:
                    self.problem(where, "a person needs a key and a name")
                    continue
                if issuer is None:
                    continue  # the report's issuer is wrong: already a problem
                ids.check_slug(str(key), "person key")
                if str(key) in self.people:
                    self.problem(where, f"person key {key!r} is used twice")
                    continue
                node = self.unique(ids.ID[f"person/{ids.check_slug(issuer)}/{key}"])
                self.people[str(key)] = node
                g.add((node, RDF.type, FOAF.Person))
                g.add((node, FOAF.name, Literal(str(name))))
                self.label(node, name)
                self.label(node, item.get("name_zh"), lang="zh")
                gender = item.get("gender")
                if gender is not None:
                    if gender not in ("male", "female"):
                        self.problem(where, f"gender must be male or female (as the report states it), "
                                            f"not {gender!r}")
                    else:
                        g.add((node, FOAF.gender, Literal(gender)))
                self.provenance(node, item, where)

    def compile_posts(self, data: dict) -> None:
        """One org:Post per (person, post, unit), with its org:Membership; a chair heads the unit."""
        g = self.g
        issuer = self._issuer_key()
        for where, item in self.items(data, "posts"):
            with self.guard(where):
                holder, code, of = item.get("holder"), item.get("post"), item.get("of")
                person = self.people.get(str(holder)) if holder is not None else None
                if person is None:
                    self.problem(where, f"holder {holder!r} is not the key of a person in 'people'")
                role = self.concept("post-role", code, where) if code else None
                if not code:
                    self.problem(where, "a post needs `post` (a post-role code)")
                unit = self.ref(of, where, ["unit", "organization"])
                category = item.get("category")
                cat = None
                if category is not None:
                    if category not in DIRECTOR_CATEGORY:
                        self.problem(where, f"category must be one of {', '.join(DIRECTOR_CATEGORY)}, "
                                            f"not {category!r}")
                    else:
                        cat = self.concept("board-role", DIRECTOR_CATEGORY[category], where)
                since = self.when(item["since"], where, "since") if item.get("since") is not None else None
                until = self.when(item["until"], where, "until") if item.get("until") is not None else None
                if person is None or role is None or unit is None or issuer is None:
                    continue
                post = self.unique(ids.ID[f"post/{ids.check_slug(issuer)}/{of}/{code}/{holder}"])
                name, unit_name = self.name_of(person), self.name_of(unit)
                g.add((post, RDF.type, ORG.Post))
                g.add((post, ORG.postIn, unit))
                g.add((post, ORG.role, role))
                g.add((post, ORG.heldBy, person))
                g.add((person, ORG.holds, post))
                g.add((person, ORG.memberOf, unit))
                if code in HEAD_POSTS:
                    g.add((person, ORG.headOf, unit))
                if cat is not None:
                    g.add((post, ESGKG.directorCategory, cat))
                self.label(post, f"{str(code).replace('-', ' ')} of {unit_name}: {name}")
                self.provenance(post, item, where)
                membership = URIRef(f"{post}/membership")
                g.add((membership, RDF.type, ORG.Membership))
                g.add((membership, ORG.member, person))
                g.add((membership, ORG.organization, unit))
                g.add((membership, ORG.role, role))
                self.label(membership, f"{name} in {unit_name} ({str(code).replace('-', ' ')})")
                if since is not None or until is not None:
                    term = URIRef(f"{post}/term")
                    g.add((membership, ORG.memberDuring, term))
                    g.add((term, RDF.type, TIME.Interval))
                    g.add((term, RDF.type, DCTERMS.PeriodOfTime))
                    if since is not None:
                        g.add((term, DCAT.startDate, since))
                    if until is not None:
                        g.add((term, DCAT.endDate, until))
                    printed = f"{since or ''}..{until or ''}"
                    g.add((term, RDFS.label, Literal(printed)))
                    g.add((membership, ESGKG.termAsPrinted, Literal(printed)))
                item.read.update(("lines", "note"))
                self.provenance(membership, {"pages": item.get("pages")}, where)

    def compile_gaps(self, data: dict) -> None:
        """What the report announces (a table, a chart ...) but its text does not hold."""
        g = self.g
        for where, item in self.items(data, "gaps"):
            with self.guard(where):
                if not item.get("key") or not item.get("what"):
                    self.problem(where, "a gap needs a key and `what` (our words)")
                    continue
                node = self.mint("gap", item)
                g.add((node, RDF.type, ESGKG.AnnouncedContentGap))
                g.add((node, ESGKG.gapIn, self.report))
                if item.get("kind"):
                    c = self.concept("gap-kind", item["kind"], where)
                    if c is not None:
                        g.add((node, ESGKG.gapKind, c))
                self.label(node, item["what"])
                self.provenance(node, item, where)

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
        checked = False
        for line, row in read_csv(path, OBSERVATION_COLUMNS):
            if not checked:  # a column the format does not have is a typo that would drop data
                checked = True
                extra = [c for c in row if c not in OBSERVATION_COLUMNS
                         and c not in OPTIONAL_OBSERVATION_COLUMNS]
                if extra:
                    self.problem(f"{path}:1", f"unknown column(s) {', '.join(extra)} (known: "
                                 f"{', '.join(OBSERVATION_COLUMNS + list(OPTIONAL_OBSERVATION_COLUMNS))})")
                    return
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
        in_words = printed in VALUE_WORDS  # a figure the report states in words ("no accident")
        try:
            number = VALUE_WORDS[printed] if in_words else strict.number(printed)
        except InputError as exc:
            if printed[:1].isalpha():
                self.problem(where, f"value {printed!r} is not a number as printed nor a word for a "
                                    f"figure the format knows ({', '.join(VALUE_WORDS)})")
            else:
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
        if in_words:
            t.append((node, ESGKG.statedInWords, Literal(True)))
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
        if row.get("basis"):  # optional column; absent = measured
            c = self.concept("observation-basis", row["basis"], where)
            if c is not None:
                t.append((node, ESGKG.basis, c))
        return [] if len(self.problems) > problems else t


class NQuadsSink:
    """Observation triples of one report graph streamed to an N-Quads file (a build's bulk load),
    or to an N-Triples file when ``graph`` is None.

    Holds nothing but the open file and a count: memory does not grow with the rows. Each
    observation's triples are distinct (its own IRI is their subject), so the count is of
    distinct quads.
    """

    def __init__(self, out: TextIO, graph: URIRef | None):
        self.out = out
        self.graph = f" <{graph}>" if graph is not None else ""
        self.count = 0

    def write(self, triples: list[tuple[URIRef, URIRef, URIRef | Literal]]) -> None:
        lines = {f"{_nt(s)} {_nt(p)} {_nt(o)}{self.graph} .\n" for s, p, o in triples}
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
