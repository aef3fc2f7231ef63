"""Strict readers (issue 12): no bad input gets in silently; each is refused naming file and line.

Each test reproduces one finding of the hardening issue; the numbers in the comments are its
finding numbers. The small report ``fx-2023`` stands alone in ``data/`` so that each compile is
quick; one test breaks the shipped CALB data itself (finding 3).
"""

from __future__ import annotations

import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from esgkg.build import build, compile_dataset
from esgkg.errors import InputError
from esgkg.project import Project
from esgkg.sources import strict
from esgkg.sources.files import read_csv, read_yaml
from esgkg.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]

ENTITIES = textwrap.dedent("""\
    report:
      key: fx-2023
      issuer: fx
      title: FX 2023 ESG Report
      year: 2023
      period: {start: 2023-01-01, end: 2023-12-31}
      languages: [en]
      urls: ["https://example.org/fx-2023.pdf"]
      index_pages: {hkex: [40]}
      pages: [1]
    organizations:
      - key: fx
        kind: company
        name: FX Ltd.
        pages: [2]
    sites:
      - key: north-base
        kind: production-base
        name: North Base
        operator: fx
        country: CN
        status: in-operation
        pages: [3]
    units:
      - key: fx-board
        kind: board
        name: FX Board
        unit_of: fx
        pages: [4]
    certifications:
      - holder: north-base
        standard: iso-45001
        status: certified
        pages: [7]
    """)
HEADER = "indicator,entity,period,breakdown,value,unit,page,boundary,restated,source,note\n"
ROW = 'employees,,2023,,"1,234",persons,12,,,line 5,\n'
SECTIONS = "last_page: 50\nsections:\n  - {title: Intro, first_page: 1}\n  - {title: Data, first_page: 10}\n"


@pytest.fixture()
def fx(tmp_path: Path) -> tuple[Project, Path]:
    """A project whose data/ holds one small report, fx-2023 (last page 50)."""
    for part in ("ontology", "queries", "shapes"):
        shutil.copytree(ROOT / part, tmp_path / part)
    folder = tmp_path / "data" / "fx-2023"
    folder.mkdir(parents=True)
    (folder / "entities.yaml").write_text(ENTITIES)
    (folder / "observations.csv").write_text(HEADER + ROW)
    (folder / "sections.yaml").write_text(SECTIONS)
    return Project(tmp_path), folder


def _error(project: Project) -> str:
    with pytest.raises(InputError) as failure:
        compile_dataset(project)
    return str(failure.value)


def test_the_fixture_itself_compiles(fx):
    assert len(compile_dataset(fx[0])) > 3


# ---------------------------------------------------------------- 3: repeated YAML keys
def test_a_repeated_section_is_refused_with_both_lines(fx):
    project, folder = fx
    text = ENTITIES + "certifications:\n  - {holder: fx, standard: iso-9001, status: certified, pages: [8]}\n"
    (folder / "entities.yaml").write_text(text)
    message = _error(project)
    first = ENTITIES.splitlines().index("certifications:") + 1
    assert f"{folder / 'entities.yaml'}:{len(ENTITIES.splitlines()) + 1}:" in message
    assert f"key 'certifications' is repeated (first on line {first}" in message


def test_a_repeated_key_inside_an_item_is_refused(fx):
    project, folder = fx
    (folder / "entities.yaml").write_text(
        ENTITIES.replace("    standard: iso-45001\n", "    standard: iso-45001\n    standard: iso-9001\n"))
    assert "key 'standard' is repeated" in _error(project)


def test_a_repeated_certifications_section_in_the_shipped_calb_data_is_refused(project_copy):
    # finding 3: a second `certifications:` section silently dropped 22 of CALB's 24 certificates
    path = project_copy.data_dir / "calb-2023" / "entities.yaml"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("certifications:\n  - {holder: calb, standard: iso-9001, status: certified, pages: [28]}\n")
    message = _error(project_copy)
    assert str(path) in message and "key 'certifications' is repeated" in message


def test_a_yaml_alias_bomb_is_refused_without_expanding(fx, tmp_path):
    # finding 8: a "billion laughs" alias bomb used in a note ran out of memory after 89 s
    bomb = tmp_path / "bomb.yaml"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(8):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb.write_text("\n".join(lines) + "\nnote: *i\n")
    with pytest.raises(InputError, match=r"bomb\.yaml:1:4: YAML error: anchors and aliases"):
        read_yaml(bomb)


