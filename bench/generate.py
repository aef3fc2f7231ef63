"""Generate a synthetic esgkg project of about N triples from the shipped reports.

    python bench/generate.py --triples N --out DIR [--seed S] [--years Y]
    python bench/generate.py --reports R --out DIR ...

DIR becomes a complete project folder: ``ontology/``, ``shapes/`` and ``queries/`` are symlinks
to this project's, and ``data/`` holds generated report folders. Each report is one of the two
shipped report folders (``data/calb-2023``, ``data/seres-2023``) used as a template, with the same
files, columns, sections and cross-references: the issuer gets a new brand (its key, the keys of
its subsidiaries and supplier populations, and the brand word in names are replaced), the report
key becomes ``<brand>-<year>``, every date and period moves by whole years for the later years, and
the numbers of 100 or more (not shares, not words) are scaled by a seeded factor per report,
printed with the template's digits, commas and decimals. Exchanges, verifiers and other outside
organisations keep their keys, so they are shared by many reports, as in real data.

Each issuer has ``--years`` consecutive reports (2023, 2024, ...) that describe the same
organisation, sites and people (these are minted per issuer), as a company's next year's report
does. The number of reports is chosen from the triples the two templates compile to (measured
once per run), so the build holds about N triples; the floor is the ontology and vocabularies
plus ``years + 1`` reports (both templates, one issuer over two years: about 56 k triples).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import functools
import io
import json
import os
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ("calb-2023", "seres-2023")
LINKED = ("ontology", "shapes", "queries")
MANIFEST = "generated.json"
# Organisation kinds that belong to the issuer and are renamed with it; the rest are shared.
OWN_KINDS = {"company", "subsidiary", "parent", "supplier-population"}
# YAML fields holding a year or a date that moves with the report's year.
DATE_FIELDS = ("year", "baseline_year", "target_year", "founded", "obtained", "valid_from",
               "expires", "since", "until", "signed", "start", "end", "launched")
DATE_RE = re.compile(r"(?<![\w-])((?:" + "|".join(DATE_FIELDS) + r"):\s*\"?)(\d{4})(-\d\d-\d\d)?")
NUMBER_RE = re.compile(r"^(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")
SYLLABLES = ("ka", "lo", "mi", "ra", "te", "vu", "zen", "dor", "fi", "gal", "hu", "ny", "os",
             "pa", "qui", "sor", "tam", "bel", "cy", "dra", "el", "ko", "lun", "ver", "wa", "xi")
# Triples per graph when compiling fails (measured 2026-12-02 on the shipped data).
FALLBACK_COUNTS = {"context": 12_000, "calb-2023": 14_971, "seres-2023": 13_752}


@dataclass(frozen=True)
class Plan:
    """What to generate: one (template, brand, year) per report, and the expected triples."""

    reports: list[tuple[str, str, int]]
    expected_triples: int


def template_counts() -> dict[str, int]:
    """Triples of the shared graphs (``context``) and of each template report's graph."""
    try:
        from esgkg.build import compile_dataset
        from esgkg.project import Project

        dataset = compile_dataset(Project(ROOT))
    except Exception:
        return dict(FALLBACK_COUNTS)
    counts = {"context": 0}
    for iri, graph in dataset.items():
        name = str(iri).rsplit("/", 1)[-1]
        if "/graph/report/" in str(iri) and name in TEMPLATES:
            counts[name] = len(graph)
        elif "/graph/report/" not in str(iri):
            counts["context"] += len(graph)
    return counts


