"""A tidy CSV of every observation, with W3C CSVW metadata (``observations.csv`` +
``observations.csv-metadata.json``).

One row per observation as printed. The canonical value is the printed value times the printed
unit's scale, in the QUDT unit of the unit table (``ontology/vocab/units.csv``, compiled into
each observation's ``esgkg:unit`` and ``esgkg:unitScale``); a unit with no QUDT unit (a ratio
unit QUDT lacks, a count, a misprint) leaves both canonical columns empty. The metadata maps
every column back to the graph's own properties (``aboutUrl``/``propertyUrl``/``valueUrl``), so
that a CSVW processor re-reads the rows as the observations they came from; derived columns
(canonical value, listings) are ``suppressOutput``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from ..namespaces import ESGKG, ID, QB, SKOS, UNIT, VOCAB
from ..store import EmbeddedStore
from .common import DATA_LICENSE, header_lines, sources

ID_ = str(ID)
VOCAB_ = str(VOCAB)
UNIT_ = str(UNIT)


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str = "string"
    property: str | None = None     # propertyUrl (absolute IRI)
    value_url: str | None = None     # valueUrl template
    about_url: str | None = None     # aboutUrl template (default: the observation)
    separator: str | None = None
    suppress: bool = False
    description: str = ""


def dimension_columns(store: EmbeddedStore) -> list[tuple[str, str, str | None]]:
    """Breakdown dimensions: (column name, property IRI, code-list IRI or None), by name."""
    _n, rows = store.select(
        "SELECT DISTINCT ?dim ?list WHERE { esgkg:kpiStructure qb:component/qb:dimension ?dim . "
        "OPTIONAL { ?dim qb:codeList ?list } }")
    core = {str(ESGKG.refEntity), str(ESGKG.refPeriod), str(ESGKG.indicator)}
    out = []
    for r in rows:
        dim = r["dim"].value
        if dim in core:
            continue
        local = dim[len(str(ESGKG)):]
        name = "".join("_" + c.lower() if c.isupper() else c for c in local)
        out.append((name, dim, r["list"].value if r["list"] is not None else None))
    return sorted(out)


def columns(store: EmbeddedStore) -> list[Column]:
    """The table's columns, in order."""
    E = str(ESGKG)
    org = ID_ + "org/{company_key}"
    ind = VOCAB_ + "indicator/{indicator}"
    cols = [
        Column("company", property=str(SKOS.prefLabel), about_url=org,
               description="the reporting company (the report's publisher), by name"),
        Column("company_key", suppress=True,
               description="esgkg key of the company (its IRI is id/org/<key>)"),
        Column("lei", property=E + "lei", about_url=org, description="LEI, where a source prints it"),
        Column("isin", property=E + "isin", about_url=org, description="ISIN, where a source prints it"),
        Column("listings", separator=" ", suppress=True,
               description="stock listings as exchange:code (exchange key alone where no code is printed)"),
        Column("report", property=str(QB.dataSet), value_url=ID_ + "dataset/{report}",
               description="report key; the observation's data set is id/dataset/<report>"),
        Column("entity", property=E + "refEntity", value_url=ID_ + "{+entity}",
               description="what the figure is about: its IRI's path under id/ (org/..., site/...)"),
        Column("entity_name", property=str(SKOS.prefLabel), about_url=ID_ + "{+entity}",
               description="name of that entity"),
        Column("indicator", property=E + "indicator", value_url=ind, description="indicator code"),
        Column("indicator_label", property=str(SKOS.prefLabel), about_url=ind,
               description="indicator label"),
        Column("hkex", separator=" ", property=E + "hkexKpi", about_url=ind,
               value_url=VOCAB_ + "hkex/{hkex}", description="HKEX ESG Reporting Guide KPI(s)"),
        Column("gri", separator=" ", property=E + "griDisclosure", about_url=ind,
               value_url=VOCAB_ + "gri/{gri}", description="GRI disclosure(s)"),
    ]
    for name, dim, code_list in dimension_columns(store):
        if code_list:
            url = code_list + "/{" + name + "}"
        else:  # sites and other uncoded breakdowns: the path of the value's IRI under id/
            url = ID_ + "{+" + name + "}"
        cols.append(Column(name, property=dim, value_url=url,
                           description=f"breakdown code ({dim.rsplit('#', 1)[-1]}); empty = the total"))
    cols += [
        Column("period", property=E + "refPeriod", value_url=ID_ + "period/{period}",
               description="reference period: a year, a date (an instant) or a range start..end"),
        Column("value_as_printed", property=E + "valueAsPrinted",
               description="the value's characters as printed"),
        Column("value", "decimal", property=E + "value", description="the printed value as a number"),
        Column("unit_as_printed", property=E + "unitAsPrinted", description="the unit as printed"),
        Column("unit", property=E + "unit", value_url=UNIT_ + "{unit}",
               description="QUDT unit of the printed unit (local name under qudt.org/vocab/unit/)"),
        Column("unit_scale", "decimal", property=E + "unitScale",
               description="factor the printed unit carries beyond its QUDT unit"),
        Column("canonical_value", "decimal", suppress=True,
               description="value x unit_scale, in canonical_unit; empty where the unit has no QUDT unit"),
        Column("canonical_unit", suppress=True, description="the QUDT unit of canonical_value"),
        Column("qualifier", property=E + "valueQualifier", value_url=VOCAB_ + "value-qualifier/{qualifier}",
               description="about | more-than | at-least | less-than | up-to: how the report bounds it"),
        Column("restated", "boolean", property=E + "restated", description="true where marked restated"),
        Column("boundary", property=E + "boundary", value_url=ID_ + "boundary/{report}/{boundary}",
               description="reporting boundary key, where stated"),
        Column("page", "integer", property="http://www.w3.org/ns/prov#wasDerivedFrom",
               value_url=ID_ + "report/{report}/page/{page}",
               description="report page the value is printed on"),
        Column("page_estimated", "boolean", property=E + "pageEstimated",
               description="true where the page was bounded, not read"),
        Column("note", property=E + "curationNote", description="curator's note"),
        Column("observation", suppress=True, description="the observation's IRI"),
    ]
    return cols