def test_a_key_with_a_trailing_newline_is_refused(fx):
    # finding 10: a site key "north-base\n" reached the store as an IRI with a newline
    project, folder = fx
    (folder / "entities.yaml").write_text(ENTITIES.replace("  - key: north-base", '  - key: "north-base\\n"'))
    message = _error(project)
    assert "[sites][0]" in message and "is not a lower-case slug" in message


def test_unknown_sections_and_fields_are_refused(fx):
    project, folder = fx
    (folder / "entities.yaml").write_text(
        ENTITIES.replace("    standard: iso-45001", "    standrd: iso-45001") + "certificatons: []\n")
    message = _error(project)
    assert "unknown section 'certificatons'" in message
    assert "[certifications][0]" in message and "unknown field(s) 'standrd'" in message


def test_a_scalar_replaced_by_a_mapping_is_refused(fx):
    project, folder = fx
    (folder / "entities.yaml").write_text(ENTITIES.replace("    name: North Base", "    name: {en: North}"))
    assert "[sites][0]" in _error(project) and "field 'name' must be a plain value" in _error(project)


def test_bad_site_and_unit_keys_name_file_and_item_and_are_all_reported(fx):
    # finding 11: a bad site or unit key named neither file nor item and stopped at the first
    project, folder = fx
    text = ENTITIES.replace("  - key: north-base", "  - key: North Base").replace(
        "  - key: fx-board", "  - key: FX_Board")
    (folder / "entities.yaml").write_text(text)
    message = _error(project)
    assert f"{folder / 'entities.yaml'} [sites][0] (North Base)" in message
    assert f"{folder / 'entities.yaml'} [units][0] (FX_Board)" in message


# ---------------------------------------------------------------- 5: numbers, periods, pages
@pytest.mark.parametrize("printed", ["NaN", "Infinity", "-Infinity", "1e309", "1,2,3", "1_000", "١٢٣",
                                     "²", "12,34", "1,234.", ".5", "1 000", "", "0x10", "--1"])
def test_a_value_that_is_not_a_number_as_printed_is_refused_with_its_line(fx, printed):
    project, folder = fx
    (folder / "observations.csv").write_text(HEADER + ROW + f'employees,,2022,,"{printed}",persons,12,,,,\n')
    message = _error(project)
    assert f"{folder / 'observations.csv'}:3: value {printed!r} is not a number as printed" in message


@pytest.mark.parametrize(("printed", "value"), [
    ("1234", "1234"), ("1,234", "1234"), ("1,234,567.89", "1234567.89"), ("-12.5", "-12.5"),
    ("+3", "3"), ("0.057", "0.057"), ("-0", "-0")])
def test_the_printed_forms_the_reports_use_are_read(printed, value):
    assert strict.number(printed) == Decimal(value)


@pytest.mark.parametrize("period", ["2023-13-45", "2024..2020", "2023-02-30", "23", "2023..", "0001"])
def test_a_period_that_is_not_a_real_span_is_refused(fx, period):
    project, folder = fx
    (folder / "observations.csv").write_text(HEADER + f"employees,,{period},,5,persons,12,,,,\n")
    message = _error(project)
    assert f"{folder / 'observations.csv'}:2: period '{period}'" in message


@pytest.mark.parametrize(("pages", "why"), [
    ("[true]", "page True is not a page number (a boolean)"),
    ("[0]", "page 0 is not a page number"),
    ("[99999]", "page 99999 is beyond the report's last page (50"),
    ("['3']", "page '3' is not a whole number"),
    ("[2.5]", "page 2.5 is not a whole number")])
def test_an_entity_page_outside_the_report_is_refused(fx, pages, why):
    project, folder = fx
    (folder / "entities.yaml").write_text(ENTITIES.replace("    pages: [3]", f"    pages: {pages}"))
    message = _error(project)
    assert f"{folder / 'entities.yaml'} [sites][0] (north-base): {why}" in message


@pytest.mark.parametrize(("page", "why"), [
    ("0", "page '0' is not a whole number from 1"), ("²", "page '²' is not a whole number from 1"),
    ("51", "page 51 is beyond the report's last page (50"), ("", "page '' is not a whole number")])
