"""Fuzzing the shipped data (issue 12, "Hardening"): mutate a copy of the sources and build it.

For every mutation of the bytes, CSV cells and rows, YAML structure, ``sections.yaml`` or a
vocabulary CSV (``tests/fuzz_mutations.py``), ``esgkg build`` run in a subprocess must

- exit 0 (a clean build) or 2 (refused), never 1 (an uncaught error) and never by a signal;
- never print a traceback;
- on exit 2, name the mutated file (path or file name) -- or, where the mutation breaks a
  reference that another file makes (a key renamed, a unit dropped from ``units.csv``), the
  source file holding the broken reference;
- leave the previous store answering: ``esgkg query sites-with-standard -p standard=iso-45001``
  then exits 0 and, after a refused build, still lists CALB's five bases (p66) and Seres Group
  Co., Ltd. (p65), exactly as the good build did;
- and where it builds cleanly (the random part only), ``esgkg validate --severity violation``
  of the mutated report exits 0 (with the structure shapes; ``ESGKG_FUZZ_SHAPES=all`` for all).

Each build runs on a project copy whose ``data/`` holds only the mutated report (CALB for a
vocabulary mutation), into a copy of a store that one good build of the whole shipped data
populated once per session; so a mutation that builds cleanly replaces only its own copy and
the good store stays untouched for the next example.

``test_hostile_input_is_refused`` holds the named, known-hostile cases: each must be refused
(exit 2 naming the file), since building it cleanly would be silently wrong; each names the
finding it reproduces. Their builds run two at a time (``ESGKG_FUZZ_JOBS``) in a session
fixture, only for the cases selected. ``test_mutated_data_builds_cleanly_or_is_refused`` is the
Hypothesis property over random mutations (``ESGKG_FUZZ_EXAMPLES``, default 12; derandomized
when ``CI`` is set).

Run: ``python -m pytest tests/test_fuzz_data.py`` (``-k hostile`` / ``-k builds_cleanly`` for one
part; ``--hypothesis-show-statistics`` for timings; ``ESGKG_FUZZ_EXAMPLES=100`` for a longer hunt).

Measured (2 CPUs, 2026-12-01, lightly loaded; the whole module 137 s wall): the good build of
the whole data 5 s; the 59 hostile cases 92 s with two jobs (a refused build 1-3 s, a clean
one-report build 3-4 s, each query 0.6-1 s); the property, 12 examples, 42 s (1.3-8 s each: a
clean build is validated too, about 4 s more). Under heavy load from other jobs (load average 8)
the same module took 976 s. ``-k builds_cleanly`` alone: about 50 s (the good build and the 42 s).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_mutations import (
    BOMB,
    BYTE_OPS,
    HOSTILE_CELLS,
    NON_UTF8,
    PAGES,
    SECTION_PAGES,
    SECTIONS_OPS,
    YAML_OPS,
    YAML_SCALARS,
    Mutation,
    apply,
)

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("ontology", "queries", "shapes")
REPORTS = ("calb-2023", "seres-2023")
VOCAB_REPORT = "calb-2023"  # the report a vocabulary mutation is built with (the quicker one)
TIMEOUT = 180  # seconds for one subprocess; an alias bomb that expands would hit it
MEMORY = 6 * 1024**3  # address space of one subprocess: a bomb must not take the machine down
EXAMPLES = int(os.environ.get("ESGKG_FUZZ_EXAMPLES", "12"))
JOBS = int(os.environ.get("ESGKG_FUZZ_JOBS", "2"))
SHAPES = os.environ.get("ESGKG_FUZZ_SHAPES", "structure")  # structure | all | none

FIVE_BASES = ["Changzhou Base", "Chengdu Base", "Hefei Base", "Wuhan Base", "Xiamen Base"]
# (company, holder, report, pages) of `sites-with-standard -p standard=iso-45001` on the shipped
# data: CALB p66 (line 1237) the five bases put into use; Seres p65 (line 2751) the group
ISO_45001 = sorted([("CALB", b, "calb-2023", "66") for b in FIVE_BASES]
                   + [("Seres", "Seres Group Co., Ltd.", "seres-2023", "65")])
QUERY = ["query", "sites-with-standard", "-p", "standard=iso-45001", "--format", "tsv"]


# ----------------------------------------------------------------------------- running esgkg
# the address-space limit, set by util-linux's prlimit where it is installed (preexec_fn is not
# safe with the threads that run the hostile cases)
_LIMIT = [prlimit, f"--as={MEMORY}", "--"] if (prlimit := shutil.which("prlimit")) else []


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def traceback(self) -> str | None:
        """The last line of a traceback in stderr (the exception), or None."""
        if "Traceback" not in self.stderr and self.returncode in (0, 2):
            return None
        lines = self.stderr.strip().splitlines()
        start = max((n for n, ln in enumerate(lines) if "Traceback (most recent call last)" in ln),
                    default=None)
        if start is not None:  # the exception: the first unindented line after the frames
            for ln in lines[start + 1:]:
                if ln.strip() and not ln[0].isspace() and not ln.startswith("Traceback"):
                    return ln.strip()[:300]
        lines = [ln.strip(" │|") for ln in lines if ln.strip(" │|╰─╯")]
        return lines[-1][:300] if lines else f"(no stderr, exit {self.returncode})"


def esgkg(args: list[str], project: Path, store: Path) -> Run:
    env = {**os.environ, "ESGKG_PROJECT": str(project), "ESGKG_STORE": str(store),
           "NO_COLOR": "1", "COLUMNS": "200", "_TYPER_STANDARD_TRACEBACK": "1"}
    start = time.monotonic()
    try:
        p = subprocess.run([*_LIMIT, sys.executable, "-m", "esgkg.cli", *args], env=env, cwd=project,
                           capture_output=True, text=True, errors="replace", timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        return Run(args, -999, str(exc.stdout or ""), f"timed out after {TIMEOUT} s", TIMEOUT)
    return Run(args, p.returncode, p.stdout, p.stderr, time.monotonic() - start)


def iso_45001_rows(run: Run) -> list[tuple[str, ...]]:
    rows = list(csv.DictReader(io.StringIO(run.stdout), delimiter="\t"))
    return sorted((r["company"], r["holder"], r["report"], r["pages"]) for r in rows)


def copy_project(src: Path, dest: Path, report: str) -> Path:
    """A project at ``dest`` with ``src``'s ontology, queries, shapes and the one report."""
    for part in PARTS:
        shutil.copytree(src / part, dest / part)
    (dest / "data").mkdir()
    shutil.copytree(src / "data" / report, dest / "data" / report)
    return dest


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the shipped sources (taken once: the working tree may change meanwhile)."""
    dest = tmp_path_factory.mktemp("fuzz-pristine")
    for part in (*PARTS, "data"):
        shutil.copytree(ROOT / part, dest / part)
    return dest


@pytest.fixture(scope="session")
def good_store(tmp_path_factory: pytest.TempPathFactory, pristine: Path) -> Path:
    """A store holding one good build of the whole shipped data; each example builds into a copy."""
    store = tmp_path_factory.mktemp("fuzz-good") / "store"
    build = esgkg(["build"], pristine, store)
    assert build.returncode == 0, \
        f"the shipped data does not build: {build.traceback or build.stderr[-2000:]}"
    query = esgkg(QUERY, pristine, store)
    assert query.returncode == 0, query.stderr[-2000:]
    assert iso_45001_rows(query) == ISO_45001
    return store


@dataclass
class Outcome:
    mutation: Mutation
    what: str
    file: Path
    project: Path
    build: Run
    query: Run
    validate: Run | None = None

    def __repr__(self) -> str:  # pytest prints the fixture's dict of outcomes: keep it short
        return f"Outcome({self.mutation}: build exit {self.build.returncode})"

    def problems(self, *, must_refuse: bool) -> list[str]:
        """What breaks the property (empty: it holds), each a short line for the report."""
        out = []
        b, q = self.build, self.query
        if b.returncode not in (0, 2):
            how = "timed out" if b.returncode == -999 else (
                f"killed by signal {-b.returncode}" if b.returncode < 0 else f"exit {b.returncode}")
            out.append(f"build {how}: {b.traceback}")
        elif "Traceback" in b.stderr:
            out.append(f"build exit {b.returncode} with a traceback: {b.traceback}")
        if b.returncode == 2 and not self.names_file(b.stderr, strict=must_refuse):
            out.append(f"exit 2 without naming {self.mutation.file}: {first_error(b.stderr)}")
        if b.returncode == 0 and must_refuse:
            out.append("built cleanly (exit 0): the hostile input was accepted")
        if q.returncode != 0 or "Traceback" in q.stderr:
            out.append(f"the store no longer answers: query exit {q.returncode}: "
                       f"{q.traceback or q.stderr.strip()[-300:]}")
        elif b.returncode != 0 and iso_45001_rows(q) != ISO_45001:
            out.append(f"the previous store changed after a failed build: {iso_45001_rows(q)}")
        v = self.validate
        if v is not None and v.returncode != 0:
            out.append(f"built cleanly but `esgkg validate` exits {v.returncode}: "
                       f"{v.traceback or _violations(v.stdout)}")
        return out

    def names_file(self, stderr: str, strict: bool) -> bool:
        if str(self.file) in stderr or self.file.name in stderr:
            return True
        if strict:  # a named hostile case must be refused at the file it is in
            return False
        # a broken reference is rightly reported at the file that makes it
        others = [p for p in self.project.rglob("*") if p.suffix in (".yaml", ".csv", ".ttl")]
        return any(f"{p}:" in stderr or f"{p} [" in stderr for p in others)

    def report(self) -> str:
        b = self.build
        return (f"mutation {self.mutation}\n  changed: {self.what}\n  build exit {b.returncode} "
                f"in {b.seconds:.1f} s; stderr tail:\n    "
                + "\n    ".join(b.stderr.strip().splitlines()[-8:]))


def first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line.lower():
            return line.strip()[:300]
    return stderr.strip()[-300:]


def _violations(stdout: str) -> str:
    return re.sub(r"\s+", " ", stdout)[:400]


def run_mutation(m: Mutation, pristine: Path, good_store: Path, workdir: Path,
                 validate: bool = False) -> Outcome:
    """Apply ``m`` to a one-report copy of the project, build it into a copy of the good store,
    then query that store (and, after a clean build, validate it if asked)."""
    report = m.report or VOCAB_REPORT
    project = copy_project(pristine, workdir / "project", report)
    what = apply(project, m)
    store = workdir / "store"
    shutil.copytree(good_store, store, symlinks=True)
    build = esgkg(["build"], project, store)
    query = esgkg(QUERY, project, store)
    check = None
    if validate and build.returncode == 0 and SHAPES != "none":
        if SHAPES != "all":
            shutil.rmtree(project / "shapes")
            (project / "shapes").mkdir()
            shutil.copy(pristine / "shapes" / f"{SHAPES}.ttl", project / "shapes")
        check = esgkg(["validate", "--report", report, "--severity", "violation", "--format", "json"],
                      project, store)
    return Outcome(m, what, project / m.file, project, build, query, check)


# ----------------------------------------------------------------------------- named hostile cases
OBS = "data/calb-2023/observations.csv"
ENT = "data/calb-2023/entities.yaml"
SEC = "data/calb-2023/sections.yaml"
VOC = "ontology/vocab"
# observations.csv columns: indicator entity period breakdown value unit page boundary restated
# source note; row 0 is `revenue,,2022,,"2,037,494","RMB10,000",82,...` (p82, line 1546)
VALUE, PAGE, PERIOD, UNIT = 4, 6, 2, 5
# the Changzhou Base ISO 45001 certificate (p66, line 1237): the first `standard: iso-45001`
CERT = "    standard: iso-45001\n    standard_as_printed: ISO45001\n    status: certified\n    pages: [66]\n"
CERT_PAGES = "    status: certified\n    pages: [66]\n    lines: [1237]\n"
_QUOTED = (ROOT / OBS).read_bytes().find(b'"2,037,494"') + 3  # inside the first quoted value


def cell(column: int, value: str, row: int = 0, file: str = OBS) -> Mutation:
    return Mutation(file, "cell", (row, column, value))


def sub(old: str, new: str, file: str = ENT) -> Mutation:
    return Mutation(file, "sub", (old, new))


def pages(value: str) -> Mutation:
    return sub(CERT_PAGES, CERT_PAGES.replace("[66]", value))


HOSTILE = [
    # ---- bytes (files.read_text)
    pytest.param(Mutation(OBS, "bom"), "a UTF-8 BOM would glue itself to the first column name",
                 id="bytes-bom-csv"),
    pytest.param(Mutation(OBS, "nul", (_QUOTED,)), "a NUL inside a value cell", id="bytes-nul-csv"),
    pytest.param(Mutation(f"{VOC}/codelists.csv", "non-utf8", (300, 2)),
                 "a UTF-16 surrogate encoded in UTF-8 (CESU) in a vocabulary", id="bytes-surrogate-vocab"),
    pytest.param(Mutation(OBS, "truncate", (_QUOTED,)), "file cut inside a quoted cell",
                 id="bytes-truncate-in-quote"),
    # ---- numbers (observations value column, strict.number)
    pytest.param(cell(VALUE, "NaN"), "NaN is a float, not a printed figure", id="number-nan"),
    pytest.param(cell(VALUE, "1e309"), "exponent form: overflows a float to inf", id="number-1e309"),
    pytest.param(cell(VALUE, "1,2,3"), "commas not every three digits", id="number-bad-grouping"),
    pytest.param(cell(VALUE, "1_000"), "Python's digit separator, accepted by Decimal",
                 id="number-underscore"),
    pytest.param(cell(VALUE, "\u0661\u0662\u0663"), "Arabic-Indic digits, accepted by Decimal",
                 id="number-arabic-indic"),
    pytest.param(cell(VALUE, "9" * 5000), "a 5000-digit value", id="number-very-long"),
    pytest.param(cell(VALUE, "=1+1"), "a spreadsheet formula", id="number-formula"),
    pytest.param(cell(VALUE, "2,037\n494"), "a newline inside a quoted value cell", id="number-newline"),
    # ---- pages (observations page column, strict.page)
    pytest.param(cell(PAGE, "0"), "page 0 (pages start at 1)", id="page-csv-0"),
    pytest.param(cell(PAGE, "99999"), "a page beyond the report's last page (95)", id="page-csv-99999"),
    pytest.param(cell(PAGE, "\u0668\u0662"), "a page in Arabic-Indic digits (int() accepts them)",
                 id="page-csv-arabic-indic"),
    # ---- periods (observations period column, strict.period)
    pytest.param(cell(PERIOD, "2023-02-30"), "a day that does not exist", id="period-feb-30"),
    pytest.param(cell(PERIOD, "2023..2021"), "a range that ends before it starts", id="period-reversed"),
    # ---- CSV structure (files.read_csv)
    pytest.param(Mutation(OBS, "row-add", (0, 4, "1")), "a row with one field too many: every "
                 "value after it moves one column right", id="csv-extra-field"),
    pytest.param(Mutation(OBS, "row-drop", (0, 1)), "a row with one field too few", id="csv-missing-field"),
    pytest.param(Mutation(OBS, "header-swap", (0, VALUE, "", PAGE)), "header names value and page "
                 "swapped: pages read as values", id="csv-header-swap"),
    pytest.param(sub('revenue,,2022,,"2,037,494"', 'revenue,,2022,,"2,037,494', OBS),
                 "an unterminated quote swallows the rest of the file", id="csv-unterminated-quote"),
    # ---- YAML (files.read_yaml, report.ReportCompiler)
    pytest.param(sub("\ndisclosures:\n", "\ncertifications: []\ndisclosures:\n"),
                 "a second `certifications:` section: PyYAML keeps the last, silently dropping the "
                 "five ISO 45001 bases", id="yaml-repeated-section"),
    pytest.param(sub(CERT, CERT.replace("    standard_as", "    standard: iso-14001\n    standard_as")),
                 "a second `standard:` in an item: the last silently wins (ISO 14001)",
                 id="yaml-repeated-item-key"),
    pytest.param(sub("    name: Changzhou Base\n    operator: calb\n    city: Changzhou\n",
                     "    name: &n Changzhou Base\n    operator: calb\n    city: *n\n"),
                 "an anchor and an alias", id="yaml-alias"),
    pytest.param(sub("    short_names: [HKEX]\n", f"    short_names: [HKEX]\n    note: {BOMB}\n"),
                 "an alias bomb (billion laughs) in a note: str() of it would expand 9^9 strings",
                 id="yaml-alias-bomb"),
    pytest.param(sub("    name: Changzhou Base\n", "    name: [Changzhou, Base]\n"),
                 "a name given as a list: labelled \"['Changzhou', 'Base']\"", id="yaml-name-list"),
    pytest.param(sub(CERT, CERT.replace("standard: iso-45001", "standard: {code: iso-45001}")),
                 "a code given as a mapping", id="yaml-code-mapping"),
    pytest.param(sub("    short_names: [CALB]\n", "    short_names: [CALB]\n    founded: true\n"),
                 "a boolean as founding year: gYear \"True\"", id="yaml-bool-year"),
    pytest.param(sub("    province: Jiangsu\n    country: CN\n", "    province: Jiangsu\n    country: NO\n"),
                 "Norway's code is YAML 1.1's false: stored as country code \"False\"", id="yaml-norway"),
    pytest.param(sub("  year: 2023\n", "  year: 123456789012345678901234567890\n"),
                 "a 30-digit reporting year", id="yaml-huge-int"),
    pytest.param(sub("  period: {start: 2023-01-01,", "  period: {start: 2023-02-30,"),
                 "a date that does not exist: PyYAML's timestamp constructor raises ValueError",
                 id="yaml-invalid-date"),
    pytest.param(sub("  prevailing_language: zh\n",
                     "  prevailing_language: !!python/object/apply:os.getcwd []\n"),
                 "a Python tag (the safe loader must refuse it)", id="yaml-python-tag"),
    pytest.param(sub(CERT_PAGES, CERT_PAGES.replace("    pages:", '    "pages\\n":')),
                 "a key with a trailing newline", id="yaml-key-newline"),
    pytest.param(sub("  urls: [http://www.calb-tech.com, https://www.hkexnews.hk]\n",
                     "  urls: [www.calb-tech.com]\n"), "a url without a scheme", id="yaml-url-no-scheme"),
    # ---- pages in YAML (strict.page)
    pytest.param(pages("[true]"), "a boolean page (True == 1 in Python)", id="pages-true"),
    pytest.param(pages("[0]"), "page 0", id="pages-0"),
    pytest.param(pages("[99999]"), "a page beyond the last page", id="pages-99999"),
    pytest.param(pages("[066]"), "YAML 1.1 octal: 066 is page 54", id="pages-octal"),
    pytest.param(pages("[6_6]"), "YAML 1.1 digit separator: 6_6 is 66", id="pages-underscore"),
    pytest.param(pages("[1:06]"), "YAML 1.1 sexagesimal: 1:06 is 66", id="pages-sexagesimal"),
    pytest.param(pages("66"), "a page that is not a list", id="pages-scalar"),
    # ---- sections.yaml
    pytest.param(Mutation(SEC, "last-page", (0, SECTION_PAGES.index("0"))), "last_page 0",
                 id="sections-last-page-0"),
    pytest.param(Mutation(SEC, "dup-last-page"), "last_page repeated: the last silently wins",
                 id="sections-repeated-last-page"),
    pytest.param(Mutation(SEC, "first-page", (3, SECTION_PAGES.index("066"))), "first_page 066 (octal 54)",
                 id="sections-first-page-octal"),
    pytest.param(Mutation(SEC, "swap-sections", (3, 0)), "sections out of page order", id="sections-order"),
    pytest.param(Mutation(SEC, "dup-flow-key", (3,)), "first_page twice in one {...} mapping",
                 id="sections-repeated-flow-key"),
    # ---- vocabularies (sources.vocab, units.load_unit_table)
    pytest.param(cell(3, "NaN", 0, f"{VOC}/units.csv"), "a unit scale NaN", id="vocab-unit-scale-nan"),
    pytest.param(cell(5, "1e309", 0, f"{VOC}/units.csv"), "a unit multiplier 1e309",
                 id="vocab-unit-multiplier-1e309"),
    pytest.param(cell(3, "\u0661\u0660\u0660\u0660\u0660", 0, f"{VOC}/units.csv"), "a unit scale in "
                 "Arabic-Indic digits (Decimal() reads them; observations refuse them)",
                 id="vocab-unit-scale-arabic-indic"),
    pytest.param(cell(0, "iso-45001", 0, f"{VOC}/standards.csv"), "a standard code listed twice",
                 id="vocab-standard-twice"),
    pytest.param(cell(4, "20x5", 1, f"{VOC}/standards.csv"), "an edition year that is not a year "
                 "(an ill-formed xsd:gYear)", id="vocab-edition-not-a-year"),
    pytest.param(cell(2, "not an iri", 0, f"{VOC}/frameworks.csv"), "a framework url that is not an IRI",
                 id="vocab-framework-url"),
    pytest.param(cell(3, "Mass Flow", 0, f"{VOC}/indicators.csv"), "a quantity kind with a space "
                 "(an IRI with a space)", id="vocab-quantity-kind-space"),
    pytest.param(cell(0, "hkex esg guide", 0, f"{VOC}/frameworks.csv"), "a vocabulary code that is not "
                 "a slug: refused, but the message names no file", id="vocab-code-not-a-slug"),
    pytest.param(Mutation(f"{VOC}/codes.csv", "bom"), "a BOM in a vocabulary", id="vocab-bom"),
    pytest.param(Mutation(f"{VOC}/units.csv", "header-swap", (0, 1, "", 3)), "units.csv qudt_unit and "
                 "scale names swapped", id="vocab-header-swap"),
    # ---- Turtle (files.read_turtle)
    pytest.param(Mutation("data/calb-2023/extra.ttl", "new-file",
                          ("<http://exa mple.org/x> a <http://example.org/C> .\n",)),
                 "an IRI with a space", id="turtle-bad-iri"),
    pytest.param(Mutation("data/calb-2023/extra.ttl", "new-file",
                          ('@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                           '<http://example.org/x> <http://example.org/p> "abc"^^xsd:integer .\n',)),
                 "an ill-formed integer literal", id="turtle-bad-literal"),
    pytest.param(Mutation("data/calb-2023/extra.ttl", "new-file",
                          ("<x> <http://example.org/p> <http://example.org/o> .\n",)),
                 "a relative IRI (resolved against the file's path)", id="turtle-relative-iri"),
]


@pytest.fixture(scope="session")
def hostile_outcomes(request: pytest.FixtureRequest, pristine: Path, good_store: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome | Exception]:
    """The selected hostile cases, built ``JOBS`` at a time: case id -> Outcome."""
    wanted = {item.callspec.id: item.callspec.params["mutation"] for item in request.session.items
              if getattr(item, "callspec", None) and item.originalname == "test_hostile_input_is_refused"}
    base = tmp_path_factory.mktemp("fuzz-hostile")

    def one(case: str) -> Outcome | Exception:
        try:
            (base / case).mkdir()
            return run_mutation(wanted[case], pristine, good_store, base / case)
        except Exception as exc:  # reported by the test of that case
            return exc

    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return dict(zip(wanted, pool.map(one, wanted), strict=True))


@pytest.mark.parametrize(("mutation", "finding"), HOSTILE)
def test_hostile_input_is_refused(request: pytest.FixtureRequest, hostile_outcomes, mutation: Mutation,
                                  finding: str) -> None:
    outcome = hostile_outcomes[request.node.callspec.id]
    if isinstance(outcome, Exception):
        raise outcome
    problems = outcome.problems(must_refuse=True)
    assert not problems, f"{finding}:\n  " + "\n  ".join(problems) + "\n" + outcome.report()


# ----------------------------------------------------------------------------- the property
def _files(pattern: str) -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for r in REPORTS for p in (ROOT / "data" / r).glob(pattern))


DATA_FILES = _files("*.yaml") + _files("*.csv")
CSV_FILES = _files("observations*.csv")
YAML_FILES = _files("entities*.yaml")
SECTIONS_FILES = _files("sections.yaml")
VOCAB_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / VOC).glob("*.csv"))
index = st.integers(min_value=0, max_value=10**6)


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    family = draw(st.sampled_from(["bytes", "cell", "row", "header", "yaml", "sections", "vocab"]))
    if family == "bytes":
        file = draw(st.sampled_from(DATA_FILES + VOCAB_FILES))
        op = draw(st.sampled_from(BYTE_OPS))
        return Mutation(file, op, (draw(index), draw(st.integers(0, 255))))
    if family in ("cell", "vocab"):
        file = draw(st.sampled_from(CSV_FILES if family == "cell" else VOCAB_FILES))
        value = draw(st.sampled_from(HOSTILE_CELLS) | st.text(max_size=12))
        return Mutation(file, "cell", (draw(index), draw(st.integers(0, 12)), value))
    if family == "row":
        file = draw(st.sampled_from(CSV_FILES + VOCAB_FILES))
        op = draw(st.sampled_from(["row-drop", "row-add"]))
        cells = draw(st.sampled_from(HOSTILE_CELLS))
        return Mutation(file, op, (draw(index), draw(st.integers(0, 12)), cells))
    if family == "header":
        file = draw(st.sampled_from(CSV_FILES + VOCAB_FILES))
        return Mutation(file, "header-swap", (0, draw(st.integers(0, 12)), "", draw(st.integers(0, 12))))
    if family == "yaml":
        file = draw(st.sampled_from(YAML_FILES + SECTIONS_FILES))
        op = draw(st.sampled_from(YAML_OPS))
        top = max(len(YAML_SCALARS), len(PAGES), len(NON_UTF8))
        return Mutation(file, op, (draw(index), draw(st.integers(0, top * 10))))
    file = draw(st.sampled_from(SECTIONS_FILES))
    return Mutation(file, draw(st.sampled_from(SECTIONS_OPS)), (draw(index), draw(st.integers(0, 100))))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          database=None if os.environ.get("CI") else settings.default.database)
@given(mutation=mutations())
def test_mutated_data_builds_cleanly_or_is_refused(mutation: Mutation, pristine: Path,
                                                   good_store: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="esgkg-fuzz-") as tmp:
        try:
            outcome = run_mutation(mutation, pristine, good_store, Path(tmp), validate=True)
        except ValueError as exc:  # nothing of that kind to mutate in this file
            if "nothing to mutate" in str(exc):
                return
            raise
        problems = outcome.problems(must_refuse=False)
        assert not problems, "\n  ".join(problems) + "\n" + outcome.report()
