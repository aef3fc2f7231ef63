"""Curation aid: which lines of a report's text hold numbers that no curated fact cites.

    python tools/uncited_lines.py calb-2023 [--show]

A line counts as cited when an observation's `source` names it ("line 1234") or an entity lists
it in `lines:`. Numbers that are only years (1990-2039), footnote marks or list numbering are
ignored. Prints the share of number-bearing lines cited and, with --show, the uncited ones with
the start of their text: a reviewer's map of what may still be missing.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT.parent / "shared" / "reports"
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
_YEAR = re.compile(r"^(19[9]\d|20[0-3]\d)$")
_LINE = re.compile(r"\bline (\d+)\b")


def report_file(key: str) -> Path:
    entities = yaml.safe_load((ROOT / "data" / key / "entities.yaml").read_text(encoding="utf-8"))
    issuer = entities["report"]["issuer"]
    matches = sorted(REPORTS.glob(f"{issuer}-*.txt"))
    if not matches:
        sys.exit(f"no report text for {issuer} in {REPORTS}")
    return matches[0]


def cited_lines(folder: Path) -> set[int]:
    cited: set[int] = set()
    for path in sorted(folder.glob("observations*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                cited.update(int(n) for n in _LINE.findall(row.get("source") or ""))
    for path in sorted(folder.glob("entities*.yaml")):
        stack = [yaml.safe_load(path.read_text(encoding="utf-8"))]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                lines = item.get("lines")
                if isinstance(lines, list):
                    cited.update(n for n in lines if isinstance(n, int))
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return cited


def numbers(text: str) -> list[str]:
    found = [n for n in _NUMBER.findall(text) if not _YEAR.match(n.replace(",", ""))]
    return [n for n in found if len(n.replace(",", "")) > 1 or text.strip() != n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", help="report key, e.g. calb-2023")
    parser.add_argument("--show", action="store_true", help="list the uncited lines")
    parser.add_argument("--from-line", type=int, default=1)
    parser.add_argument("--to-line", type=int, default=10**9)
    args = parser.parse_args()
    folder = ROOT / "data" / args.report
    lines = report_file(args.report).read_text(encoding="utf-8").splitlines()
    cited = cited_lines(folder)
    bearing, uncited = 0, []
    for n, text in enumerate(lines, start=1):
        if not args.from_line <= n <= args.to_line:
            continue
        stripped = text.strip()
        if not numbers(stripped) or re.fullmatch(r"[\d\s.]+", stripped):  # page or list numbers
            continue
        bearing += 1
        if n not in cited:
            uncited.append((n, stripped))
    share = 100 * (bearing - len(uncited)) / bearing if bearing else 100
    print(f"{args.report}: {bearing - len(uncited)} of {bearing} number-bearing lines cited ({share:.1f}%)")
    if args.show:
        for n, text in uncited:
            print(f"{n:5d}  {text[:150]}")


if __name__ == "__main__":
    main()