def test_a_csv_page_is_checked_at_build_with_its_line(fx, page, why):
    # finding 5: a CSV page 0 was caught only later, by validate, without its CSV line
    project, folder = fx
    (folder / "observations.csv").write_text(HEADER + f"employees,,2023,,5,persons,{page},,,,\n")
    assert f"{folder / 'observations.csv'}:2: {why}" in _error(project)


def test_a_url_that_is_not_an_iri_is_refused(fx):
    # finding 10: a `urls:` value that is not an IRI ended in a traceback
    project, folder = fx
    (folder / "entities.yaml").write_text(
        ENTITIES.replace("https://example.org/fx-2023.pdf", "see the website"))
    assert "[report]: url 'see the website' is not an http(s) IRI" in _error(project)
    (folder / "entities.yaml").write_text(ENTITIES.replace("example.org/fx-2023.pdf", "exa mple.org/x"))
    assert "is not a valid IRI" in _error(project)


# ---------------------------------------------------------------- 10, 11: bytes and CSV shape
def test_a_non_utf8_byte_names_file_line_and_column(fx):
    project, folder = fx
    bad = b"employees,,2022,,5,pers\xffons,12,,,,\n"
    (folder / "observations.csv").write_bytes((HEADER + ROW).encode() + bad)
    assert f"{folder / 'observations.csv'}:3:24: byte 0xff is not UTF-8" in _error(project)
    (folder / "observations.csv").write_text(HEADER + ROW)
    (folder / "entities.yaml").write_bytes(ENTITIES.encode().replace(b"FX Ltd.", b"FX \xe9Ltd."))
    line = ENTITIES.splitlines().index("    name: FX Ltd.") + 1
    assert f"{folder / 'entities.yaml'}:{line}:" in _error(project)


def test_a_byte_order_mark_is_named_not_taken_for_a_missing_column(fx):
    # finding 11: a CSV with a UTF-8 BOM said "missing column indicator"
    project, folder = fx
    (folder / "observations.csv").write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode())
    message = _error(project)
    assert f"{folder / 'observations.csv'}:1:1: the file starts with a UTF-8 byte-order mark" in message
    assert "missing column" not in message


def test_a_short_row_names_its_field_count(fx):
    # finding 11: a short row said "page '' is not a whole number"
    project, folder = fx
    (folder / "observations.csv").write_text(HEADER + "employees,,2023,,5\n")
    message = _error(project)
    path = folder / "observations.csv"
    assert f"{path}:2: 5 field(s), but the header has 11 (missing: unit, page" in message


def test_trailing_optional_columns_may_be_left_out(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,opt\n1,2\n3,4,5\n")
    assert list(read_csv(path, ["a", "b"])) == [(2, {"a": "1", "b": "2", "opt": ""}),
                                                (3, {"a": "3", "b": "4", "opt": "5"})]
    path.write_text("a,b,opt\n1\n")
    with pytest.raises(InputError, match=r"x\.csv:2: 1 field\(s\), but the header has 3 \(missing: b, opt\)"):
        list(read_csv(path, ["a", "b"]))
    path.write_text("a,b\n1,2,3\n")
    with pytest.raises(InputError, match=r"x\.csv:2: 3 field\(s\), but the header has 2"):
        list(read_csv(path, ["a", "b"]))


def test_a_turtle_file_with_a_bad_iri_names_file_and_line(fx):
    # finding 10: a Turtle file with a bad IRI ended in a traceback when the store loaded it
    project, folder = fx
    (folder / "extra.ttl").write_text('<http://example.org/a> <http://example.org/p> "x" .\n'
                                      '<http://exa mple.org/b> <http://example.org/p> "y" .\n')
    message = _error(project)
    assert f"{folder / 'extra.ttl'}:2:" in message and "Invalid IRI code point ' '" in message


# ---------------------------------------------------------------- 4: an empty data/
def test_an_empty_data_folder_is_refused_and_the_store_kept(fx, tmp_path):
    project, folder = fx
    store = tmp_path / "store"
    build(project, store)
    shutil.rmtree(folder)
    with pytest.raises(InputError, match="no report folders"):
        build(project, store)
    kept = EmbeddedStore(store)
    try:
        assert any(g.endswith("/report/fx-2023") for g in kept.graphs())
    finally:
        kept.close()
