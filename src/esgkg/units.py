"""The unit table: each unit string printed in a report -> QUDT unit, UCUM code, scale.

One source, ``ontology/vocab/units.csv``; the build compiles it into the units vocabulary and
the loaders use it to attach the unit, the printed string and the scale to every value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import InputError

COLUMNS = ["printed", "qudt_unit", "ucum", "scale", "quantity_kind", "multiplier", "note", "per", "code",
           "status"]


@dataclass(frozen=True)
class PrintedUnit:
    """One printed unit string and what it means."""

    printed: str
    qudt_unit: str | None
    ucum: str
    scale: Decimal
    quantity_kind: str | None
    multiplier: Decimal | None  # QUDT's, of qudt_unit; for a ratio unit: to SI numerator / SI denominator
    note: str = ""
    per: str | None = None  # for a ratio unit: the indicator of its denominator (e.g. revenue)
    code: str = ""  # the concept's code (its IRI: vocab/unit/<code>); the printed string's slug if empty
    line: int = 0  # its line in units.csv
    status: str = "ok"  # unit-status code (codelists.csv): ok, misprint or unreadable


class UnknownUnit(InputError):
    """A unit string that the unit table does not list."""


class UnitTable:
    """Lookup of printed unit strings, and conversion between QUDT units of one kind."""

    def __init__(self, units: list[PrintedUnit]):
        self._by_printed = {u.printed: u for u in units}
        self._multipliers: dict[str, Decimal] = {}
        for u in units:
            if u.qudt_unit and u.multiplier is not None:
                self._multipliers.setdefault(u.qudt_unit, u.multiplier)

    def __iter__(self):
        return iter(self._by_printed.values())

    def __len__(self) -> int:
        return len(self._by_printed)

    def __contains__(self, printed: str) -> bool:
        return printed in self._by_printed

    def lookup(self, printed: str) -> PrintedUnit:
        try:
            return self._by_printed[printed]
        except KeyError:
            raise UnknownUnit(
                f"unknown unit {printed!r}: it is not a 'printed' row of ontology/vocab/units.csv"
            ) from None

    def multiplier(self, qudt_unit: str) -> Decimal:
        try:
            return self._multipliers[qudt_unit]
        except KeyError:
            raise UnknownUnit(f"no conversion multiplier known for QUDT unit {qudt_unit!r}") from None

    def convert(self, value: Decimal, printed: str, to_qudt_unit: str) -> Decimal:
        """Convert a value in a printed unit to another QUDT unit of the same quantity kind."""
        src = self.lookup(printed)
        if not src.qudt_unit or src.multiplier is None:
            raise UnknownUnit(f"unit {printed!r} has no QUDT unit to convert from")
        return value * src.scale * src.multiplier / self.multiplier(to_qudt_unit)


def _decimal(text: str, what: str, where: str) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):  # ASCII digits, no exponent, no sign
        raise InputError(f"{where}: {what} {text!r} is not a plain positive number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{where}: {what} {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"{where}: {what} {text!r} is not a positive finite number")
    return value


def load_unit_table(path: Path) -> UnitTable:
    """Read ``units.csv``; a missing file or a malformed row is an InputError naming it."""
    from .sources.files import read_csv  # the strict reader (encoding, BOM, field counts)

    if not path.is_file():
        raise InputError(f"unit table not found: {path}")
    units: list[PrintedUnit] = []
    seen: set[str] = set()
    for lineno, row in read_csv(path, COLUMNS[:6]):
        where = f"{path}:{lineno}"
        printed = row["printed"]
        if not printed:
            raise InputError(f"{where}: empty 'printed' unit")
        if printed in seen:
            raise InputError(f"{where}: unit {printed!r} is listed twice")
        seen.add(printed)
        units.append(
            PrintedUnit(
                printed=printed,
                qudt_unit=row["qudt_unit"] or None,
                ucum=row["ucum"],
                scale=_decimal(row["scale"], "scale", where) or Decimal(1),
                quantity_kind=row["quantity_kind"] or None,
                multiplier=_decimal(row["multiplier"], "multiplier", where),
                note=row.get("note", ""),
                per=row.get("per") or None,
                code=row.get("code", ""),
                line=lineno,
                status=row.get("status") or "ok",
            )
        )
    return UnitTable(units)