def _local(iri: str | None, base: str) -> str:
    if not iri:
        return ""
    return iri[len(base):] if iri.startswith(base) else iri


def _dec(text: str) -> str:
    d = Decimal(text)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


_OBS = """
SELECT ?o ?report ?company ?entity ?indicator
       ?period ?vap ?value ?uap ?unit ?scale ?qualifier ?restated ?boundary ?page ?est ?note
WHERE {
  ?o a qb:Observation ; qb:dataSet ?ds ; esgkg:indicator ?indicator ; esgkg:refEntity ?entity ;
     esgkg:refPeriod ?period ; esgkg:value ?value .
  ?ds prov:wasDerivedFrom ?report . ?report a esgkg:ESGReport .
  OPTIONAL { ?report dcterms:publisher ?company }
  OPTIONAL { ?o esgkg:valueAsPrinted ?vap } OPTIONAL { ?o esgkg:unitAsPrinted ?uap }
  OPTIONAL { ?o esgkg:unit ?unit } OPTIONAL { ?o esgkg:unitScale ?scale }
  OPTIONAL { ?o esgkg:valueQualifier ?qualifier } OPTIONAL { ?o esgkg:restated ?restated }
  OPTIONAL { ?o esgkg:boundary ?boundary }
  OPTIONAL { ?o prov:wasDerivedFrom/esgkg:pageNumber ?page }
  OPTIONAL { ?o esgkg:pageEstimated ?est } OPTIONAL { ?o esgkg:curationNote ?note }
}"""


def _v(row: dict, key: str) -> str:
    term = row.get(key)
    return "" if term is None else term.value


