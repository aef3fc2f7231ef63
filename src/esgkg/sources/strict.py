"""One strict parser for each kind of printed value in the sources: numbers, pages, periods, IRIs.

Each returns the parsed value or raises ``InputError`` with a message saying what was expected;
the caller adds the file and line. Nothing is guessed: a form the reports do not use is refused.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pyoxigraph as ox

from ..errors import InputError

# The printed forms the reports use: 1234, 1,234, 1,234,567.89, 0.5, with an optional sign.
# ASCII digits only ([0-9], not \d, which would take Arabic-Indic or superscript digits).
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
MAX_NUMBER_CHARS = 40
_WHOLE = re.compile(r"[1-9][0-9]{0,8}")
_YEAR = re.compile(r"[0-9]{4}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_YEAR, LAST_YEAR = 1900, 2100


def number(text: str) -> Decimal:
    """A number as printed (thousands separators every three digits, a decimal point, a sign)."""
    if not isinstance(text, str):
        raise InputError(f"{text!r} is not a number as printed")
    if len(text) > MAX_NUMBER_CHARS:
        raise InputError(f"a number of {len(text)} characters is longer than a printed figure "
                         f"may be ({MAX_NUMBER_CHARS})")
    if not _NUMBER.fullmatch(text):
        raise InputError(f"{text!r} is not a number as printed (digits 0-9, commas between "
                         "groups of three, a decimal point, an optional sign)")
    return Decimal(text.replace(",", ""))


def decimal_text(value: object) -> str:
    """The canonical xsd:decimal text of a YAML scalar or printed number (a bool is refused)."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{value!r} is not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = repr(value)
    return str(number(str(value).strip()))


def page(value: object, last_page: int | None, *, text: bool = False) -> int:
    """A report page: a whole number from 1 to the report's last page (a YAML int, or with
    ``text`` the digits of a CSV cell)."""
    if isinstance(value, bool):
        raise InputError(f"page {value!r} is not a page number (a boolean)")
    if isinstance(value, int):
        n = value
    elif text and isinstance(value, str) and _WHOLE.fullmatch(value):
        n = int(value)
    else:
        raise InputError(f"page {value!r} is not a whole number from 1")
    if n < 1:
        raise InputError(f"page {n} is not a page number (pages start at 1)")
    if last_page is not None and n > last_page:
        raise InputError(f"page {n} is beyond the report's last page ({last_page}, "
                         "sections.yaml last_page)")
    return n


def line(value: object) -> int:
    """A line of the report's text: a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"line {value!r} is not a positive whole number")
    return value


def _day(text: str, end: bool) -> date:
    if _YEAR.fullmatch(text):
        year = int(text)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InputError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
        return date(year, 12, 31) if end else date(year, 1, 1)
    if _DAY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"{text!r} is not a calendar date ({exc})") from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InputError(f"year {day.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
        return day
    raise InputError(f"{text!r} is not YYYY or YYYY-MM-DD")


def period(text: object) -> tuple[date, date]:
    """``2023``, ``2021..2023``, ``2023-12-31`` or ``2023-01-01..2023-12-31`` as (start, end)."""
    if isinstance(text, bool) or not isinstance(text, str | int | date):
        raise InputError(f"period {text!r} is not YYYY, YYYY..YYYY or YYYY-MM-DD")
    raw = str(text)
    first, sep, second = raw.partition("..")
    try:
        start = _day(first, end=False)
        stop = _day(second if sep else first, end=True)
    except InputError as exc:
        raise InputError(f"period {raw!r}: {exc}") from None
    if stop < start:
        raise InputError(f"period {raw!r} ends before it starts")
    return start, stop


def iri(value: object, what: str = "IRI") -> str:
    """An absolute http(s) IRI that RDF stores accept."""
    if not isinstance(value, str) or not re.match(r"https?://", value):
        raise InputError(f"{what} {value!r} is not an http(s) IRI")
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise InputError(f"{what} {value!r} is not a valid IRI ({exc})") from None
    return value
