"""Minting stable IRIs from natural keys (report, issuer, site, indicator, period, code)."""

from __future__ import annotations

import re

from rdflib import URIRef

from .errors import InputError
from .namespaces import GRAPH, ID, VOCAB

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class InvalidKey(InputError):
    """A natural key that cannot become part of an IRI."""


def check_slug(key: str, what: str = "key") -> str:
    """Return ``key`` if it is a lower-case slug, else raise a clear error."""
    if not isinstance(key, str) or not _SLUG.fullmatch(key):
        raise InvalidKey(f"{what} {key!r} is not a lower-case slug ([a-z0-9][a-z0-9-]*)")
    return key


def check_code(code: str, what: str = "code") -> str:
    """Return ``code`` if it is safe in an IRI path segment (letters, digits, . _ -)."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidKey(f"{what} {code!r} has characters not allowed in a code")
    return code


def slugify(text: str) -> str:
    """A lower-case slug of free text (for names that have no key, e.g. associations)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


def report_graph(report_key: str) -> URIRef:
    return GRAPH[f"report/{check_slug(report_key, 'report key')}"]


def vocab_graph(name: str) -> URIRef:
    return GRAPH[f"vocab/{check_slug(name, 'vocabulary name')}"]


ONTOLOGY_GRAPH = GRAPH["ontology"]
# Periods are shared by every report; one graph holds them so that the union of all graphs
# never repeats a period's triples (a triple in two named graphs is two rows in a union).
PERIODS_GRAPH = GRAPH["periods"]


def report(report_key: str) -> URIRef:
    return ID[f"report/{check_slug(report_key, 'report key')}"]


def report_page(report_key: str, page: int) -> URIRef:
    return ID[f"report/{check_slug(report_key, 'report key')}/page/{int(page)}"]


def dataset(report_key: str) -> URIRef:
    return ID[f"dataset/{check_slug(report_key, 'report key')}"]


def organization(key: str) -> URIRef:
    """Organisations are global: the same company across years is one node."""
    return ID[f"org/{check_slug(key, 'organisation key')}"]


def site(issuer: str, key: str) -> URIRef:
    """Sites are minted per issuer so next year's report of the same company reuses them."""
    return ID[f"site/{check_slug(issuer)}/{check_slug(key, 'site key')}"]


def product(issuer: str, key: str) -> URIRef:
    """Products are minted per maker, like sites."""
    return ID[f"product/{check_slug(issuer)}/{check_slug(key, 'product key')}"]


def unit(issuer: str, key: str) -> URIRef:
    return ID[f"unit/{check_slug(issuer)}/{check_slug(key, 'unit key')}"]


def listing(exchange: str, code_or_key: str) -> URIRef:
    """A stock listing: the exchange and the code (or, with no code printed, the company key)."""
    return ID[f"listing/{check_slug(exchange, 'exchange key')}/{check_code(code_or_key, 'stock code')}"]


def ownership(parent: str, subsidiary: str) -> URIRef:
    return ID[f"ownership/{check_slug(parent)}/{check_slug(subsidiary)}"]


def report_item(report_key: str, kind: str, key: str) -> URIRef:
    """Things that belong to one report (certification, policy, target, award ...)."""
    return ID[f"{kind}/{check_slug(report_key, 'report key')}/{check_slug(key, kind + ' key')}"]


def observation(report_key: str, natural_key: str) -> URIRef:
    """An observation: report / indicator / period / breakdown / entity / page."""
    return ID[f"obs/{check_slug(report_key, 'report key')}/{natural_key}"]


def period(text: str) -> URIRef:
    return ID[f"period/{text}"]


def concept(scheme: str, code: str) -> URIRef:
    return VOCAB[f"{check_slug(scheme, 'scheme')}/{check_code(code)}"]


def scheme(name: str) -> URIRef:
    return VOCAB[check_slug(name, "scheme")]
