"""Curation aid: read a report's GRI or HKEX content index out of its text conversion.

Prints YAML `disclosures:` entries (code, pages as printed, omitted) with the line each came
from, for a curator to check against the page and paste into data/<report>/entities.yaml.
It never writes into data/ itself.

    python tools/extract_content_index.py ../shared/reports/calb-2023-esg-report.txt gri 1775 1905
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

GRI_ROW = re.compile(r"(?:^|\t)(\d{1,3}-\d{1,2}) ([^\t]+?)\t+([^\t]*)")
HKEX_ROW = re.compile(r"^([AB]\d\.\d)\t[^\t]*\t([^\t]*)")
HKEX_GENERAL = re.compile(r"^General disclosure\t+([^\t]*)")
HKEX_ASPECT = re.compile(r"^([AB]\d):")


def pages(text: str) -> list[int] | None:
    """'45 · 82', '2、95', 'P49-50', 'P12, P56-57' -> page list; 'N/A' or '' -> None."""
    text = text.strip()
    if not text or text.upper().startswith("N/A"):
        return None
    out: list[int] = []
    for part in re.split(r"[·、,]", text):
        m = re.fullmatch(r"\s*P?(\d+)(?:\s*-\s*P?(\d+))?\s*", part)
        if not m:
            continue
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        out.extend(range(first, last + 1))
    return out or None


def extract(lines: list[str], framework: str, start: int, end: int):
    aspect = None
    for n in range(start, end + 1):
        line = lines[n - 1]
        if framework == "gri":
            for m in GRI_ROW.finditer(line):
                yield n, m.group(1), m.group(2).strip(), pages(m.group(3)), m.group(3).strip()
        else:
            a = HKEX_ASPECT.match(line)
            if a:
                aspect = a.group(1)
            g = HKEX_GENERAL.match(line)
            if g and aspect:
                yield n, f"{aspect}-GD", "General disclosure", pages(g.group(1)), g.group(1).strip()
            m = HKEX_ROW.match(line)
            if m:
                yield n, m.group(1), "", pages(m.group(2)), m.group(2).strip()


def main() -> None:
    path, framework, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for n, code, _title, found, printed in extract(lines, framework, start, end):
        print(f"  - framework: {framework}\n    code: '{code}'")
        if found:
            print(f"    pages: [{', '.join(map(str, found))}]")
        else:
            print("    pages: []")
        print(f"    omitted: {'false' if found else 'true'}\n    lines: [{n}]")
        if not found and printed.upper() != "N/A":
            print(f"    note: index gives no page ({printed!r} as printed)")


if __name__ == "__main__":
    main()