def rows(store: EmbeddedStore) -> list[dict[str, str]]:
    """One dict per observation (column name -> cell text), sorted."""
    dims = dimension_columns(store)
    by_prop = {dim: name for name, dim, _ in dims}
    lists = {name: code_list for name, _, code_list in dims}
    _n, obs_rows = store.select(_OBS)
    _n, dim_rows = store.select(
        "SELECT ?o ?dim ?code WHERE { ?o a qb:Observation ; ?dim ?code . "
        "esgkg:kpiStructure qb:component/qb:dimension ?dim . "
        "FILTER (?dim NOT IN (esgkg:refEntity, esgkg:refPeriod, esgkg:indicator)) }")
    _n, map_rows = store.select(
        "SELECT ?i ?p ?c WHERE { ?i a esgkg:Indicator ; ?p ?c . "
        "FILTER (?p IN (esgkg:hkexKpi, esgkg:griDisclosure)) }")
    _n, listing_rows = store.select(
        "SELECT ?org ?ex ?code WHERE { ?org esgkg:hasListing ?l . ?l esgkg:listedOn ?ex . "
        "OPTIONAL { ?l esgkg:stockCode ?code } }")
    _n, label_rows = store.select("SELECT ?s ?l WHERE { ?s skos:prefLabel ?l }")
    labels: dict[str, tuple[bool, str]] = {}
    for r in label_rows:  # one label per node: English first, then the first in text order
        key = (r["l"].language != "en", r["l"].value)
        labels[r["s"].value] = min(labels.get(r["s"].value, key), key)
    _n, id_rows = store.select("SELECT ?s ?p ?v WHERE { ?s ?p ?v FILTER (?p IN (esgkg:lei, esgkg:isin)) }")
    idents: dict[tuple[str, str], str] = {}
    for r in sorted(id_rows, key=lambda r: r["v"].value):
        idents.setdefault((r["s"].value, r["p"].value.rsplit("#", 1)[-1]), r["v"].value)
    codes: dict[str, dict[str, str]] = {}
    for r in dim_rows:
        name = by_prop[r["dim"].value]
        base = (lists[name] + "/") if lists[name] else ID_
        codes.setdefault(r["o"].value, {})[name] = _local(r["code"].value, base)
    mappings: dict[tuple[str, str], set[str]] = {}
    for r in map_rows:
        kind = "hkex" if r["p"].value.endswith("hkexKpi") else "gri"
        mappings.setdefault((r["i"].value, kind), set()).add(_local(r["c"].value, VOCAB_ + kind + "/"))
    listings: dict[str, set[str]] = {}
    for r in listing_rows:
        ex = _local(r["ex"].value, ID_ + "org/")
        listings.setdefault(r["org"].value, set()).add(f"{ex}:{_v(r, 'code')}" if r["code"] else ex)
    out = []
    for r in obs_rows:
        o = r["o"].value
        company = _v(r, "company")
        unit, scale, value = _v(r, "unit"), _v(r, "scale"), r["value"].value
        canonical = _dec(str(Decimal(value) * Decimal(scale))) if unit and scale else ""
        row = {
            "company": labels.get(company, (False, ""))[1],
            "company_key": _local(company, ID_ + "org/"),
            "lei": idents.get((company, "lei"), ""),
            "isin": idents.get((company, "isin"), ""),
            "listings": " ".join(sorted(listings.get(company, ()))),
            "report": _local(_v(r, "report"), ID_ + "report/"),
            "entity": _local(r["entity"].value, ID_),
            "entity_name": labels.get(r["entity"].value, (False, ""))[1],
            "indicator": _local(r["indicator"].value, VOCAB_ + "indicator/"),
            "indicator_label": labels.get(r["indicator"].value, (False, ""))[1],
            "hkex": " ".join(sorted(mappings.get((r["indicator"].value, "hkex"), ()))),
            "gri": " ".join(sorted(mappings.get((r["indicator"].value, "gri"), ()))),
            **{name: codes.get(o, {}).get(name, "") for name, _, _ in dims},
            "period": _local(r["period"].value, ID_ + "period/"),
            "value_as_printed": _v(r, "vap"),
            "value": _dec(value),
            "unit_as_printed": _v(r, "uap"),
            "unit": _local(unit, UNIT_),
            "unit_scale": _dec(scale) if scale else "",
            "canonical_value": canonical,
            "canonical_unit": _local(unit, UNIT_) if canonical else "",
            "qualifier": _local(_v(r, "qualifier"), VOCAB_ + "value-qualifier/"),
            "restated": _v(r, "restated"),
            "boundary": _v(r, "boundary").rsplit("/", 1)[-1] if r["boundary"] is not None else "",
            "page": _v(r, "page"),
            "page_estimated": _v(r, "est") or "false",
            "note": _v(r, "note"),
            "observation": o,
        }
        out.append(row)
    order = [c.name for c in columns(store)]
    out.sort(key=lambda row: (row["report"], row["company_key"], row["indicator"], row["entity"],
                              row["period"], [row[c] for c in order[12:]], row["observation"]))
    return out


def write_csv(store: EmbeddedStore, out: BinaryIO) -> int:
    """Write ``observations.csv`` (UTF-8, comma, ``\\n`` line ends, header row); return the row count."""
    cols = [c.name for c in columns(store)]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=cols, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    data = rows(store)
    writer.writerows(data)
    out.write(text.getvalue().encode("utf-8"))
    return len(data)


def metadata(store: EmbeddedStore, csv_name: str = "observations.csv", version: str | None = None) -> dict:
    """The CSVW table description of ``csv_name``."""
    srcs = sources(store)
    schema_cols = []
    for c in columns(store):
        col: dict = {"name": c.name, "titles": c.name, "datatype": c.datatype}
        if c.description:
            col["dc:description"] = c.description
        if c.separator:
            col["separator"] = c.separator
        if c.about_url:
            col["aboutUrl"] = c.about_url
        if c.property:
            col["propertyUrl"] = c.property
        if c.value_url:
            col["valueUrl"] = c.value_url
        if c.suppress:
            col["suppressOutput"] = True
        schema_cols.append(col)
    schema_cols.append({"virtual": True, "propertyUrl": "rdf:type", "valueUrl": str(QB.Observation)})
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_name,
        "dc:title": "esgkg: every KPI observation as printed, one row each",
        "dc:description": " ".join(header_lines("observations table", srcs, version)),
        "dc:license": {"@id": DATA_LICENSE},
        "dc:source": [{"@id": s.iri, "dc:title": s.title, "dc:publisher": s.publisher} for s in srcs],
        "dialect": {"encoding": "utf-8", "delimiter": ",", "quoteChar": "\"", "doubleQuote": True,
                    "header": True, "headerRowCount": 1, "lineTerminators": ["\n"]},
        "tableSchema": {
            "columns": schema_cols,
            "primaryKey": "observation",
            "aboutUrl": "{+observation}",
        },
    }


def write_metadata(store: EmbeddedStore, out: BinaryIO, csv_name: str = "observations.csv",
                   version: str | None = None) -> None:
    out.write((json.dumps(metadata(store, csv_name, version), indent=2, ensure_ascii=False,
                          sort_keys=False) + "\n").encode("utf-8"))
