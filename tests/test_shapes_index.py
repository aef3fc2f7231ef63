"""Issue 15, part C (shapes/index.ttl): content-index defects and content a report announces but
its text does not hold, as found on the shipped reports. Expected values are the reports' (page
and line of ../shared/reports/<report>.txt beside each)."""

from __future__ import annotations

from collections import Counter

import pytest

ID = "https://w3id.org/esgkg/id/"



def test_index_period_differs_from_report_period(shipped_validation, findings_of):
    # Seres p67, line 2845: the GRI index says January 1, 2023 to December 31, 2024;
    # the report's period is January 1 to December 31, 2023 (p1, line 85)
    assert findings_of("IndexPeriodIsReportPeriodShape") == {
        ("seres-2023", ID + "index-period/seres-2023/gri", "Warning"),
    }
    [f] = [f for f in shipped_validation["seres-2023"].findings
           if f.shape.endswith("IndexPeriodIsReportPeriodShape")]
    assert "2024-12-31" in f.message and "2023-12-31" in f.message and "67" in f.message


def test_index_row_without_page(shipped_validation, findings_of):
    # Seres GRI index (pp. 67-68), line 2919: the 404-2 row has no page cell
    assert findings_of("IndexRowHasPagesShape") == {
        ("seres-2023", ID + "index-entry/seres-2023/gri-404-2", "Warning"),
    }
    [f] = [f for f in shipped_validation["seres-2023"].findings
           if f.shape.endswith("IndexRowHasPagesShape")]
    assert "404-2" in f.message


def test_every_announced_gap_gives_one_info(shipped_validation, built_store):
    _, rows = built_store.select(
        "SELECT ?gap WHERE { GRAPH ?g { ?gap a esgkg:AnnouncedContentGap } }"
    )
    gaps = {r["gap"].value for r in rows}
    fired = Counter(
        f.focus for result in shipped_validation.values() for f in result.findings
        if f.shape.endswith("#AnnouncedContentMissingShape")
    )
    assert set(fired) == gaps
    assert set(fired.values()) == {1}
    assert {f.severity for result in shipped_validation.values() for f in result.findings
            if f.shape.endswith("#AnnouncedContentMissingShape")} == {"Info"}
    # data/README.md counts: CALB 12 gaps, Seres 35 (its GRI row 404-2 without a page is a Warning, not a gap)
    per_report = Counter(focus.removeprefix(ID + "gap/").split("/")[0] for focus in fired)
    assert per_report == {"calb-2023": 12, "seres-2023": 35}


def test_announced_gap_message_names_what_and_pages(shipped_validation):
    # CALB p48 (see data/README.md): the list of energy-saving measures is an image
    msgs = [f.message for f in shipped_validation["calb-2023"].findings
            if f.shape.endswith("#AnnouncedContentMissingShape")]
    assert all(m.startswith("Not in the report's text (page ") for m in msgs)
    assert any("(page 48)" in m and "energy" in m.lower() for m in msgs)
    # CALB's statistical methods are announced on pages 2, 45 and 82 (data/README.md): each page named
    assert any("(page " in m and all(n in m for n in ("2", "45", "82")) and "conversion" in m for m in msgs)


def test_index_rows_printing_another_items_description(shipped_validation, findings_of):
    # CALB HKEX index (pp. 88-89): B2.1 is printed with B1.2's words on employee turnover (line
    # 1739, B1.2 itself on line 1734) and B6.3 with B6.2's words on complaints (lines 1759-1760)
    assert findings_of("IndexRowDescribesItsItemShape") == {
        ("calb-2023", ID + "index-entry/calb-2023/hkex-b2-1", "Warning"),
        ("calb-2023", ID + "index-entry/calb-2023/hkex-b6-3", "Warning"),
    }
    messages = {f.focus.rsplit("hkex-", 1)[-1]: f.message for f in shipped_validation["calb-2023"].findings
                if f.shape.endswith("IndexRowDescribesItsItemShape")}
    assert "of B1.2" in messages["b2-1"] and "turnover" in messages["b2-1"]
    assert "of B6.2" in messages["b6-3"] and "complaints" in messages["b6-3"]


def test_mandatory_items_without_an_index_row(shipped_validation, findings_of):
    # CALB's HKEX index (pp. 88-89) starts at A1; the mandatory disclosures are in the text: the
    # board statement on p5 and the governance structure on p16, reporting principles and
    # boundary on p2
    assert findings_of("MandatoryItemHasIndexRowShape") == {
        ("calb-2023", ID + f"index-entry/calb-2023/hkex-mdr-{item}", "Warning")
        for item in ("governance", "principles", "boundary")
    }
    [governance] = [f.message for f in shipped_validation["calb-2023"].findings
                    if f.focus.endswith("hkex-mdr-governance") and "mandatory" in f.message]
    assert "5" in governance and "16" in governance


@pytest.mark.parametrize("value, words", [
    ("'B9.9'", "unknown hkex code 'B9.9'"),        # not an item of the framework
    ("['B1.2', 'B1.1']", "described_as"),         # one code, not a list
])
def test_a_bad_described_as_is_an_error_naming_the_file(project_copy, value, words):
    from esgkg.build import compile_dataset
    from esgkg.errors import DataErrors, InputError

    path = project_copy.data_dir / "calb-2023" / "entities.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    described_as: 'B1.2'"
    assert old in text
    path.write_text(text.replace(old, f"    described_as: {value}", 1), encoding="utf-8")
    with pytest.raises((DataErrors, InputError)) as exc:
        compile_dataset(project_copy)
    assert "entities.yaml" in str(exc.value) and words in str(exc.value)
