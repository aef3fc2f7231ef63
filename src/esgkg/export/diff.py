"""What changed between two releases: observations added, removed and changed.

Both releases' ``observations.csv`` are read. Observations are matched first by IRI, then (for
those left over, e.g. when an IRI embeds the page or line that changed) by their natural key:
(report, indicator, entity, period, breakdown) plus the printing's order among the printings
of that key (by page, then IRI). A matched pair whose value, unit, page or note differ is a
change; the rest are added or removed. Output: a dict (JSON) and readable text, grouped by
company and indicator.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..errors import InputError

COMPARED = ["value_as_printed", "value", "unit_as_printed", "unit", "unit_scale", "qualifier", "restated",
            "boundary", "page", "page_estimated", "note"]
SHOWN = ["company", "report", "indicator", "entity", "period", "breakdown", "value_as_printed",
         "unit_as_printed", "page", "observation"]
_NOT_BREAKDOWN = {"company", "company_key", "lei", "isin", "listings", "report", "entity", "entity_name",
                  "indicator", "indicator_label", "hkex", "gri", "period", "observation", "canonical_value",
                  "canonical_unit", *COMPARED}


def read_observations(release_dir: Path) -> list[dict[str, str]]:
    """The rows of a release's ``observations.csv``."""
    path = Path(release_dir) / "observations.csv"
    if not path.is_file():
        raise InputError(f"{path} not found: is {release_dir} an esgkg release folder?")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _breakdown(row: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(row.items()) if k not in _NOT_BREAKDOWN and v)


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return (row["report"], row["indicator"], row["entity"], row["period"], _breakdown(row))


def _page(row: dict[str, str]) -> int:
    return int(row["page"]) if row.get("page", "").isdigit() else 10**9


def _summary(row: dict[str, str]) -> dict[str, str]:
    out = {k: row.get(k, "") for k in SHOWN if k != "breakdown"}
    out["breakdown"] = _breakdown(row)
    return out


def diff(old_dir: Path, new_dir: Path) -> dict[str, Any]:
    """Observations added, removed and changed from ``old_dir`` to ``new_dir`` (release folders)."""
    old, new = read_observations(old_dir), read_observations(new_dir)
    old_by_iri = {r["observation"]: r for r in old}
    new_by_iri = {r["observation"]: r for r in new}
    pairs = [(old_by_iri[i], new_by_iri[i]) for i in sorted(old_by_iri.keys() & new_by_iri.keys())]
    left_old = [r for i, r in old_by_iri.items() if i not in new_by_iri]
    left_new = [r for i, r in new_by_iri.items() if i not in old_by_iri]

    def by_key(rows: list[dict[str, str]]) -> dict[tuple, list[dict[str, str]]]:
        groups: dict[tuple, list[dict[str, str]]] = {}
        for r in sorted(rows, key=lambda r: (_page(r), r["observation"])):
            groups.setdefault(_key(r), []).append(r)
        return groups

    old_groups, new_groups = by_key(left_old), by_key(left_new)
    added, removed = [], []
    for key in sorted(old_groups.keys() | new_groups.keys()):
        a, b = old_groups.get(key, []), new_groups.get(key, [])
        pairs += list(zip(a, b, strict=False))
        removed += a[len(b):]
        added += b[len(a):]
    changed = []
    for o, n in pairs:
        fields = {f: [o.get(f, ""), n.get(f, "")] for f in COMPARED if o.get(f, "") != n.get(f, "")}
        if o["observation"] != n["observation"]:
            fields["observation"] = [o["observation"], n["observation"]]
        if fields:
            changed.append({**_summary(n), "changes": fields})

    def order(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return sorted(rows, key=lambda r: (r["company"], r["indicator"], r["entity"], r["period"],
                                           r["breakdown"], r["observation"]))

    return {
        "old": str(old_dir), "new": str(new_dir),
        "added": order([_summary(r) for r in added]),
        "removed": order([_summary(r) for r in removed]),
        "changed": order(changed),
    }


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


def to_text(result: dict[str, Any]) -> str:
    """Readable text, grouped by company and indicator."""
    lines = [f"from {result['old']} to {result['new']}: {len(result['added'])} added, "
             f"{len(result['removed'])} removed, {len(result['changed'])} changed"]
    groups: dict[tuple[str, str], list[str]] = {}

    def where(r: dict[str, str]) -> str:
        bd = f" [{r['breakdown']}]" if r["breakdown"] else ""
        return f"{r['entity']} {r['period']}{bd}"

    for r in result["added"]:
        groups.setdefault((r["company"], r["indicator"]), []).append(
            f"  + {where(r)}: {r['value_as_printed']} {r['unit_as_printed']} (p{r['page']})")
    for r in result["removed"]:
        groups.setdefault((r["company"], r["indicator"]), []).append(
            f"  - {where(r)}: {r['value_as_printed']} {r['unit_as_printed']} (p{r['page']})")
    for r in result["changed"]:
        what = "; ".join(f"{f} {old!r} -> {new!r}" for f, (old, new) in r["changes"].items())
        groups.setdefault((r["company"], r["indicator"]), []).append(f"  ~ {where(r)}: {what}")
    for (company, indicator), items in sorted(groups.items()):
        lines.append(f"{company} / {indicator}")
        lines.extend(items)
    return "\n".join(lines) + "\n"