def brands(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct made-up brand words (lower case), none a word of the templates."""
    taken = {"calb", "seres", "hkex", "sse", "catl", "cqc"}
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))
        if word not in taken and len(word) >= 4:
            taken.add(word)
            out.append(word)
    return out


def plan(triples: int, years: int = 2, seed: int = 0,
         counts: dict[str, int] | None = None, reports: int | None = None) -> Plan:
    """The reports that make about ``triples`` triples: issuers alternate between the
    templates, each with ``years`` consecutive reports from 2023 (the last issuer may have
    fewer); at least ``years + 1`` reports, so that both templates and a repeated issuer are
    there. ``reports`` gives the number of reports instead."""
    counts = counts or (dict(FALLBACK_COUNTS) if reports else template_counts())
    per_report = sum(counts[t] for t in TEMPLATES) / len(TEMPLATES)
    n = reports or max(years + 1, round((triples - counts["context"]) / per_report))
    rng = random.Random(seed)
    words = brands((n + years - 1) // years, rng)
    reports = [(TEMPLATES[i // years % len(TEMPLATES)], words[i // years], 2023 + i % years)
               for i in range(n)]
    return Plan(reports, counts["context"] + sum(counts[t] for t, _, _ in reports))


@functools.cache
def own_organisations(folder: Path) -> dict[str, str]:
    """Key -> kind of the template's organisations of the issuer's own kinds."""
    own: dict[str, str] = {}
    for path in sorted(folder.glob("entities*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for org in doc.get("organizations") or []:
            if org.get("kind") in OWN_KINDS:
                own[org["key"]] = org["kind"]
    return own


@functools.cache
def issuer_of(folder: Path) -> str:
    """The template report's issuer key."""
    doc = yaml.safe_load((folder / "entities.yaml").read_text(encoding="utf-8"))
    return doc["report"]["issuer"]


def key_map(own: dict[str, str], issuer: str, brand: str) -> dict[str, str]:
    """New keys for the issuer's organisations: the issuer word replaced by the brand, or the
    brand put in front."""
    return {k: (re.sub(rf"(?<![a-z0-9]){issuer}(?![a-z0-9])", brand, k)
                if re.search(rf"(?<![a-z0-9]){issuer}(?![a-z0-9])", k) else f"{brand}-{k}")
            for k in own}


def shift_date(year: str, rest: str | None, by: int) -> str:
    """A year or ``-MM-DD`` date ``by`` years later (29 February becomes the 28th)."""
    y = int(year) + by
    if rest == "-02-29" and not calendar.isleap(y):
        rest = "-02-28"
    return f"{y}{rest or ''}"


def shift_years(text: str, by: int) -> str:
    """Every four-digit year of a period text (``2023``, ``2022-12-31``, ``2021..2023``)."""
    return re.sub(r"(\d{4})(-02-29)?",
                  lambda m: shift_date(m.group(1), m.group(2), by), text) if by else text


def scale_number(value: str, factor: float) -> str:
    """``value`` times ``factor``, printed like ``value`` (sign, commas, decimals); values
    below 100 (counts, ranks, small rates) stay as they are."""
    m = NUMBER_RE.match(value)
    if not m or factor == 1.0:
        return value
    sign, whole, decimals = m.groups()
    number = float(whole.replace(",", "") + (f".{decimals}" if decimals else ""))
    if number < 100:
        return value
    places = len(decimals or "")
    text = f"{number * factor:,.{places}f}" if "," in whole else f"{number * factor:.{places}f}"
    return sign + text


def rewrite_text(text: str, report_key: str, new_report: str, keys: dict[str, str],
                 brand_words: dict[str, str], by: int) -> str:
    """Rename the report key, the issuer's organisation keys and brand words in any source
    text; move the periods of ``id:period/...`` IRIs by ``by`` years."""
    text = re.sub(rf"(?<![\w-]){re.escape(report_key)}(?![\w-])", new_report, text)
    if keys:
        pattern = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
        text = re.sub(rf"(?<![\w-])({pattern})(?![\w-])", lambda m: keys[m.group(1)], text)
    for old, new in brand_words.items():
        text = re.sub(rf"(?<![\w]){re.escape(old)}(?![a-z])", new, text)
    if by:
        text = re.sub(r"(period\\?/)([0-9.\-]+)", lambda m: m.group(1) + shift_years(m.group(2), by),
                      text)
    return text


def rewrite_yaml(text: str, by: int, year: int) -> str:
    """Move the dates of the date fields, and the year in the report's title, by ``by`` years."""
    if not by:
        return text
    text = DATE_RE.sub(lambda m: m.group(1) + shift_date(m.group(2), m.group(3), by), text)
    return re.sub(rf"(?m)^(\s*title:.*?)\b{year - by}\b", lambda m: f"{m.group(1)}{year}", text)


def rewrite_csv(text: str, by: int, factor: float) -> str:
    """Move the ``period`` column by ``by`` years and scale the ``value`` column."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    period, value, unit = header.index("period"), header.index("value"), header.index("unit")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows[1:]:
        if len(row) > max(period, value, unit):
            row[period] = shift_years(row[period], by)
            if row[unit] not in ("%", "(none)"):
                row[value] = scale_number(row[value], factor)
        writer.writerow(row)
    return out.getvalue()


def write_report(template: str, brand: str, year: int, data: Path, rng: random.Random) -> str:
    """Write one synthetic report folder under ``data``; return its report key."""
    folder = ROOT / "data" / template
    issuer = issuer_of(folder)
    keys = key_map(own_organisations(folder), issuer, brand)
    by = year - int(template.rsplit("-", 1)[1])
    new_report = f"{brand}-{year}"
    cap = brand.capitalize()
    brand_words = {issuer.upper(): brand.upper(), issuer.capitalize(): cap}
    factor = round(rng.uniform(0.6, 1.6), 3)
    out = data / new_report
    out.mkdir(parents=True)
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        text = rewrite_text(path.read_text(encoding="utf-8"), template, new_report, keys,
                            brand_words, by)
        if path.suffix == ".yaml":
            text = rewrite_yaml(text, by, year)
        elif path.suffix == ".csv":
            text = rewrite_csv(text, by, factor)
        (out / path.name).write_text(text, encoding="utf-8")
    return new_report


def write_external(data: Path, first: dict[str, str]) -> None:
    """``data/_external/identifiers.csv``: the shipped rows, for the first brand of each
    template's issuer (an identifier belongs to one company)."""
    source = ROOT / "data" / "_external" / "identifiers.csv"
    if not source.is_file():
        return
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"))))
    kept = [dict(r, organization=first[r["organization"]]) for r in rows
            if r["organization"] in first]
    if not kept:
        return
    (data / "_external").mkdir()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    (data / "_external" / "identifiers.csv").write_text(out.getvalue(), encoding="utf-8")


def generate(out: Path, triples: int = 0, seed: int = 0, years: int = 2,
             counts: dict[str, int] | None = None, reports: int | None = None) -> Plan:
    """Write a project folder at ``out`` (replaced if it is a generated one) and return its
    plan: about ``triples`` triples, or exactly ``reports`` reports."""
    out = Path(out)
    if out.exists():
        if not (out / MANIFEST).is_file():
            raise SystemExit(f"{out} exists and was not made by bench/generate.py: not replaced")
        shutil.rmtree(out)
    the_plan = plan(triples, years, seed, counts, reports)
    out.mkdir(parents=True)
    for name in LINKED:
        os.symlink(ROOT / name, out / name)
    data = out / "data"
    data.mkdir()
    rng = random.Random(seed + 1)
    first: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for template, brand, year in the_plan.reports:
        key = write_report(template, brand, year, data, rng)
        first.setdefault(issuer_of(ROOT / "data" / template), brand)
        renamed.setdefault(template, key)
    write_external(data, first)
    manifest = {"triples": triples, "seed": seed, "years": years,
                "expected_triples": the_plan.expected_triples,
                "reports": [f"{b}-{y}" for _, b, y in the_plan.reports],
                "issuers": sorted({b for _, b, _ in the_plan.reports}),
                "renamed": {**renamed, **{i: b for i, b in first.items()}}}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return the_plan


def read_manifest(out: Path) -> dict | None:
    """What ``generate`` wrote at ``out`` (None where ``out`` is not a generated project):
    the arguments, the reports, and ``renamed``, the first synthetic key of each template's
    report and issuer key."""
    path = Path(out) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--triples", type=int, help="about how many triples")
    size.add_argument("--reports", type=int, help="how many reports (instead of --triples)")
    parser.add_argument("--out", type=Path, required=True, help="the project folder to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--years", type=int, default=2,
                        help="consecutive reports per issuer (same organisation and sites)")
    args = parser.parse_args()
    the_plan = generate(args.out, args.triples or 0, args.seed, args.years,
                        reports=args.reports)
    issuers = len({b for _, b, _ in the_plan.reports})
    print(f"{args.out}: {len(the_plan.reports)} reports of {issuers} issuers, "
          f"about {the_plan.expected_triples:,} triples")


if __name__ == "__main__":
    main()
