"""Compile ``data/_external/identifiers.csv``: identifiers of organisations read from sources that
are not the reports (stock codes, LEI, ISIN, unified social credit codes), into their own named
graph, apart from the reports' facts.

Each row becomes an ``esgkg:ExternalIdentifier`` node (``id/external/identifier/<org>/<scheme>/
<value>``) that ``esgkg:identifies`` the organisation (the IRI the reports use, so they join),
with ``prov:wasDerivedFrom`` the source page and ``dcterms:date`` the day it was read. Nothing is
added to the organisation itself. A bad row is refused naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from .. import ids
from ..errors import DataErrors, InputError
from ..namespaces import ESGKG, GRAPH, ID, bind_prefixes
from . import strict
from .files import read_csv

EXTERNAL_GRAPH = GRAPH["external"]
IDENTIFIERS_FILE = Path("_external") / "identifiers.csv"
COLUMNS = ["organization", "scheme", "value", "issuer", "source", "retrieved", "note"]

# the form of each scheme's identifiers (as the standards define them)
_FORMS = {
    "stock-code": (re.compile(r"[0-9A-Z]{1,12}"), "1 to 12 digits or capital letters"),
    "lei": (re.compile(r"[0-9A-Z]{18}[0-9]{2}"), "20 characters, ISO 17442"),
    "isin": (re.compile(r"[A-Z]{2}[0-9A-Z]{9}[0-9]"), "12 characters, ISO 6166"),
    "unified-social-credit-code": (re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"),
                                   "18 characters of the GB 32100 alphabet"),
}


def compile_identifiers(path: Path, known_orgs: Collection[str] | None = None,
                        today: date | None = None) -> Graph:
    """The external-identifier graph of ``path``; every bad row is reported at once (DataErrors).

    ``known_orgs``: organisation keys the reports declare (an identifier of an organisation no
    report names is refused); ``today``: a retrieval date after it is refused.
    """
    g = Graph()
    bind_prefixes(g)
    problems: list[str] = []
    seen: dict[URIRef, int] = {}
    today = today or date.today()
    for line, row in read_csv(path, COLUMNS):
        where = f"{path}:{line}"
        try:
            node = _row(g, row, where, known_orgs, today)
        except InputError as exc:
            problems.append(str(exc) if str(exc).startswith(where) else f"{where}: {exc}")
            continue
        if node in seen:
            problems.append(f"{where}: the same identifier as line {seen[node]}")
        seen.setdefault(node, line)
    if problems:
        raise DataErrors(problems)
    return g


def _row(g: Graph, row: dict[str, str], where: str, known_orgs: Collection[str] | None,
         today: date) -> URIRef:
    org = ids.check_slug(row["organization"], "organization key")
    if known_orgs is not None and org not in known_orgs:
        raise InputError(f"organization {org!r} is not an organisation key of any report")
    scheme = row["scheme"]
    if scheme not in _FORMS:
        raise InputError(f"scheme {scheme!r} is not one of {', '.join(_FORMS)}")
    value = row["value"]
    form, described = _FORMS[scheme]
    if not form.fullmatch(value):
        raise InputError(f"{scheme} {value!r} is not of the form {described}")
    issuer = row["issuer"]
    if scheme == "stock-code" and not issuer:
        raise InputError("a stock code needs its exchange in `issuer` (an organisation key)")
    if issuer:
        ids.check_slug(issuer, "issuer key")
        if known_orgs is not None and issuer not in known_orgs:
            raise InputError(f"issuer {issuer!r} is not an organisation key of any report")
    if not row["source"]:
        raise InputError("`source` is empty: every identifier names the page it was read from")
    source = URIRef(strict.iri(row["source"], "source"))
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", row["retrieved"]):
        raise InputError(f"retrieved {row['retrieved']!r} is not a date (YYYY-MM-DD)")
    start, _ = strict.period(row["retrieved"])
    if start > today:
        raise InputError(f"retrieved {row['retrieved']} is after today ({today.isoformat()})")
    node = ID[f"external/identifier/{org}/{scheme}/{ids.check_code(value, scheme)}"]
    g.add((node, RDF.type, ESGKG.ExternalIdentifier))
    g.add((node, SKOS.prefLabel, Literal(f"{scheme} {value} of {org}", lang="en")))
    g.add((node, ESGKG.identifies, ids.organization(org)))
    g.add((node, ESGKG.identifierScheme, Literal(scheme)))
    g.add((node, ESGKG.identifierValue, Literal(value)))
    if issuer:
        g.add((node, ESGKG.identifierIssuer, ids.organization(issuer)))
    g.add((node, PROV.wasDerivedFrom, source))
    g.add((node, DCTERMS.date, Literal(start.isoformat(), datatype=XSD.date)))
    if row["note"]:
        g.add((node, ESGKG.curationNote, Literal(row["note"])))
    return node
