"""What a query text may do, read off its tokens: no SERVICE (unless asked for), no SPARQL Update.

The scan is lexical, on the SPARQL grammar's own terminals: comments, string literals (all four
quotings, with escapes), IRIs (``<...>``), variables, prefixed names, blank node labels and
language tags are skipped whole, so a keyword counts only where the parser would read one
(``<http://x/SERVICE>``, ``"SERVICE"``, ``?service``, ``ex:service`` and ``# SERVICE`` are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import InputError

# the SPARQL 1.1 grammar's terminals that may hold a keyword's letters without being one; at
# each position the first alternative that matches is taken, a '<' that opens no IRI is the
# operator, and '.' ends a name (a local name's inner '.' is kept in a prefixed name)
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'\''(?:[^'\\]|\\.|'(?!''))*'\''|"\""(?:[^"\\]|\\.|"(?!""))*"\""
               |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<variable>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>\d*\.?\d+(?:[eE][+-]?\d+)?)
  | (?P<name>(?:[^\W\d]|:)(?:[\w\u00B7-\uFFFF:%-]|\\.|\.(?=[\w\u00B7-\uFFFF:%-]))*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_WORD_SPLIT = re.compile(r"[.-]+")

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                             "WITH"})
PROLOGUE = frozenset({"PREFIX", "BASE"})

READ_ONLY = "the store is read-only; SPARQL Update (DROP, INSERT, ...) is not accepted"
SERVICE_REFUSED = ("the query calls a remote endpoint (SERVICE), which is refused by default: it "
                   "would make this machine send requests to other hosts; allow it with "
                   "--allow-service (CLI) or allow_service=True (API)")


def keywords(sparql: str) -> Iterator[str]:
    """The bare words of a SPARQL text (keywords, function names), upper-cased, in order."""
    for m in _TOKEN.finditer(sparql):
        if m.lastgroup == "name":
            word = m.group()
            if ":" not in word:  # a prefixed name is never a keyword; 'a.SERVICE' is two words
                yield from (w.upper() for w in _WORD_SPLIT.split(word) if w)


def query_form(sparql: str) -> str | None:
    """The first keyword after the prologue (SELECT, ASK, ..., or an update's DROP, INSERT ...)."""
    for word in keywords(sparql):
        if word not in PROLOGUE:
            return word
    return None


def uses_service(sparql: str) -> bool:
    return "service" in sparql.lower() and "SERVICE" in keywords(sparql)


def check_query(sparql: str, *, allow_service: bool = False) -> str:
    """Refuse a SPARQL Update and, unless allowed, a SERVICE call; return the query form."""
    form = query_form(sparql)
    if form in UPDATE_KEYWORDS:
        raise InputError(READ_ONLY)
    if not allow_service and uses_service(sparql):
        raise InputError(SERVICE_REFUSED)
    return form or ""
